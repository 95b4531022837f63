/**
 * The influxdb image's entrypoint and config (srcs/influxdb/) run by Debian's influxd 1.6 on
 * loopback (B5): authentication on, the three users with only the privileges they need, and a
 * second boot that does not initialise again.
 */
import * as fs from 'fs';
import * as path from 'path';
import { childPids, crashChild, randomSecret, stopAll, writeSecrets } from './support/harness';
import { secretReaders } from './support/secret-readers';
import { InfluxDatabase, influxQuery, influxWrite, prepareInflux, startInflux, startScratchInflux } from './support/influxdb';

afterAll(stopAll);

const point = (value: number) => `probe,service=test value=${value} ${Date.now()}000000`;

describe('first boot', () => {
  let db: InfluxDatabase;
  beforeAll(async () => { db = await startScratchInflux('influxdb-first-boot'); });

  test('B15 no user but root reads a Secret: influxdb, the metrics\' user and nobody read none', () => {
    const { seen, allowed } = secretReaders('influxdb', { env: db.env, users: ['influxdb', db.env.METRICS_USER ?? 'nobody', 'nobody'] });
    expect(Object.values(allowed).flat()).toEqual([]);
    expect(seen).toEqual(allowed);
  });

  test('K2 an anonymous client can neither query nor write (authentication is on)', async () => {
    expect((await influxQuery(db, 'SHOW DATABASES')).status).toBe(401);
    expect((await influxWrite(db, db.database, point(1))).status).toBe(401);
  });

  test('S9 the admin from the influxdb-admin secret is an administrator and sees the database', async () => {
    const users = await influxQuery(db, 'SHOW USERS', db.users.admin);
    expect(users.status).toBe(200);
    expect(JSON.parse(users.body).results[0].series[0].values).toEqual(expect.arrayContaining([
      [db.users.admin.name, true], [db.users.writer.name, false], [db.users.reader.name, false],
    ]));
    expect((await influxQuery(db, 'SHOW DATABASES', db.users.admin)).body).toContain(`["${db.database}"]`);
    expect((await influxQuery(db, 'SHOW USERS', { ...db.users.admin, password: `${db.users.admin.password}x` })).status).toBe(401);
  });

  test('S9 the writer (telegraf) can write to the database but cannot read it or administer', async () => {
    expect((await influxWrite(db, db.database, point(2), db.users.writer)).status).toBe(204);
    expect((await influxQuery(db, 'SELECT * FROM probe', db.users.writer, db.database)).status).toBe(403);
    expect((await influxQuery(db, 'CREATE DATABASE other', db.users.writer)).status).toBe(403);
    expect((await influxQuery(db, 'SHOW GRANTS FOR "telegraf"', db.users.admin)).body).toContain(`["${db.database}","WRITE"]`);
  });

  test('S9 the reader (Grafana) can read what the writer wrote but cannot write', async () => {
    expect((await influxWrite(db, db.database, point(3), db.users.writer)).status).toBe(204);
    const read = await influxQuery(db, 'SELECT count(value) FROM probe', db.users.reader, db.database);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body).results[0].series[0].values[0][1]).toBeGreaterThanOrEqual(1);
    expect((await influxWrite(db, db.database, point(4), db.users.reader)).status).toBe(403);
    expect((await influxQuery(db, 'SHOW GRANTS FOR "grafana"', db.users.admin)).body).toContain(`["${db.database}","READ"]`);
  });

  test('K1 /ping answers without credentials (the probes) and /debug/vars serves the statistics the pod\'s collector reads', async () => {
    expect((await fetch(`${db.url}/ping`)).status).toBe(204);
    const vars = await (await fetch(`${db.url}/debug/vars`)).json() as Record<string, { name?: string }>;
    expect(Object.values(vars).map((entry) => entry.name)).toEqual(expect.arrayContaining(['httpd', 'database']));
  });

  test('S11 influxd runs as user influxdb, a child of the container\'s init (run-together) next to serve-metrics', () => {
    const children = childPids(db.server.pid);
    // socat: serve-metrics (run-together's own `sleep 1` may be there too).
    expect([...children.keys()]).toEqual(expect.arrayContaining(['socat', 'influxd']));
    const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${children.get('influxd')}/status`, 'utf8'))![1];
    expect(Number(uid)).toBe(fs.statSync(path.join(db.storage, 'meta')).uid);
    expect(Number(uid)).not.toBe(0);
  });

  test('S11 when influxd dies, the container\'s init exits non-zero (so Kubernetes restarts it), serve-metrics with it', async () => {
    const { status, alsoStopped } = await crashChild(db.server, 'influxd');
    expect(status).not.toBe(0);
    expect(alsoStopped).toContain('socat');
  });
});

test('S10 a second boot does not initialise again: marker kept, data and passwords unchanged', async () => {
  const setup = await prepareInflux('influxdb-reboot');
  const first = await startInflux(setup);
  expect(first.server.log()).toContain('initialised database');
  expect((await influxWrite(first, first.database, point(42), first.users.writer)).status).toBe(204);
  const marker = path.join(setup.storage, '.ft-services-initialized');
  const markerTime = fs.statSync(marker).mtimeMs;
  await first.server.stop();

  // New secrets: an initialisation would apply them, a plain restart must not.
  writeSecrets(setup.env.SECRETS_DIR, { 'influxdb-admin': { password: randomSecret() }, 'influxdb-grafana': { password: randomSecret() } });
  const second = await startInflux(setup);
  expect(second.server.log()).toContain('already initialised');
  expect(fs.statSync(marker).mtimeMs).toBe(markerTime);
  const read = await influxQuery(second, 'SELECT last(value) FROM probe', setup.users.reader, setup.database);
  expect(read.status).toBe(200);
  expect(JSON.parse(read.body).results[0].series[0].values[0][1]).toBe(42);
  expect((await influxQuery(second, 'SHOW USERS', setup.users.admin)).status).toBe(200);
});

/** The database's retention policies as `SHOW RETENTION POLICIES` lists them: name → duration and default. */
async function retentionPolicies(db: InfluxDatabase): Promise<Record<string, { duration: string; default: boolean }>> {
  const answer = await influxQuery(db, `SHOW RETENTION POLICIES ON "${db.database}"`, db.users.admin);
  expect(answer.status).toBe(200);
  const [series] = JSON.parse(answer.body).results[0].series;
  const column = (name: string) => series.columns.indexOf(name);
  return Object.fromEntries(series.values.map((row: unknown[]) => [row[column('name')], { duration: row[column('duration')], default: row[column('default')] }]));
}

test('S10 the default retention policy keeps influxdb.retentionDays days after the first boot, and a changed value after a restart', async () => {
  // InfluxQL (InfluxDB 1.x docs, "Database management"): CREATE DATABASE makes the default policy
  // "autogen" with an infinite duration; ALTER RETENTION POLICY … DURATION sets how long points stay.
  const setup = await prepareInflux('influxdb-retention');
  const first = await startInflux(setup);
  expect(await retentionPolicies(first)).toEqual({ autogen: { duration: '168h0m0s', default: true } });
  expect(first.server.log()).toContain('retention of telegraf: 7d');
  await first.server.stop();

  const second = await startInflux({ ...setup, env: { ...setup.env, INFLUXDB_RETENTION_DAYS: '30' } });
  expect(second.server.log()).toContain('already initialised');
  expect(await retentionPolicies(second)).toEqual({ autogen: { duration: '720h0m0s', default: true } });
});

test('S10 a retention that is not a whole number of days stops the entrypoint before influxd starts', async () => {
  const setup = await prepareInflux('influxdb-bad-retention');
  await expect(startInflux({ ...setup, env: { ...setup.env, INFLUXDB_RETENTION_DAYS: '7d' } }, 5000))
    .rejects.toThrow('INFLUXDB_RETENTION_DAYS is not a whole number of days: 7d');
});
