/**
 * The nginx container (S7): our entrypoint, templates, run-together and healthcheck, run by
 * Debian's nginx and sshd on loopback (B5). A small HTTPS server stands in for phpMyAdmin and
 * records what the reverse proxy sends it (the real phpMyAdmin behind this proxy is in
 * phpmyadmin.test.ts).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { httpRedirect, httpRequest, httpsPage, tlsHandshake } from '../../lib/probes/http';
import { ProbeResult } from '../../lib/probes/probe';
import { NGINX_METRICS } from '../../lib/monitoring/nginx-php-fpm';
import { servedMetricsAt } from './support/metrics';
import { Client } from 'ssh2';
import { sshLogin, sshLoginRefused, sshRun } from '../../lib/probes/ssh';
import { asContainer, childPids, crashChild, freePort, makeTlsPair, run, scratchDir, startServer, stopAll } from './support/harness';
import { secretReaders } from './support/secret-readers';
import { createSshUser, NGINX_ENTRYPOINT, NginxContainer, nginxHealthcheck, removeUser, startNginxContainer } from './support/nginx';

function expectOk(result: ProbeResult): void {
  expect({ ok: result.ok, title: result.title, detail: result.detail }).toEqual({ ok: true, title: result.title, detail: result.detail });
}

interface SeenRequest {
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

const seen: SeenRequest[] = [];
let backend: https.Server;
let backendPort: number;
let nginx: NginxContainer;
const users: string[] = [];

beforeAll(async () => {
  const tlsDir = path.join(scratchDir('nginx-backend'), 'tls');
  const pair = makeTlsPair(tlsDir);
  backendPort = await freePort();
  backend = https.createServer({ cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) }, (req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'text/plain');
    res.end(`phpmyadmin stand-in saw ${req.url}`);
  });
  await new Promise<void>((resolve) => backend.listen(backendPort, '127.0.0.1', resolve));
  users.push(createSshUser());
  nginx = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}`, wordpressPortSuffix: ':5050' }, users[0]);
});

afterAll(async () => {
  await stopAll();
  await new Promise((resolve) => backend?.close(resolve));
  users.forEach(removeUser);
});

test('B15 no user but root reads a Secret: the SSH user, nginx\'s workers\' user and nobody read none', () => {
  const { env } = nginx;
  const { seen, allowed } = secretReaders('nginx', { env, users: [env.SSH_USER, env.NGINX_USER, env.METRICS_USER ?? 'nobody', 'nobody'] });
  expect(Object.values(allowed).flat()).toEqual([]);
  expect(seen).toEqual(allowed);
});

test('S7 http answers 301 to https with the same host, path and query', async () => {
  expectOk(await httpRedirect('S7', `http://127.0.0.1:${nginx.httpPort}/some/path?x=1&y=two`, 301,
    `https://127.0.0.1:${nginx.httpsPort}/some/path?x=1&y=two`));
});

test.each([[':8443', 'https://127.0.0.1:8443/p?q=1'], ['', 'https://127.0.0.1/p?q=1']])(
  'S7 B1 the 301 puts the chart\'s HTTPS_PORT_SUFFIX "%s" after the host, not the port nginx listens on', async (suffix, location) => {
    users.push(createSshUser());
    const moved = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}`, httpsPortSuffix: suffix }, users[users.length - 1]);
    expectOk(await httpRedirect('S7', `http://127.0.0.1:${moved.httpPort}/p?q=1`, 301, location));
    await moved.server.stop();
  });

test('S7 the 301 keeps the host name the client asked for (never a fixed address)', async () => {
  const reply = await httpRequest(`http://127.0.0.1:${nginx.httpPort}/a?b=c`, { headers: { host: 'ft.example:8080' } });
  expect(reply.status).toBe(301);
  expect(reply.headers.location).toBe(`https://ft.example:${nginx.httpsPort}/a?b=c`);
});

test('S7 https serves the index page with the certificate from the tls Secret (verified)', async () => {
  expectOk(await tlsHandshake('S7', '127.0.0.1', nginx.httpsPort, { ca: nginx.cert }));
  expectOk(await httpsPage('S7', `https://127.0.0.1:${nginx.httpsPort}/`, ['<title>ft_services</title>', 'href="/phpmyadmin/"', 'href="/wordpress"'], { ca: nginx.cert }));
});

test('S7 /wordpress answers 307 to https on WORDPRESS_PORT_SUFFIX of the host the client asked for', async () => {
  expectOk(await httpRedirect('S7', `https://127.0.0.1:${nginx.httpsPort}/wordpress`, 307, 'https://127.0.0.1:5050/', { insecure: true }));
  const reply = await httpRequest(`https://127.0.0.1:${nginx.httpsPort}/wordpress`, { insecure: true, headers: { host: '192.0.2.10' } });
  expect([reply.status, reply.headers.location]).toEqual([307, 'https://192.0.2.10:5050/']);
});

test('S7 /wordpress/<anything> answers the same 307, while /wordpressfoo is not redirected', async () => {
  expectOk(await httpRedirect('S7', `https://127.0.0.1:${nginx.httpsPort}/wordpress/wp-login.php?x=1`, 307, 'https://127.0.0.1:5050/', { insecure: true }));
  const other = await httpRequest(`https://127.0.0.1:${nginx.httpsPort}/wordpressfoo`, { insecure: true });
  expect(other.status).toBe(404);
});

test('S7 /phpmyadmin without the slash redirects to /phpmyadmin/ (query kept)', async () => {
  expectOk(await httpRedirect('S7', `https://127.0.0.1:${nginx.httpsPort}/phpmyadmin?lang=en`, 301, '/phpmyadmin/?lang=en', { insecure: true }));
});

test('S7 /phpmyadmin/ is proxied to PHPMYADMIN_URL without the prefix, with X-Forwarded-Proto/Host/Prefix', async () => {
  seen.length = 0;
  const reply = await httpRequest(`https://127.0.0.1:${nginx.httpsPort}/phpmyadmin/index.php?route=/&x=1`, { insecure: true });
  expect(reply.status).toBe(200);
  expect(reply.body).toBe('phpmyadmin stand-in saw /index.php?route=/&x=1');
  expect(seen).toHaveLength(1);
  expect(seen[0].headers).toMatchObject({
    'x-forwarded-proto': 'https',
    'x-forwarded-host': `127.0.0.1:${nginx.httpsPort}`,
    'x-forwarded-prefix': '/phpmyadmin',
    'x-forwarded-for': '127.0.0.1',
  });
});

test('S7 ssh logs in as SSH_USER with the password from the ssh-user Secret', async () => {
  expectOk(await sshLogin('S7', '127.0.0.1', nginx.sshPort, nginx.sshUser, nginx.sshPassword));
});

test('S7 ssh refuses a wrong password and refuses root', async () => {
  expectOk(await sshLoginRefused('S7', '127.0.0.1', nginx.sshPort, nginx.sshUser, `${nginx.sshPassword}x`));
  expectOk(await sshLoginRefused('S7', '127.0.0.1', nginx.sshPort, 'root', nginx.sshPassword));
});

/** What the SSH user gets when it downloads `file` over sftp: its content, or the server's refusal. */
function sftpDownload(container: NginxContainer, file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('ready', () => client.sftp((error, sftp) => {
      if (error) { client.end(); reject(error); return; }
      sftp.readFile(file, (readError, data) => {
        client.end();
        resolve(readError ? `refused: ${readError.message}` : data.toString('utf8'));
      });
    }));
    client.on('error', reject);
    client.connect({ host: '127.0.0.1', port: container.sshPort, username: container.sshUser, password: container.sshPassword, agent: undefined, tryKeyboard: false });
  });
}

