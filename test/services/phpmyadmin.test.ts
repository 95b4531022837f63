/**
 * The phpMyAdmin container (S6) and the nginx container's /phpmyadmin/ reverse proxy in front of
 * it (S7): our entrypoints, templates and config.inc.php run by Debian's nginx, php-fpm and
 * phpMyAdmin, logging in to our MySQL entrypoint's MariaDB, all on loopback (B5).
 */
import { NGINX_METRICS, PHP_FPM_METRICS } from '../../lib/monitoring/nginx-php-fpm';
import { httpRequest } from '../../lib/probes/http';
import { phpMyAdminLogin, phpMyAdminLoginPage } from '../../lib/probes/phpmyadmin';
import { ProbeResult } from '../../lib/probes/probe';
import { crashChild } from './support/harness';
import { servedMetricsAt } from './support/metrics';
import { MysqlDatabase } from './support/mysql';
import { NginxContainer } from './support/nginx';
import { copiesDiffering, secretReaders } from './support/secret-readers';
import { PhpMyAdminBehindNginx, PhpMyAdminContainer, startPhpMyAdminBehindNginx, stopPhpMyAdminBehindNginx } from './support/phpmyadmin';

function expectOk(result: ProbeResult): void {
  expect({ ok: result.ok, title: result.title, detail: result.detail }).toEqual({ ok: true, title: result.title, detail: result.detail });
}

let fixture: PhpMyAdminBehindNginx | undefined;
let mysql: MysqlDatabase;
let pma: PhpMyAdminContainer;
let nginx: NginxContainer;
let proxied: string;

beforeAll(async () => {
  fixture = await startPhpMyAdminBehindNginx('pma');
  ({ mysql, pma, nginx, proxied } = fixture);
});

afterAll(() => stopPhpMyAdminBehindNginx(fixture));

test('B15 php-fpm\'s user reads its own copy of the blowfish secret; nginx\'s user and the metrics\' read no Secret', () => {
  const { env } = pma;
  const { seen, allowed } = secretReaders('phpmyadmin', { env, users: [env.NGINX_USER, env.PHP_FPM_USER, env.METRICS_USER, 'nobody'], readerUsers: { daemon: env.PHP_FPM_USER } });
  expect(seen[env.PHP_FPM_USER]).toEqual(['daemon/phpmyadmin/blowfish-secret']);
  expect(seen).toEqual(allowed);
  expect(copiesDiffering(env)).toEqual([]);
});

test('S6 phpMyAdmin serves its login page and all its assets directly over TLS', async () => {
  expectOk(await phpMyAdminLoginPage('S6', pma.url, { ca: pma.cert }));
});

test('S6 logging in directly with the MySQL credentials works and stays on https://IP:port/', async () => {
  expectOk(await phpMyAdminLogin('S6', pma.url, mysql.user, mysql.password, { ca: pma.cert }));
});

test('S6 a wrong password is refused', async () => {
  const result = await phpMyAdminLogin('S6', pma.url, mysql.user, `${mysql.password}x`, { ca: pma.cert });
  expect(result.ok).toBe(false);
  expect(result.detail).toContain('still on the login page');
});

test('S7 through nginx, the login page and all its assets load under /phpmyadmin/', async () => {
  expectOk(await phpMyAdminLoginPage('S7', proxied, { ca: nginx.cert }));
});

test('S7 through nginx, logging in works and every redirect stays under https://…/phpmyadmin/', async () => {
  const result = await phpMyAdminLogin('S7', proxied, mysql.user, mysql.password, { ca: nginx.cert });
  expectOk(result);
  expect(result.detail).toContain(`redirects: ${proxied}index.php`);
});

test('S7 behind nginx, phpMyAdmin scopes its cookies to /phpmyadmin/ and marks them secure', async () => {
  const reply = await httpRequest(proxied, { ca: nginx.cert });
  const cookies = reply.headers['set-cookie'] ?? [];
  expect(cookies.length).toBeGreaterThan(0);
  for (const cookie of cookies) expect(cookie).toMatch(/; path=\/phpmyadmin\/;.*secure/);
});

test('S6 phpMyAdmin\'s internals and config file are not served', async () => {
  for (const internal of ['libraries/vendor_config.php', 'config.inc.php', 'templates/login/form.twig']) {
    expect([internal, (await httpRequest(`${pma.url}${internal}`, { ca: pma.cert })).status]).toEqual([internal, 403]);
  }
});

test('B10 the metrics port serves nginx\'s and php-fpm\'s metrics, exactly what its module declares for phpmyadmin, and the requests count up in both', async () => {
  const served = await servedMetricsAt(pma.env.METRICS_LISTEN, 'phpmyadmin');
  for (let i = 0; i < 3; i++) await httpRequest(pma.url, { ca: pma.cert });
  const after = await servedMetricsAt(pma.env.METRICS_LISTEN, 'phpmyadmin');
  for (const counted of [PHP_FPM_METRICS.accepted.name, NGINX_METRICS.requests.name]) {
    expect({ counted, added: after.get(counted)!.value - served.get(counted)!.value >= 3 }).toEqual({ counted, added: true });
  }
});

test('K1 /healthz.php answers 200 ok through nginx and php-fpm', async () => {
  const reply = await httpRequest(`${pma.url}healthz.php`, { ca: pma.cert });
  expect([reply.status, reply.body]).toEqual([200, 'ok\n']);
});

test('K1 /healthz.php stays 200 while MySQL is down, while the login fails', async () => {
  await mysql.server.stop();
  const reply = await httpRequest(`${pma.url}healthz.php`, { ca: pma.cert });
  expect([reply.status, reply.body]).toEqual([200, 'ok\n']);
  expect((await phpMyAdminLogin('S6', pma.url, mysql.user, mysql.password, { ca: pma.cert })).ok).toBe(false);
});

test('S11 killing php-fpm stops nginx and the container exits non-zero', async () => {
  const { status, alsoStopped } = await crashChild(pma.server, 'php-fpm');
  expect(status).not.toBe(0);
  expect(alsoStopped).toContain('nginx');
});
