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
import { freePort, haveCommand, IMAGE_PATH, run, scratchDir, Server, SRCS, startServer, waitFor } from './harness';

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
    env: { PATH: IMAGE_PATH, METRICS_LISTEN: `127.0.0.1:${port}`, METRICS_ROOT: path.join(dir, 'root'), ...env },
    logFile: path.join(dir, 'serve-metrics.log'),
  });
  const url = `http://127.0.0.1:${port}${METRICS_PATH}`;
  await waitFor(`${name}'s metrics on ${url}`, async () => {
    if (!server.running) throw new Error(`serve-metrics exited:\n${server.log()}`);
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
