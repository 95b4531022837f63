/**
 * Shared plumbing for the host tests (requirement B5): scratch folders, loopback ports, and real
 * server processes that are tracked by PID and always stopped.
 *
 * Rules it enforces: servers listen on 127.0.0.1 only, every process started here is stopped by its
 * own PID (never by name), and a test file calls `stopAll()` in `afterAll`.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncOptions } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Capability } from '../../../lib/capabilities';
import { ServiceName, StackConfigOverrides } from '../../../lib/config';
import { filesUnder } from '../../../lib/files';
import { synth, workloads } from '../../support/manifests';
import { podEnvironment } from '../../support/pod-environment';

/**
 * What a reader wants from a run, replaced on each run (ignored by git): screenshots, and the logs
 * of every scratch folder (`logs/<folder>/`). Private keys and server trees never come here.
 */
export const OUTPUT_ROOT = path.resolve(__dirname, '..', '..', '..', 'test-output');

/** The repository's `srcs/` folder: the very files the images use. */
export const SRCS = path.resolve(__dirname, '..', '..', '..', 'srcs');

/** PATH for an entrypoint under test: the images install srcs/common's scripts on their PATH. */
export const IMAGE_PATH = `${path.join(SRCS, 'common')}:${process.env.PATH}`;

/**
 * The metrics server's user on this machine (METRICS_USER): the images make `ft-metrics`, which the
 * host has not; Debian's `daemon` account stands in, one no other server of the host tests runs
 * as, so the metrics run apart from php-fpm's and vsftpd's users as in the images (B15).
 */
export const HOST_METRICS_USER = { METRICS_USER: 'daemon' } as const;

/**
 * A stand-in for the chart's METRICS_CACHE_SECONDS: 0, so that the collectors' tests read each
 * change at once; the tests of the bounds (serve-metrics.test.ts, the floods) keep the chart's.
 */
export const FRESH_METRICS = { METRICS_CACHE_SECONDS: '0' } as const;

/** Both, for the host tests that start serve-metrics with an environment of their own. */
export const HOST_METRICS_ENV: Readonly<Record<string, string>> = { ...HOST_METRICS_USER, ...FRESH_METRICS };

/** How a host test adapts a pod's environment to this machine (`chartEnvironment`). */
export interface HostAdaptation {
  /** The stack configuration the chart is synthesized with. @default the default configuration */
  readonly config?: StackConfigOverrides;
  /** Loopback stand-ins for addresses and ports the chart gives the pod; each must be a variable the pod gets. @default {} */
  readonly standIns?: Readonly<Record<string, string>>;
  /**
   * The image's own defaults only host tests change (paths, PATH, scratch folders); none may be a
   * variable the pod gets, so that no host value can hide one Kubernetes or the chart sets. @default {}
   */
  readonly hostOnly?: Readonly<Record<string, string>>;
}

/**
 * The environment `service`'s container really gets on the cluster — computed from the synthesized
 * manifests by the kubelet stand-in (test/support/pod-environment.ts), with whatever Kubernetes
 * injects — adapted to this machine only in the declared ways of `adaptation`.
 */
export function chartEnvironment(service: ServiceName, adaptation: HostAdaptation = {}): Record<string, string> {
  const pod = podEnvironment(synth(adaptation.config ?? {}).all, service);
  const standIns = adaptation.standIns ?? {};
  const hostOnly = adaptation.hostOnly ?? {};
  const notGiven = Object.keys(standIns).filter((name) => !(name in pod));
  if (notGiven.length > 0) throw new Error(`${service}: ${notGiven.join(', ')} stand in for no variable the pod gets; declare them hostOnly`);
  const hidden = Object.keys(hostOnly).filter((name) => name in pod);
  if (hidden.length > 0) {
    throw new Error(`${service}: the pod gets ${hidden.map((name) => `${name}=${pod[name]}`).join(', ')} on the cluster, `
      + 'which a host-only value would hide: the image must not read a variable the cluster sets');
  }
  return { ...pod, ...standIns, ...hostOnly };
}

