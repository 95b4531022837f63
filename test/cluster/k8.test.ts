/**
 * K8 on the real cluster (issue 19): what more than one replica brings, proven live from the user's
 * network namespace against the Kubernetes that `.ci/cluster/up` started. Runs after stack.test.ts
 * (the order is test/cluster/support/sequencer.cjs) with a stack of its own: two nginx replicas under
 * an autoscaler whose scale-down window is short enough to watch, two phpMyAdmin replicas, the
 * metrics server that setup enables for the autoscaler (metrics-server v0.8.0 built from its Go
 * module). Every load is bounded in requests and in time, and goes to the stack's one address only.
 * Figures are added to test-output/cluster/figures.md.
 */
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Browser } from 'playwright-core';
import { ServiceName, StackConfig } from '../../lib/config';
import { publicEndpoints } from '../../lib/endpoints';
import { stackSecrets } from '../../lib/secrets';
import { readCredential, rememberedConfig } from '../../lib/setup/state';
import { launchChromium } from '../services/support/browser';
import { CONTEXT, Figures, kubectl, kubectlJson, requireClusterAccess, run, Setup, waitFor } from './support/cluster';

const setup = new Setup('k8');
const figures = new Figures();
let config: StackConfig;
const configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-k8-')), 'k8.json');

/**
 * The user's settings of this proof: two of each front, and nginx's autoscaler with a 30 s scale-down
 * window and the config's default target (70 %). Idle nginx uses ~23m of its 50m request (its exec
 * probes, the metrics scrapes): 46 %. Against a 50 % target that is a usage ratio of 0.92, inside the
 * autoscaler's default tolerance of 0.1 (kubernetes v1.35 pkg/controller/podautoscaler/config/v1alpha1/
 * defaults.go; replica_calculator.go leaves the count alone within it), so four idle replicas never
 * came back to two; against 70 % the ratio is 0.66.
 */
const K8_SETTINGS = {
  replicas: { nginx: 2, phpmyadmin: 2 },
  autoscaling: { nginx: { enabled: true, minReplicas: 2, maxReplicas: 4, scaleDownStabilizationSeconds: 30 } },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Sample { readonly at: number; readonly ok: boolean }

/**
 * Runs `probe` over and over, `pauseMs` apart, until stopped, or `limitMs` passed, or `maxSamples`
 * were taken: the bounds of every load and probe loop of this file.
 */
function sampling(probe: () => Promise<boolean>, bounds: { pauseMs: number; limitMs: number; maxSamples: number }): { stop: () => Promise<Sample[]> } {
  let stopped = false;
  const samples: Sample[] = [];
  const deadline = Date.now() + bounds.limitMs;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline && samples.length < bounds.maxSamples) {
      const at = Date.now();
      samples.push({ at, ok: await probe() });
      await sleep(bounds.pauseMs);
    }
  })();
  return { stop: async () => { stopped = true; await loop; return samples; } };
}

/** One GET on a connection of its own (no keep-alive, so kube-proxy chooses a pod again): its status, 0 for none. */
function get(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const request = https.get(url, { agent: false, rejectUnauthorized: false, timeout: timeoutMs }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(0));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(0));
  });
}

