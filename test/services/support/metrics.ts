/**
 * A pod's own metrics as the host tests see them (B10): a collector served by OUR
 * srcs/common/serve-metrics (busybox httpd, as in the images) on a loopback port, and the
 * Prometheus text format 0.0.4 read back the way telegraf's Prometheus parser reads it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ServiceName } from '../../../lib/config';
import { METRICS_PATH } from '../../../lib/monitoring/pod-metrics';
import { servedMetrics } from '../../support/model';
import { freePort, haveCommand, HOST_METRICS_ENV, IMAGE_PATH, run, scratchDir, Server, SRCS, startServer, waitFor, WaitingIsFutile } from './harness';

/** One sample of the exposition: the value and the `# TYPE` given for its name. */
export interface Sample {
  readonly value: number;
  readonly type?: string;
}

/**
 * `name value` lines by name, with their `# TYPE`. Throws on a line that is neither a comment nor
 * a sample, and on labels: a pod serves one series per metric (telegraf adds the pod's tags).
 */
export function parseExposition(text: string): Map<string, Sample> {
  const types = new Map<string, string>();
  const samples = new Map<string, Sample>();
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const typed = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (typed) {
      types.set(typed[1], typed[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (!sample || Number.isNaN(Number(sample[2]))) throw new Error(`not a Prometheus sample without labels: ${JSON.stringify(line)}`);
    samples.set(sample[1], { value: Number(sample[2]), type: types.get(sample[1]) });
  }
  return samples;
}

export interface Scrape {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET `url` as telegraf's inputs.prometheus does. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
}

/**
 * The metrics a container of `service` serves on `listen` (its METRICS_LISTEN), checked to be
 * Prometheus text with exactly the metrics its module declares for it, in order, with their types.
 */
export async function servedMetricsAt(listen: string, service: ServiceName): Promise<Map<string, Sample>> {
  const answer = await scrape(`http://${listen}${METRICS_PATH}`);
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4' });
  const served = parseExposition(answer.body);
  expect([...served].map(([name, sample]) => ({ name, type: sample.type }))).toEqual(servedMetrics().get(service));
  return served;
}

/** A collector script `name` in `dir` that runs `body` under `set -eu`, executable by the server's user. */
export function writeCollector(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\nset -eu\n${body}\n`, { mode: 0o755 });
  return file;
}

export interface MetricsServer {
  readonly server: Server;
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** `http://127.0.0.1:<port>/cgi-bin/metrics`. */
  readonly url: string;
}

/**
 * serve-metrics running `collector` (a path under srcs/, or a command on the image PATH) with
 * `env`, as the entrypoints start it, in a scratch folder of its own.
 */
export async function startMetricsServer(name: string, collector: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<MetricsServer> {
  const dir = scratchDir(`${name}-metrics`);
  const port = await freePort();
  const server = startServer({
    name: `${name}-metrics`,
    command: path.join(SRCS, 'common', 'serve-metrics'),
    args: collector,
    env: { PATH: IMAGE_PATH, METRICS_LISTEN: `127.0.0.1:${port}`, METRICS_ROOT: path.join(dir, 'root'), ...HOST_METRICS_ENV, ...env },
    logFile: path.join(dir, 'serve-metrics.log'),
  });
  const url = `http://127.0.0.1:${port}${METRICS_PATH}`;
  await waitFor(`${name}'s metrics on ${url}`, async () => {
    if (!server.running) throw new WaitingIsFutile(`serve-metrics exited:\n${server.log()}`);
    return (await scrape(url)).status !== 404;
  }, 10000);
  return { server, port, url };
}

/**
 * What the collectors of the nginx-based images (nginx, wordpress, phpmyadmin) call: busybox's in
 * the images, and so in the host tests that run their entrypoints (a Debian tree without GNU wget
 * would otherwise have none).
 */
export const NGINX_IMAGE_APPLETS: readonly string[] = ['awk', 'timeout', 'wget'];

/**
 * PATH for a collector run as in the images: a scratch folder of links to busybox for `applets`
 * first, then IMAGE_PATH. Alpine's wget, timeout, awk… are busybox applets (aports main/busybox
 * busyboxconfig); on Debian the same names are other programs (GNU wget takes other options and
 * fails otherwise), so a collector tested with them would not be tested as it runs.
 */
export function busyboxPath(applets: readonly string[] = NGINX_IMAGE_APPLETS): string {
  if (!haveCommand('busybox')) throw new Error('busybox not found: install busybox (.ci/install-host-packages)');
  const busybox = run('sh', ['-c', 'command -v busybox']).trim();
  const known = new Set(run(busybox, ['--list']).split('\n'));
  const missing = applets.filter((applet) => !known.has(applet));
  if (missing.length > 0) throw new Error(`${busybox} has no ${missing.join(', ')} applet`);
  const dir = path.join(scratchDir('busybox-applets'), 'bin');
  fs.mkdirSync(dir);
  for (const applet of applets) fs.symlinkSync(busybox, path.join(dir, applet));
  return `${dir}:${IMAGE_PATH}`;
}

/** What a flood of a metrics port saw: answers by status, failed requests, slowest answer. */
export interface Flood {
  readonly requests: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly slowestMs: number;
}

/**
 * A bounded flood of `url` (B15): `concurrency` clients GET it back to back for `seconds`, each
 * request given up after 10 s (counted as status 'timeout'). Loopback only.
 */
export async function floodMetrics(url: string, concurrency = 100, seconds = 20): Promise<Flood> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`a flood goes to the loopback only, not ${url}`);
  const deadline = Date.now() + seconds * 1000;
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let slowestMs = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const started = Date.now();
      let status: string;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10000) });
        await response.text();
        status = String(response.status);
      } catch {
        status = 'timeout';
      }
      requests += 1;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      slowestMs = Math.max(slowestMs, Date.now() - started);
    }
  }));
  return { requests, byStatus, slowestMs };
}

