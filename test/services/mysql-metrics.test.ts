/**
 * MariaDB's own metrics for the mysql dashboard (B10): the monitoring account our entrypoint
 * (srcs/mysql/entrypoint.sh) makes, and srcs/mysql/collect-metrics, which the entrypoint
 * serves through our serve-metrics beside mariadbd, against Debian's real MariaDB with real
 * traffic.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MYSQL_METRICS_USER } from '../../lib/config';
import { METRICS_REUSE_SECONDS } from '../../lib/monitoring/pod-metrics';
import { MYSQL_METRICS } from '../../lib/services/mysql';
import { HOST_METRICS_ENV, run, scratchDir, SRCS, stopAll, waitFor, writeSecrets } from './support/harness';
import { expectBoundedFlood, parseExposition, Sample, scrape, startMetricsServer, underFlood } from './support/metrics';
import { MysqlDatabase, mysqlQuery, prepareMysql, startMysql, startScratchMysql } from './support/mysql';

const COLLECTOR = path.join(SRCS, 'mysql', 'collect-metrics');
/** innodb_buffer_pool_size in srcs/mysql/zz-ft-services.cnf. */
const BUFFER_POOL_SIZE = 64 * 1024 * 1024;
/** The uid of the user serve-metrics runs the collector as here. */
const METRICS_UID = Number(run('id', ['-u', HOST_METRICS_ENV.METRICS_USER]));

afterAll(stopAll);

