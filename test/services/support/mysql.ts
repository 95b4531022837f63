/**
 * Our MySQL image's entrypoint (srcs/mysql/entrypoint.sh) run by Debian's MariaDB on loopback, for
 * any host test that needs a database (requirement B5). The image's Alpine layout is reproduced in
 * a scratch folder: `/etc/my.cnf` includes `/etc/my.cnf.d/`, where Alpine's `mariadb-server.cnf`
 * says `skip-networking` and our own `zz-ft-services.cnf` (the very file the image installs) must
 * turn it off again.
 */
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { METRICS_PATH } from '../../../lib/monitoring/pod-metrics';
import { Capability } from '../../../lib/capabilities';
import { asContainer, FRESH_METRICS, HOST_METRICS_USER, chartEnvironment, IMAGE_PATH, haveCommand, randomSecret, run, scratchDir, SRCS, startServer, freePort, Server, waitFor, WaitingIsFutile, writeSecrets } from './harness';

/** Everything needed to connect to, restart or inspect one scratch MySQL. */
export interface MysqlSetup {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly rootPassword: string;
  /** The monitoring account's password (Secret mysql-metrics, B10). */
  readonly metricsPassword: string;
  /** The client options file the entrypoint writes for collect-metrics. */
  readonly metricsClientConfig: string;
  /** Where the entrypoint's serve-metrics answers with collect-metrics' metrics (B10). */
  readonly metricsUrl: string;
  readonly datadir: string;
  /** The unix socket of the running server. */
  readonly socket: string;
  /** The environment our entrypoint and healthcheck get: the pod's, ports and paths moved here (`chartEnvironment`). */
  readonly env: Readonly<Record<string, string>>;
}

/** A running scratch MySQL. */
export interface MysqlDatabase extends MysqlSetup {
  readonly server: Server;
}

export const MYSQL_ENTRYPOINT = path.join(SRCS, 'mysql', 'entrypoint.sh');
export const MYSQL_HEALTHCHECK = path.join(SRCS, 'mysql', 'healthcheck.sh');

/** Fails with a clear message when the Debian MariaDB packages are missing (CI installs them). */
export function requireMariadb(): void {
  for (const command of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-admin']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install mariadb-server and mariadb-client (.ci/install-host-packages)`);
  }
}

/** Writes the Alpine-like config layout and the secrets of a new scratch MySQL (nothing runs yet). */
export async function prepareMysql(name = 'mysql'): Promise<MysqlSetup> {
  requireMariadb();
  const dir = scratchDir(name);
  const etc = path.join(dir, 'etc');
  fs.mkdirSync(path.join(etc, 'my.cnf.d'), { recursive: true });
  // Alpine's /etc/my.cnf and /etc/my.cnf.d/mariadb-server.cnf (alpine-facts section 3), pointed here.
  fs.writeFileSync(path.join(etc, 'my.cnf'), `[client-server]\n\n[mysqld]\nsymbolic-links=0\n\n!includedir ${etc}/my.cnf.d\n`);
  fs.writeFileSync(path.join(etc, 'my.cnf.d', 'mariadb-server.cnf'), '[mysqld]\nskip-networking\n');
  fs.symlinkSync(path.join(SRCS, 'mysql', 'zz-ft-services.cnf'), path.join(etc, 'my.cnf.d', 'zz-ft-services.cnf'));

  const password = randomSecret();
  const rootPassword = randomSecret();
  const metricsPassword = randomSecret();
  const secrets = writeSecrets(path.join(dir, 'secrets'), {
    'mysql-root': { password: rootPassword },
    'mysql-wordpress': { password },
    'mysql-metrics': { password: metricsPassword },
  });
  const port = await freePort();
  const datadir = path.join(dir, 'data');
  const runDir = path.join(dir, 'run');
  const metricsClientConfig = path.join(dir, 'mysql-metrics.cnf');
  const metricsListen = `127.0.0.1:${await freePort()}`;
  // MariaDB's temporary tables go to $TMPDIR: a folder of this server's own, not the shared /tmp
  // where other programs may clean up under it. mariadbd runs as mysql, so it is world-writable.
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  fs.chmodSync(tmp, 0o1777);
  // What the mysql pod gets from the chart, its ports moved to free loopback ones and its paths here.
  const env = chartEnvironment('mysql', {
    standIns: { MYSQL_LISTEN_PORT: String(port), METRICS_LISTEN: metricsListen, ...FRESH_METRICS },
    hostOnly: {
      MYSQL_METRICS_CLIENT_CONFIG: metricsClientConfig,
      METRICS_ROOT: path.join(dir, 'metrics'),
      ...HOST_METRICS_USER,
      MYSQL_CONFIG: path.join(etc, 'my.cnf'),
      MYSQL_DATADIR: datadir,
      MYSQL_RUN_DIR: runDir,
      MYSQL_BIND_ADDRESS: '127.0.0.1',
      SECRETS_DIR: secrets,
      // collect-metrics is on the image's PATH (/usr/local/bin).
      PATH: `${path.join(SRCS, 'mysql')}:${IMAGE_PATH}`,
      TMPDIR: tmp,
    },
  });
  return {
    dir, host: '127.0.0.1', port, database: env.MYSQL_DATABASE, user: env.MYSQL_USER, password, rootPassword, metricsPassword,
    metricsClientConfig, datadir,
    metricsUrl: `http://${metricsListen}${METRICS_PATH}`,
    socket: path.join(runDir, 'mysqld.sock'),
    env,
  };
}