/** Whether an FTP server greets a new connection with 220 (RFC 959) within `timeoutMs`. */
function ftpGreets(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('220')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The longest time without service: from the last answer before a run of failures to the first answer after it. */
function longestGap(samples: readonly Sample[]): number {
  let lastOk: number | undefined;
  let failing = false;
  let longest = 0;
  for (const sample of samples) {
    if (!sample.ok) failing = true;
    else {
      if (failing && lastOk !== undefined) longest = Math.max(longest, sample.at - lastOk);
      lastOk = sample.at;
      failing = false;
    }
  }
  return longest;
}

interface Deployment { metadata: { name: string }; spec: { replicas: number }; status: { readyReplicas?: number } }
interface Pod { metadata: { name: string; deletionTimestamp?: string; labels: Record<string, string> } }
const deployment = (name: string) => kubectlJson<Deployment>(['-n', config.namespace, 'get', 'deployment', name]);
const podsOf = async (service: string) => (await kubectlJson<{ items: Pod[] }>(['-n', config.namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${service}`])).items;

/** `kubectl rollout restart`, then until the new pods are ready and the old ones are gone (their preStop and stop run after `rollout status` returns). */
async function rollOut(service: string): Promise<void> {
  await kubectl(['-n', config.namespace, 'rollout', 'restart', `deployment/${service}`]);
  await kubectl(['-n', config.namespace, 'rollout', 'status', `deployment/${service}`, '--timeout=300s']);
  await waitFor(`${service}: the old pods gone after the rollout`, async () => (await podsOf(service)).every((pod) => pod.metadata.deletionTimestamp === undefined), 180_000, 1000);
}

beforeAll(async () => {
  requireClusterAccess();
  const namespaces = (await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'namespaces'])).items.map((item) => item.metadata.name);
  expect(namespaces).not.toContain('ft-services');
  fs.writeFileSync(configFile, JSON.stringify(K8_SETTINGS));
});

afterAll(() => {
  process.stdout.write(`${figures.append('K8: more than one replica (test/cluster/k8.test.ts)')}\n`);
  setup.cleanUp();
  fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
});

test('K8 ./setup.sh up with two nginx replicas under an autoscaler and two phpMyAdmin replicas brings the stack and the metrics server up', async () => {
  const up = await setup.run('up', '--config', configFile);
  expect({ status: up.status, tail: up.status === 0 ? '' : `${up.stdout}\n${up.stderr}`.split('\n').slice(-40).join('\n') }).toEqual({ status: 0, tail: '' });
  expect(up.stdout).toMatch(/Enabling the metrics server \(autoscaling is on\)/);
  config = rememberedConfig(setup.stateDir);
  expect(config.autoscaling.nginx).toMatchObject(K8_SETTINGS.autoscaling.nginx);
  await kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/metrics-server', '--timeout=180s']);
  figures.add('./setup.sh up with the settings of this proof', [['settings', 'time'], [JSON.stringify(K8_SETTINGS).replace(/\|/g, '\\|'), seconds(up.seconds * 1000)]]);
});

test('K8 nginx scales up under a bounded load from the user\'s machine, and back down to its minimum after the load', async () => {
  const { minReplicas, maxReplicas, scaleDownStabilizationSeconds } = config.autoscaling.nginx;
  const url = `${publicEndpoints(config).https.url}/`;
  const replicas = async () => (await deployment('nginx')).spec.replicas;
  // The autoscaler acts only once the metrics server has read nginx's CPU.
  await waitFor('the autoscaler reading nginx\'s CPU from the metrics server', async () =>
    (await kubectl(['-n', config.namespace, 'get', 'hpa', 'nginx', '-o', 'jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}'])).trim() !== '', 240_000, 5000);
  await waitFor(`nginx at its minimum of ${minReplicas}`, async () => (await replicas()) === minReplicas, 300_000);
  // Six requesters at once, each a new TLS connection per request, for at most 240 s and 20000 requests each.
  const started = Date.now();
  const load = Array.from({ length: 6 }, () => sampling(async () => (await get(url, 5000)) === 200, { pauseMs: 0, limitMs: 240_000, maxSamples: 20_000 }));
  let scaledUp: { replicas: number; ms: number };
  let readyMs: number;
  let requests: Sample[];
  try {
    scaledUp = await waitFor('nginx scaled up under the load', async () => {
      const now = await replicas();
      return now > minReplicas ? { replicas: now, ms: Date.now() - started } : undefined;
    }, 230_000);
    // The load stays on until the new pods serve too.
    await kubectl(['-n', config.namespace, 'rollout', 'status', 'deployment/nginx', '--timeout=180s']);
    readyMs = Date.now() - started;
  } finally {
    requests = (await Promise.all(load.map((requester) => requester.stop()))).flat();
  }
  const stopped = Date.now();
  const downMs = await waitFor(`nginx back at ${minReplicas} replicas`, async () => ((await replicas()) === minReplicas ? Date.now() - stopped : undefined), 300_000);
  figures.add(`nginx's autoscaler (min ${minReplicas}, max ${maxReplicas}, target ${config.autoscaling.nginx.targetCpuUtilizationPercent}% of the CPU request, scale-down window ${scaleDownStabilizationSeconds} s; metrics-server --metric-resolution=15s)`, [
    ['what', 'figure'],
    ['load', `6 requesters from the user's namespace, a new TLS connection per request: ${requests.length} requests, ${requests.filter((r) => !r.ok).length} without 200, over ${seconds(stopped - started)}`],
    ['scale-up', `${minReplicas} → ${scaledUp.replicas} replicas ${seconds(scaledUp.ms)} after the load began; all ready after ${seconds(readyMs)}`],
    ['scale-down', `back to ${minReplicas} replicas ${seconds(downMs)} after the load stopped`],
  ]);
  expect(scaledUp.replicas).toBeGreaterThan(minReplicas);
  expect(scaledUp.replicas).toBeLessThanOrEqual(maxReplicas);
  expect(downMs).toBeGreaterThanOrEqual(scaleDownStabilizationSeconds * 1000);
});

