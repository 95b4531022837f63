/**
 * srcs/common/collect-all, which lets a pod that runs two programs (nginx and php-fpm) serve both
 * families of its metrics from its one metrics endpoint (B10), run by serve-metrics as in the
 * wordpress and phpmyadmin images.
 */
import * as path from 'path';
import { scratchDir, SRCS, stopAll } from './support/harness';
import { parseExposition, scrape, startMetricsServer, writeCollector } from './support/metrics';

const COLLECT_ALL = path.join(SRCS, 'common', 'collect-all');
let dir: string;

beforeAll(() => {
  dir = scratchDir('collect-all');
});

afterAll(stopAll);

const collector = (name: string, body: string): string => writeCollector(dir, name, body);

test('B10 collect-all serves what each collector prints, in the order given, from one endpoint', async () => {
  const first = collector('first', 'printf "# TYPE first_requests_total counter\\nfirst_requests_total 3\\n"');
  const second = collector('second', 'printf "# TYPE second_busy gauge\\nsecond_busy 1\\n"');
  const served = await startMetricsServer('collect-all', [COLLECT_ALL, first, second]);
  const answer = await scrape(served.url);
  expect(answer.status).toBe(200);
  expect([...parseExposition(answer.body)]).toEqual([['first_requests_total', { value: 3, type: 'counter' }], ['second_busy', { value: 1, type: 'gauge' }]]);
});

test('B10 when one collector fails, collect-all fails naming it: 503, and nothing of the others is served', async () => {
  const working = collector('working', 'echo "working_up 1"');
  const failing = collector('failing', 'echo "cannot reach php-fpm" >&2; exit 4');
  const served = await startMetricsServer('collect-all-failing', [COLLECT_ALL, working, failing]);
  const answer = await scrape(served.url);
  expect({ status: answer.status, leaks: answer.body.includes('working_up') }).toEqual({ status: 503, leaks: false });
  expect(served.server.log()).toContain(`collect-all: ${failing} failed with status 4`);
  expect(served.server.log()).toContain('cannot reach php-fpm');
});
