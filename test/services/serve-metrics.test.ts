/**
 * srcs/common/serve-metrics, the server of every pod's own metrics (B10), with Debian's busybox
 * httpd (the images run Alpine's busybox-extras httpd, the same applet).
 */
import { scratchDir, stopAll } from './support/harness';
import { parseExposition, scrape, startMetricsServer, writeCollector } from './support/metrics';

let dir: string;

beforeAll(() => {
  dir = scratchDir('serve-metrics');
});

afterAll(stopAll);

const collector = (name: string, body: string): string => writeCollector(dir, name, body);

test('B10 the collector\'s output is served as Prometheus text 0.0.4, which telegraf reads with its Prometheus parser', async () => {
  const served = await startMetricsServer('plain', [collector('plain', 'printf "# TYPE demo_requests_total counter\\ndemo_requests_total 42\\n"')]);
  const answer = await scrape(served.url);
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4' });
  expect(parseExposition(answer.body)).toEqual(new Map([['demo_requests_total', { value: 42, type: 'counter' }]]));
});

test('B10 the collector gets its arguments exactly as given and the environment serve-metrics had, and runs as nobody', async () => {
  const script = collector('echo', 'echo "# $1|$2|${DEMO_SETTING}"; echo "demo_uid $(id -u)"');
  const served = await startMetricsServer('args', [script, "it's here", 'two words'], { DEMO_SETTING: 'from-env' });
  const answer = await scrape(served.url);
  expect(answer.body).toContain("# it's here|two words|from-env");
  expect(parseExposition(answer.body).get('demo_uid')?.value).toBe(65534);
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