test('K8 a rollout of nginx\'s two replicas under a steady request loop from the user\'s machine fails no request', async () => {
  expect((await deployment('nginx')).status.readyReplicas).toBeGreaterThanOrEqual(2);
  const url = `${publicEndpoints(config).https.url}/`;
  // One requester, a new connection per request, for at most 300 s and 60000 requests.
  const loop = sampling(async () => (await get(url, 5000)) === 200, { pauseMs: 0, limitMs: 300_000, maxSamples: 60_000 });
  let samples: Sample[];
  const started = Date.now();
  try {
    await sleep(3000);
    await rollOut('nginx');
  } finally {
    samples = await loop.stop();
  }
  const failed = samples.filter((sample) => !sample.ok);
  figures.add('a rollout of nginx (2 replicas) under a steady request loop', [['requests', 'failed', 'over'], [String(samples.length), String(failed.length), seconds(Date.now() - started)]]);
  expect(samples.length).toBeGreaterThan(100);
  expect(failed.map((sample) => new Date(sample.at).toISOString())).toEqual([]);
}, 600_000);

test('K8 a browser login through https://ADDRESS/phpmyadmin/ with two phpMyAdmin replicas stays logged in over twenty page loads', async () => {
  expect((await deployment('phpmyadmin')).status.readyReplicas).toBe(2);
  const proxied = `${publicEndpoints(config).https.url}/phpmyadmin/`;
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const first = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await first.newPage();
    await page.goto(proxied, { waitUntil: 'load' });
    await page.fill('#input_username', config.mysql.user);
    await page.fill('#input_password', readCredential(setup.stateDir, stackSecrets(config).mysqlWordPress));
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#input_go')]);
    const loggedIn = async (p: typeof page) => (await p.locator('#input_password').count()) === 0 && (await p.locator('#pma_navigation_tree').count()) > 0;
    expect(await loggedIn(page)).toBe(true);
    const cookies = await first.storageState();
    await first.close();
    // Each load from a new browser context: new TCP connections, so kube-proxy picks an nginx pod
    // again and nginx a phpMyAdmin pod; only the login's cookies are carried over.
    const loads: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, storageState: cookies });
      const next = await context.newPage();
      await next.goto(`${proxied}index.php?route=/server/databases`, { waitUntil: 'load' });
      loads.push(await loggedIn(next));
      await context.close();
    }
    figures.add('a browser login through /phpmyadmin/ with two phpMyAdmin pods', [['page loads', 'still logged in'], [String(loads.length), String(loads.filter(Boolean).length)]]);
    expect(loads).toEqual(Array(20).fill(true));
  } finally {
    await browser?.close();
  }
}, 300_000);

