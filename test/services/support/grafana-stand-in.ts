/**
 * A stand-in for Grafana 12, which has no Debian package to run here (B10, B14): an HTTPS server, TLS 1.3
 * only as grafana.ini asks, that answers a few of Grafana's routes and keeps, for what it answered,
 * the series Grafana keeps, served at /metrics behind basic auth as Grafana serves them. The
 * collector srcs/grafana/collect-metrics is tested against it; nothing else of Grafana is.
 *
 * The shape of /metrics is Grafana's, from these sources (grafana/grafana, the newest versions
 * stored; the names are the same in 12.0):
 * - pkg/api/http_server.go metricsEndpoint: `GET /metrics` only, 401 without the basic-auth login,
 *   then promhttp over the default registry (Prometheus text 0.0.4 unless the client asks for
 *   OpenMetrics).
 * - pkg/middleware/request_metrics.go: the histogram `grafana_http_request_duration_seconds`
 *   {handler, method, slo_group, status_code, status_source} with buckets .005 … 25, observed for
 *   every request, the monitoring endpoints included, and the gauge `grafana_http_request_in_flight`.
 * - pkg/infra/metrics/metrics.go: `grafana_api_login_post_total` and
 *   `grafana_api_response_status_total{code}` (created at zero), the gauges `grafana_stat_active_users`
 *   and `grafana_stat_total_users`, `grafana_build_info`.
 * - pkg/infra/httpclient/httpclientprovider/datasource_metrics_middleware.go:
 *   `grafana_datasource_request_total{code, datasource, datasource_type, method}`, counted by
 *   promhttp for each answer of the datasource (`method` lower-case, as promhttp writes it).
 * - prometheus/common expfmt text_create.go (v0.63.0, in ~/go/pkg/mod): `# HELP`, `# TYPE`, then
 *   one line per series, labels sorted by name and escaped, `le` last on buckets, then `_sum` and
 *   `_count`; numbers by writeFloat (`strconv` 'g' shortest: 1234567 is `1.234567e+06`). The
 *   registry sorts families by name and series by their label values.
 *
 * The routes: `GET /api/health`; `POST /login` with `{user, password}` (the admin's login counts,
 * and makes that user active); `POST /api/ds/query` with `{queries: [{query}]}`, each sent to the
 * datasource, a real InfluxDB, as Grafana's InfluxDB datasource sends InfluxQL (`GET /query` with
 * the reader's basic auth); for the admin's basic auth, as `./setup.sh check` reads Grafana (S9),
 * `GET /api/search?type=dash-db` (the provisioned dashboards' uid and title, pkg/api/search.go) and
 * `GET /api/datasources/proxy/uid/<uid>/query?…` (pkg/api/dataproxy.go: the query string passed to
 * the datasource's /query, InfluxDB's answer returned as it is); anything else is 404.
 *
 * Node's built-in modules only: the host tests run it (./grafana.ts), and so does the CI cluster's
 * grafana image, as its `grafana server` (.ci/cluster/grafana-server.ts).
 */
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as tls from 'tls';

/** The login of an account: Grafana's admin, or /metrics' basic-auth user. */
export interface Login {
  readonly name: string;
  readonly password: string;
}

export interface GrafanaStandInOptions {
  /** PEM certificate and key Grafana serves (the tls Secret), and the address the certificate names. */
  readonly cert: string;
  readonly key: string;
  readonly tlsName: string;
  readonly metrics: Login;
  readonly admin: Login;
  readonly datasource: { readonly url: string; readonly database: string; readonly user: Login; readonly uid?: string };
  /** The provisioned dashboards, as /api/search lists them. @default none */
  readonly dashboards?: ReadonlyArray<{ readonly uid: string; readonly title: string }>;
  /** Where it listens. @default the loopback, a free port */
  readonly host?: string;
  readonly port?: number;
}

export interface GrafanaStandIn {
  readonly port: number;
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** What /metrics would show now, for the test to compare with the collector's sums. */
  body(): string;
  /** A request as a browser would send it, trusting the stand-in's certificate; resolves with the status. */
  request(method: 'GET' | 'POST', path: string, body?: object): Promise<number>;
  close(): Promise<void>;
}

/** prometheus/common expfmt writeFloat: Go's shortest 'g' format, e-notation from 1e6 on. */
export function goFloat(value: number): string {
  if (value === 1) return '1';
  if (value === 0) return '0';
  if (value === -1) return '-1';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const [mantissa, exponent] = value.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(value);
}