/** `mariadb` as root over the server's socket: the container's root, as the entrypoint uses it. */
function asRoot(db: MysqlDatabase, sql: string): string {
  const result = spawnSync('mariadb', ['--no-defaults', `--socket=${db.socket}`, '--user=root', '--batch', '--skip-column-names', `--execute=${sql}`],
    { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`root: ${sql}: ${result.stderr}`);
  return result.stdout;
}

/** The monitoring account's error for `sql`, or '' when it succeeds. */
function refusalOf(db: MysqlDatabase, sql: string): string {
  try {
    mysqlQuery(db, MYSQL_METRICS_USER, db.metricsPassword, sql);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

/** What the entrypoint's serve-metrics answers, as telegraf reads it. */
async function readMetrics(db: MysqlDatabase): Promise<Map<string, Sample>> {
  const answer = await scrape(db.metricsUrl);
  if (answer.status !== 200) throw new Error(`scrape answered ${answer.status}: ${answer.body}\n${db.server.log()}`);
  expect(answer.contentType).toBe('text/plain; version=0.0.4');
  return parseExposition(answer.body);
}

const value = (samples: Map<string, Sample>, name: string) => samples.get(name)?.value ?? NaN;

describe('the monitoring account and the metrics the entrypoint serves, on a first boot', () => {
  let db: MysqlDatabase;

  beforeAll(async () => {
    db = await startScratchMysql('mysql-metrics');
  });

  test('B10 the monitoring account exists only for 127.0.0.1, with USAGE alone and at most two connections', () => {
    expect(asRoot(db, `SELECT Host FROM mysql.user WHERE User = '${MYSQL_METRICS_USER}'`)).toBe('127.0.0.1\n');
    const grants = mysqlQuery(db, MYSQL_METRICS_USER, db.metricsPassword, 'SHOW GRANTS').trim().split('\n');
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatch(new RegExp(`^GRANT USAGE ON \\*\\.\\* TO \`${MYSQL_METRICS_USER}\`@\`127\\.0\\.0\\.1\` IDENTIFIED BY PASSWORD '\\*[0-9A-F]{40}' WITH MAX_USER_CONNECTIONS 2$`));
  });

  test('B10 the monitoring account reads no table: refused on the WordPress tables and the system tables, and sees no database', () => {
    mysqlQuery(db, db.user, db.password, 'CREATE TABLE IF NOT EXISTS wp_users (ID INT PRIMARY KEY, user_pass TEXT); INSERT IGNORE INTO wp_users VALUES (1, \'secret\')', db.database);
    expect(refusalOf(db, `SELECT user_pass FROM ${db.database}.wp_users`)).toMatch(new RegExp(`SELECT command denied to user '${MYSQL_METRICS_USER}'@'127\\.0\\.0\\.1' for table .*wp_users`));
    expect(refusalOf(db, 'SELECT * FROM mysql.global_priv')).toMatch(new RegExp(`SELECT command denied to user '${MYSQL_METRICS_USER}'@'127\\.0\\.0\\.1' for table .*global_priv`));
    expect(refusalOf(db, `USE ${db.database}`)).toMatch(new RegExp(`Access denied for user '${MYSQL_METRICS_USER}'@'127\\.0\\.0\\.1' to database '${db.database}'`));
    expect(mysqlQuery(db, MYSQL_METRICS_USER, db.metricsPassword, 'SHOW DATABASES')).toBe('information_schema\n');
  });

  test('B10 B15 its client options file is for the collector\'s user alone (METRICS_USER, 0400)', () => {
    const file = fs.statSync(db.metricsClientConfig);
    expect({ mode: (file.mode & 0o777).toString(8), uid: file.uid }).toEqual({ mode: '400', uid: METRICS_UID });
    expect(fs.readFileSync(db.metricsClientConfig, 'utf8')).toContain(`user=${MYSQL_METRICS_USER}\npassword="${db.metricsPassword}"\n`);
  });

  test('B10 collect-metrics prints exactly the metrics MYSQL_METRICS declares, with their types', async () => {
    const samples = await readMetrics(db);
    expect(new Map([...samples].map(([name, sample]) => [name, sample.type])))
      .toEqual(new Map(Object.values(MYSQL_METRICS).map((metric) => [metric.name, metric.type])));
  });

  test('B10 the buffer pool\'s size is the pages it holds: a little under innodb_buffer_pool_size, in whole pages', async () => {
    const size = value(await readMetrics(db), MYSQL_METRICS.bufferPoolSize.name);
    const pageSize = Number(asRoot(db, 'SELECT @@innodb_page_size'));
    expect({ inRange: size > 0.95 * BUFFER_POOL_SIZE && size <= BUFFER_POOL_SIZE, wholePages: size % pageSize }).toEqual({ inRange: true, wholePages: 0 });
  });

  test('B10 the metrics move with real traffic: queries, connections, aborted connections, slow queries, buffer pool data', async () => {
    const before = await readMetrics(db);

    // 30 statements on one connection, then data the buffer pool must hold.
    mysqlQuery(db, db.user, db.password, Array.from({ length: 30 }, (_, i) => `SELECT ${i}`).join('; '), db.database);
    mysqlQuery(db, db.user, db.password, 'CREATE TABLE IF NOT EXISTS filler (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT) ENGINE=InnoDB; '
      + 'INSERT INTO filler (body) SELECT REPEAT(\'x\', 4000) FROM information_schema.COLLATIONS a, information_schema.COLLATIONS b LIMIT 2000', db.database);
    // A wrong password: a failed connection attempt.
    expect(() => mysqlQuery(db, db.user, `${db.password}x`, 'SELECT 1')).toThrow(/Access denied/);
    // A statement past long_query_time (lowered for this session only, to keep the test short).
    mysqlQuery(db, db.user, db.password, 'SET SESSION long_query_time = 0.1; SELECT SLEEP(0.3)');
    // A client killed during a statement (not a slow one for its session): open while it runs,
    // aborted once the server notices, when the statement ends and its answer finds no client. The
    // kill waits until the server runs the statement (root sees it in the process list): a higher
    // connection count alone can be an earlier client not yet gone, and a client killed before it
    // has logged in counts as a failed connect instead (seen in loaded Debian 13 CI runs).
    const killed = spawn('mariadb', ['--no-defaults', '--protocol=TCP', `--host=${db.host}`, `--port=${db.port}`, `--user=${db.user}`,
      '--execute=SET SESSION long_query_time = 10; SELECT SLEEP(4)'], { env: { ...process.env, MYSQL_PWD: db.password }, stdio: 'ignore' });
    await waitFor('the killed client\'s statement running', () =>
      asRoot(db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(4)'").trim() === '1', 3000);
    let during = before;
    await waitFor('the sleeping client counted among the connections', async () => {
      during = await readMetrics(db);
      return value(during, MYSQL_METRICS.connections.name) > value(before, MYSQL_METRICS.connections.name);
    }, 3000);
    killed.kill('SIGKILL');
    let after = before;
    await waitFor('the killed client counted as aborted', async () => {
      after = await readMetrics(db);
      return value(after, MYSQL_METRICS.abortedClients.name) > value(before, MYSQL_METRICS.abortedClients.name);
    }, 15000);

    const moved = (metric: { name: string }) => value(after, metric.name) - value(before, metric.name);
    expect({
      queries: moved(MYSQL_METRICS.queries) >= 30,
      connectionAttempts: moved(MYSQL_METRICS.connectionAttempts) >= 4,
      abortedConnects: moved(MYSQL_METRICS.abortedConnects),
      abortedClients: moved(MYSQL_METRICS.abortedClients),
      slowQueries: moved(MYSQL_METRICS.slowQueries),
      bufferPoolData: moved(MYSQL_METRICS.bufferPoolData) >= 2000 * 4000,
      connectionsDuring: value(during, MYSQL_METRICS.connections.name) - value(before, MYSQL_METRICS.connections.name),
    }).toEqual({ queries: true, connectionAttempts: true, abortedConnects: 1, abortedClients: 1, slowQueries: 1, bufferPoolData: true, connectionsDuring: 1 });
  });

  test('B10 a wrong monitoring password gives 503 (a gather error, never zeros), MariaDB\'s refusal in the log', async () => {
    const wrong = path.join(db.dir, 'wrong-metrics.cnf');
    fs.writeFileSync(wrong, fs.readFileSync(db.metricsClientConfig, 'utf8').replace(/^password=.*$/m, 'password="not-the-password"'), { mode: 0o400 });
    fs.chownSync(wrong, METRICS_UID, 0);
    const failing = await startMetricsServer('mysql-wrong', [COLLECTOR], { MYSQL_METRICS_CLIENT_CONFIG: wrong });
    const answer = await scrape(failing.url);
    expect(answer.status).toBe(503);
    expect(answer.body).not.toMatch(/^mysql_/m);
    expect(failing.server.log()).toMatch(new RegExp(`Access denied for user '${MYSQL_METRICS_USER}'@'127\\.0\\.0\\.1'`));
  });
});

test('B10 a metric missing from the server\'s answer fails the collector, naming it, rather than printing a zero', () => {
  // A stand-in for the client that answers as a server without most of the status variables would.
  const bin = path.join(scratchDir('mysql-metrics-stand-in'), 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'mariadb'), '#!/bin/sh\nprintf "Questions\\t5\\nThreads_connected\\t1\\n"\n', { mode: 0o755 });
  const result = spawnSync('sh', [COLLECTOR], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('collect-metrics: SHOW GLOBAL STATUS gave no number for Connections');
});

test('B10 a monitoring password with quotes, a backslash, # and spaces reaches the collector intact', async () => {
  const setup = await prepareMysql('mysql-metrics-quoting');
  const password = `it's a "pass\\word" # all of it`;
  writeSecrets(setup.env.SECRETS_DIR, { 'mysql-metrics': { password } });
  const db = await startMysql(setup);
  expect(mysqlQuery(db, MYSQL_METRICS_USER, password, 'SELECT CURRENT_USER()')).toBe(`${MYSQL_METRICS_USER}@127.0.0.1\n`);
  expect((await readMetrics(db)).get(MYSQL_METRICS.queries.name)?.type).toBe('counter');
});

test('B10 a datadir initialised before the monitoring account existed gets it at its next boot, its data and accounts kept', async () => {
  const setup = await prepareMysql('mysql-metrics-upgrade');
  const first = await startMysql(setup);
  mysqlQuery(first, first.user, first.password, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('from before')", first.database);
  // The datadir as an image without the monitoring account left it.
  asRoot(first, `DROP USER '${MYSQL_METRICS_USER}'@'127.0.0.1'`);
  fs.rmSync(path.join(setup.datadir, '.ft-services-metrics-account'));
  await first.server.stop();
  fs.writeFileSync(path.join(setup.dir, 'mysql.log'), '');

  const second = await startMysql(setup);
  expect(second.server.log()).toContain(`monitoring account ${MYSQL_METRICS_USER}@127.0.0.1 ready`);
  expect(second.server.log()).not.toContain('initialised database');
  expect(mysqlQuery(second, second.user, second.password, 'SELECT v FROM kept', second.database)).toBe('from before\n');
  expect(mysqlQuery(second, MYSQL_METRICS_USER, setup.metricsPassword, 'SELECT CURRENT_USER()')).toBe(`${MYSQL_METRICS_USER}@127.0.0.1\n`);
});

test('B15 a flood of the metrics port (100 at once for 20 s) leaves MySQL\'s users alone and counts no failed connection', async () => {
  const setup = await prepareMysql('mysql-metrics-flood');
  // The chart's reuse time, not the collectors' tests' 0.
  const db = await startMysql({ ...setup, env: { ...setup.env, METRICS_CACHE_SECONDS: String(METRICS_REUSE_SECONDS) } });
  const failures = () => asRoot(db, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Aborted_connects', 'Connection_errors_max_connections')");
  const before = failures();
  const figures = await underFlood(db.metricsUrl, db.server.pid,
    async () => mysqlQuery(db, db.user, db.password, 'SELECT COUNT(*) FROM information_schema.TABLES', db.database));
  expect(failures()).toBe(before);
  expect(db.server.running).toBe(true);
  expectBoundedFlood(figures, 1000);
}, 90000);