describe('K8 each single-replica service\'s time without service during a rollout is measured', () => {
  /**
   * How a service is probed, every 0.1 s: a public one from the user's machine on the stack's
   * address (an HTTPS answer, or FTP's 220 greeting); MySQL and InfluxDB, which have no public
   * port, by a TCP connection from a pod of a declared client (B8 lets no other pod reach them),
   * with the program that client's image has.
   */
  const FROM_CLIENT: Readonly<Partial<Record<ServiceName, { client: ServiceName; command: (host: string, port: number, seconds: number) => string[] }>>> = {
    mysql: {
      client: 'wordpress',
      command: (host, port, limit) => ['php', '-r', '$end = microtime(true) + (float) $argv[3]; while (microtime(true) < $end && !file_exists("/tmp/ft-k8-stop")) '
        + '{ $t = microtime(true); $s = @fsockopen($argv[1], (int) $argv[2], $e, $es, 2); printf("%.3f %d\\n", $t, $s ? 1 : 0); if ($s) fclose($s); usleep(100000); }', host, String(port), String(limit)],
    },
    influxdb: {
      client: 'grafana',
      command: (host, port, limit) => ['node', '-e', 'const net = require("net"), fs = require("fs"); const [host, port, limit] = process.argv.slice(1); const end = Date.now() + 1000 * limit; '
        + '(function next() { if (Date.now() > end || fs.existsSync("/tmp/ft-k8-stop")) return; const t = Date.now() / 1000; const s = net.connect({ host, port: Number(port), timeout: 2000 }); '
        + 'const done = (ok) => { s.destroy(); console.log(t.toFixed(3) + " " + (ok ? 1 : 0)); setTimeout(next, 100); }; s.once("connect", () => done(true)); s.once("error", () => done(false)); s.once("timeout", () => done(false)); })();',
      host, String(port), String(limit)],
    },
  };
  const LIMIT_SECONDS = 300;
  const gaps: string[][] = [['service', 'probed', 'probes', 'failed', 'longest time without service']];

  /** Samples a service from the user's machine while `during` runs. */
  async function fromUser(service: ServiceName, during: () => Promise<void>): Promise<{ how: string; samples: Sample[] }> {
    const endpoint = publicEndpoints(config)[service as keyof ReturnType<typeof publicEndpoints>];
    const probe = endpoint.scheme === 'ftp' ? () => ftpGreets(endpoint.host, endpoint.port, 2000) : async () => (await get(`${endpoint.url}/`, 2000)) !== 0;
    const loop = sampling(probe, { pauseMs: 100, limitMs: LIMIT_SECONDS * 1000, maxSamples: 3000 });
    try {
      await during();
    } finally {
      await sleep(2000);
    }
    return { how: `${endpoint.url} from the user's namespace`, samples: await loop.stop() };
  }

  /** Samples a service from a pod of its client while `during` runs. */
  async function fromClient(service: ServiceName, during: () => Promise<void>): Promise<{ how: string; samples: Sample[] }> {
    const { client, command } = FROM_CLIENT[service]!;
    const port = Number(await kubectl(['-n', config.namespace, 'get', 'service', service, '-o', 'jsonpath={.spec.ports[0].port}']));
    const exec = (args: string[]) => ['--context', CONTEXT, '-n', config.namespace, 'exec', `deployment/${client}`, '--', ...args];
    const probing = run('kubectl', exec(command(service, port, LIMIT_SECONDS)));
    try {
      await sleep(3000);
      await during();
      await sleep(2000);
    } finally {
      await run('kubectl', exec(['touch', '/tmp/ft-k8-stop']));
    }
    const ran = await probing;
    await run('kubectl', exec(['rm', '-f', '/tmp/ft-k8-stop']));
    const samples = ran.stdout.split('\n').filter(Boolean).map((line) => {
      const [at, ok] = line.split(' ');
      return { at: Number(at) * 1000, ok: ok === '1' };
    });
    return { how: `TCP ${service}:${port} from the ${client} pod`, samples };
  }

  afterAll(() => {
    if (gaps.length > 1) figures.add('a rollout of each single-replica service: time without service (from the last answer before the failures to the first after)', gaps);
  });

  test('K8 every Deployment with one replica is rolled out and comes back, its gap printed', async () => {
    const single = (await kubectlJson<{ items: Deployment[] }>(['-n', config.namespace, 'get', 'deployments'])).items
      .filter((d) => d.spec.replicas === 1).map((d) => d.metadata.name as ServiceName).sort();
    expect(single.length).toBeGreaterThan(0);
    for (const service of single) {
      const publicService = service in publicEndpoints(config);
      if (!publicService && FROM_CLIENT[service] === undefined) throw new Error(`${service}: neither a public port nor a client to probe it from; add it to FROM_CLIENT`);
      const { how, samples } = await (publicService ? fromUser : fromClient)(service, () => rollOut(service));
      const gap = longestGap(samples);
      gaps.push([service, how, String(samples.length), String(samples.filter((s) => !s.ok).length), seconds(gap)]);
      // Served before the rollout and again after it: the gap is a measured stretch, not an outage.
      expect({ service, first: samples[0]?.ok, last: samples[samples.length - 1]?.ok }).toEqual({ service, first: true, last: true });
    }
  }, 1_800_000);
});

test('K8 ./setup.sh delete removes the stack and disables the metrics-server add-on setup enabled', async () => {
  const deleted = await setup.run('delete', '--yes');
  expect({ status: deleted.status, tail: deleted.status === 0 ? '' : `${deleted.stdout}\n${deleted.stderr}`.split('\n').slice(-40).join('\n') }).toEqual({ status: 0, tail: '' });
  const addons = JSON.parse((await run('minikube', ['-p', CONTEXT, 'addons', 'list', '-o', 'json'], { env: setup.env })).stdout) as Record<string, { Status: string }>;
  expect(addons['metrics-server'].Status).toBe('disabled');
  expect(await kubectl(['get', 'apiservices', 'v1beta1.metrics.k8s.io', '--ignore-not-found', '-o', 'name'])).toBe('');
}, 600_000);
