/**
 * B15 B10 S11 on the real cluster (issue 18 point 5): the metrics port (9117) is bounded. A flood of
 * it from a pod the NetworkPolicies admit there changes nothing for the stack's users, and a stopped
 * metrics server or log reader makes the kubelet restart its container. Runs after k8.test.ts (the
 * order is test/cluster/support/sequencer.cjs) with a stack of its own; its figures are added to
 * test-output/cluster/figures.md.
 *
 * The flooding pod runs one of the stack's own images (nginx's, which has curl; nothing is pulled)
 * with the labels that the `<service>-metrics-from-telegraf` policies admit to 9117 and that
 * telegraf's egress policy lets out to it: telegraf's. A controller reference to a ConfigMap of its
 * own keeps telegraf's DaemonSet, whose selector those labels match, from adopting it (controllers
 * adopt only pods without one) and deleting it as a second pod on the node.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StackConfig } from '../../lib/config';
import { publicEndpoints } from '../../lib/endpoints';
import { METRICS_PATH, METRICS_PORT } from '../../lib/monitoring/pod-metrics';
import { sleeperPod } from '../../lib/probes/cluster';
import { connectFtps } from '../../lib/probes/ftps';
import { wordpressHome } from '../../lib/probes/wordpress';
import { stackSecrets } from '../../lib/secrets';
import { readCredential, rememberedConfig } from '../../lib/setup/state';
import { Figures, kubectl, kubectlJson, onNode, processes, requireClusterAccess, runTogetherStarted, Setup, waitFor } from './support/cluster';

const setup = new Setup('metrics-port');
const figures = new Figures();
let config: StackConfig;
const FLOOD_POD = 'ft-metrics-flood';
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-metrics-port-'));

/** The flood of issue 18: 100 clients at once for 20 s, each request given up after 10 s. */
const FLOOD = { clients: 100, seconds: 20, requestTimeoutSeconds: 10 };
/** How long the users' actions are measured without a flood, for the comparison. */
const BEFORE_SECONDS = 15;
/** A user's p95 under the flood may be at most twice the p95 without it, plus half a second. */
const userBoundMs = (p95BeforeMs: number) => 2 * p95BeforeMs + 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const p95 = (times: readonly number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)] ?? NaN;

/** What a user saw over a while: how many actions, how many failed, the 95th percentile of their times. */
interface UserFigures { readonly actions: number; readonly failures: number; readonly p95Ms: number }

/** Repeats `action` 200 ms apart for `seconds`, timing each one (a failure is a thrown error). */
async function timed(action: () => Promise<unknown>, seconds: number): Promise<UserFigures> {
  const times: number[] = [];
  let failures = 0;
  for (const until = Date.now() + seconds * 1000; Date.now() < until;) {
    const started = Date.now();
    await action().catch(() => { failures += 1; });
    times.push(Date.now() - started);
    await sleep(200);
  }
  return { actions: times.length, failures, p95Ms: p95(times) };
}

/**
 * MySQL queries as WordPress's account, 200 ms apart for `seconds`, timed inside the mysql
 * container, on the port the chart gives it (MYSQL_LISTEN_PORT, in the container's environment), with
 * the GNU date of the CI images: kubectl's own round trip is no part of MySQL's answer.
 */
async function mysqlQueries(seconds: number): Promise<UserFigures> {
  const loop = 'end=$(($(date +%s) + $1)); while [ "$(date +%s)" -lt "$end" ]; do s=$(date +%s%N); ' +
    'if MYSQL_PWD="$2" mariadb --skip-ssl-verify-server-cert -h 127.0.0.1 -P "$MYSQL_LISTEN_PORT" -u "$3" -D "$4" -e "SHOW TABLES" >/dev/null 2>&1; ' +
    'then echo "ok $((($(date +%s%N) - s) / 1000000))"; else echo fail; fi; sleep 0.2; done';
  const out = await kubectl(['-n', config.namespace, 'exec', 'deployment/mysql', '--', 'sh', '-c', loop, 'sh', String(seconds),
    readCredential(setup.stateDir, stackSecrets(config).mysqlWordPress), config.mysql.user, config.mysql.database]);
  const lines = out.trim().split('\n').filter(Boolean);
  const times = lines.filter((line) => line.startsWith('ok ')).map((line) => Number(line.slice(3)));
  return { actions: lines.length, failures: lines.length - times.length, p95Ms: p95(times) };
}

