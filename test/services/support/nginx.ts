/**
 * Our nginx image's entrypoint (srcs/nginx/entrypoint.sh) run with Debian's nginx and sshd on
 * loopback ports (requirement B5): the very templates, entrypoint, run-together and healthcheck
 * the image uses, with the Alpine defaults pointed at a scratch folder.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Capability } from '../../../lib/capabilities';
import { asContainer, HOST_METRICS_ENV, freePort, haveCommand, makeTlsPair, randomSecret, run, scratchDir, Server, SRCS, startServer, waitFor, WaitingIsFutile, writeSecrets } from './harness';
import { busyboxPath } from './metrics';

export const NGINX_ENTRYPOINT = path.join(SRCS, 'nginx', 'entrypoint.sh');
export const NGINX_HEALTHCHECK = path.join(SRCS, 'nginx', 'healthcheck.sh');

/** Fails with a clear message when a Debian package the nginx container's test needs is missing. */
export function requireNginxAndSshd(): void {
  for (const command of ['nginx', '/usr/sbin/sshd', 'ssh-keygen', 'curl', 'openssl', 'useradd', 'userdel', 'chpasswd']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install nginx, openssh-server, curl, openssl, passwd (.ci/install-host-packages)`);
  }
}

export interface NginxOptions {
  /** PHPMYADMIN_URL as the chart sets it. */
  readonly phpMyAdminUrl: string;
  /** WORDPRESS_PORT_SUFFIX as the chart sets it: what the 307 puts after the host. @default ':5050' */
  readonly wordpressPortSuffix?: string;
  /** HTTPS_PORT_SUFFIX as the chart sets it: what the 301 puts after the host. @default `:` and the port nginx listens on */
  readonly httpsPortSuffix?: string;
  /** Mount an ssh-host-keys Secret with this private key (OpenSSH format). */
  readonly hostKey?: string;
  /** Reuse this scratch folder and ports (a restart of the same container). */
  readonly reuse?: NginxContainer;
  /** Capabilities of the chart's list the container runs without (B15). @default none */
  readonly without?: readonly Capability[];
}

export interface NginxContainer {
  readonly dir: string;
  readonly server: Server;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly sshPort: number;
  /** The TLS certificate (PEM) nginx serves. */
  readonly cert: string;
  readonly sshUser: string;
  readonly sshPassword: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A host user for SSH_USER (the entrypoint creates it with busybox's `adduser` in the image; on
 * Debian the test creates it and the entrypoint only sets its password). Removed by `removeUser`.
 */
export function createSshUser(): string {
  const user = `ftn${randomBytes(4).toString('hex')}`;
  run('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', user]);
  return user;
}

export function removeUser(user: string): void {
  spawnSync('userdel', [user]);
}

/** Exit status and output of our healthcheck, with `overrides` on top of the container's env. */
export function nginxHealthcheck(container: NginxContainer, overrides: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync('sh', [NGINX_HEALTHCHECK], { env: { ...process.env, ...container.env, ...overrides }, encoding: 'utf8', timeout: 15000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Starts our nginx container's entrypoint and waits until its healthcheck passes. */
export async function startNginxContainer(options: NginxOptions, sshUser: string): Promise<NginxContainer> {
  requireNginxAndSshd();
  // Debian's sshd needs its compiled-in privilege-separation folder (Alpine's is /var/empty).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const reuse = options.reuse;
  const dir = reuse?.dir ?? scratchDir('nginx');
  const secrets = path.join(dir, 'secrets');
  const cert = reuse?.cert ?? fs.readFileSync(makeTlsPair(path.join(secrets, 'tls')).cert, 'utf8');
  const sshPassword = reuse?.sshPassword ?? `${randomSecret()}:with spaces & 'quotes'`;
  writeSecrets(secrets, { 'ssh-user': { password: sshPassword } });
  if (options.hostKey) writeSecrets(secrets, { 'ssh-host-keys': { ssh_host_ed25519_key: options.hostKey } });
  const httpPort = reuse?.httpPort ?? await freePort();
  const httpsPort = reuse?.httpsPort ?? await freePort();
  const sshPort = reuse?.sshPort ?? await freePort();
  const statusPort = reuse?.env.NGINX_STATUS_PORT ?? String(await freePort());
  const metricsListen = reuse?.env.METRICS_LISTEN ?? `127.0.0.1:${await freePort()}`;
  const env = {
    PATH: busyboxPath(),
    SSH_USER: sshUser,
    WORDPRESS_PORT_SUFFIX: options.wordpressPortSuffix ?? ':5050',
    HTTPS_PORT_SUFFIX: options.httpsPortSuffix ?? `:${httpsPort}`,
    PHPMYADMIN_URL: options.phpMyAdminUrl,
    SECRETS_DIR: secrets,
    NGINX_CONF_DIR: path.join(dir, 'nginx'),
    // Debian has no `nginx` user.
    NGINX_USER: 'www-data',
    NGINX_RUN_DIR: path.join(dir, 'run'),
    NGINX_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
    NGINX_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
    NGINX_STATUS_PORT: statusPort,
    METRICS_LISTEN: metricsListen,
    METRICS_ROOT: path.join(dir, 'metrics'),
    ...HOST_METRICS_ENV,
    SSH_LISTEN: `127.0.0.1:${sshPort}`,
    SSHD_DIR: path.join(dir, 'ssh'),
    WWW_ROOT: path.join(SRCS, 'nginx', 'www'),
    FT_SHARE: SRCS,
  };
  const server = startServer({ name: 'nginx container', ...asContainer('nginx', 'sh', [NGINX_ENTRYPOINT], options.without), env, logFile: path.join(dir, 'nginx.log') });
  const container: NginxContainer = { dir, server, httpPort, httpsPort, sshPort, cert, sshUser, sshPassword, env };
  await waitFor('nginx container healthcheck', () => {
    if (!server.running) throw new WaitingIsFutile('exited');
    return nginxHealthcheck(container).status === 0;
  }, 30000).catch((error: Error) => {
    throw new Error(`${error.message}\n--- nginx container log ---\n${server.log()}`);
  });
  return container;
}
