/**
 * The ftps image's entrypoint, vsftpd.conf and healthcheck (srcs/ftps/) run by Debian's vsftpd on
 * loopback (B5), checked with the probes `./setup.sh check` uses.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { connectFtps, downloadText, passiveReply, probeFtpsPassiveAddress, probeFtpsPlainLoginRefused, probeFtpsTransfer, uploadText } from '../../lib/probes/ftps';
import { asContainer, childPids, crashChild, randomSecret, startServer, stopAll } from './support/harness';
import { secretReaders } from './support/secret-readers';
import { Ftps, FTPS_ENTRYPOINT, ftpsEnv, ftpsHealthcheck, FtpsSetup, FTPS_USER as USER, prepareFtps, startFtps as start } from './support/ftps';

let setup: FtpsSetup;
let password: string;
const healthcheck = ftpsHealthcheck;
const startFtps = (name: string, pasvAddress?: string) => start(setup, name, pasvAddress);

function endpoint(ftps: Ftps): { host: string; port: number } {
  return { host: '127.0.0.1', port: ftps.port };
}

let ftps: Ftps;

beforeAll(async () => {
  setup = prepareFtps();
  password = setup.password;
  ftps = await startFtps('vsftpd');
});

afterAll(stopAll);

test('B15 no user but root reads a Secret: the FTP user, vsftpd\'s unprivileged user and the metrics\' read none', () => {
  const { seen, allowed } = secretReaders('ftps', { env: ftps.env, users: [USER, 'nobody', ftps.env.METRICS_USER ?? 'nobody'] });
  expect(Object.values(allowed).flat()).toEqual([]);
  expect(seen).toEqual(allowed);
});

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

// By the names the kernel keeps (15 characters); serve-metrics runs as socat (exec).
test.each([
  ['vsftpd', 'vsftpd', 'count-vsftpd-lo'],
  ['count-vsftpd-log', 'count-vsftpd-lo', 'vsftpd'],
  ['serve-metrics', 'socat', 'vsftpd'],
])('S11 when %s dies, the others are stopped and the container exits non-zero', async (_name, victim, other) => {
  const container = await startFtps(`vsftpd-crash-${victim}`);
  const { status, alsoStopped } = await crashChild(container.server, victim);
  expect(status).not.toBe(0);
  expect(alsoStopped).toContain(other);
});

// A stopped (SIGSTOP) metrics server would hold the port and answer nothing; a stopped log reader
// would lose lines once the FIFO is full: run-together notices either (B15).
test.each([['serve-metrics', 'socat'], ['count-vsftpd-log', 'count-vsftpd-lo']])('S11 B15 when %s is stopped (SIGSTOP), the container exits non-zero', async (_name, victim) => {
  const container = await startFtps(`vsftpd-stop-${victim}`);
  const pid = childPids(container.server.pid).get(victim);
  expect(pid).toBeDefined();
  process.kill(pid!, 'SIGSTOP');
  expect(await container.server.waitForExit(10000)).not.toBe(0);
  expect(container.server.log()).toContain(`pid ${pid} is stopped (SIGSTOP)`);
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
  expect(fs.statSync(path.join(setup.dir, 'home', 'kept.txt')).uid).toBe(Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim()));
});

test.each([
  // Debian's vsftpd package creates the system user ftp, as Alpine's baselayout has it (uid 21).
  ['ftp', 'is a system account of this image \\(uid \\d+\\)'],
  ['users', 'is the name of a group of this image'],
])('B11 FTPS_USER=%s (an account or group of the image) stops the entrypoint with a clear message', async (name, reason) => {
  const env = await ftpsEnv(setup, `user-${name}`);
  const server = startServer({ name: `ftps-${name}`, ...asContainer('ftps', 'sh', [FTPS_ENTRYPOINT]), env: { ...env, FTPS_USER: name }, logFile: path.join(setup.dir, `user-${name}.log`) });
  expect(await server.waitForExit(15000)).toBe(1);
  expect(server.log()).toMatch(new RegExp(`^check-login-name: FTPS_USER '${name}' ${reason}; choose another name\n$`));
});