/** The users of issue 18: an FTPS login from the user's machine, WordPress's home page from it, MySQL queries. */
const USERS = {
  ftps: { what: 'FTPS login (from the user\'s machine)', during: (s: number) => timed(async () => {
    const client = await connectFtps({ host: config.loadBalancer.address, port: publicEndpoints(config).ftps.port }, config.ftps.user,
      readCredential(setup.stateDir, stackSecrets(config).ftpsUser));
    client.close();
  }, s) },
  wordpress: { what: 'WordPress home page (from the user\'s machine)', during: (s: number) => timed(async () => {
    const page = await wordpressHome(publicEndpoints(config).wordpress.url);
    if (page.status !== 200) throw new Error(`WordPress answered ${page.status}`);
  }, s) },
  mysql: { what: 'MySQL query as WordPress\'s account (in its pod)', during: mysqlQueries },
} as const;
type Target = keyof typeof USERS;

/** What the flood saw: requests by status ('000': no answer within the limit) and the p95 of their times. */
interface FloodFigures { readonly requests: number; readonly byStatus: Readonly<Record<string, number>>; readonly p95Ms: number }

/**
 * FLOOD on `ip`'s metrics port from the flooding pod: one curl with FLOOD.clients transfers at once
 * (--parallel), each GET on a new connection, for FLOOD.seconds; each transfer's status and time.
 */
async function flood(ip: string): Promise<FloodFigures> {
  const url = `http://${ip}:${METRICS_PORT}${METRICS_PATH}?n=[1-100000000]`;
  const command = `timeout -s INT ${FLOOD.seconds} curl --silent --parallel --parallel-immediate --parallel-max ${FLOOD.clients} ` +
    `--max-time ${FLOOD.requestTimeoutSeconds} --write-out '%{stderr}%{http_code} %{time_total}\\n' '${url}' 2>&1 >/dev/null; true`;
  const out = await kubectl(['-n', config.namespace, 'exec', FLOOD_POD, '--', 'sh', '-c', command]);
  const answers = out.trim().split('\n').filter((line) => /^\d{3} [\d.]+$/.test(line)).map((line) => line.split(' '));
  const byStatus: Record<string, number> = {};
  for (const [status] of answers) byStatus[status] = (byStatus[status] ?? 0) + 1;
  return { requests: answers.length, byStatus, p95Ms: Math.round(p95(answers.map(([, time]) => Number(time) * 1000))) };
}

interface Pod {
  metadata: { name: string; labels: Record<string, string> };
  status: { podIP: string; containerStatuses?: Array<{ name: string; containerID?: string; restartCount: number; ready: boolean; lastState?: { terminated?: { reason?: string } } }> };
}
const pods = async () => (await kubectlJson<{ items: Pod[] }>(['-n', config.namespace, 'get', 'pods', '-l', 'app.kubernetes.io/part-of=ft-services'])).items;
const podOf = async (service: string) => (await pods()).find((pod) => pod.metadata.labels['app.kubernetes.io/name'] === service)!;

/** Every container of the stack: its restart count and the reason of its last end, if any. */
async function containerStates(): Promise<Record<string, { restarts: number; lastEnd: string }>> {
  return Object.fromEntries((await pods()).flatMap((pod) => (pod.status.containerStatuses ?? []).map((status) =>
    [`${pod.metadata.labels['app.kubernetes.io/name']}/${status.name}`, { restarts: status.restartCount, lastEnd: status.lastState?.terminated?.reason ?? '-' }])));
}

/** OOM kills the kernel counted in each of the stack's containers' memory cgroups (cgroup v1 memory.oom_control, on the node). */
async function oomKills(): Promise<Record<string, number>> {
  const kills: Record<string, number> = {};
  for (const pod of await pods()) {
    for (const status of pod.status.containerStatuses ?? []) {
      const id = status.containerID!.replace(/^\w+:\/\//, '');
      const script = 'for f in $(find /sys/fs/cgroup/memory -type d -name "*$1*"); do sed -n "s/^oom_kill //p" "$f/memory.oom_control"; done';
      const counts = (await onNode(['sh', '-c', script, 'sh', id])).split('\n').filter(Boolean).map(Number);
      const container = `${pod.metadata.labels['app.kubernetes.io/name']}/${status.name}`;
      if (counts.length === 0) throw new Error(`${container}: no memory cgroup of ${id} on the node`);
      kills[container] = counts.reduce((a, b) => a + b, 0);
    }
  }
  return kills;
}

/** The flooding pod: nginx's image, telegraf's labels as the 9117 policies name them, owned by a ConfigMap of its own. */
async function startFloodPod(): Promise<void> {
  const admitted = (await kubectlJson<{ spec: { ingress: Array<{ from: Array<{ podSelector: { matchLabels: Record<string, string> } }> }> } }>(
    ['-n', config.namespace, 'get', 'networkpolicy', 'mysql-metrics-from-telegraf'])).spec.ingress[0].from[0].podSelector.matchLabels;
  const image = (await kubectl(['-n', config.namespace, 'get', 'deployment', 'nginx', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).trim();
  await kubectl(['-n', config.namespace, 'create', 'configmap', FLOOD_POD]);
  const uid = (await kubectl(['-n', config.namespace, 'get', 'configmap', FLOOD_POD, '-o', 'jsonpath={.metadata.uid}'])).trim();
  const pod = sleeperPod({
    name: FLOOD_POD,
    image,
    labels: admitted,
    lifeSeconds: 1800,
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: FLOOD_POD, uid, controller: true }],
  });
  const file = path.join(folder, 'flood-pod.json');
  fs.writeFileSync(file, JSON.stringify(pod));
  await kubectl(['-n', config.namespace, 'create', '-f', file]);
  await kubectl(['-n', config.namespace, 'wait', '--for=condition=Ready', `pod/${FLOOD_POD}`, '--timeout=180s']);
}

const before: Partial<Record<Target, UserFigures>> = {};
const flooded: Partial<Record<Target, { flood: FloodFigures; user: UserFigures }>> = {};

beforeAll(async () => {
  requireClusterAccess();
  const namespaces = (await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'namespaces'])).items.map((item) => item.metadata.name);
  expect(namespaces).not.toContain('ft-services');
});

