/**
 * nginx's own metrics (B10): the stub_status server of OUR srcs/common/nginx.conf.template, in the
 * nginx container's entrypoint run by Debian's nginx, read by OUR srcs/common/collect-nginx-metrics
 * under OUR serve-metrics, with busybox's wget, timeout and awk as in the images. The metrics are
 * the ones nginx keeps (src/http/modules/ngx_http_stub_status_module.c; the connection states are
 * set in src/http/ngx_http_request.c and src/core/ngx_connection.c ngx_reusable_connection).
 */
import { execFile } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { httpRequest } from '../../lib/probes/http';
import { NGINX_METRICS } from '../../lib/monitoring/nginx-php-fpm';
import { freePort, portOpen, run, SRCS, stopAll, waitFor } from './support/harness';
import { busyboxPath, MetricsServer, parseExposition, scrape, startMetricsServer } from './support/metrics';
import { createSshUser, NginxContainer, removeUser, startNginxContainer } from './support/nginx';

const COLLECTOR = path.join(SRCS, 'common', 'collect-nginx-metrics');
/** The programs the collector runs besides the shell, as busybox applets (Alpine's). */

let user: string;
let nginx: NginxContainer;
let served: MetricsServer;
let appletPath: string;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  user = createSshUser();
  // Nothing is proxied to phpMyAdmin here: any address does.
  nginx = await startNginxContainer({ phpMyAdminUrl: 'https://127.0.0.1:9' }, user);
  appletPath = busyboxPath();
  served = await startMetricsServer('nginx', [COLLECTOR], { PATH: appletPath, NGINX_STATUS_PORT: nginx.env.NGINX_STATUS_PORT });
});

afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await stopAll();
  if (user) removeUser(user);
});

/** One scrape, as telegraf makes it: every metric by the name the panels know it. */
async function readMetrics(): Promise<Record<keyof typeof NGINX_METRICS, number>> {
  const answer = await scrape(served.url);
  if (answer.status !== 200) throw new Error(`scrape answered ${answer.status}: ${answer.body}\n${served.server.log()}`);
  const samples = parseExposition(answer.body);
  return Object.fromEntries(Object.entries(NGINX_METRICS).map(([key, metric]) => [key, samples.get(metric.name)?.value ?? NaN])) as Record<keyof typeof NGINX_METRICS, number>;
}

/** A plain TCP connection to nginx's http port (the one that answers 301), left open. */
async function connect(): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port: nginx.httpPort });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

type States = { active: number; reading: number; writing: number; waiting: number };

/**
 * The connection states once they equal `expected`, or as they are after 5 s: nginx moves a
 * connection from one state to the next when its event comes, a moment after the client acted.
 */
async function statesOnce(expected: States): Promise<States> {
  let states: States | undefined;
  await waitFor(`connection states ${JSON.stringify(expected)}`, async () => {
    const f = await readMetrics();
    states = { active: f.active, reading: f.reading, writing: f.writing, waiting: f.waiting };
    return JSON.stringify(states) === JSON.stringify(expected);
  }, 5000).catch(() => undefined);
  return states!;
}

test('B10 collect-nginx-metrics prints exactly the NGINX_METRICS family, each name with its declared type', async () => {
  const answer = await scrape(served.url);
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4' });
  const printed = [...parseExposition(answer.body)].map(([name, sample]) => ({ name, type: sample.type }));
  expect(printed.sort((a, b) => a.name.localeCompare(b.name))).toEqual(Object.values(NGINX_METRICS).sort((a, b) => a.name.localeCompare(b.name)));
});

test('B10 the requests and connections nginx served are counted: 3 requests on one connection add 3 requests and 1 connection', async () => {
  const before = await readMetrics();
  // One curl, three URLs: curl sends them on one kept-alive connection.
  const url = `https://127.0.0.1:${nginx.httpsPort}/healthz`;
  run('curl', ['--silent', '--fail', '--insecure', '--max-time', '10', '--output', '/dev/null', '--output', '/dev/null', '--output', '/dev/null', url, url, url]);
  const after = await readMetrics();
  // The second scrape is one more connection and request.
  expect({
    requests: after.requests - before.requests,
    accepted: after.accepted - before.accepted,
    handled: after.handled - before.handled,
  }).toEqual({ requests: 4, accepted: 2, handled: 2 });
});

