/**
 * The wordpress image's entrypoint, install script, wp-config.php and nginx config (srcs/wordpress/,
 * with srcs/common/) run by Debian's nginx, php-fpm and WordPress on loopback over our MySQL (B5),
 * checked with the probes `./setup.sh check` uses.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NGINX_METRICS, PHP_FPM_METRICS } from '../../lib/monitoring/nginx-php-fpm';
import { httpRequest } from '../../lib/probes/http';
import { probeWordpressHome, probeWordpressUser, wordpressLogin } from '../../lib/probes/wordpress';
import { asContainer, crashChild, freePort, startServer, stopAll, writeSecrets, randomSecret } from './support/harness';
import { expectBoundedFlood, servedMetricsAt, underFlood } from './support/metrics';
import { mysqlQuery } from './support/mysql';
import { copiesDiffering, secretReaders } from './support/secret-readers';
import { ENTRYPOINT, fetchInsecure, startEntrypoint, startWordpress, WordpressSite } from './support/wordpress';

let site: WordpressSite;

beforeAll(async () => { site = await startWordpress(); });
afterAll(stopAll);

function sql(query: string): string {
  return mysqlQuery(site.db, site.db.user, site.db.password, query, site.db.database);
}

/** What an unwanted re-installation would change: users, their password hashes, site options, posts. */
function snapshot(): string {
  return [
    sql('SELECT ID, user_login, user_pass, user_registered FROM wp_users ORDER BY ID'),
    sql("SELECT option_name, option_value FROM wp_options WHERE option_name IN ('siteurl', 'home', 'blogname', 'admin_email') ORDER BY option_name"),
    sql('SELECT ID, post_date FROM wp_posts ORDER BY ID'),
  ].join('\n');
}

test('S5 the home page serves the site title over TLS on the WordPress port', async () => {
  const result = await probeWordpressHome(site.baseUrl, site.title);
  expect(result).toMatchObject({ ok: true });
});

test('S5 the site is installed with one administrator and at least two other users of different roles', () => {
  const roles = sql("SELECT u.user_login, m.meta_value FROM wp_users u JOIN wp_usermeta m ON m.user_id = u.ID AND m.meta_key = 'wp_capabilities' ORDER BY u.ID")
    .trim().split('\n').map((line) => line.split('\t'))
    .map(([login, caps]) => [login, Object.keys(unserializeRoles(caps))] as const);
  expect(roles).toEqual(site.users.map((user) => [user.login, [user.role]]));
  const others = new Set(site.users.slice(1).map((user) => user.role));
  expect(roles.filter(([, r]) => r.includes('administrator'))).toHaveLength(1);
  expect(others.size).toBeGreaterThanOrEqual(2);
  expect(others.has('administrator')).toBe(false);
});

test('S5 every configured user logs in through wp-login.php with the password from its secret and has its role', async () => {
  for (const user of site.users) {
    const result = await probeWordpressUser(site.baseUrl, user.login, user.password, user.role);
    expect(result).toMatchObject({ ok: true });
  }
});

test('S5 a wrong password is refused', async () => {
  await expect(wordpressLogin(site.baseUrl, site.users[1].login, `${site.users[1].password}x`)).rejects.toThrow(/refused/);
});

test('K1 /healthz.php answers 200 through nginx and php-fpm', async () => {
  const reply = await fetchInsecure(`${site.baseUrl}/healthz.php`);
  expect(reply).toMatchObject({ status: 200, body: 'ok\n' });
});

test('K2 wp-config.php is never served', async () => {
  const reply = await fetchInsecure(`${site.baseUrl}/wp-config.php`);
  expect(reply.status).toBe(403);
});

test('B15 php-fpm\'s user reads its own copies of the database password and the salts; nginx\'s user, the metrics\' and nobody read no Secret', () => {
  const { env } = site;
  const { seen, allowed } = secretReaders('wordpress', { env, users: [env.NGINX_USER, env.PHP_FPM_USER, env.METRICS_USER, 'nobody'], readerUsers: { daemon: env.PHP_FPM_USER } });
  expect(seen[env.PHP_FPM_USER]).toEqual(['daemon/mysql-wordpress/password', 'daemon/wordpress-keys/salt']);
  expect(seen).toEqual(allowed);
  expect(copiesDiffering(env)).toEqual([]);
});

