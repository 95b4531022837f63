/**
 * InfluxDB's own metrics (B10): srcs/influxdb/collect-metrics, served by the serve-metrics that OUR
 * entrypoint starts next to Debian's influxd 1.6, read after real writes and queries. The fields it
 * reads from /debug/vars have the same names in 1.12.4, the image's (influxdb
 * services/httpd/handler.go stat* constants, tsdb/store.go statDatabaseSeries, at v1.6.6 and v1.12.4).
 */
import { INFLUXDB_METRICS } from '../../lib/services/influxdb';
import { stopAll, waitFor } from './support/harness';
import { InfluxDatabase, influxQuery, influxWrite, startScratchInflux } from './support/influxdb';
import { parseExposition, scrape } from './support/metrics';

let db: InfluxDatabase;

beforeAll(async () => {
  db = await startScratchInflux('influxdb-metrics');
  await waitFor(`InfluxDB's metrics on ${db.metricsUrl}`, async () => (await scrape(db.metricsUrl)).status === 200, 10000);
});

afterAll(stopAll);

async function readMetrics(): Promise<Record<string, number>> {
  const answer = await scrape(db.metricsUrl);
  if (answer.status !== 200) throw new Error(`collector answered ${answer.status}: ${answer.body}\n${db.server.log()}`);
  return Object.fromEntries([...parseExposition(answer.body)].map(([name, sample]) => [name, sample.value]));
}

/** How much each metric of `roles` moved from one scrape to the next. */
function moved(before: Record<string, number>, after: Record<string, number>, roles: ReadonlyArray<keyof typeof INFLUXDB_METRICS>): Record<string, number> {
  return Object.fromEntries(roles.map((role) => [role, after[INFLUXDB_METRICS[role].name] - before[INFLUXDB_METRICS[role].name]]));
}

/** `count` points of new series, one line each. */
const points = (measurement: string, count: number, value: number | string = 1) => Array.from({ length: count }, (_, i) => `${measurement},n=${i} value=${typeof value === 'string' ? `"${value}"` : value}`).join('\n');

test('B10 the InfluxDB collector prints exactly the declared metrics, with their types', async () => {
  const answer = await scrape(db.metricsUrl);
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4' });
  const printed = [...parseExposition(answer.body)].map(([name, sample]) => ({ name, type: sample.type })).sort((a, b) => a.name.localeCompare(b.name));
  expect(printed).toEqual(Object.values(INFLUXDB_METRICS).map(({ name, type }) => ({ name, type })).sort((a, b) => a.name.localeCompare(b.name)));
});

test('B10 writes, queries, points written and series move with real traffic', async () => {
  const before = await readMetrics();
  expect((await influxWrite(db, db.database, points('traffic', 5), db.users.writer)).status).toBe(204);
  expect((await influxWrite(db, db.database, points('traffic', 5), db.users.writer)).status).toBe(204);
  expect((await influxWrite(db, db.database, points('other', 3), db.users.writer)).status).toBe(204);
  expect((await influxQuery(db, 'SELECT count(value) FROM traffic', db.users.reader, db.database)).status).toBe(200);
  const after = await readMetrics();
  expect(moved(before, after, ['writes', 'queries', 'pointsWritten', 'series'])).toEqual({ writes: 3, queries: 1, pointsWritten: 13, series: 8 });
});

test('B10 refused writes show: a field type conflict drops its points, a bad login and a bad line are 4xx, a write InfluxDB cannot store fails whole', async () => {
  expect((await influxWrite(db, db.database, points('typed', 2, 1), db.users.writer)).status).toBe(204);
  const before = await readMetrics();
  // The same field as a string: InfluxDB stores nothing of it, a partial write (400).
  expect((await influxWrite(db, db.database, points('typed', 2, 'text'), db.users.writer)).status).toBe(400);
  expect((await influxWrite(db, db.database, points('typed', 1), { ...db.users.writer, password: 'wrong' })).status).toBe(401);
  expect((await influxWrite(db, db.database, 'not line protocol', db.users.writer)).status).toBe(400);
  // A retention policy that does not exist: the points writer refuses the 3 points (500).
  expect((await influxWrite(db, db.database, points('typed', 3), db.users.writer, 'missing')).status).toBe(500);
  const after = await readMetrics();
  expect(moved(before, after, ['pointsFailed', 'pointsDropped', 'pointsWritten', 'clientErrors', 'serverErrors']))
    .toEqual({ pointsFailed: 3, pointsDropped: 2, pointsWritten: 0, clientErrors: 3, serverErrors: 1 });
});
