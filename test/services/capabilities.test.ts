/**
 * B15 every capability a container keeps is one it needs (issue 18 point 1). The other host tests run
 * each entrypoint as its container runs it, as root with exactly the capabilities the chart lets it
 * keep (harness asContainer, util-linux's setpriv); here each entrypoint runs without one of them at
 * a time and fails the way that capability's reason in its module says (lib/services/<name>.ts).
 * Grafana's entrypoint needs Grafana, which Debian does not ship: its list is proven on the cluster
 * only (test/cluster/least-privilege.test.ts).
 */
import * as net from 'net';
import { Capability, capabilityList } from '../../lib/capabilities';
import { ServiceName } from '../../lib/config';
import { sshRun } from '../../lib/probes/ssh';
import { stackServices } from '../support/model';
import { prepareFtps, startFtps } from './support/ftps';
import { asContainer, chartCapabilities, freePort, run, Server, stopAll } from './support/harness';
import { prepareInflux, startInflux } from './support/influxdb';
import { prepareMysql, startMysql } from './support/mysql';
import { createSshUser, removeUser, startNginxContainer } from './support/nginx';
import { startPhpMyAdminContainer } from './support/phpmyadmin';
import { startWordpress } from './support/wordpress';

const users: string[] = [];
afterAll(async () => {
  await stopAll();
  users.forEach(removeUser);
});

/** The message a start failed with (the support functions put the server's log in it). */
async function failedStart(start: () => Promise<unknown>): Promise<string> {
  try {
    await start();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('it started and passed its health check anyway');
}

/** A container told to stop (TERM to run-together, as the kubelet does): its log once it is gone. */
async function stopped(server: Server): Promise<string> {
  await server.stop('SIGTERM', 30000);
  return server.log();
}

/** php-fpm's master, unable to signal its workers, never finishes its graceful stop: run-together kills it. */
const PHP_FPM_CANNOT_SIGNAL = /NOTICE: Finishing \.\.\.\n(?:.*\n)*run-together: pid \d+ still running \d+s after its stop signal: killing it/;

/**
 * An FTP server's first line to a new connection on `port` (vsftpd's pre-login process sends it after
 * confining itself). The line may come in pieces: vsftpd's bug() (utility.c) sends "500 OOPS: ", the
 * reason and "\r\n" in three writes, and a busy machine delivers them apart: read to the newline.
 */
function ftpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 5000 });
    let received = '';
    const done = () => { socket.destroy(); resolve(received.trim()); };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.includes('\n')) done();
    });
    socket.once('end', done);
    socket.once('timeout', () => { socket.destroy(); reject(new Error(`no whole greeting, only ${JSON.stringify(received)}`)); });
    socket.once('error', reject);
  });
}

type Failure = (without: Capability) => Promise<string>;

/** How each service's container fails without one capability of its list, and what that failure says. */
const FAILURES: Partial<Record<ServiceName, Partial<Record<Capability, { readonly run: Failure; readonly says: RegExp }>>>> = {};

const mysqlStart: Failure = async (without) => failedStart(async () => startMysql(await prepareMysql(`mysql-without-${without}`), 30000, [without]));
FAILURES.mysql = {
  CHOWN: { run: mysqlStart, says: /chown: changing ownership of '[^']*': Operation not permitted/ },
  FOWNER: { run: mysqlStart, says: /chmod: changing permissions of '[^']*': Operation not permitted/ },
  DAC_OVERRIDE: { run: mysqlStart, says: /Permission denied/ },
  KILL: { run: mysqlStart, says: /mysql-entrypoint: the temporary server did not start/ },
  SETGID: { run: mysqlStart, says: /mariadbd: Cannot change uid\/gid \(errno: 1\)/ },
  SETUID: { run: mysqlStart, says: /mariadbd: Cannot change uid\/gid \(errno: 1\)/ },
};

const influxStart: Failure = async (without) => failedStart(async () => startInflux(await prepareInflux(`influxdb-without-${without}`), 30000, [without]));
FAILURES.influxdb = {
  CHOWN: { run: influxStart, says: /chown: changing ownership of '[^']*': Operation not permitted/ },
  FOWNER: { run: influxStart, says: /chmod: changing permissions of '[^']*': Operation not permitted/ },
  DAC_OVERRIDE: { run: influxStart, says: /Permission denied/ },
  KILL: { run: influxStart, says: /influxdb-entrypoint: the temporary server did not start/ },
  SETGID: { run: influxStart, says: /setresgid failed: Operation not permitted|setgid/ },
  SETUID: { run: influxStart, says: /setresuid failed: Operation not permitted|setuid/ },
};

const ftpsStart: Failure = async (without) => failedStart(async () => startFtps(prepareFtps(`ftps-without-${without}`), `ftps-without-${without}`, '127.0.0.1', {}, [without]));
/** vsftpd's answer to a new connection when its session process cannot confine itself or change user. */
const ftpsGreeting: Failure = async (without) => {
  const port = await freePort();
  const name = `ftps-without-${without}`;
  await failedStart(async () => startFtps(prepareFtps(name), name, '127.0.0.1', { FTPS_LISTEN_PORT: String(port) }, [without]));
  return ftpGreeting(port);
};
FAILURES.ftps = {
  CHOWN: { run: ftpsStart, says: /chpasswd: \(line 1, user \S+\) password not changed/ },
  SETGID: { run: ftpsGreeting, says: /^500 OOPS: / },
  SETUID: { run: ftpsGreeting, says: /^500 OOPS: / },
  SYS_CHROOT: { run: ftpsGreeting, says: /^500 OOPS: .*chroot/ },
};