afterAll(async () => {
  process.stdout.write(`${figures.append('B15: a flood of the metrics port (test/cluster/metrics-port.test.ts)')}\n`);
  if (config) await kubectl(['-n', config.namespace, 'delete', 'configmap,pod', FLOOD_POD, '--ignore-not-found', '--wait=false']).catch(() => '');
  setup.cleanUp();
  fs.rmSync(folder, { recursive: true, force: true });
});

test('S1 ./setup.sh brings the stack up', async () => {
  const up = await setup.run();
  expect({ status: up.status, tail: up.status === 0 ? '' : `${up.stdout}\n${up.stderr}`.split('\n').slice(-40).join('\n') }).toEqual({ status: 0, tail: '' });
  config = rememberedConfig(setup.stateDir);
});

describe('B15 a flood of 9117 from a pod the policies admit changes nothing for users', () => {
  let states: Awaited<ReturnType<typeof containerStates>>;
  let kills: Record<string, number>;

  beforeAll(async () => {
    await startFloodPod();
    // The users without a flood, once the stack has settled.
    for (const target of Object.keys(USERS) as Target[]) before[target] = await USERS[target].during(BEFORE_SECONDS);
    states = await containerStates();
    kills = await oomKills();
  }, 600_000);

  test.each(Object.keys(USERS) as Target[])('B15 %s: while its pod\'s 9117 is flooded (100 clients, 20 s), every action answers and its p95 stays within twice its p95 without the flood plus 0.5 s', async (target) => {
    const ip = (await podOf(target)).status.podIP;
    const [floodFigures, user] = await Promise.all([flood(ip), USERS[target].during(FLOOD.seconds)]);
    flooded[target] = { flood: floodFigures, user };
    expect(floodFigures.requests).toBeGreaterThan(FLOOD.clients);
    expect({ target, failures: user.failures, actions: user.actions > 10, withinBound: user.p95Ms <= userBoundMs(before[target]!.p95Ms), p95Ms: user.p95Ms })
      .toEqual({ target, failures: 0, actions: true, withinBound: true, p95Ms: user.p95Ms });
  }, 300_000);

  test('B15 after the floods: no container of the stack restarted and the kernel killed nothing for memory', async () => {
    const rows = (Object.keys(USERS) as Target[]).filter((target) => flooded[target]).map((target) => {
      const { flood: f, user } = flooded[target]!;
      const statuses = Object.entries(f.byStatus).map(([status, count]) => `${status === '000' ? 'no answer in 10 s' : status}: ${count}`).join(', ');
      return [target, `${f.requests} (${statuses}), p95 ${f.p95Ms} ms`, USERS[target].what, `${before[target]!.actions} actions, p95 ${before[target]!.p95Ms} ms`,
        `${user.actions} actions, ${user.failures} failed, p95 ${user.p95Ms} ms (bound ${userBoundMs(before[target]!.p95Ms)} ms)`];
    });
    figures.add(`a flood of each pod's 9117: ${FLOOD.clients} clients for ${FLOOD.seconds} s from a pod with telegraf's labels (issue 18 before: 308 processes, vsftpd OOM-killed and the ftps container restarted; FTPS logins failed 3 of 3 at 50 clients; WordPress home 91 → 2500 ms p50)`,
      [['pod flooded', 'scrapes of the flood', 'user', 'without a flood', 'during the flood'], ...rows]);
    expect(await containerStates()).toEqual(states);
    expect(await oomKills()).toEqual(kills);
  });
});