describe('B11 WordPress gives away nothing to anonymous clients', () => {
  const get = (pathAndQuery: string, headers: Record<string, string> = {}) => httpRequest(`${site.baseUrl}${pathAndQuery}`, { insecure: true, headers });
  const logins = () => site.users.map((user) => user.login);
  /** The logins `body` gives away: in an author link, a REST user object, or as a page's text. */
  const namesNoUser = (body: string) => logins().filter((login) =>
    [`/author/${login}`, `"slug":"${login}"`, `"name":"${login}"`, `>${login}<`].some((leak) => body.includes(leak)));

  /** The error box wp-login.php shows after posting `form` (login or lost password). */
  async function loginError(action: string, form: Record<string, string>): Promise<string> {
    const reply = await httpRequest(`${site.baseUrl}/wp-login.php${action}`, {
      insecure: true, method: 'POST', body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    });
    const box = /<div id="login_error"[^>]*>([\s\S]*?)<\/div>/.exec(reply.body);
    return box ? box[1].replace(/<[^>]+>/g, '').trim() : `no error box (HTTP ${reply.status})`;
  }

  test('B11 /?author=N is not found: no redirect to /author/<login>/, no name', async () => {
    for (let id = 1; id <= site.users.length; id++) {
      const reply = await get(`/?author=${id}`);
      expect({ id, status: reply.status, location: reply.headers.location, names: namesNoUser(reply.body) }).toEqual({ id, status: 404, location: undefined, names: [] });
    }
  });

  test('B11 the REST API lists no user to an anonymous client (/wp/v2/users, also through ?rest_route=)', async () => {
    for (const route of ['/?rest_route=/wp/v2/users', '/?rest_route=/wp/v2/users/1', '/?rest_route=/wp/v2/users&search=chief']) {
      const reply = await get(route);
      expect({ route, status: reply.status, names: namesNoUser(reply.body) }).toEqual({ route, status: 404, names: [] });
    }
  });

  test('B11 a failed login says the same for a known user with a wrong password and for an unknown user', async () => {
    const known = await loginError('', { log: site.users[1].login, pwd: 'wrong password', 'wp-submit': 'Log In' });
    const unknown = await loginError('', { log: 'no-such-user', pwd: 'wrong password', 'wp-submit': 'Log In' });
    expect(known).toBe(unknown);
    expect(known).toMatch(/wrong/);
    expect(namesNoUser(known)).toEqual([]);
  });

  test('B11 the lost-password form says the same for a known and an unknown user', async () => {
    const known = await loginError('?action=lostpassword', { user_login: site.users[1].login });
    const unknown = await loginError('?action=lostpassword', { user_login: 'no-such-user' });
    expect(known).toBe(unknown);
    expect(known).not.toMatch(/^no error box/);
  });

  test('B11 XML-RPC is off', async () => {
    const reply = await httpRequest(`${site.baseUrl}/xmlrpc.php`, { insecure: true, method: 'POST', body: '<?xml version="1.0"?><methodCall><methodName>system.listMethods</methodName></methodCall>' });
    expect(reply.status).toBe(404);
    expect((await get('/')).headers['x-pingback']).toBeUndefined();
  });

  test('B11 links and redirects come from WORDPRESS_URL, whatever Host the request names', async () => {
    for (const page of ['/', '/?p=1', '/wp-login.php', '/wp-admin/']) {
      const reply = await get(page, { host: 'evil.example' });
      expect({ page, status: reply.status, location: reply.headers.location, body: reply.body.includes('evil.example') })
        .toEqual({ page, status: 301, location: `${site.env.WORDPRESS_URL}${page}`, body: false });
    }
    const home = await get('/');
    expect(home.body).toContain(`${site.env.WORDPRESS_URL}/`);
  });

  test('B11 no page tells the WordPress version: no generator tag, no ?ver=<version>, no readme.html', async () => {
    const version = /\$wp_version = '([^']+)'/.exec(fs.readFileSync(path.join(site.env.WORDPRESS_ROOT, 'wp-includes', 'version.php'), 'utf8'))![1];
    for (const page of ['/', '/wp-login.php', '/?feed=rss2']) {
      const reply = await get(page);
      const around = (pattern: RegExp) => new RegExp(`.{0,40}${pattern.source}.{0,40}`, 'i').exec(reply.body)?.[0] ?? null;
      expect({ page, generator: around(/name=.generator|<generator>/), version: around(new RegExp(version.replace(/\./g, '\\.'))) }).toEqual({ page, generator: null, version: null });
    }
    expect((await get('/readme.html')).status).toBe(404);
  });
});

