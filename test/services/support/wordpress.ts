/**
 * Our WordPress image's entrypoint (srcs/wordpress/ + srcs/common/) run by Debian's nginx, php-fpm
 * and wordpress packages on loopback, on a scratch MySQL from our mysql entrypoint (B5).
 *
 * Debian differences, all outside our files: the WordPress code is Debian's package copied with
 * `cp -rL` (it holds relative symlinks, and PHP resolves symlinks in `__DIR__`, so our
 * wp-config.php is copied next to it as the Dockerfile does); nginx workers and php-fpm run as
 * www-data; php-fpm is Debian's versioned binary (`debianPhpFpm`).
 */
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { Capability } from '../../../lib/capabilities';
import { asContainer, debianPhpFpm, freePort, haveCommand, makeTlsPair, randomSecret, run, scratchDir, Server, SRCS, startServer, waitFor, WaitingIsFutile, writeSecrets } from './harness';
import { nginxPhpFpmEnvironment } from './nginx-php-fpm';
import { MysqlDatabase, startScratchMysql } from './mysql';

export const DEBIAN_WORDPRESS = '/usr/share/wordpress';

export interface WordpressUser {
  readonly login: string;
  readonly role: string;
  readonly email: string;
  readonly password: string;
}

export interface WordpressSite {
  readonly dir: string;
  readonly baseUrl: string;
  readonly port: number;
  readonly title: string;
  readonly users: WordpressUser[];
  readonly db: MysqlDatabase;
  /** The environment of the entrypoint (the chart's env plus the Debian/scratch overrides). */
  readonly env: Record<string, string>;
  server: Server;
}

/** Fails with a clear message when a Debian package the test needs is missing (CI installs them). */
export function requireWordpressPackages(): void {
  for (const command of ['nginx', 'php', 'openssl']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install nginx, php-fpm, php-mysql and php (.ci/install-host-packages)`);
  }
  debianPhpFpm();
  if (!fs.existsSync(path.join(DEBIAN_WORDPRESS, 'wp-settings.php'))) {
    throw new Error(`${DEBIAN_WORDPRESS} missing: install wordpress and wordpress-theme-twentytwentythree (.ci/install-host-packages)`);
  }
}

export const ENTRYPOINT = path.join(SRCS, 'wordpress', 'entrypoint.sh');

/** How long a first boot may take: it installs the site, a minute and more on a busy machine. */
const FIRST_BOOT_MS = 180000;

/**
 * Starts (or restarts) the entrypoint of `site` and waits until /healthz.php answers over TLS,
 * for at most `allowanceMs`.
 */
export async function startEntrypoint(site: Omit<WordpressSite, 'server'>, name = 'wordpress', without: readonly Capability[] = [], allowanceMs = FIRST_BOOT_MS): Promise<Server> {
  const server = startServer({ name, ...asContainer('wordpress', 'sh', [ENTRYPOINT], without), env: site.env, logFile: path.join(site.dir, `${name}.log`) });
  await waitFor(`${name} /healthz.php`, async () => {
    if (!server.running) throw new WaitingIsFutile(`${name} exited`);
    const reply = await fetchInsecure(`${site.baseUrl}/healthz.php`);
    return reply.status === 200;
  }, allowanceMs).catch((error: Error) => { throw new Error(`${error.message}\n--- ${name} log ---\n${server.log()}`); });
  return server;
}

/** A plain HTTPS GET that accepts the self-signed certificate. */
export async function fetchInsecure(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { headers, rejectUnauthorized: false, timeout: 10000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Prepares and starts a WordPress site: 1 administrator and 3 users of other roles; see startEntrypoint. */
export async function startWordpress(name = 'wordpress', without: readonly Capability[] = [], allowanceMs = FIRST_BOOT_MS): Promise<WordpressSite> {
  requireWordpressPackages();
  const db = await startScratchMysql(`${name}-mysql`);
  const dir = scratchDir(name);
  const root = path.join(dir, 'root');
  run('cp', ['-rL', DEBIAN_WORDPRESS, root]);
  fs.copyFileSync(path.join(SRCS, 'wordpress', 'wp-config.php'), path.join(root, 'wp-config.php'));
  fs.mkdirSync(path.join(root, 'wp-content', 'mu-plugins'), { recursive: true });
  fs.copyFileSync(path.join(SRCS, 'wordpress', 'ft-services-hardening.php'), path.join(root, 'wp-content', 'mu-plugins', 'ft-services-hardening.php'));

  const users: WordpressUser[] = [
    { login: 'chief', role: 'administrator', email: 'chief@example.test', password: randomSecret() },
    { login: 'writer', role: 'editor', email: 'writer@example.test', password: randomSecret() },
    { login: 'author', role: 'author', email: 'author@example.test', password: randomSecret() },
    { login: 'reader', role: 'subscriber', email: 'reader@example.test', password: randomSecret() },
  ];
  const secrets = writeSecrets(path.join(dir, 'secrets'), {
    'wordpress-users': Object.fromEntries(users.map((user) => [user.login, user.password])),
    'mysql-wordpress': { password: db.password },
    'wordpress-keys': { salt: randomSecret(32) },
  });
  makeTlsPair(path.join(secrets, 'tls'));

  const port = await freePort();
  const baseUrl = `https://127.0.0.1:${port}`;
  const title = `ft_services test site ${randomSecret(4)}`;
  const env: Record<string, string> = {
    // The chart's environment (lib/services/wordpress.ts).
    WORDPRESS_DB_HOST: `${db.host}:${db.port}`,
    WORDPRESS_DB_NAME: db.database,
    WORDPRESS_DB_USER: db.user,
    WORDPRESS_TITLE: title,
    WORDPRESS_URL: baseUrl,
    WORDPRESS_USERS: users.map((user) => `${user.login}:${user.role}:${user.email}`).join(' '),
    ...await nginxPhpFpmEnvironment('wordpress', dir),
    WORDPRESS_ROOT: root,
    WORDPRESS_LISTEN: `127.0.0.1:${port}`,
    SECRETS_DIR: secrets,
  };
  const site = { dir, baseUrl, port, title, users, db, env };
  return { ...site, server: await startEntrypoint(site, name, without, allowanceMs) };
}