describe('S11 B15 a stopped metrics server or log reader is noticed: the kubelet restarts the container', () => {
  /** SIGSTOP, from the node, of what run-together started as `name` in `service`'s container; resolves when the container restarted and is ready. */
  async function stopAndWait(service: string, name: string): Promise<number> {
    const pod = await podOf(service);
    const status = pod.status.containerStatuses![0];
    const started = (await runTogetherStarted(config.namespace, pod.metadata.name)).find((entry) => entry.name === name);
    const proc = (await processes(status.containerID!.replace(/^\w+:\/\//, ''))).find((p) => p.containerPid === started?.pid);
    expect({ service, name, found: proc !== undefined }).toEqual({ service, name, found: true });
    const stoppedAt = Date.now();
    await onNode(['kill', '-STOP', String(proc!.hostPid)]);
    await waitFor(`${service}: a restart after SIGSTOP of ${name}`, async () => {
      const now = (await kubectlJson<Pod>(['-n', config.namespace, 'get', 'pod', pod.metadata.name])).status.containerStatuses![0];
      return now.restartCount > status.restartCount && now.ready;
    }, 600_000);
    return Date.now() - stoppedAt;
  }

  test('S11 B15 SIGSTOP of the metrics server (serve-metrics, socat) in mysql\'s and of the log reader (count-vsftpd-log) in ftps\'s container each restart that container', async () => {
    const rows = await Promise.all([['mysql', 'serve-metrics'], ['ftps', 'count-vsftpd-log']].map(async ([service, name]) =>
      [service, `${name} (SIGSTOP from the node)`, `${((await stopAndWait(service, name)) / 1000).toFixed(1)} s`]));
    figures.add('a stopped (SIGSTOP) process of the metrics → the kubelet restarts the container', [['service', 'process stopped', 'ready again after'], ...rows]);
  }, 1_300_000);
});

test('S11 B15 a stopped (SIGSTOP) collector is noticed: killed at its time limit, the container keeps serving and the next scrape answers', async () => {
  const pod = await podOf('mysql');
  const status = pod.status.containerStatuses![0];
  const url = `http://${pod.status.podIP}:${METRICS_PORT}${METRICS_PATH}`;
  // A collector runs at most once per METRICS_REUSE_SECONDS and lives a few ms: scrapes keep
  // starting new ones while the node stops the first it sees in the container (comm of the script).
  const catchOne = 'dir=$(find /sys/fs/cgroup/pids -type d -name "*$1*" | head -n 1); end=$(($(date +%s) + 60)); ' +
    'while [ "$(date +%s)" -lt "$end" ]; do for p in $(cat "$dir/cgroup.procs"); do ' +
    'if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = collect-metrics ]; then kill -STOP "$p" && echo "$p" && exit 0; fi; done; done; exit 1';
  const scrapes = kubectl(['-n', config.namespace, 'exec', FLOOD_POD, '--', 'sh', '-c',
    `for i in $(seq 1 150); do curl -s -o /dev/null --max-time 10 '${url}'; sleep 0.2; done`]).catch(() => '');
  const stopped = Number((await onNode(['sh', '-c', catchOne, 'sh', status.containerID!.replace(/^\w+:\/\//, '')])).trim());
  const stoppedAt = Date.now();
  // Gone once the watchdog killed it (a zombie until its parent reaps it counts as gone).
  const gone = async () => (await onNode(['sh', '-c', `grep -qs '^State:[[:space:]]*[^Z]' /proc/${stopped}/status && echo running || echo gone`])).trim() === 'gone';
  await waitFor(`the stopped collector ${stopped} killed`, gone, 30_000, 500);
  const killedAfter = Date.now() - stoppedAt;
  await scrapes;
  const log = await kubectl(['-n', config.namespace, 'logs', pod.metadata.name]);
  expect(log).toMatch(/serve-metrics: the collector \S*collect-metrics did not finish within \d+s: killed/);
  const answer = await kubectl(['-n', config.namespace, 'exec', FLOOD_POD, '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', url]);
  const now = (await kubectlJson<Pod>(['-n', config.namespace, 'get', 'pod', pod.metadata.name])).status.containerStatuses![0];
  expect({ answer, restarts: now.restartCount }).toEqual({ answer: '200', restarts: status.restartCount });
  figures.add('a stopped (SIGSTOP) collector → killed at its time limit (METRICS_COLLECTOR_SECONDS), the container keeps running',
    [['service', 'process stopped', 'killed after', 'restarts'], ['mysql', `collect-metrics (pid ${stopped} on the node)`, `${(killedAfter / 1000).toFixed(1)} s`, 'none']]);
}, 300_000);

test('S1 ./setup.sh delete removes the stack', async () => {
  const deleted = await setup.run('delete', '--yes');
  expect({ status: deleted.status, tail: deleted.status === 0 ? '' : deleted.output.split('\n').slice(-40).join('\n') }).toEqual({ status: 0, tail: '' });
}, 600_000);
