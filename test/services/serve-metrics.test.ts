/**
 * srcs/common/serve-metrics, the server of every pod's own metrics (B10) and its bounds (B15): socat
 * and Debian's busybox httpd (the images run Alpine's socat and busybox-extras httpd, the same applet).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { METRICS_REUSE_SECONDS } from '../../lib/monitoring/pod-metrics';
import { HOST_METRICS_ENV, run, scratchDir, stopAll, waitFor } from './support/harness';
import { childCommands, parseExposition, scrape, startMetricsServer, writeCollector } from './support/metrics';

let dir: string;
/** Where the collectors, run as METRICS_USER, leave what the tests read. */
let written: string;

beforeAll(() => {
  dir = scratchDir('serve-metrics');
  written = path.join(dir, 'written');
  fs.mkdirSync(written, { mode: 0o1777 });
  fs.chmodSync(written, 0o1777);
});

afterAll(stopAll);

const collector = (name: string, body: string): string => writeCollector(dir, name, body);

test('B10 the collector\'s output is served as Prometheus text 0.0.4, which telegraf reads with its Prometheus parser', async () => {
  const served = await startMetricsServer('plain', [collector('plain', 'printf "# TYPE demo_requests_total counter\\ndemo_requests_total 42\\n"')]);
  const answer = await scrape(served.url);
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4' });
  expect(parseExposition(answer.body)).toEqual(new Map([['demo_requests_total', { value: 42, type: 'counter' }]]));
});

test('B10 B15 the collector gets its arguments exactly as given and the environment serve-metrics had, and runs as METRICS_USER at niceness 19', async () => {
  // Niceness: the 19th field of /proc/PID/stat (proc(5)), after the command name in parentheses.
  const script = collector('echo', 'echo "# $1|$2|${DEMO_SETTING}"; echo "demo_uid $(id -u)"; echo "demo_nice $(sed "s/^.*) //" /proc/$$/stat | cut -d " " -f 17)"');
  const served = await startMetricsServer('args', [script, "it's here", 'two words'], { DEMO_SETTING: 'from-env' });
  const answer = await scrape(served.url);
  expect(answer.body).toContain("# it's here|two words|from-env");
  const exposition = parseExposition(answer.body);
  expect({ uid: exposition.get('demo_uid')?.value, nice: exposition.get('demo_nice')?.value })
    .toEqual({ uid: Number(run('id', ['-u', HOST_METRICS_ENV.METRICS_USER])), nice: 19 });
});

test('B10 a failing collector gives 503 (a gather error for telegraf, never zeros), its message in the server\'s log', async () => {
  const served = await startMetricsServer('failing', [collector('failing', 'echo "demo_up 1"; echo "cannot reach the source" >&2; exit 3')]);
  const answer = await scrape(served.url);
  expect(answer.status).toBe(503);
  expect(answer.body).not.toContain('demo_up');
  expect(served.server.log()).toContain('cannot reach the source');
});

test('B10 only the metrics path answers: nothing else is served or listed', async () => {
  const served = await startMetricsServer('paths', [collector('paths', 'echo "demo_up 1"')]);
  for (const other of ['/', '/metrics', '/cgi-bin/', '/cgi-bin/other']) {
    const answer = await scrape(served.url.replace('/cgi-bin/metrics', other));
    expect({ other, refused: answer.status === 404 || answer.status === 403, leaks: answer.body.includes('demo') }).toEqual({ other, refused: true, leaks: false });
  }
});

/** `count` GETs of `url` at once; their statuses, and the longest wait in ms. */
async function together(url: string, count: number): Promise<{ statuses: number[]; slowestMs: number }> {
  const started = Date.now();
  let slowestMs = 0;
  const statuses = await Promise.all(Array.from({ length: count }, async () => {
    const answer = await scrape(url);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    return answer.status;
  }));
  return { statuses, slowestMs };
}

/** A collector that counts its runs in `file`, takes `seconds`, and prints its run number. */
const countingCollector = (name: string, file: string, seconds: number): string =>
  collector(name, `echo x >>'${file}'; sleep ${seconds}; echo "demo_run $(wc -l <'${file}')"`);

const runsIn = (file: string): number => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

test('B15 only GET is answered: every other method gets 405 and never runs the collector', async () => {
  const runs = path.join(written, 'methods.runs');
  const served = await startMetricsServer('methods', [countingCollector('methods', runs, 0)]);
  const before = runsIn(runs);
  for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
    const response = await fetch(served.url, { method, body: method === 'POST' || method === 'PUT' ? 'x=1' : undefined });
    expect({ method, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, status: 405, allow: 'GET' });
  }
  expect(runsIn(runs)).toBe(before);
});

