/**
 * The whole stack on the real cluster (issue 17 points 5–7, B14): `./setup.sh`, `./setup.sh check`
 * and `./setup.sh delete`, unmodified, driven from the user's namespace against the Kubernetes that
 * `.ci/cluster/up` started, with the CI minikube (.ci/cluster/minikube) on PATH. The tests run in
 * order and share the one stack, as a user's session does: up, re-run, check, what check does not
 * cover, prune, delete. Where a proof is a row of `./setup.sh check` it is asserted on check's table,
 * not run twice. Figures (point 7) go to test-output/cluster/figures.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Browser } from 'playwright-core';
import { DAEMONSET_SERVICES, SERVICE_NAMES, ServiceName, StackConfig } from '../../lib/config';
import { publicEndpoints } from '../../lib/endpoints';
import { dashboardFiles } from '../../lib/monitoring/dashboards';
import { SecretReader, stackSecrets } from '../../lib/secrets';
import { readCredential, rememberedConfig } from '../../lib/setup/state';
import { METRICS, SERIES_TAGS } from '../../lib/monitoring/telegraf-config';
import { stackServices } from '../support/model';
import { launchChromium, watchedPage } from '../services/support/browser';
import { allowedTable, ReadersTable } from '../services/support/secret-readers';
import { grafanaInterpolate, panelQueries } from '../support/influxql';
import { CheckRow, checkRows, CONTEXT, Figures, kubectl, kubectlJson, onNode, OUTPUT, Proc, processes, requireClusterAccess, run, runTogetherStarted, Setup, SetupRun, waitFor } from './support/cluster';
import { DASHBOARD } from './support/minikube-shim';

const setup = new Setup();
const figures = new Figures();
let config: StackConfig;
let rows: CheckRow[] = [];

interface Item { metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } }
interface List<T = Item> { items: T[] }

/** What the cluster holds that setup may touch: namespaces, cluster-wide objects, the node's images. */
async function clusterInventory(): Promise<Record<string, string[]>> {
  const names = async (resource: string) => (await kubectlJson<List>(['get', resource])).items.map((item) => item.metadata.name).sort();
  const inventory: Record<string, string[]> = {};
  for (const resource of ['namespaces', 'clusterroles', 'clusterrolebindings', 'customresourcedefinitions', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'persistentvolumes', 'storageclasses', 'priorityclasses']) {
    inventory[resource] = await names(resource);
  }
  inventory.images = (await run('minikube', ['-p', CONTEXT, 'image', 'ls'], { env: setup.env })).stdout.split('\n').filter(Boolean).sort();
  return inventory;
}
let before: Record<string, string[]>;

const secret = (name: keyof ReturnType<typeof stackSecrets>, key?: string) => readCredential(setup.stateDir, stackSecrets(config)[name], key);
const tail = (ran: SetupRun) => ran.output.split('\n').slice(-40).join('\n');
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Which verdicts of check rest on something that is not the real program, and why. */
function standIn(row: CheckRow): string {
  if (/Grafana/.test(row.title)) return 'yes: Debian has no Grafana package, the grafana image runs a stand-in (.ci/cluster/alpine-to-debian says what it serves)';
  if (row.requirement === 'B8') return 'no: kube-router enforces the policies (minikube\'s Calico cannot be built here)';
  return 'no';
}

/** Asserts the run ended well, showing the end of its output when it did not. */
function expectSucceeded(ran: SetupRun, what: string): void {
  expect({ what, status: ran.status, tail: ran.status === 0 ? '' : tail(ran) }).toEqual({ what, status: 0, tail: '' });
}

/** The rows of check's table whose title matches, all present and passing. */
function expectRows(requirement: string, title: RegExp, count = 1): CheckRow[] {
  const found = rows.filter((row) => row.requirement === requirement && title.test(row.title));
  expect({ requirement, title: String(title), found: found.length >= count, failing: found.filter((row) => !row.ok) }).toEqual({ requirement, title: String(title), found: true, failing: [] });
  return found;
}