/** Exit status of our healthcheck script against `setup` (0 = healthy). */
export function mysqlHealthcheck(setup: MysqlSetup): { status: number | null; output: string } {
  const result = spawnSync('sh', [MYSQL_HEALTHCHECK], { env: { ...process.env, ...setup.env }, encoding: 'utf8', timeout: 15000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Starts our entrypoint on `setup` and waits until our healthcheck passes. */
export async function startMysql(setup: MysqlSetup, timeoutMs = 60000, without: readonly Capability[] = []): Promise<MysqlDatabase> {
  const server = startServer({
    name: 'mysql',
    ...asContainer('mysql', 'sh', [MYSQL_ENTRYPOINT], without),
    env: setup.env,
    logFile: path.join(setup.dir, 'mysql.log'),
  });
  await waitFor('mysql healthcheck', () => {
    if (!server.running) throw new WaitingIsFutile(`mysql exited:\n${server.log()}`);
    return mysqlHealthcheck(setup).status === 0;
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n--- mysql log ---\n${server.log()}`);
  });
  await waitFor(`mysql's metrics on ${setup.metricsUrl}`, async () => (await fetch(setup.metricsUrl)).status === 200, 10000);
  return { ...setup, server };
}

/** A fresh MySQL from our entrypoint on a loopback port: what other host tests connect to. */
export async function startScratchMysql(name = 'mysql'): Promise<MysqlDatabase> {
  return startMysql(await prepareMysql(name));
}

/** The `mariadb` client's arguments for `sql` over TCP as `user`; the password goes in MYSQL_PWD. */
function clientArgs(target: { host: string; port: number }, user: string, sql: string, database?: string): string[] {
  return ['--no-defaults', '--protocol=TCP', `--host=${target.host}`, `--port=${target.port}`, `--user=${user}`,
    '--batch', '--skip-column-names', `--execute=${sql}`, ...(database ? [database] : [])];
}

/**
 * Runs SQL with the `mariadb` client over TCP as `user` (password through MYSQL_PWD, never on the
 * command line) and returns the tab-separated rows.
 */
export function mysqlQuery(target: { host: string; port: number }, user: string, password: string, sql: string, database?: string): string {
  return run('mariadb', clientArgs(target, user, sql, database), { env: { ...process.env, MYSQL_PWD: password } });
}

/** `mysqlQuery` without blocking: for traffic sent while other servers are being read. */
export async function mysqlQueryAsync(target: { host: string; port: number }, user: string, password: string, sql: string, database?: string): Promise<string> {
  const { stdout } = await promisify(execFile)('mariadb', clientArgs(target, user, sql, database), { env: { ...process.env, MYSQL_PWD: password }, timeout: 30000 });
  return stdout;
}