test('S5 a second start installs nothing again and changes nothing', async () => {
  const before = snapshot();
  await site.server.stop();
  fs.writeFileSync(path.join(site.dir, 'wordpress-again.log'), '');
  site.server = await startEntrypoint(site, 'wordpress-again');
  expect(site.server.log()).toContain('site already installed, not installing again');
  expect(site.server.log()).not.toContain('added user');
  expect(snapshot()).toBe(before);
});

test('S5 a user of WORDPRESS_USERS missing from the database is added at the next start, with its role', async () => {
  const newcomer = { login: 'helper', role: 'contributor', email: 'helper@example.test', password: randomSecret() };
  writeSecrets(site.env.SECRETS_DIR, { 'wordpress-users': { [newcomer.login]: newcomer.password } });
  site.env.WORDPRESS_USERS += ` ${newcomer.login}:${newcomer.role}:${newcomer.email}`;
  await site.server.stop();
  site.server = await startEntrypoint(site, 'wordpress-newcomer');
  expect(site.server.log()).toContain(`added user ${newcomer.login} (${newcomer.role})`);
  expect(await wordpressLogin(site.baseUrl, newcomer.login, newcomer.password)).toEqual([newcomer.role]);
  expect(await wordpressLogin(site.baseUrl, site.users[0].login, site.users[0].password)).toEqual(['administrator']);
});

test('B10 the metrics port serves nginx\'s and php-fpm\'s metrics, exactly what its module declares for wordpress, and the requests count up in both', async () => {
  const served = await servedMetricsAt(site.env.METRICS_LISTEN, 'wordpress');
  for (let i = 0; i < 3; i++) await fetchInsecure(`${site.baseUrl}/`);
  const after = await servedMetricsAt(site.env.METRICS_LISTEN, 'wordpress');
  for (const counted of [PHP_FPM_METRICS.accepted.name, NGINX_METRICS.requests.name]) {
    expect({ counted, added: after.get(counted)!.value - served.get(counted)!.value >= 3 }).toEqual({ counted, added: true });
  }
  // A worker answers php-fpm's status page itself, so the pool reports at least that one busy.
  expect(after.get(PHP_FPM_METRICS.active.name)!.value).toBeGreaterThanOrEqual(1);
});

test('S11 when php-fpm dies, the container\'s init exits non-zero (so Kubernetes restarts it)', async () => {
  const { status, alsoStopped } = await crashChild(site.server, 'php-fpm');
  expect(status).not.toBe(0);
  expect(alsoStopped).toContain('nginx');
});

test('S5 the first boot waits for the database, then exits non-zero when it never comes', async () => {
  const closed = await freePort();
  const started = Date.now();
  const server = startServer({
    name: 'wordpress-no-db', ...asContainer('wordpress', 'sh', [ENTRYPOINT]),
    env: { ...site.env, WORDPRESS_DB_HOST: `127.0.0.1:${closed}`, WORDPRESS_DB_WAIT_SECONDS: '4', NGINX_CONF_DIR: path.join(site.dir, 'nginx-no-db') },
    logFile: path.join(site.dir, 'wordpress-no-db.log'),
  });
  const status = await server.waitForExit(30000);
  expect(status).not.toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  expect(server.log()).toContain('waiting for the database');
  expect(server.log()).toContain(`database 127.0.0.1:${closed} not reachable`);
});

/** The role names of a PHP-serialized `wp_capabilities` array, e.g. a:1:{s:6:"editor";b:1;}. */
function unserializeRoles(serialized: string): Record<string, boolean> {
  const roles: Record<string, boolean> = {};
  for (const match of serialized.matchAll(/s:\d+:"([^"]+)";b:1;/g)) roles[match[1]] = true;
  return roles;
}

test('B15 a flood of the metrics port (100 at once for 20 s) leaves WordPress\'s pages answering, the container running', async () => {
  // A site of its own (the tests above crash this file's), with the collectors' tests' reuse time 0:
  // the collector runs back to back, one at a time, the most a flood can make of it.
  const flooded = await startWordpress('wordpress-flood');
  const figures = await underFlood(`http://${flooded.env.METRICS_LISTEN}/cgi-bin/metrics`, flooded.server.pid, async () => {
    const reply = await fetchInsecure(`${flooded.baseUrl}/`);
    if (reply.status !== 200) throw new Error(`home page: ${reply.status}`);
  });
  expect(flooded.server.running).toBe(true);
  expectBoundedFlood(figures, 1500);
}, 150000);