interface Pod {
  metadata: { name: string; labels: Record<string, string> };
  spec: { containers: Array<{ name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> };
  status: { phase: string; conditions?: Array<{ type: string; status: string; lastTransitionTime: string }>; containerStatuses?: Array<{ name: string; containerID?: string; restartCount: number; ready: boolean }> };
}
const podsOf = async (namespace: string) => (await kubectlJson<List<Pod>>(['-n', namespace, 'get', 'pods'])).items;
const serviceOf = (pod: Pod) => pod.metadata.labels['app.kubernetes.io/name'];

beforeAll(async () => {
  requireClusterAccess();
  fs.rmSync(OUTPUT, { recursive: true, force: true });
  before = await clusterInventory();
});

afterAll(() => {
  process.stdout.write(`${figures.write()}\n`);
  setup.cleanUp();
});

test('B14 the cluster is one Ready node with no stack on it yet', async () => {
  const nodes = (await kubectlJson<List<{ status: { conditions: Array<{ type: string; status: string }> } } & Item>>(['get', 'nodes'])).items;
  expect(nodes.map((node) => node.status.conditions.find((c) => c.type === 'Ready')?.status)).toEqual(['True']);
  expect(before.namespaces).not.toContain('ft-services');
  expect(before.namespaces).not.toContain('metallb-system');
});

test('S1 B14 ./setup.sh, unmodified, brings every workload of a fresh cluster to ready', async () => {
  const first = await setup.run();
  expectSucceeded(first, './setup.sh');
  config = rememberedConfig(setup.stateDir);
  const workloads = await kubectlJson<List<Item & { kind: string; status: { readyReplicas?: number; numberReady?: number; replicas?: number; desiredNumberScheduled?: number } }>>(['-n', config.namespace, 'get', 'deployments,daemonsets']);
  const ready = Object.fromEntries(workloads.items.map((w) => [w.metadata.name, w.kind === 'DaemonSet' ? w.status.numberReady === w.status.desiredNumberScheduled : w.status.readyReplicas === w.status.replicas]));
  expect(ready).toEqual(Object.fromEntries(SERVICE_NAMES.map((service) => [service, true])));
  // Point 7: from the start of ./setup.sh to each service's pod being ready.
  const pods = await podsOf(config.namespace);
  const steps = [...first.output.matchAll(/^==> (.*)\n(?:(?!==> ).*\n)*? {4}done in (\d+)s$/gm)].map((m) => [m[1], `${m[2]} s`]);
  figures.add(`first ./setup.sh on a fresh cluster: ${seconds(first.seconds * 1000)} in all`, [['step', 'time'], ...steps]);
  figures.add('first ./setup.sh: from its start to each service ready', [['service', 'ready after'],
    ...pods.map((pod) => [serviceOf(pod), seconds(Date.parse(pod.status.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime) - first.startedAt)])]);
});

test('S3 the dashboard add-on is enabled (a stand-in that says so), and the token command setup prints works', async () => {
  const addons = await run('minikube', ['-p', CONTEXT, 'addons', 'list', '-o', 'json'], { env: setup.env });
  expect(JSON.parse(addons.stdout).dashboard.Status).toBe('enabled');
  await kubectl(['-n', DASHBOARD.namespace, 'rollout', 'status', 'deployment/kubernetes-dashboard', '--timeout=120s']);
  const token = await kubectl(['-n', DASHBOARD.namespace, 'create', 'token', 'kubernetes-dashboard']);
  expect(token.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  // Through the API server's service proxy, the way `minikube dashboard --url` reaches the add-on.
  const page = await kubectl(['get', '--raw', `/api/v1/namespaces/${DASHBOARD.namespace}/services/kubernetes-dashboard:80/proxy/`]);
  expect(page).toBe(DASHBOARD.page);
});

interface FsStats { usedBytes?: number }
interface KubeletSummary {
  pods: Array<{
    podRef: { name: string; namespace: string };
    containers: Array<{ name: string; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number }; rootfs?: FsStats; logs?: FsStats }>;
    'ephemeral-storage'?: FsStats;
    volume?: Array<{ name: string } & FsStats>;
  }>;
}

/** The kubelet's own figures (/stats/summary, through the API server's node proxy), per pod and container. */
async function kubeletSummary(): Promise<KubeletSummary> {
  const node = (await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  return JSON.parse(await kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`])) as KubeletSummary;
}
const podStats = (summary: KubeletSummary, pod: Pod) => summary.pods.find((p) => p.podRef.namespace === config.namespace && p.podRef.name === pod.metadata.name);
const mebibytes = (bytes: number | undefined) => `${((bytes ?? NaN) / 2 ** 20).toFixed(2)} Mi`;

test('B14 figures: each pod\'s memory working set and CPU at idle, read from the kubelet, beside its requests and limits', async () => {
  // Idle: a minute after the last rollout, before check exercises anything.
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  const summary = await kubeletSummary();
  const pods = await podsOf(config.namespace);
  const table = pods.flatMap((pod) => pod.spec.containers.map((container) => {
    const stats = podStats(summary, pod)?.containers.find((c) => c.name === container.name);
    const r = container.resources ?? {};
    return [serviceOf(pod), container.name, `${((stats?.memory?.workingSetBytes ?? NaN) / 2 ** 20).toFixed(1)} Mi`, `${((stats?.cpu?.usageNanoCores ?? NaN) / 1e6).toFixed(1)} m`,
      `${r.requests?.memory ?? '-'} / ${r.limits?.memory ?? '-'}`, `${r.requests?.cpu ?? '-'} / ${r.limits?.cpu ?? '-'}`];
  }));
  figures.add('at idle, from the kubelet (/stats/summary through the API server)', [['service', 'container', 'memory working set', 'CPU', 'memory request / limit', 'CPU request / limit'], ...table]);
  expect(table.map((row) => [row[0], Number.isFinite(parseFloat(row[2]))])).toEqual(table.map((row) => [row[0], true]));
}, 180_000);

test('B9 a second ./setup.sh rebuilds no image and changes no object', async () => {
  const manifests = path.join(setup.stateDir, 'manifests');
  const files = fs.readdirSync(manifests).filter((file) => file.endsWith('.yaml')).flatMap((file) => ['-f', path.join(manifests, file)]);
  const versions = async () => Object.fromEntries((await kubectlJson<List>(['get', ...files])).items.map((item) => [`${item.metadata.namespace ?? ''}/${item.metadata.name}`, item.metadata.resourceVersion]));
  const was = await versions();
  const again = await setup.run();
  expectSucceeded(again, 'the second ./setup.sh');
  expect(again.stdout).not.toMatch(/^ {4}building /m);
  expect(again.stdout.match(/^ {4}\S+ is already in the cluster$/gm)).toHaveLength(SERVICE_NAMES.length);
  expect(await versions()).toEqual(was);
  figures.add('the second ./setup.sh (nothing to do)', [['run', 'time'], ['./setup.sh again', seconds(again.seconds * 1000)]]);
});

test('B6 B14 ./setup.sh check passes every row against the real cluster', async () => {
  const check = await setup.run('check');
  rows = checkRows(check.stdout);
  fs.writeFileSync(path.join(OUTPUT, 'check-table.txt'), check.stdout);
  figures.add(`./setup.sh check: ${rows.length} rows in ${seconds(check.seconds * 1000)} (every image is built from srcs/ on Debian 13's packages, .ci/cluster/alpine-to-debian)`,
    [['requirement', 'verdict', 'check', 'detail', 'rests on a stand-in'],
      ...rows.map((row) => [row.requirement, row.ok ? 'pass' : 'FAIL', row.title, row.detail, standIn(row)].map((cell) => cell.replace(/\|/g, '\\|')))]);
  expect(rows.length).toBeGreaterThan(30);
  expect(rows.filter((row) => !row.ok)).toEqual([]);
  expect(check.status).toBe(0);
});

/** Bytes in a binary-suffixed Kubernetes quantity (`144Mi`, `1Gi`), as the chart writes them. */
function quantityBytes(quantity: string | undefined): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity ?? '');
  if (match === null) throw new Error(`not a binary quantity: ${quantity}`);
  return Number(match[1]) * 2 ** (10 * ['', 'Ki', 'Mi', 'Gi'].indexOf(match[2] ?? ''));
}

