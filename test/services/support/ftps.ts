/**
 * The ftps image's entrypoint, vsftpd.conf and healthcheck (srcs/ftps/) run by Debian's vsftpd on
 * loopback (B5). A local account is what vsftpd logs in (through PAM); the image's entrypoint
 * creates it with BusyBox adduser, which Debian does not have, so the test creates it the Debian way.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Capability } from '../../../lib/capabilities';
import { asContainer, FRESH_METRICS, HOST_METRICS_USER, chartEnvironment, IMAGE_PATH, freePort, haveCommand, makeTlsPair, randomSecret, scratchDir, Server, SRCS, startServer, waitFor, WaitingIsFutile, writeSecrets } from './harness';

export const FTPS_USER = 'ftpstest';
export const FTPS_ENTRYPOINT = path.join(SRCS, 'ftps', 'entrypoint.sh');

/** A scratch folder with the ftps-user and tls Secrets, and the host account, for one test file. */
export interface FtpsSetup {
  readonly dir: string;
  readonly secrets: string;
  readonly password: string;
}

export interface Ftps {
  readonly server: Server;
  readonly env: Record<string, string>;
  readonly port: number;
}

export function ftpsHealthcheck(port: number): number | null {
  return spawnSync('sh', [path.join(SRCS, 'ftps', 'healthcheck.sh')], { env: { ...process.env, FTPS_LISTEN_PORT: String(port) }, timeout: 15000 }).status;
}

/** Prepares the Secrets, the host account and our PAM service file (vsftpd runs nothing yet). */
export function prepareFtps(name = 'ftps'): FtpsSetup {
  for (const command of ['vsftpd', 'openssl', 'useradd', 'usermod']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install vsftpd and openssl (.ci/install-host-packages)`);
  }
  const dir = scratchDir(name);
  const password = randomSecret();
  const secrets = writeSecrets(path.join(dir, 'secrets'), { 'ftps-user': { password } });
  makeTlsPair(path.join(secrets, 'tls'));
  const home = path.join(dir, 'home');
  const exists = spawnSync('id', [FTPS_USER]).status === 0;
  const account = spawnSync(exists ? 'usermod' : 'useradd', exists ? ['-d', home, FTPS_USER] : ['-M', '-d', home, '-s', '/usr/sbin/nologin', FTPS_USER], { encoding: 'utf8' });
  if (account.status !== 0) throw new Error(`cannot prepare user ${FTPS_USER}: ${account.stderr}`);
  // Our PAM service file, where the image installs it (PAM reads services from /etc/pam.d only).
  fs.copyFileSync(path.join(SRCS, 'ftps', 'pam-ft-services-ftps'), '/etc/pam.d/ft-services-ftps');
  return { dir, secrets, password };
}

/**
 * The environment the ftps pod gets from the chart (configured with this test's user), its
 * addresses and ports moved to free loopback ones and its paths into `setup`'s scratch folder.
 */
export async function ftpsEnv(setup: FtpsSetup, name: string, pasvAddress = '127.0.0.1'): Promise<Record<string, string>> {
  const pasvMin = await freePort();
  return chartEnvironment('ftps', {
    config: { ftps: { user: FTPS_USER } },
    standIns: {
      FTPS_LISTEN_PORT: String(await freePort()),
      FTPS_PASV_ADDRESS: pasvAddress,
      // A small range next to a free port: enough for these tests, each connection takes one.
      FTPS_PASV_MIN_PORT: String(pasvMin),
      FTPS_PASV_MAX_PORT: String(pasvMin + 3),
      METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
      ...FRESH_METRICS,
    },
    hostOnly: {
      FTPS_LISTEN_ADDRESS: '127.0.0.1',
      FTPS_HOME: path.join(setup.dir, 'home'),
      FTPS_CONF_DIR: path.join(setup.dir, name, 'conf'),
      FTPS_EMPTY_DIR: path.join(setup.dir, 'empty'),
      FTPS_RUN_DIR: path.join(setup.dir, name, 'run'),
      METRICS_ROOT: path.join(setup.dir, name, 'metrics'),
      ...HOST_METRICS_USER,
      FT_SHARE: SRCS,
      SECRETS_DIR: setup.secrets,
      // The image has srcs/ftps/'s commands in /usr/local/bin too.
      PATH: `${path.join(SRCS, 'ftps')}:${IMAGE_PATH}`,
    },
  });
}

/** Starts the entrypoint, its environment changed by `overrides`, and waits until the healthcheck passes. */
export async function startFtps(setup: FtpsSetup, name: string, pasvAddress = '127.0.0.1', overrides: Readonly<Record<string, string>> = {}, without: readonly Capability[] = []): Promise<Ftps> {
  const env = { ...await ftpsEnv(setup, name, pasvAddress), ...overrides };
  const port = Number(env.FTPS_LISTEN_PORT);
  const server = startServer({ name, ...asContainer('ftps', 'sh', [FTPS_ENTRYPOINT], without), env, logFile: path.join(setup.dir, `${name}.log`) });
  await waitFor(`${name} healthcheck`, () => {
    if (!server.running) throw new WaitingIsFutile(`${name} exited:\n${server.log()}`);
    return ftpsHealthcheck(port) === 0;
  }, 20000).catch((error: Error) => { throw new Error(`${error.message}\n${server.log()}`); });
  return { server, env, port };
}