test('B11 the SSH user sees the secrets folder but can read no file in it (shell and sftp), while nginx serves TLS with them', async () => {
  const secrets = path.join(nginx.dir, 'secrets');
  const listing = await sshRun('127.0.0.1', nginx.sshPort, nginx.sshUser, nginx.sshPassword,
    `for f in $(find '${secrets}' -type f | sort); do if cat "$f" >/dev/null 2>&1; then echo "readable $f"; else echo "unreadable $f"; fi; done`);
  expect(listing.stdout.trim().split('\n')).toEqual(['ssh-user/password', 'tls/tls.crt', 'tls/tls.key'].map((file) => `unreadable ${secrets}/${file}`));
  expect(await sftpDownload(nginx, `${secrets}/tls/tls.key`)).toMatch(/^refused: Permission denied/);
  expect(await sftpDownload(nginx, `${secrets}/ssh-user/password`)).toMatch(/^refused: Permission denied/);
  expectOk(await tlsHandshake('S7', '127.0.0.1', nginx.httpsPort, { ca: nginx.cert }));
});

test.each([
  ['daemon', 'is a system account of this image (uid 1)'],
  ['users', 'is the name of a group of this image'],
])('B11 SSH_USER=%s (an account or group of the image) stops the entrypoint with a clear message', async (name, reason) => {
  const server = startServer({ name: `nginx-${name}`, ...asContainer('nginx', 'sh', [NGINX_ENTRYPOINT]), env: { ...nginx.env, SSH_USER: name }, logFile: path.join(nginx.dir, `user-${name}.log`) });
  expect(await server.waitForExit(15000)).toBe(1);
  expect(server.log()).toBe(`check-login-name: SSH_USER '${name}' ${reason}; choose another name\n`);
});