test('B10 an idle kept-alive connection is counted active and waiting, one still sending its header active and reading', async () => {
  // Only the scrape's own connection is open: it is being answered (writing).
  const idle = { active: 1, reading: 0, writing: 1, waiting: 0 };
  expect(await statesOnce(idle)).toEqual(idle);
  const kept = await connect();
  const answered = new Promise<string>((resolve) => kept.once('data', (data) => resolve(String(data))));
  kept.write('GET /kept HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  expect(await answered).toMatch(/^HTTP\/1\.1 301 /);
  const partial = await connect();
  partial.write('GET /partial HTTP/1.1\r\nHost: 127.');
  const busy = { active: 3, reading: 1, writing: 1, waiting: 1 };
  expect(await statesOnce(busy)).toEqual(busy);
  kept.destroy();
  partial.destroy();
  expect(await statesOnce(idle)).toEqual(idle);
});

test('B10 nginx\'s stub_status listens on 127.0.0.1 only, and the sites do not serve it', async () => {
  const port = Number(nginx.env.NGINX_STATUS_PORT);
  expect({ loopback: await portOpen(port, '127.0.0.1'), otherAddress: await portOpen(port, '127.0.0.2') }).toEqual({ loopback: true, otherAddress: false });
  const site = await httpRequest(`https://127.0.0.1:${nginx.httpsPort}/stub_status`, { insecure: true });
  expect({ status: site.status, leaks: site.body.includes('Active connections') }).toEqual({ status: 404, leaks: false });
});

describe('B10 collect-nginx-metrics fails, saying why on stderr and printing nothing, on anything but a stub_status page', () => {
  let stranger: http.Server;
  let strangerPort: number;
  let body = '';
  const page = 'Active connections: 2 \nserver accepts handled requests\n 7 7 9 \nReading: 0 Writing: 1 Waiting: 1 \n';

  beforeAll(async () => {
    strangerPort = await freePort();
    stranger = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => stranger.listen(strangerPort, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise((resolve) => stranger?.close(resolve)));

  /** The collector run once, as serve-metrics runs it; asynchronous, for the stand-in in this process to answer. */
  const collect = (port: number) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile('sh', [COLLECTOR], { env: { PATH: appletPath, NGINX_STATUS_PORT: String(port) }, encoding: 'utf8', timeout: 15000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });

  test('B10 the documented page itself is read (the stand-in below is right)', async () => {
    body = page;
    const result = await collect(strangerPort);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(parseExposition(result.stdout).get(NGINX_METRICS.requests.name)?.value).toBe(9);
  });

  test.each([
    ['an HTML page', '<html><body>Welcome to nginx!</body></html>\n', 'line 1'],
    ['a page cut after two lines', page.split('\n').slice(0, 2).join('\n'), 'line 3'],
    ['a page with one line more', `${page}Extra: 1 \n`, 'line 5'],
    ['a metric that is not a count', page.replace('Waiting: 1 ', 'Waiting: -1 '), 'line 4'],
    ['the labels in another order', page.replace('server accepts handled requests', 'server accepts requests handled'), 'line 2'],
  ])('B10 %s', async (_what, answer, where) => {
    body = answer;
    const result = await collect(strangerPort);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 1, stdout: '' });
    expect(result.stderr).toContain(`http://127.0.0.1:${strangerPort}/stub_status is not a stub_status page (${where})`);
  });

  test('B10 nothing listening on NGINX_STATUS_PORT', async () => {
    const result = await collect(await freePort());
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 1, stdout: '' });
    expect(result.stderr).toContain('no stub_status page from http://127.0.0.1:');
  });
});
