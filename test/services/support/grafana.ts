/**
 * A grafana pod for the host tests (B10): the Grafana stand-in (./grafana-stand-in.ts) with the
 * pod's Secrets, and the image's collector (srcs/grafana/collect-metrics) on serve-metrics.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { httpRequest } from '../../../lib/probes/http';
import { GRAFANA_METRICS_USER, HANDED_DIR } from '../../../lib/secrets';
import { makeCertificate } from '../../../lib/setup/credentials';
import { synth } from '../../support/manifests';
import { GrafanaStandIn, GrafanaStandInOptions, Login, startGrafanaStandIn } from './grafana-stand-in';
import { asContainer, chartEnvironment, freePort, haveCommand, HOST_METRICS_USER, IMAGE_PATH, randomSecret, run, scratchDir, Server, SRCS, startServer, suExecShim, waitFor, WaitingIsFutile, writeSecrets } from './harness';
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

/** The grafana image's entrypoint (srcs/grafana/entrypoint.sh) run on this machine, with the cluster's Grafana stand-in as `grafana`. */
export interface GrafanaContainer {
  readonly server: Server;
  /** https://127.0.0.1:PORT, whose certificate names GRAFANA_TLS_NAME. */
  readonly url: string;
  readonly cert: string;
  readonly admin: Login;
  /** Where serve-metrics answers (ADDRESS:PORT). */
  readonly metricsListen: string;
  /** The entrypoint's environment: the pod's, its ports and paths moved here. */
  readonly env: Readonly<Record<string, string>>;
}

/** The Unix user the image runs Grafana as (srcs/grafana/entrypoint.sh: su-exec grafana:grafana), made here when missing. */
export const GRAFANA_USER = 'grafana';

/**
 * Starts the grafana image's entrypoint as the pod runs it — its Secrets mounted 0400, the chart's
 * datasource provisioning, serve-metrics and the collector — with `grafana` the cluster's STAND-IN
 * (.ci/cluster/grafana-stand-in installs it into a scratch tree: Debian has no Grafana), su-exec as
 * setpriv, and Grafana's own user made on this machine. Stop it with stopAll.
 */
export async function startGrafanaContainer(name = 'grafana'): Promise<GrafanaContainer> {
  for (const command of ['node', 'setpriv', 'curl', 'busybox']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install the host packages (.ci/install-host-packages)`);
  }
  if (spawnSync('id', [GRAFANA_USER]).status !== 0) run('useradd', ['--system', '-M', '-s', '/usr/sbin/nologin', GRAFANA_USER]);
  const dir = scratchDir(name);
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'usr', 'bin'), { recursive: true });
  fs.symlinkSync(process.execPath, path.join(tree, 'usr', 'bin', 'node'));
  run(path.join(SRCS, '..', '.ci', 'cluster', 'grafana-stand-in'), [tree]);
  const bin = suExecShim(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(bin, 'grafana'), `#!/bin/sh\n# STAND-IN for Grafana (.ci/cluster/grafana-server.ts), installed in ${tree}.\nexec node ${tree}/usr/lib/ft-services-grafana-stand-in/.ci/cluster/grafana-server.js "$@"\n`, { mode: 0o755 });

  const secrets = path.join(dir, 'secrets');
  const admin = { name: 'admin', password: randomSecret() };
  writeSecrets(secrets, { 'grafana-admin': { password: admin.password }, 'grafana-metrics': { password: randomSecret() }, 'influxdb-grafana': { password: randomSecret() } });
  const { cert } = grafanaTlsSecret(path.join(secrets, 'tls'));
  fs.chmodSync(path.join(secrets, 'tls', 'tls.crt'), 0o400);

  const port = await freePort();
  const metricsListen = `127.0.0.1:${await freePort()}`;
  const handed = path.join(dir, 'handed');
  const env = chartEnvironment('grafana', {
    config: { loadBalancer: { address: GRAFANA_TLS_NAME } },
    standIns: { GRAFANA_LISTEN_PORT: String(port), METRICS_LISTEN: metricsListen, HANDED_DIR: handed },
    hostOnly: {
      SECRETS_DIR: secrets,
      GRAFANA_CONFIG: path.join(SRCS, 'grafana', 'grafana.ini'),
      GRAFANA_DATA: path.join(dir, 'data'),
      GF_PATHS_PROVISIONING: path.join(dir, 'provisioning'),
      METRICS_ROOT: path.join(dir, 'metrics'),
      ...HOST_METRICS_USER,
      PATH: `${bin}:${path.join(SRCS, 'grafana')}:${IMAGE_PATH}`,
    },
  });
  // The chart's datasource file, its password file moved with HANDED_DIR.
  const [datasources] = synth({ loadBalancer: { address: GRAFANA_TLS_NAME } }).all.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-datasources');
  fs.mkdirSync(path.join(dir, 'provisioning', 'datasources'), { recursive: true });
  for (const [file, text] of Object.entries(datasources.data as Record<string, string>)) {
    fs.writeFileSync(path.join(dir, 'provisioning', 'datasources', file), text.split(`${HANDED_DIR}/`).join(`${handed}/`));
  }
  const server = startServer({ name, ...asContainer('grafana', 'sh', [path.join(SRCS, 'grafana', 'entrypoint.sh')]), env, logFile: path.join(dir, `${name}.log`) });
  const url = `https://127.0.0.1:${port}`;
  await waitFor(`${name} on ${url}`, async () => {
    if (!server.running) throw new WaitingIsFutile(`${name} exited: ${server.log()}`);
    // The certificate names the load balancer's address, not the loopback: the collector checks it.
    return (await httpRequest(`${url}/api/health`, { insecure: true })).status === 200;
  }, 60000);
  return { server, url, cert, admin, metricsListen, env };
}