type Labels = Readonly<Record<string, string>>;

/** Go's string order (bytes), as the registry sorts. */
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function seriesName(name: string, labels: Labels, extra?: [string, string]): string {
  const pairs = Object.keys(labels).sort().map((key) => `${key}="${escapeLabel(labels[key])}"`);
  if (extra) pairs.push(`${extra[0]}="${extra[1]}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/** The registry's order of series: by their label values, in label-name order. */
const seriesKey = (labels: Labels): string => Object.keys(labels).sort().map((key) => labels[key]).join('\u0000');

/** A counter or gauge family: one value per label set. */
class Simple {
  readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly type: 'counter' | 'gauge', readonly help: string) {}

  add(labels: Labels, delta: number): void {
    const key = seriesKey(labels);
    const entry = this.series.get(key) ?? { labels, value: 0 };
    entry.value += delta;
    this.series.set(key, entry);
  }

  set(labels: Labels, value: number): void {
    this.series.set(seriesKey(labels), { labels, value });
  }

  lines(): string[] {
    return [...this.series.entries()].sort(([a], [b]) => byBytes(a, b))
      .map(([, { labels, value }]) => `${seriesName(this.name, labels)} ${goFloat(value)}`);
  }
}

/** request_metrics.go's buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25];

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly type = 'histogram';

  constructor(readonly name: string, readonly help: string) {}

  /** `times` observations of `seconds` (times > 1 seeds a series with history). */
  observe(labels: Labels, seconds: number, times = 1): void {
    const key = seriesKey(labels);
    const entry = this.series.get(key) ?? { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((bound, index) => { if (seconds <= bound) entry.counts[index] += times; });
    entry.sum += seconds * times;
    entry.count += times;
    this.series.set(key, entry);
  }

  lines(): string[] {
    return [...this.series.entries()].sort(([a], [b]) => byBytes(a, b)).flatMap(([, { labels, counts, sum, count }]) => [
      ...BUCKETS.map((bound, index) => `${seriesName(`${this.name}_bucket`, labels, ['le', goFloat(bound)])} ${goFloat(counts[index])}`),
      `${seriesName(`${this.name}_bucket`, labels, ['le', '+Inf'])} ${goFloat(count)}`,
      `${seriesName(`${this.name}_sum`, labels)} ${goFloat(sum)}`,
      `${seriesName(`${this.name}_count`, labels)} ${goFloat(count)}`,
    ]);
  }
}

function render(families: ReadonlyArray<Simple | Histogram>): string {
  return [...families].sort((a, b) => byBytes(a.name, b.name))
    .filter((family) => family.series.size > 0)
    .map((family) => [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`, ...family.lines()].join('\n'))
    .join('\n') + '\n';
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const basic = (login: Login): string => `Basic ${Buffer.from(`${login.name}:${login.password}`).toString('base64')}`;

