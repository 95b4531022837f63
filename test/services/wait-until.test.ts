/**
 * srcs/common/wait-until, with which the MySQL and InfluxDB first boot waits for its temporary
 * server (S10), run with Debian's dash.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { scratchDir, SRCS } from './support/harness';

const WAIT_UNTIL = path.join(SRCS, 'common', 'wait-until');

let dir: string;
beforeAll(() => { dir = scratchDir('wait-until'); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('S10 wait-until returns 0 once the command succeeds, while the server process lives', () => {
  const ready = path.join(dir, 'ready');
  const server = spawn('sh', ['-c', `sleep 1; touch ${ready}; exec sleep 30`]);
  const result = spawnSync('sh', [WAIT_UNTIL, String(server.pid), 'test', '-e', ready], { encoding: 'utf8', timeout: 20000 });
  server.kill();
  expect(result.status).toBe(0);
});

test('S10 wait-until fails at once when the server process has exited, without waiting out its tries', () => {
  const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
  const started = Date.now();
  const result = spawnSync('sh', [WAIT_UNTIL, gone, 'false'], { encoding: 'utf8', timeout: 20000 });
  expect(result.status).toBe(1);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('S10 B15 wait-until fails without running the command when the server process is gone or may not be signalled', () => {
  const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
  const result = spawnSync('sh', [WAIT_UNTIL, gone, 'true'], { encoding: 'utf8', timeout: 20000 });
  expect(result.status).toBe(1);
});
