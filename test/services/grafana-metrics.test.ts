/**
 * srcs/grafana/collect-metrics, Grafana's own metrics (B10), served by OUR serve-metrics. Grafana 12
 * cannot run here: the collector reads a stand-in that answers /metrics as Grafana does, over HTTPS
 * (TLS 1.3) with basic auth (test/services/support/grafana.ts names the sources of its shape), whose
 * datasource is a real InfluxDB from our entrypoint. The certificate is one setup makes, for a
 * load-balancer address that is not the loopback the collector connects to.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GRAFANA_METRICS } from '../../lib/services/grafana';
import { scratchDir, stopAll, writeSecrets } from './support/harness';
import { GRAFANA_TLS_NAME, GrafanaPod, grafanaTlsSecret, grafanaTraffic, serveGrafanaCollector, startGrafanaPod, startGrafanaStandIn } from './support/grafana';
import { InfluxDatabase, startScratchInflux } from './support/influxdb';
import { MetricsServer, parseExposition, scrape } from './support/metrics';

let db: InfluxDatabase;
let pod: GrafanaPod;

async function readMetrics(server: MetricsServer = pod.metrics): Promise<Record<string, number>> {
  const answer = await scrape(server.url);
  if (answer.status !== 200) throw new Error(`collector answered ${answer.status}: ${answer.body}\n${server.server.log()}`);
  return Object.fromEntries([...parseExposition(answer.body)].map(([name, sample]) => [name, sample.value]));
}

beforeAll(async () => {
  db = await startScratchInflux('grafana-metrics-influxdb');
  pod = await startGrafanaPod('grafana-metrics', { url: db.url, database: db.database, user: db.users.reader });
});

afterAll(async () => {
  await pod?.grafana.close();
  await stopAll();
});

test('B10 the Grafana collector prints exactly the declared metrics, with their types', async () => {
  const answer = await scrape(pod.metrics.url);
  expect(answer.status).toBe(200);
  const printed = [...parseExposition(answer.body)].map(([name, sample]) => ({ name, type: sample.type })).sort((a, b) => a.name.localeCompare(b.name));
  expect(printed).toEqual(Object.values(GRAFANA_METRICS).map(({ name, type }) => ({ name, type })).sort((a, b) => a.name.localeCompare(b.name)));
});

test('B10 requests, logins, active users and datasource answers move with the traffic Grafana answered', async () => {
  const m = GRAFANA_METRICS;
  const before = await readMetrics();
  // The past the stand-in starts with is printed in e-notation (1.234567e+06): summed, not misread.
  expect(before[m.requests.name]).toBeGreaterThan(1234567);
  expect(await grafanaTraffic(pod)).toEqual([200, 200, 401, 200, 400]);
  const after = await readMetrics();
  expect({
    // The five requests, and the scrape that read `before` (counted once it was answered).
    requests: after[m.requests.name] - before[m.requests.name],
    serverErrors: after[m.serverErrors.name] - before[m.serverErrors.name],
    logins: after[m.logins.name] - before[m.logins.name],
    activeUsers: after[m.activeUsers.name],
    datasourceRequests: after[m.datasourceRequests.name] - before[m.datasourceRequests.name],
    datasourceErrors: after[m.datasourceErrors.name] - before[m.datasourceErrors.name],
  }).toEqual({ requests: 6, serverErrors: 0, logins: 1, activeUsers: 1, datasourceRequests: 3, datasourceErrors: 1 });
});

test('B10 a wrong /metrics password gets Grafana\'s 401, and the collector fails (503, never zeros)', async () => {
  const wrong = writeSecrets(path.join(scratchDir('grafana-metrics-wrong'), 'secrets'), { 'grafana-metrics': { password: `${pod.metricsLogin.password}x` } }, 0o444);
  fs.mkdirSync(path.join(wrong, 'tls'));
  fs.copyFileSync(path.join(pod.secretsDir, 'tls', 'tls.crt'), path.join(wrong, 'tls', 'tls.crt'));
  const refused = await serveGrafanaCollector('grafana-wrong-password', pod.grafana, wrong);
  const answer = await scrape(refused.url);
  expect({ status: answer.status, zeros: answer.body.includes(GRAFANA_METRICS.requests.name) }).toEqual({ status: 503, zeros: false });
  expect(refused.server.log()).toContain('401');
});

test('B10 the collector sends its login only to a server with the tls Secret\'s certificate', async () => {
  // Another certificate, valid for the same address: whoever holds it is not this Grafana.
  const other = grafanaTlsSecret(path.join(scratchDir('grafana-metrics-impostor'), 'tls'));
  const impostor = await startGrafanaStandIn({ ...other, tlsName: GRAFANA_TLS_NAME, metrics: pod.metricsLogin, admin: pod.admin, datasource: { url: db.url, database: db.database, user: db.users.reader } });
  try {
    const fooled = await serveGrafanaCollector('grafana-impostor', impostor, pod.secretsDir);
    expect((await scrape(fooled.url)).status).toBe(503);
    expect(fooled.server.log()).toMatch(/certificate/i);
  } finally {
    await impostor.close();
  }
});