/** The capabilities the chart lets `service`'s container keep (its securityContext's `add`, after dropping ALL). */
let defaultChart: ReturnType<typeof synth> | undefined;
export function chartCapabilities(service: ServiceName): Capability[] {
  defaultChart ??= synth();
  const workload = workloads(defaultChart.all).find((w) => w.metadata.name === service);
  const { capabilities } = workload!.spec.template.spec.containers[0].securityContext;
  if (!capabilities.drop.includes('ALL')) throw new Error(`${service}: the chart does not drop ALL capabilities`);
  return capabilities.add ?? [];
}

/**
 * COMMAND as `service`'s container runs it (B15): as root with only the capabilities the chart lets
 * it keep, less `without`. util-linux's setpriv bounds the set and clears the inheritable one; root's
 * permitted and effective sets after exec are its bounding set (capabilities(7), "Capabilities and
 * execution of programs by root"), as the runtime gives a container's first process.
 */
export function asContainer(service: ServiceName, command: string, args: readonly string[], without: readonly Capability[] = []): { command: string; args: string[] } {
  const kept = chartCapabilities(service).filter((capability) => !without.includes(capability));
  const bounding = ['-all', ...kept.map((capability) => `+${capability.toLowerCase()}`)].join(',');
  return { command: 'setpriv', args: ['--inh-caps=-all', `--bounding-set=${bounding}`, '--', command, ...args] };
}

/**
 * Fails at once, naming the folder, when the servers' unprivileged users (www-data, mysql, nobody)
 * could not reach `dir`: a parent without the x bit for others, such as a checkout under a 0700
 * /root, would otherwise make every server fail with "Permission denied" and the test time out.
 */
export function assertReachable(dir: string): void {
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    const mode = fs.statSync(folder).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(`${folder} (mode ${(mode & 0o777).toString(8)}) cannot be entered by other users, so the servers' `
        + `unprivileged users cannot reach ${dir}: move the checkout to a folder every user can enter, or chmod o+x ${folder}`);
    }
    if (folder === path.dirname(folder)) return;
  }
}

/** Scratch folders made by this test file, removed (their logs kept) by `stopAll`. */
const scratchDirs = new Set<string>();

/**
 * A fresh, world-readable scratch folder for one test file, in the system's temporary folder: it
 * holds server trees, data and private keys, so `stopAll` removes it after copying its logs.
 */
export function scratchDir(name: string): string {
  assertReachable(SRCS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ft-services-${name}-`));
  // Workers of nginx/php-fpm/vsftpd run as unprivileged users and must traverse it.
  fs.chmodSync(dir, 0o755);
  assertReachable(dir);
  scratchDirs.add(dir);
  return dir;
}

/** Copies a scratch folder's logs to test-output/logs/<folder>/, then removes the folder. */
function removeScratch(dir: string): void {
  for (const log of filesUnder(dir).filter((file) => file.endsWith('.log'))) {
    const target = path.join(OUTPUT_ROOT, 'logs', path.basename(dir), log);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(dir, log), target);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}

/**
 * The lowest port where the kernel picks the source ports of outgoing connections
 * (net.ipv4.ip_local_port_range, 32768–60999 by default). A port handed out in that range can be
 * taken by any client connection before the server binds it: that made a MariaDB of the
 * real-telegraf test fail with "Address already in use" while its other servers were talking.
 */
function ephemeralLow(): number {
  return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
}

/** Ports this test file has handed out: two servers it starts never get the same one. */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, below the ephemeral range (so no
 * outgoing connection takes it meanwhile) and not handed out before by this test file.
 */
export async function freePort(): Promise<number> {
  const low = 10000;
  const high = ephemeralLow();
  if (high <= low) throw new Error(`the ephemeral port range starts at ${high}: no room below it for the test servers' ports`);
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
}

/** Thrown by a `waitFor` check when waiting longer cannot help (the server it waits for has exited). */
export class WaitingIsFutile extends Error {}

/**
 * Polls `check` until it returns true, or throws after `timeoutMs` naming `what`; a check that
 * throws WaitingIsFutile ends the wait at once (a server that exited at start fails its test in a
 * second, not after the first-boot allowance).
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof WaitingIsFutile) throw error;
      // any other error: not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

export interface ServerOptions {
  /** A short name for logs and error messages. */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to the test process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** stdout and stderr go here. */
  readonly logFile: string;
}