test('B15 figures: every container\'s ephemeral storage after check, read from the kubelet, is under its request', async () => {
  // What the kubelet counts against a container's ephemeral-storage limit: its writable layer
  // (rootfs) and its logs; against the pod's, those plus its local volumes (emptyDir, ConfigMaps)
  // and its /etc/hosts (kubernetes v1.35.4 pkg/kubelet/eviction/eviction_manager.go
  // containerEphemeralStorageLimitEviction, podEphemeralStorageLimitEviction; the pod's sum in
  // pkg/kubelet/stats/helper.go calcEphemeralStorage). Check has used every service by now, and
  // restarted every container once (its S10 and S11 rows).
  const summary = await kubeletSummary();
  const pods = (await podsOf(config.namespace)).filter((pod) => pod.status.phase === 'Running');
  const measured = pods.flatMap((pod) => pod.spec.containers.map((container) => {
    const stats = podStats(summary, pod);
    const own = stats?.containers.find((c) => c.name === container.name);
    const request = quantityBytes(container.resources?.requests?.['ephemeral-storage']);
    return {
      service: serviceOf(pod), container: container.name, rootfs: own?.rootfs?.usedBytes ?? NaN, logs: own?.logs?.usedBytes ?? NaN,
      pod: stats?.['ephemeral-storage']?.usedBytes ?? NaN, volumes: (stats?.volume ?? []).map((v) => `${v.name} ${mebibytes(v.usedBytes)}`).join(', '),
      request, limit: quantityBytes(container.resources?.limits?.['ephemeral-storage']),
    };
  }));
  figures.add('ephemeral storage after ./setup.sh check, from the kubelet (/stats/summary), beside the requests and limits (B15)', [
    ['service', 'container', 'writable layer', 'logs', 'whole pod (with its local volumes and /etc/hosts)', 'request / limit', 'volumes (Secrets are tmpfs: not counted)'],
    ...measured.map((m) => [m.service, m.container, mebibytes(m.rootfs), mebibytes(m.logs), mebibytes(m.pod), `${mebibytes(m.request)} / ${mebibytes(m.limit)}`, m.volumes])]);
  expect(measured.map((m) => m.service).sort()).toEqual([...SERVICE_NAMES].sort());
  // Each pod has one container: its whole use is held to that container's request.
  const over = measured.filter((m) => !(m.rootfs + m.logs < m.request && m.pod < m.request));
  expect(over).toEqual([]);
});

