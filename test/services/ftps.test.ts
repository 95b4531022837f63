/**
 * The ftps image's entrypoint, vsftpd.conf and healthcheck (srcs/ftps/) run by Debian's vsftpd on
 * loopback (B5), checked with the probes `./setup.sh check` uses.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { connectFtps, downloadText, passiveReply, probeFtpsPassiveAddress, probeFtpsPlainLoginRefused, probeFtpsTransfer, uploadText } from '../../lib/probes/ftps';
import { IMAGE_PATH, freePort, haveCommand, makeTlsPair, randomSecret, scratchDir, Server, SRCS, startServer, stopAll, waitFor, writeSecrets } from './support/harness';

/** A local account is what vsftpd logs in (through PAM); the image's entrypoint creates it with
 * BusyBox adduser, which Debian does not have, so the test creates it the Debian way. */
const USER = 'ftpstest';

interface Ftps {
  readonly server: Server;
  readonly env: Record<string, string>;
  readonly port: number;
}

let dir: string;
let secrets: string;
let password: string;

function healthcheck(port: number): number | null {
  return spawnSync('sh', [path.join(SRCS, 'ftps', 'healthcheck.sh')], { env: { ...process.env, FTPS_PORT: String(port) }, timeout: 15000 }).status;
}

async function startFtps(name: string, pasvAddress = '127.0.0.1'): Promise<Ftps> {
  const port = await freePort();
  const pasvMin = await freePort();
  const env = {
    FTPS_USER: USER,
    FTPS_PASV_ADDRESS: pasvAddress,
    // A small range next to a free port: enough for these tests, each connection takes one.
    FTPS_PASV_MIN_PORT: String(pasvMin),
    FTPS_PASV_MAX_PORT: String(pasvMin + 3),
    FTPS_PORT: String(port),
    FTPS_LISTEN_ADDRESS: '127.0.0.1',
    FTPS_HOME: path.join(dir, 'home'),
    FTPS_CONF_DIR: path.join(dir, name, 'conf'),
    FTPS_EMPTY_DIR: path.join(dir, 'empty'),
    FT_SHARE: SRCS,
    SECRETS_DIR: secrets,
    PATH: IMAGE_PATH,
  };
  const server = startServer({ name, command: 'sh', args: [path.join(SRCS, 'ftps', 'entrypoint.sh')], env, logFile: path.join(dir, `${name}.log`) });
  await waitFor(`${name} healthcheck`, () => {
    if (!server.running) throw new Error(`${name} exited:\n${server.log()}`);
    return healthcheck(port) === 0;
  }, 20000).catch((error: Error) => { throw new Error(`${error.message}\n${server.log()}`); });
  return { server, env, port };
}

function endpoint(ftps: Ftps): { host: string; port: number } {
  return { host: '127.0.0.1', port: ftps.port };
}

let ftps: Ftps;

beforeAll(async () => {
  for (const command of ['vsftpd', 'openssl', 'useradd', 'usermod']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install vsftpd and openssl (.ci/install-host-packages)`);
  }
  dir = scratchDir('ftps');
  password = randomSecret();
  secrets = writeSecrets(path.join(dir, 'secrets'), { 'ftps-user': { password } });
  makeTlsPair(path.join(secrets, 'tls'));
  const home = path.join(dir, 'home');
  const exists = spawnSync('id', [USER]).status === 0;
  const account = spawnSync(exists ? 'usermod' : 'useradd', exists ? ['-d', home, USER] : ['-M', '-d', home, '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
  if (account.status !== 0) throw new Error(`cannot prepare user ${USER}: ${account.stderr}`);
  // Our PAM service file, where the image installs it (PAM reads services from /etc/pam.d only).
  fs.copyFileSync(path.join(SRCS, 'ftps', 'pam-ft-services-ftps'), '/etc/pam.d/ft-services-ftps');
  ftps = await startFtps('vsftpd');
});

afterAll(stopAll);

test('S8 upload, listing and download over explicit TLS in passive mode return the same bytes', async () => {
  const result = await probeFtpsTransfer(endpoint(ftps), USER, password);
  expect(result).toMatchObject({ ok: true });
});

test('S8 a plain-text login is refused with 530', async () => {
  const result = await probeFtpsPlainLoginRefused(endpoint(ftps), USER, password);
  expect(result).toMatchObject({ ok: true });
  expect(result.detail).toMatch(/530/);
});

test('K2 the password is the one from the ftps-user secret: another one is refused', async () => {
  await expect(connectFtps(endpoint(ftps), USER, `${password}x`)).rejects.toMatchObject({ code: 530 });
});

test('S8 TLS below 1.2 is refused, TLS 1.2 is accepted', () => {
  const handshake = (version: string, cipher: string) => spawnSync('openssl',
    ['s_client', '-starttls', 'ftp', '-connect', `127.0.0.1:${ftps.port}`, version, '-cipher', cipher], { input: '', encoding: 'utf8', timeout: 15000 });
  // The client side allows TLS 1.1 (security level 0), so only the server can refuse it.
  const old = handshake('-tls1_1', 'DEFAULT:@SECLEVEL=0');
  expect(old.stdout).toMatch(/Cipher is \(NONE\)/);
  const modern = handshake('-tls1_2', 'DEFAULT');
  expect(modern.stdout).toMatch(/Protocol *: TLSv1\.2/);
  expect(modern.stdout).not.toMatch(/Cipher is \(NONE\)/);
});

test('S8 the passive reply advertises FTPS_PASV_ADDRESS and a port of the configured range', async () => {
  // An address that is not the control connection's, so only pasv_address can produce it; the
  // test reads the 227 reply and never connects there.
  const advertised = await startFtps('vsftpd-pasv', '10.11.12.13');
  const min = Number(advertised.env.FTPS_PASV_MIN_PORT);
  const result = await probeFtpsPassiveAddress(endpoint(advertised), USER, password, '10.11.12.13', min, min + 3);
  expect(result).toMatchObject({ ok: true });
  await advertised.server.stop();
});

test('S11 vsftpd itself is the entrypoint\'s process (exec), so its death ends the container', () => {
  expect(fs.readFileSync(`/proc/${ftps.server.pid}/comm`, 'utf8').trim()).toBe('vsftpd');
});

test('S8 files survive a restart of vsftpd; the healthcheck fails while it is down (K1)', async () => {
  const text = `kept across a restart ${randomSecret()}\n`;
  const before = await connectFtps(endpoint(ftps), USER, password);
  await uploadText(before, 'kept.txt', text);
  const pasv = await passiveReply(before);
  expect(pasv.address).toBe('127.0.0.1');
  before.close();

  await ftps.server.stop();
  expect(healthcheck(ftps.port)).not.toBe(0);
  ftps = await startFtps('vsftpd-again');

  const after = await connectFtps(endpoint(ftps), USER, password);
  try {
    expect(await downloadText(after, 'kept.txt')).toBe(text);
  } finally {
    after.close();
  }
  expect(fs.statSync(path.join(dir, 'home', 'kept.txt')).uid).toBe(Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim()));
});