/** A server process started by a test. */
export class Server {
  readonly pid: number;
  private exitCode: number | null | undefined = undefined;
  private readonly exited: Promise<void>;

  constructor(readonly options: ServerOptions, private readonly child: ChildProcess) {
    if (child.pid === undefined) throw new Error(`${options.name}: failed to start ${options.command}`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
      resolve();
    }));
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The server's log so far (for assertions and failure messages). */
  log(): string {
    return fs.existsSync(this.options.logFile) ? fs.readFileSync(this.options.logFile, 'utf8') : '';
  }

  /**
   * Sends `signal` and waits until the process is gone (SIGKILL after `graceMs`), then kills whatever
   * it left behind in its session: a daemon's workers outlive a master killed by a test (S11).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10000): Promise<void> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL'); }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.killLeftovers();
    started.delete(this);
  }

  /** SIGKILLs every process still in this server's session (it was started with setsid). */
  private killLeftovers(): void {
    const sessions = spawnSync('ps', ['-eo', 'pid=,sid='], { encoding: 'utf8' }).stdout ?? '';
    for (const line of sessions.split('\n')) {
      const [pid, sid] = line.trim().split(/\s+/).map(Number);
      if (sid === this.pid && pid !== process.pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Resolves with the exit code when the process ends by itself within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.exited,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.options.name} still running after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      // A pending timer would keep jest alive after the tests.
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }
}

/** Every server started and not yet stopped (its session may still hold processes). */
const started = new Set<Server>();

/**
 * Starts a long-running server in the foreground of its own process (never daemonized), in a
 * session of its own so that `stop` can find everything it started.
 */
export function startServer(options: ServerOptions): Server {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  const server = new Server(options, child);
  started.add(server);
  return server;
}

/** Processes a simulated crash orphaned, killed by `stopAll`. */
const orphans = new Set<number>();