const nginxStart = async (without: Capability) => {
  users.push(createSshUser());
  return startNginxContainer({ phpMyAdminUrl: 'https://127.0.0.1:9', without: [without] }, users[users.length - 1]);
};
const nginxFails: Failure = async (without) => failedStart(async () => nginxStart(without));
FAILURES.nginx = {
  SETGID: { run: nginxFails, says: /setgid\(\d+\) failed \(1: Operation not permitted\)/ },
  SETUID: { run: nginxFails, says: /setuid\(\d+\) failed \(1: Operation not permitted\)/ },
  CHOWN: { run: nginxFails, says: /chpasswd: \(line 1, user \S+\) password not changed/ },
  SYS_CHROOT: {
    run: async () => {
      const nginx = await nginxStart('SYS_CHROOT');
      const login = await sshRun('127.0.0.1', nginx.sshPort, nginx.sshUser, nginx.sshPassword, 'true').then(() => 'logged in', (error: Error) => error.message);
      return `${login}\n${nginx.server.log()}`;
    },
    says: /chroot\("[^"]*"\): Operation not permitted/,
  },
};

/**
 * php-fpm without SETUID or SETGID keeps its master and respawns workers that cannot change user, so
 * the site never serves: a minute, four times what the whole start took here, stands for "never"
 * instead of the first boot's full allowance (the install before php-fpm took ~10 s).
 */
const FAILING_START_MS = 60000;
const wordpressFails: Failure = async (without) => failedStart(async () => startWordpress(`wordpress-without-${without}`, [without], FAILING_START_MS));
FAILURES.wordpress = {
  CHOWN: { run: wordpressFails, says: /chown: changing ownership of '[^']*': Operation not permitted/ },
  SETGID: { run: wordpressFails, says: /setgid\(\d+\) failed \(1: Operation not permitted\)|Operation not permitted/ },
  SETUID: { run: wordpressFails, says: /setuid\(\d+\) failed \(1: Operation not permitted\)|Operation not permitted/ },
  KILL: { run: async () => stopped((await startWordpress('wordpress-without-KILL', ['KILL'])).server), says: PHP_FPM_CANNOT_SIGNAL },
};

const phpMyAdminFails: Failure = async (without) => failedStart(async () => startPhpMyAdminContainer({ host: '127.0.0.1', port: 9 }, [without]));
FAILURES.phpmyadmin = {
  CHOWN: { run: phpMyAdminFails, says: /chown: changing ownership of '[^']*': Operation not permitted/ },
  FOWNER: { run: phpMyAdminFails, says: /chmod: changing permissions of '[^']*': Operation not permitted/ },
  SETGID: { run: phpMyAdminFails, says: /setgid\(\d+\) failed \(1: Operation not permitted\)|Operation not permitted/ },
  SETUID: { run: phpMyAdminFails, says: /setuid\(\d+\) failed \(1: Operation not permitted\)|Operation not permitted/ },
  KILL: { run: async () => stopped((await startPhpMyAdminContainer({ host: '127.0.0.1', port: 9 }, ['KILL'])).server), says: PHP_FPM_CANNOT_SIGNAL },
};

const services = stackServices();
const proven = services.filter((service) => service.name !== 'grafana');

test('B15 each capability a service keeps, but the ports\' (below), has a failure of its own here', () => {
  const listed = Object.fromEntries(proven.map((service) => [service.name, capabilityList(service.capabilities).filter((c) => c !== 'NET_BIND_SERVICE')]));
  const covered = Object.fromEntries(proven.map((service) => [service.name, capabilityList(FAILURES[service.name] ?? {})]));
  expect(covered).toEqual(listed);
});

describe.each(proven.filter((service) => capabilityList(FAILURES[service.name] ?? {}).length > 0).map((service) => service.name))('B15 %s without one of its capabilities', (name) => {
  test.each(Object.keys(FAILURES[name] ?? {}) as Capability[])('without %s it fails as its reason says', async (capability) => {
    const failure = FAILURES[name]![capability]!;
    const evidence = await failure.run(capability);
    expect({ capability, evidence }).toEqual({ capability, evidence: expect.stringMatching(failure.says) });
  }, 240_000);
});

/** Binds `port` on every address in a network namespace of its own (no traffic can reach it) as the container of `service` would, without `without`. */
function bindInOwnNetwork(service: ServiceName, port: number, without: readonly Capability[]): string {
  const { command, args } = asContainer(service, 'python3', ['-c', `import socket; socket.socket().bind(('0.0.0.0', ${port})); print('bound')`], without);
  return run('unshare', ['-n', command, ...args], { encoding: 'utf8' }).trim();
}

describe('B15 NET_BIND_SERVICE is kept exactly by the containers that listen below 1024', () => {
  test('B15 a container keeps it if and only if the chart gives it a port below 1024', () => {
    const low = services.map((service) => [service.name, service.ports.some((port) => port.containerPort < 1024)]);
    expect(services.map((service) => [service.name, chartCapabilities(service.name).includes('NET_BIND_SERVICE')])).toEqual(low);
  });

  test.each(services.flatMap((service) => service.ports.filter((port) => port.containerPort < 1024).map((port) => [service.name, port.containerPort] as const)))(
    'B15 %s binds its port %d with its capabilities, and without NET_BIND_SERVICE the kernel refuses it',
    (name, port) => {
      expect(bindInOwnNetwork(name, port, [])).toBe('bound');
      expect(() => bindInOwnNetwork(name, port, ['NET_BIND_SERVICE'])).toThrow(/PermissionError: \[Errno 13\] Permission denied/);
    },
  );
});

