/**
 * Our InfluxDB image's entrypoint and config (srcs/influxdb/) run by Debian's influxd 1.6 on
 * loopback, for any host test that needs InfluxDB (requirement B5). The image's layout is kept; only
 * the storage folder, the ports (InfluxDB's two, and the pod's metrics port) and the secrets folder
 * move, through the entrypoint's variables and InfluxDB's own INFLUXDB_* overrides. Debian has no
 * `su-exec` (Alpine's), so a two-line shim with the same calling convention runs util-linux's
 * `setpriv` instead. srcs/influxdb is on the PATH, as the image installs its collect-metrics.
 */
import * as path from 'path';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { METRICS_PATH } from '../../../lib/monitoring/pod-metrics';
import { Capability } from '../../../lib/capabilities';
import { asContainer, HOST_METRICS_ENV, IMAGE_PATH, freePort, haveCommand, randomSecret, scratchDir, Server, SRCS, startServer, suExecShim, waitFor, WaitingIsFutile, writeSecrets } from './harness';

export const INFLUXDB_ENTRYPOINT = path.join(SRCS, 'influxdb', 'entrypoint.sh');
export const INFLUXDB_CONFIG = path.join(SRCS, 'influxdb', 'influxdb.conf');

/** Fails with a clear message when Debian's influxdb package (or a tool the entrypoint needs) is missing. */
export function requireInfluxd(): void {
  for (const command of ['influxd', 'curl', 'setpriv', 'jq', 'busybox']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install the influxdb, curl, jq and busybox packages (.ci/install-host-packages)`);
  }
}

export interface InfluxSetup {
  readonly dir: string;
  readonly url: string;
  readonly port: number;
  /** InfluxDB's own metrics, served by the entrypoint's serve-metrics (B10). */
  readonly metricsUrl: string;
  readonly database: string;
  readonly storage: string;
  readonly users: {
    readonly admin: { readonly name: string; readonly password: string };
    readonly writer: { readonly name: string; readonly password: string };
    readonly reader: { readonly name: string; readonly password: string };
  };
  readonly env: Readonly<Record<string, string>>;
}

export interface InfluxDatabase extends InfluxSetup {
  readonly server: Server;
}

/** Scratch folders, secrets and ports for a new InfluxDB (nothing runs yet). */
export async function prepareInflux(name = 'influxdb'): Promise<InfluxSetup> {
  requireInfluxd();
  const dir = scratchDir(name);
  const bin = suExecShim(path.join(dir, 'bin'));
  const users = {
    admin: { name: 'admin', password: randomSecret() },
    writer: { name: 'telegraf', password: randomSecret() },
    reader: { name: 'grafana', password: randomSecret() },
  };
  const secrets = writeSecrets(path.join(dir, 'secrets'), {
    'influxdb-admin': { password: users.admin.password },
    'influxdb-telegraf': { password: users.writer.password },
    'influxdb-grafana': { password: users.reader.password },
  });
  const port = await freePort();
  const rpcPort = await freePort();
  const metricsPort = await freePort();
  const storage = path.join(dir, 'storage');
  const database = 'telegraf';
  return {
    dir, port, database, storage, users, url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}${METRICS_PATH}`,
    env: {
      PATH: `${bin}:${path.join(SRCS, 'influxdb')}:${IMAGE_PATH}`,
      INFLUXDB_DB: database,
      INFLUXDB_ADMIN_USER: users.admin.name,
      INFLUXDB_WRITE_USER: users.writer.name,
      INFLUXDB_READ_USER: users.reader.name,
      INFLUXDB_RETENTION_DAYS: String(DEFAULT_CONFIG.influxdb.retentionDays),
      INFLUXDB_CONFIG,
      INFLUXDB_STORAGE: storage,
      INFLUXDB_LOCAL_ADDRESS: `127.0.0.1:${port}`,
      SECRETS_DIR: secrets,
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      METRICS_ROOT: path.join(dir, 'metrics-root'),
      ...HOST_METRICS_ENV,
      // InfluxDB's own overrides of the config's Alpine paths and ports.
      INFLUXDB_META_DIR: path.join(storage, 'meta'),
      INFLUXDB_DATA_DIR: path.join(storage, 'data'),
      INFLUXDB_DATA_WAL_DIR: path.join(storage, 'wal'),
      INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${port}`,
      INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
    },
  };
}

/** Starts our entrypoint on `setup` and waits until /ping answers with authentication on. */
export async function startInflux(setup: InfluxSetup, timeoutMs = 60000, without: readonly Capability[] = []): Promise<InfluxDatabase> {
  const server = startServer({ name: 'influxdb', ...asContainer('influxdb', 'sh', [INFLUXDB_ENTRYPOINT], without), env: setup.env, logFile: path.join(setup.dir, 'influxdb.log') });
  await waitFor('influxdb with authentication', async () => {
    if (!server.running) throw new WaitingIsFutile(`influxdb exited:\n${server.log()}`);
    // The temporary init server answers /ping too; only the real one refuses an anonymous query.
    if (!(await fetch(`${setup.url}/ping`)).ok) return false;
    return (await influxQuery(setup, 'SHOW DATABASES')).status === 401;
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n--- influxdb log ---\n${server.log()}`);
  });
  return { ...setup, server };
}

/** A fresh InfluxDB from our entrypoint on a loopback port. */
export async function startScratchInflux(name = 'influxdb'): Promise<InfluxDatabase> {
  return startInflux(await prepareInflux(name));
}

export interface InfluxAnswer {
  readonly status: number;
  readonly body: string;
}

type Credentials = { readonly name: string; readonly password: string } | undefined;

function authHeader(user: Credentials): Record<string, string> {
  return user ? { Authorization: `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}` } : {};
}

/** An InfluxQL statement over HTTP (POST, so writes like CREATE work), as `user` or anonymously. */
export async function influxQuery(target: { url: string }, q: string, user?: Credentials, database?: string): Promise<InfluxAnswer> {
  const body = new URLSearchParams({ q, ...(database ? { db: database } : {}) });
  const response = await fetch(`${target.url}/query`, { method: 'POST', headers: authHeader(user), body });
  return { status: response.status, body: await response.text() };
}

/** Line protocol to /write, as `user` or anonymously, into the default retention policy or `retentionPolicy`. */
export async function influxWrite(target: { url: string }, database: string, lines: string, user?: Credentials, retentionPolicy?: string): Promise<InfluxAnswer> {
  const query = new URLSearchParams({ db: database, precision: 'ns', ...(retentionPolicy ? { rp: retentionPolicy } : {}) });
  const response = await fetch(`${target.url}/write?${query}`, { method: 'POST', headers: authHeader(user), body: lines });
  return { status: response.status, body: await response.text() };
}