/** The PIDs of every process below `pid`, children first. */
function descendants(pid: number): number[] {
  const children = (spawnSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' }).stdout ?? '')
    .split('\n').map((line) => Number(line.trim())).filter((child) => child > 0);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * Simulates a daemon crash (S11): SIGKILLs `pid`. In a container, the processes it orphans (php-fpm
 * or nginx workers) die with the container; here `stopAll` kills them. php-fpm starts a session of
 * its own, so they cannot be found from the server's session afterwards.
 */
export function crash(pid: number): void {
  for (const orphan of descendants(pid)) orphans.add(orphan);
  process.kill(pid, 'SIGKILL');
}

/** The PIDs of a process's direct children (the daemons run-together started), by command name. */
export function childPids(pid: number): Map<string, number> {
  const children = new Map<string, number>();
  for (const line of run('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)]).split('\n')) {
    const [child, command] = line.trim().split(/\s+/);
    if (child && command) children.set(command, Number(child));
  }
  return children;
}

export interface Crash {
  /** The container init's exit code. */
  readonly status: number | null;
  /** The commands of the init's other children, every one of them gone when the init was. */
  readonly alsoStopped: string[];
}

/**
 * S11: crashes the child of a container's init whose command starts with `victim` (`php-fpm` finds
 * Debian's `php-fpm8.4`), waits for the init to exit and for its other children to be gone.
 */
export async function crashChild(init: Server, victim: string, timeoutMs = 20000): Promise<Crash> {
  const children = [...childPids(init.pid)];
  const target = children.find(([command]) => command.startsWith(victim));
  if (target === undefined) throw new Error(`${init.options.name}: no child ${victim} among ${children.map(([command]) => command).join(', ')}`);
  const others = children.filter(([, pid]) => pid !== target[1]);
  crash(target[1]);
  const status = await init.waitForExit(timeoutMs);
  await waitFor(`${init.options.name}: ${others.map(([command]) => command).join(', ')} gone`, () => others.every(([, pid]) => !fs.existsSync(`/proc/${pid}`)), 5000);
  return { status, alsoStopped: others.map(([command]) => command) };
}

/**
 * Stops every server started, and what it or a crash left behind, then removes the scratch folders
 * (keeping their logs in test-output/): call it in `afterAll`.
 */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((server) => server.stop()));
  for (const orphan of orphans) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  orphans.clear();
  for (const dir of scratchDirs) removeScratch(dir);
}

/** Runs a short command to completion; throws with its output when it fails. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, [...args], { encoding: 'utf8', timeout: 120000, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return String(result.stdout);
}

/** A self-signed certificate for 127.0.0.1/localhost, written as `tls.crt` and `tls.key` in `dir`. */
export function makeTlsPair(dir: string): { cert: string; key: string } {
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  // As the chart mounts the tls Secret (B11): for root only.
  fs.chmodSync(key, 0o400);
  fs.chmodSync(cert, 0o400);
  return { cert, key };
}

/**
 * A folder `bin` holding `su-exec USER:GROUP COMMAND...` (Alpine's; Debian 13 has none) as a
 * two-line shim that runs util-linux's setpriv with the same arguments, the same exec. Put it first
 * on an entrypoint's PATH.
 */
export function suExecShim(bin: string): string {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'su-exec'),
    '#!/bin/sh\nset -eu\nspec="$1"; shift\nexec setpriv --reuid="${spec%%:*}" --regid="${spec#*:}" --init-groups "$@"\n', { mode: 0o755 });
  return bin;
}

/**
 * Writes Secret-like files (`<dir>/<secret>/<key>`), as the chart mounts them at /run/secrets:
 * owned by root, mode 0400 (B11, B15); another `mode` only where a test hands the files to a reader
 * itself instead of an entrypoint (srcs/common/hand-over).
 */
export function writeSecrets(dir: string, secrets: Readonly<Record<string, Readonly<Record<string, string>>>>, mode = 0o400): string {
  for (const [secret, keys] of Object.entries(secrets)) {
    fs.mkdirSync(path.join(dir, secret), { recursive: true });
    for (const [key, value] of Object.entries(keys)) {
      const file = path.join(dir, secret, key);
      fs.writeFileSync(file, value);
      fs.chmodSync(file, mode);
    }
  }
  return dir;
}

/** True when `command` is on PATH (host tests need the Debian packages that .ci/run installs). */
export function haveCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command]).status === 0;
}

let phpFpm: string | undefined;

/**
 * Debian's php-fpm binary, `/usr/sbin/php-fpm<major>.<minor>` (8.2 on Debian 12, 8.4 on 13; there is
 * no unversioned one): the one of the default `php`, whose extensions (php-mysql) are installed.
 */
export function debianPhpFpm(): string {
  if (phpFpm !== undefined) return phpFpm;
  const installed = fs.existsSync('/usr/sbin') ? fs.readdirSync('/usr/sbin').filter((name) => /^php-fpm\d+\.\d+$/.test(name)) : [];
  if (installed.length === 0) throw new Error('no /usr/sbin/php-fpm<version> found: install php-fpm and php-mysql (.ci/install-host-packages)');
  const cli = haveCommand('php') ? run('php', ['-r', 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;']).trim() : '';
  const newestFirst = installed.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  phpFpm = path.join('/usr/sbin', newestFirst.find((name) => name === `php-fpm${cli}`) ?? newestFirst[0]);
  return phpFpm;
}

/** A random password for a test account. */
export function randomSecret(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}