test('B10 the metrics port serves nginx\'s metrics, exactly what its module declares for nginx, and the requests count up', async () => {
  const served = await servedMetricsAt(nginx.env.METRICS_LISTEN, 'nginx');
  for (let i = 0; i < 3; i++) await httpRequest(`https://127.0.0.1:${nginx.httpsPort}/`, { ca: nginx.cert });
  const requests = NGINX_METRICS.requests.name;
  // The three pages and the second scrape.
  expect((await servedMetricsAt(nginx.env.METRICS_LISTEN, 'nginx')).get(requests)!.value - served.get(requests)!.value).toBe(4);
});

test('K1 healthcheck passes while nginx answers https and sshd greets', () => {
  expect(nginxHealthcheck(nginx)).toEqual({ status: 0, output: '' });
});

test('K1 healthcheck fails when nothing answers https', async () => {
  const result = nginxHealthcheck(nginx, { NGINX_HTTPS_LISTEN: `127.0.0.1:${await freePort()}` });
  expect(result.status).toBe(1);
  expect(result.output).toContain('nginx does not answer');
});

test('K1 healthcheck fails when the SSH port answers but is not sshd', () => {
  // nginx's port 80 accepts the connection but sends no SSH banner: an open port is not enough.
  const result = nginxHealthcheck(nginx, { SSH_LISTEN: `127.0.0.1:${nginx.httpPort}` });
  expect(result.status).toBe(1);
  expect(result.output).toContain('sshd does not greet');
});

describe('with a host key from the ssh-host-keys Secret', () => {
  let keyed: NginxContainer;
  let fingerprint: string;

  beforeAll(async () => {
    const dir = scratchDir('ssh-host-key');
    const key = path.join(dir, 'key');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', key]);
    const blob = Buffer.from(fs.readFileSync(`${key}.pub`, 'utf8').split(' ')[1], 'base64');
    fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    users.push(createSshUser());
    keyed = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}`, hostKey: fs.readFileSync(key, 'utf8') }, users[users.length - 1]);
  });

  test('S7 sshd presents the host key from the Secret (its file is copied with mode 0600)', async () => {
    const result = await sshRun('127.0.0.1', keyed.sshPort, keyed.sshUser, keyed.sshPassword, 'true');
    expect(result.hostKey).toBe(fingerprint);
    expect(fs.statSync(path.join(keyed.dir, 'ssh', 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
  });

  test('S11 killing nginx stops sshd and the container exits non-zero', async () => {
    const { status, alsoStopped } = await crashChild(keyed.server, 'nginx');
    expect(status).not.toBe(0);
    // socat: serve-metrics (exec).
    expect(alsoStopped).toEqual(expect.arrayContaining(['sshd', 'socat']));
  });
});

describe('without an ssh-host-keys Secret', () => {
  test('S7 a host key is generated on the first start and kept across a restart', async () => {
    users.push(createSshUser());
    const first = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}` }, users[users.length - 1]);
    const before = (await sshRun('127.0.0.1', first.sshPort, first.sshUser, first.sshPassword, 'true')).hostKey;
    expect(first.server.log()).toContain('generated an SSH host key');
    await first.server.stop();
    const again = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}`, reuse: first }, first.sshUser);
    expect((await sshRun('127.0.0.1', again.sshPort, again.sshUser, again.sshPassword, 'true')).hostKey).toBe(before);
  });

  test('S11 killing sshd stops nginx and the container exits non-zero; TERM stops it cleanly', async () => {
    users.push(createSshUser());
    const victim = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}` }, users[users.length - 1]);
    const { status, alsoStopped } = await crashChild(victim.server, 'sshd');
    expect(status).not.toBe(0);
    expect(alsoStopped).toContain('nginx');

    const stopped = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${backendPort}`, reuse: victim }, victim.sshUser);
    const running = childPids(stopped.server.pid);
    expect(running.has('nginx') && running.has('sshd') && running.has('socat')).toBe(true);
    process.kill(stopped.server.pid, 'SIGTERM');
    expect(await stopped.server.waitForExit(15000)).toBe(0);
    for (const pid of running.values()) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });
});
