/**
 * The Grafana stand-in of the CI cluster's grafana image (B14; Debian has no Grafana) answers the
 * two routes `./setup.sh check` reads Grafana by (S9): on the real cluster both were 404, so every
 * S9 row failed whatever the stack did. Checked here with check's own probes against the stand-in,
 * its datasource a scripted InfluxDB /query.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { dashboardTitle, dashboardUid, INFLUXDB_DATASOURCE_UID } from '../lib/monitoring/dashboards';
import { probeGrafanaDashboards, probeGrafanaQuery } from '../lib/probes/grafana';
import { makeCertificate } from '../lib/setup/credentials';
import { GrafanaStandIn, startGrafanaStandIn } from './services/support/grafana-stand-in';

const reader = { name: 'grafana', password: 'reader-secret' };
const admin = { name: 'admin', password: 'admin-secret' };
const services = ['nginx', 'mysql'];
let influx: http.Server;
const asked: URLSearchParams[] = [];
let grafana: GrafanaStandIn;
let cert: string;

beforeAll(async () => {
  influx = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://influxdb');
    if (request.headers.authorization !== `Basic ${Buffer.from(`${reader.name}:${reader.password}`).toString('base64')}`) {
      response.writeHead(401).end('{"error":"authorization failed"}');
      return;
    }
    asked.push(url.searchParams);
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ results: [{ statement_id: 0, series: [{ name: 'kubernetes_pod_container', columns: ['time', 'last'], values: [[1, 25000000]] }] }] }));
  });
  await new Promise<void>((resolve) => influx.listen(0, '127.0.0.1', resolve));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-grafana-stand-in-'));
  makeCertificate(dir, '127.0.0.1');
  cert = fs.readFileSync(path.join(dir, 'tls.crt'), 'utf8');
  grafana = await startGrafanaStandIn({
    cert, key: fs.readFileSync(path.join(dir, 'tls.key'), 'utf8'), tlsName: '127.0.0.1', admin, metrics: { name: 'metrics', password: 'm' },
    datasource: { url: `http://127.0.0.1:${(influx.address() as AddressInfo).port}`, database: 'telegraf', user: reader, uid: INFLUXDB_DATASOURCE_UID },
    dashboards: services.map((service) => ({ uid: dashboardUid(service), title: dashboardTitle(service) })),
  });
  fs.rmSync(dir, { recursive: true });
});

afterAll(async () => {
  await grafana?.close();
  await new Promise((resolve) => influx.close(resolve));
});

test('B14 S9 check\'s dashboard probe finds every provisioned dashboard through the stand-in\'s /api/search', async () => {
  const expected = Object.fromEntries(services.map((service) => [dashboardUid(service), dashboardTitle(service)]));
  expect(await probeGrafanaDashboards({ url: grafana.url, user: admin.name, password: admin.password, ca: cert }, expected)).toMatchObject({ ok: true });
});

test('B14 S9 check\'s query probe gets InfluxDB\'s answer through the stand-in\'s datasource proxy, sent with the reader\'s login', async () => {
  const query = 'SELECT last("cpu_usage_nanocores") FROM "kubernetes_pod_container" WHERE time > now() - 5m';
  const result = await probeGrafanaQuery({ url: grafana.url, user: admin.name, password: admin.password, ca: cert }, INFLUXDB_DATASOURCE_UID, 'telegraf', 'cpu', query);
  expect(result).toMatchObject({ ok: true, detail: '1 value(s), latest [1,25000000]' });
  expect(Object.fromEntries(asked.at(-1)!)).toEqual({ db: 'telegraf', q: query, epoch: 's' });
});

test('B14 both routes refuse a request without the admin\'s login, as Grafana does', async () => {
  const wrong = { url: grafana.url, user: admin.name, password: 'wrong', ca: cert };
  expect((await probeGrafanaDashboards(wrong, {})).detail).toMatch(/HTTP 401/);
  expect((await probeGrafanaQuery(wrong, INFLUXDB_DATASOURCE_UID, 'telegraf', 'cpu', 'SELECT 1')).detail).toMatch(/HTTP 401/);
});
