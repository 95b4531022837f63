/**
 * srcs/grafana/grafana.ini: the settings Grafana reads at start-up (S9).
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveStackConfig } from '../lib/config';
import { GRAFANA_METRICS_USER, stackSecrets } from '../lib/secrets';
import { containersOf, named, synth } from './support/manifests';

const SRCS = path.join(__dirname, '..', 'srcs');

/** The ini as Grafana's gopkg.in/ini.v1 reads it: `[section]` headers, `key = value`, `;` or `#` comments. */
function readIni(file: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = { '': {} };
  let current = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1];
      sections[current] ??= {};
      continue;
    }
    const [key, ...value] = line.split('=');
    sections[current][key.trim()] = value.join('=').trim();
  }
  return sections;
}

const ini = readIni(path.join(SRCS, 'grafana', 'grafana.ini'));

test('S9 Grafana installs no catalog plugin at start-up: [plugins] preinstall_disabled = true', () => {
  // Grafana pkg/setting/setting_plugins.go (11.3 and later, still so on main): readPluginSettings
  // reads `preinstall_disabled` from the `plugins` section (MustBool(false)); only when it is false
  // does it queue the default preinstall list (grafana-lokiexplore-app, grafana-pyroscope-app, …)
  // for download from grafana.com at start-up.
  expect(ini.plugins?.preinstall_disabled).toBe('true');
});

test('B11 Grafana serves HTTPS on 3000 with the tls Secret, TLS 1.3 only', () => {
  // Grafana conf/defaults.ini [server]: `protocol` (http, https, h2, socket), `cert_file`,
  // `cert_key`, and `min_tls_version` ("Accepted values are: TLS1.2, TLS1.3"); GF_<SECTION>_<KEY>
  // environment overrides (pkg/setting/setting.go). For protocol https, pkg/api/http_server.go
  // offers a fixed TLS 1.2 list with TLS_RSA_* and *_CBC_* suites: hence TLS 1.3.
  expect(ini.server).toMatchObject({ protocol: 'https', min_tls_version: 'TLS1.3' });
  const entrypoint = fs.readFileSync(path.join(SRCS, 'grafana', 'entrypoint.sh'), 'utf8');
  // The port the chart passes, as Grafana's own [server] http_port override.
  expect(entrypoint).toContain('export GF_SERVER_HTTP_PORT="$GRAFANA_LISTEN_PORT"');
  expect(entrypoint).toContain('export GF_SERVER_CERT_FILE="$grafana_secrets/tls/tls.crt" GF_SERVER_CERT_KEY="$grafana_secrets/tls/tls.key"');
  expect(entrypoint).toMatch(/read-secret [^\n]*tls\/tls\.crt tls\/tls\.key/);
});

test('B10 B11 Grafana serves /metrics on its one port only behind basic auth, the user and password the collector sends', () => {
  // Grafana pkg/api/http_server.go metricsEndpoint: /metrics answers on the server's own port
  // whenever MetricsEndpointEnabled (ini [metrics] enabled, default true), and asks for a login only
  // when basic_auth_username and basic_auth_password are both set (pkg/setting/setting.go reads
  // them from [metrics]; GF_METRICS_BASIC_AUTH_PASSWORD overrides the second).
  expect(ini.metrics).toMatchObject({ enabled: 'true', basic_auth_username: '$__env{GRAFANA_METRICS_USER}' });
  const entrypoint = fs.readFileSync(path.join(SRCS, 'grafana', 'entrypoint.sh'), 'utf8');
  const collector = fs.readFileSync(path.join(SRCS, 'grafana', 'collect-metrics'), 'utf8');
  const { grafanaMetrics } = stackSecrets(resolveStackConfig());
  const passwordFile = `${grafanaMetrics.name}/${grafanaMetrics.keys[0].key}`;
  // Neither may be empty: the entrypoint stops without the user, or without a non-empty password file.
  expect(entrypoint).toContain(': "${GRAFANA_METRICS_USER:?');
  expect(entrypoint).toMatch(new RegExp(`read-secret [^\n]*${passwordFile}`));
  expect(entrypoint).toContain(`export GF_METRICS_BASIC_AUTH_PASSWORD="\\$__file{$grafana_secrets/${passwordFile}}"`);
  // The collector logs in with the same user and the same file.
  expect(collector).toContain('user="${GRAFANA_METRICS_USER:?');
  expect(collector).toContain(`password=$(read-secret ${passwordFile})`);
  const grafana = containersOf(named(synth().charts['ft-services'], 'Deployment', 'grafana'))[0];
  expect(grafana.env).toEqual(expect.arrayContaining([{ name: 'GRAFANA_METRICS_USER', value: GRAFANA_METRICS_USER }]));
});

test('B10 Grafana counts its active users for /metrics, every minute', () => {
  // pkg/infra/usagestats/statscollector: updateTotalStats sets grafana_stat_active_users only while
  // [metrics] enabled and not disable_total_stats, every total_stats_collector_interval_seconds.
  expect(ini.metrics).toMatchObject({ disable_total_stats: 'false', total_stats_collector_interval_seconds: '60' });
});

test('B10 B11 the grafana container is told the load-balancer address its certificate names, which the collector checks', () => {
  // test/services/grafana-metrics.test.ts: the collector refuses a server with another certificate.
  const grafana = containersOf(named(synth().charts['ft-services'], 'Deployment', 'grafana'))[0];
  expect(grafana.env).toEqual(expect.arrayContaining([{ name: 'GRAFANA_TLS_NAME', value: resolveStackConfig().loadBalancer.address }]));
});
