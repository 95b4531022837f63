/**
 * The mysql image's entrypoint, config and healthcheck (srcs/mysql/) run by Debian's MariaDB on
 * loopback (B5): first boot, root password, crash safety and restart without re-initialisation.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { crashChild, stopAll, writeSecrets, randomSecret } from './support/harness';
import { secretReaders } from './support/secret-readers';
import { MysqlDatabase, mysqlHealthcheck, mysqlQuery, prepareMysql, startMysql, startScratchMysql } from './support/mysql';

afterAll(stopAll);

/** `mariadb` over the unix socket as an unprivileged OS user, so root's socket login cannot apply. */
function rootOverSocketAsNobody(db: MysqlDatabase, password: string): { status: number | null; output: string } {
  const result = spawnSync('runuser', ['-u', 'nobody', '--', 'mariadb', '--no-defaults', `--socket=${db.socket}`, '--user=root',
    '--batch', '--skip-column-names', '--execute=SELECT CURRENT_USER()'], { env: { ...process.env, MYSQL_PWD: password }, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('first boot', () => {
  let db: MysqlDatabase;
  beforeAll(async () => { db = await startScratchMysql('mysql-first-boot'); });

  test('S5 the application user logs in over TCP (despite Alpine\'s skip-networking) and owns the database', () => {
    expect(mysqlQuery(db, db.user, db.password, 'SELECT CURRENT_USER(), DATABASE(), @@skip_networking', db.database).trim())
      .toBe(`${db.user}@%\t${db.database}\t0`);
    const grants = mysqlQuery(db, db.user, db.password, 'SHOW GRANTS');
    expect(grants).toContain(`GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO \`${db.user}\`@\`%\``);
  });

  test('S5 the application user is refused with a wrong password', () => {
    expect(() => mysqlQuery(db, db.user, `${db.password}x`, 'SELECT 1')).toThrow(/Access denied/);
  });

  test('K2 root has the password from the mysql-root secret and only on the local socket', () => {
    const good = rootOverSocketAsNobody(db, db.rootPassword);
    expect(good.status).toBe(0);
    expect(good.output.trim()).toBe('root@localhost');
    expect(rootOverSocketAsNobody(db, `${db.rootPassword}x`).output).toMatch(/Access denied/);
    expect(() => mysqlQuery(db, 'root', db.rootPassword, 'SELECT 1')).toThrow(/Access denied for user 'root'@'127.0.0.1'/);
  });

  test('B15 only the collector\'s user reads a credential: its client options; mysql and nobody read no Secret', () => {
    const metricsUser = db.env.METRICS_USER ?? 'nobody';
    const { seen, allowed } = secretReaders('mysql', {
      env: db.env, users: ['mysql', metricsUser, 'nobody'],
      madeFiles: { 'metrics client options': { path: db.metricsClientConfig, user: metricsUser } },
    });
    expect(seen[metricsUser]).toEqual(['metrics client options']);
    expect(seen).toEqual(allowed);
  });

  test('K1 the healthcheck passes with a real query on a healthy server', () => {
    const check = mysqlHealthcheck(db);
    expect({ status: check.status, output: check.output }).toEqual({ status: 0, output: '' });
  });
});

describe('crash and restart', () => {
  test('S11 when mariadbd dies, the container\'s init exits non-zero and stops serve-metrics too (so Kubernetes restarts it)', async () => {
    const db = await startScratchMysql('mysql-init');
    const { status, alsoStopped } = await crashChild(db.server, 'mariadbd');
    expect(status).not.toBe(0);
    // serve-metrics runs socat in its place (exec).
    expect(alsoStopped).toContain('socat');
  });

  test('S10 committed rows survive kill -9 and a restart on the same datadir; the healthcheck fails while it is down', async () => {
    const setup = await prepareMysql('mysql-crash');
    const first = await startMysql(setup);
    mysqlQuery(first, first.user, first.password, 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB', first.database);
    mysqlQuery(first, first.user, first.password, "INSERT INTO notes VALUES (1, 'before the crash'), (2, 'committed')", first.database);

    await first.server.stop('SIGKILL');
    expect(mysqlHealthcheck(setup).status).not.toBe(0);

    const second = await startMysql(setup);
    expect(second.server.log()).toMatch(/crash recovery|ready for connections/);
    expect(mysqlQuery(second, second.user, second.password, 'SELECT id, body FROM notes ORDER BY id', second.database))
      .toBe('1\tbefore the crash\n2\tcommitted\n');
  });

  test('S10 a second boot does not initialise again: marker kept, data and passwords unchanged', async () => {
    const setup = await prepareMysql('mysql-reboot');
    const first = await startMysql(setup);
    mysqlQuery(first, first.user, first.password, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('from the first boot')", first.database);
    const marker = path.join(setup.datadir, '.ft-services-initialized');
    const markerTime = fs.statSync(marker).mtimeMs;
    expect(first.server.log()).toContain('initialised database');
    await first.server.stop();

    // A new root secret: an initialisation would apply it, a plain restart must not. (The
    // application password stays, as the healthcheck that tells us the server is up reads it.)
    writeSecrets(setup.env.SECRETS_DIR, { 'mysql-root': { password: randomSecret() } });
    fs.writeFileSync(path.join(setup.dir, 'mysql.log'), '');
    const second = await startMysql(setup);

    expect(second.server.log()).toContain('datadir already initialised');
    expect(second.server.log()).not.toContain('initialised database');
    expect(fs.statSync(marker).mtimeMs).toBe(markerTime);
    expect(mysqlQuery(second, second.user, setup.password, 'SELECT v FROM kept', second.database)).toBe('from the first boot\n');
    expect(rootOverSocketAsNobody(second, setup.rootPassword).output.trim()).toBe('root@localhost');
  });
});
