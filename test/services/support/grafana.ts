/**
 * A grafana pod for the host tests (B10): the Grafana stand-in (./grafana-stand-in.ts) with the
 * pod's Secrets, and the image's collector (srcs/grafana/collect-metrics) on serve-metrics.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GRAFANA_METRICS_USER } from '../../../lib/secrets';
import { makeCertificate } from '../../../lib/setup/credentials';
import { GrafanaStandIn, GrafanaStandInOptions, Login, startGrafanaStandIn } from './grafana-stand-in';
import { randomSecret, scratchDir, SRCS, writeSecrets } from './harness';
import { MetricsServer, startMetricsServer } from './metrics';

export * from './grafana-stand-in';

/** The collector the grafana image runs. */
export const GRAFANA_COLLECTOR = path.join(SRCS, 'grafana', 'collect-metrics');
/** The load balancer's address, which the certificate names (a documentation address, RFC 5737), not the loopback. */
export const GRAFANA_TLS_NAME = '192.0.2.10';

/**
 * The tls Secret as setup makes it (lib/setup/credentials.ts), its certificate readable by the collector's
 * user as the copy the grafana entrypoint hands it (srcs/common/hand-over) is: 0444 here, the collector
 * running as serve-metrics' default user.
 */
export function grafanaTlsSecret(dir: string, address = GRAFANA_TLS_NAME): { cert: string; key: string } {
  fs.mkdirSync(dir, { recursive: true });
  makeCertificate(dir, address);
  fs.chmodSync(path.join(dir, 'tls.crt'), 0o444);
  return { cert: fs.readFileSync(path.join(dir, 'tls.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'tls.key'), 'utf8') };
}

/** serve-metrics running the grafana image's collector against `target`, with the Secrets under `secretsDir`. */
export function serveGrafanaCollector(name: string, target: GrafanaStandIn, secretsDir: string): Promise<MetricsServer> {
  return startMetricsServer(name, [GRAFANA_COLLECTOR], {
    GRAFANA_LOCAL_ADDRESS: `127.0.0.1:${target.port}`, GRAFANA_TLS_NAME, GRAFANA_METRICS_USER, SECRETS_DIR: secretsDir,
  });
}

/** A grafana pod as the chart makes it: the stand-in with the pod's Secrets, and its collector on serve-metrics. */
export interface GrafanaPod {
  readonly grafana: GrafanaStandIn;
  readonly metrics: MetricsServer;
  readonly admin: Login;
  readonly metricsLogin: Login;
  /** The collector's copies of the Secrets (grafana-metrics/password, tls/tls.crt), as the entrypoint hands them. */
  readonly secretsDir: string;
}

/** Starts a grafana pod whose datasource is `datasource`; close `grafana` when done. */
export async function startGrafanaPod(name: string, datasource: GrafanaStandInOptions['datasource']): Promise<GrafanaPod> {
  const secretsDir = path.join(scratchDir(name), 'secrets');
  const metricsLogin = { name: GRAFANA_METRICS_USER, password: randomSecret() };
  const admin = { name: 'admin', password: randomSecret() };
  writeSecrets(secretsDir, { 'grafana-metrics': { password: metricsLogin.password } }, 0o444);
  const { cert, key } = grafanaTlsSecret(path.join(secretsDir, 'tls'));
  const grafana = await startGrafanaStandIn({ cert, key, tlsName: GRAFANA_TLS_NAME, metrics: metricsLogin, admin, datasource });
  return { grafana, metrics: await serveGrafanaCollector(name, grafana, secretsDir), admin, metricsLogin, secretsDir };
}

/**
 * What a user does in Grafana: opens it, logs in (once right, once wrong), and loads a dashboard,
 * whose panels query the datasource (one query InfluxDB cannot parse). Resolves with the statuses.
 */
export async function grafanaTraffic(pod: GrafanaPod): Promise<number[]> {
  const { grafana, admin } = pod;
  return [
    await grafana.request('GET', '/api/health'),
    await grafana.request('POST', '/login', { user: admin.name, password: admin.password }),
    await grafana.request('POST', '/login', { user: admin.name, password: `${admin.password}x` }),
    await grafana.request('POST', '/api/ds/query', { queries: [{ query: 'SHOW MEASUREMENTS' }, { query: 'SHOW RETENTION POLICIES' }] }),
    // InfluxDB answers a query it cannot parse with 400.
    await grafana.request('POST', '/api/ds/query', { queries: [{ query: 'SELEKT nothing' }] }),
  ];
}