/**
 * Who runs as whom in the images (their entrypoints): php-fpm's pool user (PHP_FPM_USER, `nobody`
 * by default) and Grafana's `grafana` read the daemon's copies; serve-metrics' METRICS_USER the
 * metrics'. The chart says which files each gets (secretReaders, `<READER>_HANDED`).
 */
const DAEMON_USER: Partial<Record<ServiceName, string>> = { wordpress: 'nobody', phpmyadmin: 'nobody', grafana: 'grafana' };
/** Files an image makes from a Secret for one reader (srcs/mysql/entrypoint.sh: the collector's client options). */
const MADE_FILES: Partial<Record<ServiceName, Record<string, { path: string; reader: SecretReader }>>> = {
  mysql: { 'metrics client options': { path: '/run/mysql-metrics.cnf', reader: 'metrics' } },
};

test('B15 in every container, each user reads exactly the Secret files its module hands it: no mounted Secret, no other reader\'s copy', async () => {
  const tables: string[][] = [];
  const failures: Array<{ service: string; seen: ReadersTable; allowed: ReadersTable }> = [];
  for (const service of SERVICE_NAMES) {
    const deployment = await kubectlJson<{ spec: { template: { spec: { volumes?: Array<{ secret?: unknown }>; containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } } }>(
      ['-n', config.namespace, 'get', 'deployment', service]).catch(() => undefined);
    if (!deployment?.spec.template.spec.volumes?.some((volume) => volume.secret !== undefined)) continue;
    const env = Object.fromEntries((deployment.spec.template.spec.containers[0].env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
    const made = Object.entries(MADE_FILES[service] ?? {});
    // Every user of the image's /etc/passwd but root, each file opened by cat as that user (setpriv, util-linux).
    const script = `set -eu
command -v setpriv >/dev/null || { echo "no setpriv in this image" >&2; exit 3; }
echo "metrics-user \${METRICS_USER:-nobody}"
files=''
for f in /run/secrets/*/* "\${HANDED_DIR:-/nonexistent}"/*/*/* "$@"; do [ -f "$f" ] && files="$files $f" && echo "file $f"; done
for user in $(awk -F: '$3 != 0 { print $1 }' /etc/passwd); do
  echo "user $user"
  gid=$(id -g "$user")
  for f in $files; do
    if setpriv --reuid "$user" --regid "$gid" --init-groups cat "$f" >/dev/null 2>&1; then echo "reads $user $f"; fi
  done
done`;
    const out = await kubectl(['-n', config.namespace, 'exec', `deployment/${service}`, '-c', service, '--', 'sh', '-c', script, 'sh', ...made.map(([, file]) => file.path)]);
    const lines = out.split('\n').map((line) => line.split(' '));
    const label = (file: string) => made.find(([, m]) => m.path === file)?.[0]
      ?? (file.startsWith('/run/secrets/') ? `mounted/${file.slice('/run/secrets/'.length)}` : file.slice(`${env.HANDED_DIR}/`.length));
    const metricsUser = lines.find(([kind]) => kind === 'metrics-user')?.[1] ?? 'nobody';
    const users = lines.filter(([kind]) => kind === 'user').map(([, user]) => user);
    const seen: ReadersTable = Object.fromEntries([...new Set(users)].sort().map((user) => [user, lines.filter(([kind, who]) => kind === 'reads' && who === user).map(([, , file]) => label(file)).sort()]));
    const readerUsers: Partial<Record<SecretReader, string>> = { daemon: DAEMON_USER[service], metrics: metricsUser };
    const extra: Record<string, string[]> = {};
    for (const [name, file] of made) (extra[readerUsers[file.reader] as string] ??= []).push(name);
    const allowed = allowedTable(env, users, readerUsers, extra);
    const files = lines.filter(([kind]) => kind === 'file').map(([, file]) => label(file));
    tables.push([service, files.join(', '), Object.entries(seen).filter(([, read]) => read.length > 0).map(([user, read]) => `${user}: ${read.join(', ')}`).join('; ') || 'none', `${users.length} users`]);
    if (JSON.stringify(seen) !== JSON.stringify(allowed)) failures.push({ service, seen, allowed });
  }
  figures.add('B15 who reads which Secret file, as each user of each container (setpriv + cat)', [['service', 'files (mounted/… the Secret volumes, daemon/… metrics/… the copies handed over)', 'users that read one', 'users tried'], ...tables]);
  expect(tables.map(([service]) => service)).toEqual(expect.arrayContaining(['grafana', 'wordpress', 'phpmyadmin', 'mysql']));
  expect(failures).toEqual([]);
}, 300_000);

describe('from the user\'s machine, on the one address', () => {
  test('S7 http answers 301 to https, /wordpress 307 to WordPress, SSH logs in (check\'s S7 rows)', () => {
    expectRows('S7', /301/);
    expectRows('S7', /307/);
    expectRows('S7', /ssh|SSH/, 2);
  });

  test('S5 WordPress shows its site and each of its users logs in (check\'s S5 rows)', () => {
    expectRows('S5', /./, 1 + config.wordpress.users.length);
  });

  test('S8 FTPS uploads and downloads through the address, passive ports on the same address (check\'s S8 rows)', () => {
    expectRows('S8', /./, 3);
  });

  test('S7 phpMyAdmin through nginx\'s /phpmyadmin/: a real login in headless Chromium, never leaving the prefix', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const { page, problems, requested } = await watchedPage(browser);
      const proxied = `${publicEndpoints(config).https.url}/phpmyadmin/`;
      await page.goto(proxied, { waitUntil: 'load' });
      await page.fill('#input_username', config.mysql.user);
      await page.fill('#input_password', secret('mysqlWordPress'));
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#input_go')]);
      await page.locator('#pma_navigation_tree').getByText(config.mysql.database, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await page.screenshot({ path: path.join(OUTPUT, 'phpmyadmin-logged-in.png') });
      expect(page.url().startsWith(proxied)).toBe(true);
      expect(problems).toEqual([]);
      expect(requested.filter((url) => !url.startsWith(proxied))).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 120_000);

  test('S4 the node answers ARP for the address with its own MAC, and MetalLB names it in a ServiceL2Status (check\'s S4 row)', async () => {
    const address = config.loadBalancer.address;
    const route = JSON.parse((await run('ip', ['-j', 'route', 'get', address])).stdout) as Array<{ dev: string }>;
    const arping = await run('arping', ['-c', '3', '-w', '5', '-I', route[0].dev, address]);
    const macs = new Set([...arping.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1].toLowerCase()));
    const links = JSON.parse(await onNode(['ip', '-j', 'address'])) as Array<{ address: string; addr_info: Array<{ local: string }> }>;
    const nodeIp = (await run('minikube', ['-p', CONTEXT, 'ip'], { env: setup.env })).stdout.trim();
    const nodeMac = links.find((link) => link.addr_info.some((info) => info.local === nodeIp))?.address;
    expect({ arping: arping.stdout, macs: [...macs] }).toEqual({ arping: arping.stdout, macs: [nodeMac] });
    expectRows('S4', /announce|ServiceL2Status/i);
  });

  test('S4 no NodePort is allocated on any Service of the cluster, and the node listens on none', async () => {
    const services = await kubectlJson<List<Item & { spec: { type: string; allocateLoadBalancerNodePorts?: boolean; ports?: Array<{ nodePort?: number }> } }>>(['get', 'services', '-A']);
    const withNodePorts = services.items.filter((s) => (s.spec.ports ?? []).some((p) => p.nodePort !== undefined)).map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
    expect(withNodePorts).toEqual([]);
    const listening = (await onNode(['ss', '-Hltnu'])).split('\n').flatMap((line) => /:(\d+)\s/.exec(line.split(/\s+/)[4] + ' ')?.[1] ?? []).map(Number);
    expect(listening.filter((port) => port >= 30000 && port <= 32767)).toEqual([]);
  });
});

test('B8 a pod that is no declared client cannot open MySQL or InfluxDB; the declared clients can (check\'s B8 row, on kube-router\'s enforcement)', () => {
  expectRows('B8', /./);
});

test('S10 deleting the database pods loses no data (check\'s S10 rows)', () => {
  expectRows('S10', /mysql/);
  expectRows('S10', /influxdb/);
});

describe('K7 S9 telegraf reads the real kubelet and pods; every dashboard query returns data from this cluster', () => {
  /**
   * InfluxQL on InfluxDB's HTTP API, as Grafana's reader, with the curl of the influxdb image (its
   * Dockerfile adds it) from inside the pod, as Grafana's queries reach it.
   */
  async function influx(query: string): Promise<Array<{ name: string; tags?: Record<string, string>; values: unknown[][] }>> {
    const out = await kubectl(['-n', config.namespace, 'exec', 'deployment/influxdb', '--', 'curl', '-sS', '--fail-with-body', '-G', 'http://127.0.0.1:8086/query',
      '-u', `${config.influxdb.readUser}:${secret('influxdbRead')}`, '--data-urlencode', `db=${config.influxdb.database}`, '--data-urlencode', `q=${query}`]);
    const parsed = JSON.parse(out) as { results: Array<{ series?: Array<{ name: string; tags?: Record<string, string>; values: unknown[][] }>; error?: string }> };
    if (parsed.results[0].error) throw new Error(`${query}: ${parsed.results[0].error}`);
    return parsed.results[0].series ?? [];
  }

  test('K7 the container series name every running pod of the stack, as the kubelet reports them', async () => {
    const pods = (await podsOf(config.namespace)).filter((pod) => pod.status.phase === 'Running').map((pod) => pod.metadata.name);
    const series = await influx(`SHOW TAG VALUES FROM "${METRICS.container.measurement}" WITH KEY = "${SERIES_TAGS.pod}" WHERE time > now() - 2m`);
    const seen = series.flatMap((s) => s.values.map((value) => String(value[1])));
    expect(seen).toEqual(expect.arrayContaining(pods));
  });

  test('S9 every panel of every dashboard returns data for the last 15 minutes', async () => {
    const now = Date.now();
    const range = { fromMs: now - 15 * 60_000, toMs: now };
    const empty: string[] = [];
    let count = 0;
    for (const [file, json] of Object.entries(dashboardFiles({ namespace: config.namespace, services: stackServices(config) }))) {
      for (const query of panelQueries(json)) {
        count++;
        const series = await influx(grafanaInterpolate(query.query, range, '10s'));
        if (!series.some((s) => s.values.some((value) => value.slice(1).some((v) => typeof v === 'number')))) empty.push(`${file} / ${query.panel} / ${query.refId}`);
      }
    }
    expect(count).toBeGreaterThan(SERVICE_NAMES.length * 4);
    expect(empty).toEqual([]);
  }, 300_000);
});

describe('S11 kill -9 of each process a container needs makes the kubelet restart that container', () => {
  interface Running { readonly pod: string; readonly id: string; readonly restarts: number }

  async function running(service: ServiceName): Promise<Running> {
    const pod = (await podsOf(config.namespace)).find((p) => serviceOf(p) === service && p.status.phase === 'Running')!;
    const status = pod.status.containerStatuses![0];
    return { pod: pod.metadata.name, id: status.containerID!.replace(/^\w+:\/\//, ''), restarts: status.restartCount };
  }

  /**
   * What the container needs, in the order it starts them: run-together and every program it says it
   * started (srcs/common/run-together logs "started NAME (pid N)", N in the container); a container
   * without run-together needs its entrypoint, the container's first process. Each as a way to find
   * its host PID in the container as it runs now.
   */
  async function needed(service: ServiceName, container: Running): Promise<Array<{ name: string; find: (c: Running) => Promise<Proc | undefined> }>> {
    const started = (c: Running) => runTogetherStarted(config.namespace, c.pod);
    const procs = await processes(container.id);
    const supervisor = procs.find((p) => p.name === 'run-together');
    const first = (list: readonly Proc[]) => list.find((p) => !list.some((q) => q.hostPid === p.ppid));
    if (supervisor === undefined) return [{ name: first(procs)!.name, find: async (c) => first(await processes(c.id)) }];
    const names = (await started(container)).map((m) => m.name);
    expect({ service, started: names.length > 0 }).toEqual({ service, started: true });
    return [
      { name: 'run-together', find: async (c) => (await processes(c.id)).find((p) => p.name === 'run-together') },
      ...names.map((name, index) => ({
        name,
        find: async (c: Running) => {
          const pid = (await started(c))[index]?.pid;
          return (await processes(c.id)).find((p) => p.containerPid === pid);
        },
      })),
    ];
  }

  /** Kills `name` in the service's container with SIGKILL from the node; resolves when the kubelet restarted it and it is ready. */
  async function killAndWait(service: ServiceName, target: { name: string; find: (c: Running) => Promise<Proc | undefined> }): Promise<{ ms: number; running: string }> {
    const was = await running(service);
    const proc = await target.find(was);
    expect({ service, process: target.name, found: proc !== undefined }).toEqual({ service, process: target.name, found: true });
    const killedAt = Date.now();
    await onNode(['kill', '-9', String(proc!.hostPid)]);
    await waitFor(`${service}: a restart after kill -9 ${target.name}`, async () => {
      const status = (await kubectlJson<Pod>(['-n', config.namespace, 'get', 'pod', was.pod])).status.containerStatuses![0];
      return status.restartCount > was.restarts && status.ready;
    }, 600_000);
    return { ms: Date.now() - killedAt, running: proc!.name };
  }

  test('S11 every process each container needs, killed with SIGKILL, is brought back by a container restart', async () => {
    const plans = await Promise.all(stackServices(config).map(async ({ name }) => ({ service: name, targets: await needed(name, await running(name)) })));
    const timings: string[][] = [['service', 'process killed (kill -9 from the node)', 'restart count before', 'ready again after']];
    // Rounds across the services at once: the kubelet's restart back-off doubles per container
    // (10 s, 20 s, 40 s, …), so one container's kills in a row would wait it out one after the other.
    for (let round = 0; plans.some((plan) => plan.targets.length > round); round++) {
      await Promise.all(plans.filter((plan) => plan.targets.length > round).map(async ({ service, targets }) => {
        const restarts = (await running(service)).restarts;
        const { ms, running: comm } = await killAndWait(service, targets[round]);
        // The name run-together started it by, and the program running under it (su-exec executes the daemon).
        timings.push([service, comm === targets[round].name ? comm : `${targets[round].name} (${comm})`, String(restarts), seconds(ms)]);
      }));
    }
    figures.add('kill -9 of each process a container needs → the kubelet restarts the container', timings);
    for (const { service } of plans) {
      const kind = (DAEMONSET_SERVICES as readonly string[]).includes(service) ? 'daemonset' : 'deployment';
      await kubectl(['-n', config.namespace, 'rollout', 'status', `${kind}/${service}`, '--timeout=300s']);
    }
    expect(timings.length - 1).toBeGreaterThanOrEqual(plans.length * 2 - 1);
  }, 3_600_000);

  test('S11 the check\'s own rows (pkill of one process per container) passed too', () => {
    expectRows('S11', /./, SERVICE_NAMES.length);
  });
});

/**
 * Whether this node enforces the limits: the kubelet's eviction manager checks every pod's local
 * storage on each pass (every 10 s) when LocalStorageCapacityIsolation is on, its default
 * (kubernetes v1.35.4 pkg/kubelet/eviction/eviction_manager.go synchronize → localStorageEviction;
 * the default in pkg/kubelet/apis/config/v1beta1/defaults.go; .ci/cluster/up does not turn it off,
 * nor does minikube). It evicts a pod whose emptyDir passes its sizeLimit, whose whole use passes
 * the sum of its containers' limits, or one of whose containers' logs, plus its writable layer
 * unless the images live on a filesystem of their own ("dedicatedImageFs"), pass that container's
 * limit. Here containerd's overlayfs snapshots and the kubelet's root share one filesystem, so the
 * writable layer counts, as on minikube's VM. Nothing in this needs cgroup v2 or a filesystem
 * quota: the kubelet compares sizes measured by walking the files (the writable layer's by
 * containerd 1.6's CRI, every 10 s: pkg/cri/server/snapshots.go, the overlayfs snapshotter's Usage),
 * so a writer is stopped by eviction seconds after it passed the limit, not at the limit.
 */
test('B15 a runaway writer in one container gets that pod evicted at its ephemeral-storage limit, and not its neighbours; its Deployment starts a new pod', async () => {
  // phpMyAdmin: no volume and no state, and nothing later in this file needs its pod.
  const victimService: ServiceName = 'phpmyadmin';
  const before = (await podsOf(config.namespace)).filter((pod) => pod.status.phase === 'Running');
  const victim = before.find((pod) => serviceOf(pod) === victimService)!;
  const limit = quantityBytes(victim.spec.containers[0].resources?.limits?.['ephemeral-storage']);
  const written = limit / 2 ** 20 + 16;
  const startedAt = Date.now();
  await kubectl(['-n', config.namespace, 'exec', victim.metadata.name, '--', 'dd', 'if=/dev/zero', 'of=/tmp/ft-runaway-writer', 'bs=1M', `count=${written}`]);
  // The kubelet's Evicted event, not the pod's status: the eviction manager sets Failed/Evicted, but
  // the status is then computed again from the containers' exit codes (v1.35.4
  // pkg/kubelet/kubelet_pods.go generateAPIPodStatus → getPhase), and run-together exits 0 on the
  // stop signal, so the pod ends as Succeeded ("Completed") without the reason.
  const evicted = await waitFor(`${victim.metadata.name} evicted`, async () => (await kubectlJson<List<Item & { reason: string; message: string }>>(['-n', config.namespace, 'get', 'events',
    '--field-selector', `involvedObject.name=${victim.metadata.name},reason=Evicted`])).items[0], 180_000);
  const evictedAfter = Date.now() - startedAt;
  // Not `rollout status`: the Deployment may still count the evicted pod as available for a moment.
  const replacement = await waitFor(`a new ${victimService} pod ready`, async () => (await podsOf(config.namespace))
    .find((pod) => serviceOf(pod) === victimService && pod.metadata.name !== victim.metadata.name && pod.status.containerStatuses?.[0].ready), 300_000);
  const after = await podsOf(config.namespace);
  figures.add('a runaway writer past its container\'s ephemeral-storage limit (B15)', [['pod', 'written', 'limit', 'evicted after', 'the kubelet\'s message', 'new pod ready after'],
    [victim.metadata.name, `${written} Mi`, mebibytes(limit), seconds(evictedAfter), evicted.message, seconds(Date.now() - startedAt)]]);
  const neighbours = (pods: Pod[]) => pods.filter((pod) => serviceOf(pod) !== victimService && pod.status.phase === 'Running')
    .map((pod) => `${pod.metadata.name} restarts ${pod.status.containerStatuses!.map((c) => c.restartCount).join(',')}`).sort();
  // The pod's sum or the container's own limit (eviction/helpers.go podEphemeralStorageMessageFmt,
  // containerEphemeralStorageMessageFmt): with one container, the pod's check comes first.
  expect(evicted.message).toMatch(/^(Pod ephemeral local storage usage exceeds the total limit of containers|Container \S+ exceeded its local ephemeral storage limit)/);
  expect(['Failed', 'Succeeded']).toContain((await kubectlJson<Pod>(['-n', config.namespace, 'get', 'pod', victim.metadata.name])).status.phase);
  expect(neighbours(after)).toEqual(neighbours(before));
  expect(replacement.status.phase).toBe('Running');
  // The evicted pod stays as a record until deleted; the later tests see the running stack only.
  await kubectl(['-n', config.namespace, 'delete', 'pod', victim.metadata.name, '--wait=true']);
}, 600_000);

test('B9 an object removed from the chart is pruned by the next ./setup.sh', async () => {
  // An object that an older chart had: applied as setup applies the stack (same field manager, same ApplySet).
  const stale = path.join(setup.stateDir, 'stale.yaml');
  const name = 'ft-ci-removed-from-the-chart';
  fs.writeFileSync(stale, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${config.namespace}\n  labels:\n    app.kubernetes.io/part-of: ft-services\n`);
  const manifests = path.join(setup.stateDir, 'manifests');
  const applied = await run('kubectl', ['--context', CONTEXT, 'apply', '--server-side', '--field-manager=ft-setup', '-n', config.namespace, '--applyset=ft-services-applyset', '--prune',
    '-f', path.join(manifests, 'ft-services-secrets.k8s.yaml'), '-f', path.join(manifests, 'ft-services.k8s.yaml'), '-f', stale], { env: { ...process.env, KUBECTL_APPLYSET: 'true' } });
  expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: '' });
  fs.rmSync(stale);
  await kubectl(['-n', config.namespace, 'get', 'configmap', name]);
  const again = await setup.run();
  expectSucceeded(again, './setup.sh after the chart lost an object');
  expect(again.stdout).toContain(`removed from the chart, deleted: configmap/${name}`);
  expect(await kubectl(['-n', config.namespace, 'get', 'configmap', name, '--ignore-not-found', '-o', 'name'])).toBe('');
});

test('S1 ./setup.sh delete removes everything setup made: the cluster is as it was before', async () => {
  const deleted = await setup.run('delete', '--yes');
  expectSucceeded(deleted, './setup.sh delete --yes');
  expect(fs.existsSync(setup.stateDir)).toBe(false);
  // The volumes' PersistentVolumes go with their claims (reclaim policy Delete), a moment later.
  const after = await waitFor('PersistentVolumes of the stack gone', async () => {
    const inventory = await clusterInventory();
    return inventory.persistentvolumes.length === before.persistentvolumes.length ? inventory : undefined;
  }, 120_000);
  // minikube's `addons disable` deletes the add-on's objects and leaves its image in the node, as
  // the CI minikube does with the stand-in's (deploy/addons: no image is removed on disable).
  expect(after).toEqual({ ...before, images: [...new Set([...before.images, DASHBOARD.image])].sort() });
}, 600_000);