/** The command lines of `pid`'s children now (none is no error, unlike `ps --ppid`). */
export function childCommands(pid: number): string[] {
  return run('ps', ['-e', '-o', 'ppid=,args=']).split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((match): match is RegExpMatchArray => match !== null && Number(match[1]) === pid)
    .map((match) => match[2]);
}

/** How many processes descend from `pid` now: a container's processes, its init's excluded. */
export function descendantCount(pid: number): number {
  const children = new Map<number, number[]>();
  for (const line of run('ps', ['-e', '-o', 'pid=,ppid=']).trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  let count = 0;
  for (const queue = [pid]; queue.length > 0;) {
    for (const child of children.get(queue.pop()!) ?? []) {
      count += 1;
      queue.push(child);
    }
  }
  return count;
}

/** What a user saw during a flood, with the flood's own figures (B15). */
export interface UnderFlood {
  readonly flood: Flood;
  /** The user's actions, how many failed, and the 95th percentile and slowest of their times. */
  readonly userActions: number;
  readonly userFailures: number;
  readonly userP95Ms: number;
  readonly userMaxMs: number;
  /** The container's processes (`containerPid`'s descendants) before the flood, and the most at once during it. */
  readonly processesBefore: number;
  readonly maxProcesses: number;
}

/**
 * Floods `url` (floodMetrics: 100 clients for 20 s) while a user repeats `action` every 200 ms;
 * prints the figures (issue 18 asks for them) and returns them.
 */
export async function underFlood(url: string, containerPid: number, action: () => Promise<unknown>): Promise<UnderFlood> {
  const times: number[] = [];
  let userFailures = 0;
  let maxProcesses = 0;
  let done = false;
  const processesBefore = descendantCount(containerPid);
  const flooding = floodMetrics(url).finally(() => { done = true; });
  while (!done) {
    const started = Date.now();
    await action().catch(() => { userFailures += 1; });
    times.push(Date.now() - started);
    maxProcesses = Math.max(maxProcesses, descendantCount(containerPid));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  times.sort((a, b) => a - b);
  const figures = {
    flood: await flooding, userActions: times.length, userFailures,
    userP95Ms: times[Math.floor(times.length * 0.95)], userMaxMs: times[times.length - 1], processesBefore, maxProcesses,
  };
  console.log(`flood of ${url}: ${JSON.stringify(figures)}`);
  return figures;
}

/**
 * The bound every flood test holds (B15): the flood adds few processes to the container: socat's
 * one connection (timeout, httpd, the CGI and a helper it runs) and one collector with its watchdog
 * and what the collector runs, at most 12 (measured: 4 to 9 on Debian 12 and 13; the unbounded
 * server made 308 in all, socat 1.8 with max-children=8 99 to 193); clients only wait their turn (no
 * error status), and scrapes are still answered.
 */
export function expectBoundedFlood(figures: UnderFlood, userBoundMs: number): void {
  expect({
    userFailures: figures.userFailures,
    userP95WithinBound: figures.userP95Ms <= userBoundMs,
    processesBounded: figures.maxProcesses - figures.processesBefore <= 12,
    scrapesAnswered: (figures.flood.byStatus['200'] ?? 0) > 0,
    otherStatuses: Object.keys(figures.flood.byStatus).filter((code) => !['200', '503', 'timeout'].includes(code)),
  }).toEqual({ userFailures: 0, userP95WithinBound: true, processesBounded: true, scrapesAnswered: true, otherStatuses: [] });
}