test('B15 the collector gets none of the request: no header, query string or address reaches its environment', async () => {
  const served = await startMetricsServer('clean-env', [collector('clean-env', 'env | sed "s/^/# /"; echo "demo_up 1"')]);
  const response = await fetch(`${served.url}?injected=1`, { headers: { 'User-Agent': 'flood', 'X-Injected': 'yes' } });
  const body = await response.text();
  expect(response.status).toBe(200);
  expect(body.split('\n').filter((line) => /^# (HTTP_|QUERY_STRING|REMOTE_|REQUEST_|SCRIPT_|GATEWAY_|SERVER_|PATH_INFO|SOCAT_)/.test(line))).toEqual([]);
  expect(body).not.toMatch(/injected|flood/i);
});

test('B15 one collector at a time: 20 scrapes at once run it once; the others get 503 at once, or its answer', async () => {
  const runs = path.join(written, 'once.runs');
  const served = await startMetricsServer('once', [countingCollector('once', runs, 2)], { METRICS_CACHE_SECONDS: String(METRICS_REUSE_SECONDS) });
  const { statuses, slowestMs } = await together(served.url, 20);
  expect(runsIn(runs)).toBe(1);
  expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
  expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
  expect(slowestMs).toBeLessThan(4000);
  // Within the reuse time, every scrape gets that answer, without a second run.
  const again = await together(served.url, 10);
  expect({ statuses: [...new Set(again.statuses)], runs: runsIn(runs) }).toEqual({ statuses: [200], runs: 1 });
});

test('B15 a collector past its time limit is killed with what it started, and the scrape answers 503', async () => {
  const pidFile = path.join(written, 'stuck.child');
  const served = await startMetricsServer('stuck', [collector('stuck', `sleep 300 & echo $! >'${pidFile}'; sleep 300`)],
    { METRICS_COLLECTOR_SECONDS: '2' });
  const started = Date.now();
  const answer = await scrape(served.url);
  expect({ status: answer.status, inTime: Date.now() - started < 4000 }).toEqual({ status: 503, inTime: true });
  const child = Number(fs.readFileSync(pidFile, 'utf8'));
  // Gone, or a zombie its new parent has not reaped yet (state Z in /proc/PID/stat).
  const running = () => fs.existsSync(`/proc/${child}/stat`) && !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${child}/stat`, 'utf8'));
  await waitFor('the collector\'s child gone', () => !running(), 2000);
  expect(served.server.log()).toContain('did not finish within 2s: killed');
});

test('S11 B15 a stopped collector (SIGSTOP) is noticed: killed at its time limit, the scrape answers 503, and the next scrape runs a new one', async () => {
  // The collector stops itself on its second run: the first is startMetricsServer's own scrape.
  const runs = path.join(written, 'stopped.runs');
  const served = await startMetricsServer('stopped', [collector('stopped', `echo x >>'${runs}'; [ "$(wc -l <'${runs}')" -ne 2 ] || kill -s STOP $$; echo "demo_up 1"`)],
    { METRICS_COLLECTOR_SECONDS: '2' });
  const started = Date.now();
  const stopped = await scrape(served.url);
  expect({ runs: runsIn(runs), status: stopped.status, inTime: Date.now() - started < 4000 }).toEqual({ runs: 2, status: 503, inTime: true });
  expect(served.server.log()).toContain('did not finish within 2s: killed');
  const next = await scrape(served.url);
  expect({ status: next.status, up: parseExposition(next.body).get('demo_up')?.value }).toEqual({ status: 200, up: 1 });
});

test('B15 one connection at a time, each cut off after METRICS_CONNECTION_SECONDS: held-open connections neither pile up servers nor last', async () => {
  const served = await startMetricsServer('capped', [collector('capped', 'echo "demo_up 1"')], { METRICS_CONNECTION_SECONDS: '2' });
  // 10 connections that send half a request and wait; when the server cut each one off.
  const opened = Date.now();
  const cutOffMs: number[] = [];
  const held = await Promise.all(Array.from({ length: 10 }, () => new Promise<net.Socket>((resolve) => {
    const socket = net.connect(served.port, '127.0.0.1', () => { socket.write('GET /cgi-bin/me'); resolve(socket); });
    socket.on('error', () => undefined);
    socket.on('close', () => cutOffMs.push(Date.now() - opened));
  })));
  // Through two generations of cut-offs: socat 1.8 let one more server start at every death when
  // its cap was above 1 (serve-metrics says why), so the count is read while they die.
  let mostServers = 0;
  for (const until = Date.now() + 5000; Date.now() < until;) {
    const servers = childCommands(served.server.pid).filter((command) => command.includes('httpd')).length;
    mostServers = Math.max(mostServers, servers);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect({ mostServers, cutOff: cutOffMs.length >= 2, firstWithinLimit: Math.min(...cutOffMs) < 3500 }).toEqual({ mostServers: 1, cutOff: true, firstWithinLimit: true });
  held.forEach((socket) => socket.destroy());
  // Once the held ones are gone, a scrape is served again.
  await waitFor('a scrape answered after the held connections', async () => (await scrape(served.url)).status === 200, 15000);
});