export async function startGrafanaStandIn(options: GrafanaStandInOptions): Promise<GrafanaStandIn> {
  const requests = new Histogram('grafana_http_request_duration_seconds', 'Histogram of latencies for HTTP requests.');
  const inFlight = new Simple('grafana_http_request_in_flight', 'gauge', 'A gauge of requests currently being served by Grafana.');
  const logins = new Simple('grafana_api_login_post_total', 'counter', 'api login post counter');
  const apiStatus = new Simple('grafana_api_response_status_total', 'counter', 'api http response status');
  const activeUsers = new Simple('grafana_stat_active_users', 'gauge', 'number of active users');
  const totalUsers = new Simple('grafana_stat_total_users', 'gauge', 'total amount of users');
  const buildInfo = new Simple('grafana_build_info', 'gauge', 'A metric with a constant \'1\' value labeled by version, revision, branch, and goversion from which Grafana was built');
  const datasource = new Simple('grafana_datasource_request_total', 'counter', 'A counter for outgoing requests for a data source');
  const families = [requests, inFlight, logins, apiStatus, activeUsers, totalUsers, buildInfo, datasource];
  for (const code of ['200', '404', '500', 'unknown']) apiStatus.set({ code }, 0);
  logins.set({}, 0);
  inFlight.set({}, 0);
  activeUsers.set({}, 0);
  totalUsers.set({}, 1);
  buildInfo.set({ branch: 'HEAD', edition: 'oss', goversion: 'go1.24.2', revision: 'unknown', version: '12.0.2' }, 1);
  // A busy past: a count that writeFloat prints in e-notation.
  requests.observe({ handler: '/api/dashboards/uid/:uid', method: 'GET', slo_group: '', status_code: '200', status_source: 'server' }, 0.02, 1234567);
  const active = new Set<string>();

  /** Sends InfluxQL to the datasource as Grafana's InfluxDB datasource does, and counts the answer. */
  async function queryDatasource(q: string): Promise<number> {
    const { url, database, user } = options.datasource;
    const answer = await fetch(`${url}/query?${new URLSearchParams({ db: database, q, epoch: 'ms' })}`, { headers: { Authorization: basic(user) } });
    await answer.text();
    datasource.add({ code: String(answer.status), datasource: 'InfluxDB', datasource_type: 'influxdb', method: 'get' }, 1);
    return answer.status;
  }

  /** The datasource proxy: InfluxDB's own answer to the query string, with the reader's login. */
  async function proxyDatasource(search: string, response: http.ServerResponse): Promise<void> {
    const { url, user } = options.datasource;
    const answer = await fetch(`${url}/query${search}`, { headers: { Authorization: basic(user) } });
    const body = await answer.text();
    datasource.add({ code: String(answer.status), datasource: 'InfluxDB', datasource_type: 'influxdb', method: 'get' }, 1);
    response.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
  }

  async function answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<string> {
    const url = new URL(request.url ?? '/', 'https://grafana');
    const route = `${request.method} ${url.pathname}`;
    const json = (status: number, body: object): void => {
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    const asAdmin = request.headers.authorization === basic(options.admin);
    if (route === `GET /api/datasources/proxy/uid/${options.datasource.uid}/query` && options.datasource.uid !== undefined) {
      if (asAdmin) await proxyDatasource(url.search, response);
      else json(401, { message: 'Unauthorized' });
      return '/api/datasources/proxy/uid/:uid/*';
    }
    switch (route) {
      case 'GET /api/search':
        if (!asAdmin) json(401, { message: 'Unauthorized' });
        else json(200, (options.dashboards ?? []).map(({ uid, title }) => ({ uid, title, type: 'dash-db', uri: `db/${uid}`, url: `/d/${uid}` })));
        return '/api/search/';
      case 'GET /metrics':
        if (request.headers.authorization !== basic(options.metrics)) {
          response.writeHead(401).end();
        } else {
          response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render(families));
        }
        // Served by a middleware before routing: no route name.
        return 'unknown';
      case 'GET /api/health':
        json(200, { database: 'ok', version: '12.0.2' });
        return 'unknown';
      case 'POST /login': {
        const { user, password } = JSON.parse(await readBody(request)) as { user?: string; password?: string };
        if (user === options.admin.name && password === options.admin.password) {
          logins.add({}, 1);
          active.add(user);
          activeUsers.set({}, active.size);
          json(200, { message: 'Logged in' });
        } else {
          json(401, { message: 'Invalid username or password' });
        }
        return '/login';
      }
      case 'POST /api/ds/query': {
        const { queries } = JSON.parse(await readBody(request)) as { queries: { query: string }[] };
        const statuses = [];
        for (const { query } of queries) statuses.push(await queryDatasource(query));
        json(statuses.every((status) => status < 300) ? 200 : 400, { statuses });
        return '/api/ds/query';
      }
      default:
        json(404, { message: 'Not found' });
        return 'notfound';
    }
  }

  const server = https.createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.3' }, (request, response) => {
    const started = process.hrtime.bigint();
    inFlight.add({}, 1);
    answer(request, response).then((handler) => {
      inFlight.add({}, -1);
      const labels = { handler, method: request.method ?? 'GET', slo_group: '', status_code: String(response.statusCode), status_source: 'server' };
      requests.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }, (error: Error) => {
      inFlight.add({}, -1);
      response.writeHead(500).end(error.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    body: () => render(families),
    request: (method, path, body) => new Promise((resolve, reject) => {
      const sent = body === undefined ? undefined : JSON.stringify(body);
      const headers = sent === undefined ? {} : { 'Content-Type': 'application/json' };
      // The certificate must be the stand-in's, for the address it names (the load balancer's).
      const checkServerIdentity = (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(options.tlsName, cert);
      const client = https.request({ host: '127.0.0.1', port, path, method, headers, ca: options.cert, checkServerIdentity, timeout: 10000 }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      client.on('timeout', () => client.destroy(new Error(`timeout: ${method} ${path}`)));
      client.on('error', reject);
      client.end(sent);
    }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
