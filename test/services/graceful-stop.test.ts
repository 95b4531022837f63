/**
 * K8: a container told to stop (SIGTERM to its init, as the kubelet sends it after the preStop
 * wait) finishes the request in flight. Our phpMyAdmin container's entrypoint, nginx and php-fpm
 * (Debian's) under run-together, on loopback (B5): run-together passes QUIT to both, nginx's
 * graceful stop, and php-fpm's once process_control_timeout lets its workers finish (with TERM, or
 * php-fpm's default timeout of 0, the request would be cut).
 */
import * as fs from 'fs';
import * as path from 'path';
import { httpRequest } from '../../lib/probes/http';
import { stopAll } from './support/harness';
import { PhpMyAdminContainer, startPhpMyAdminContainer } from './support/phpmyadmin';

let pma: PhpMyAdminContainer;

beforeAll(async () => {
  // The health check and a slow page need no database.
  pma = await startPhpMyAdminContainer({ host: '127.0.0.1', port: 9 });
  // 3 s of work in short sleeps: a signal cuts a sleep short (EINTR), not the loop.
  fs.writeFileSync(path.join(pma.env.PMA_ROOT, 'slow.php'), '<?php $end = microtime(true) + 3; while (microtime(true) < $end) usleep(100000); echo "finished";');
});

afterAll(stopAll);

test('K8 SIGTERM to the container lets a PHP request in flight finish, then the container exits 0', async () => {
  const inFlight = httpRequest(`${pma.url}slow.php`, { ca: pma.cert, timeoutMs: 20000 });
  // The request has reached a php-fpm worker well before its 3 s are over.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const stoppedAt = Date.now();
  process.kill(pma.server.pid, 'SIGTERM');
  const reply = await inFlight;
  expect(Date.now() - stoppedAt).toBeGreaterThan(1500);
  expect({ status: reply.status, body: reply.body }).toEqual({ status: 200, body: 'finished' });
  expect(await pma.server.waitForExit(15000)).toBe(0);
  // It stopped once the request was done, not at the end of run-together's grace (10 s).
  expect(Date.now() - stoppedAt).toBeLessThan(8000);
});

test('K8 a stopping container takes no new connection', async () => {
  await expect(httpRequest(`${pma.url}healthz.php`, { ca: pma.cert, timeoutMs: 3000 })).rejects.toThrow();
});
