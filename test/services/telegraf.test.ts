/**
 * The real telegraf v1.34.4 (built from its Go module by .ci/build-telegraf) on OUR generated config
 * (only the interval and the addresses changed, in support/telegraf.ts `forHost`), reading a
 * stand-in kubelet and API server (support/kubelet.ts: the shapes the kubelet API defines) and
 * writing into a real InfluxDB (Debian's influxd behind OUR entrypoint). Then every panel query of
 * every generated dashboard runs through InfluxDB as Grafana's InfluxQL datasource sends it: each
 * returns data for its own service, and nothing from a database holding every other service
 * (S9, K7, B5). Grafana itself is not packaged by Debian, so its macros are substituted here the
 * way its InfluxQL backend does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SERVICE_NAMES, ServiceName } from '../../lib/config';
import { dashboardFiles } from '../../lib/monitoring/dashboards';
import { METRICS, TELEGRAF_HEALTH_PORT, TELEGRAF_RBAC_RULES, telegrafDocument, telegrafInputs } from '../../lib/monitoring/telegraf-config';
import { TELEGRAF_USER } from '../../lib/services/telegraf';
import { grafanaInterpolate, panelQueries } from '../support/influxql';
import { freePort, makeTlsPair, OUTPUT_ROOT, randomSecret, scratchDir, Server, stopAll, waitFor, WaitingIsFutile } from './support/harness';
import { InfluxDatabase, influxQuery, startScratchInflux } from './support/influxdb';
import { grafanaTraffic, startGrafanaPod } from './support/grafana';
import { ClusterStandIn, StandInPod, startClusterStandIn } from './support/kubelet';
import { mysqlQueryAsync } from './support/mysql';
import { createSshUser, removeUser, startNginxContainer } from './support/nginx';
import { PhpMyAdminContainer, startPhpMyAdminContainer } from './support/phpmyadmin';
import { fetchInsecure, startWordpress, WordpressSite } from './support/wordpress';
import { FTPS_USER, prepareFtps, startFtps } from './support/ftps';
import { connectFtps, probeFtpsTransfer } from '../../lib/probes/ftps';
import { scrapeAnnotations } from '../../lib/monitoring/pod-metrics';
import { servedMetrics, stackServices, telegrafOptions } from '../support/model';
import { PanelData, panelTable, renderPicture } from './support/panel-picture';
import { compiledPlugins, forHost, requireTelegraf, TELEGRAF_VERSION, startTelegraf, TelegrafEnv, telegrafTest, writeConfig } from './support/telegraf';

const namespace = 'ft-services';
const node = 'minikube';
/** The node's address (HOST_IP): a loopback address of its own, where the kubelet stand-in takes port 10250. */
const HOST_IP = '127.0.0.13';
/** Grafana's interval for a short range: never below the datasource's timeInterval (10s). */
const GRAFANA_INTERVAL = '10s';

/** Each service's pod as its workload kind names it (Deployment, StatefulSet, DaemonSet). */
const pods: StandInPod[] = SERVICE_NAMES.map((service, index) => ({
  namespace, node,
  name: ['mysql', 'influxdb'].includes(service) ? `${service}-0` : service === 'telegraf' ? `${service}-x7k2q` : `${service}-6d4cf56db${index}-q8z${index}p`,
  // nginx: 25 millicores and one restart, the values the CPU and restarts panels must show.
  containers: [{ name: service, image: `${service}:0123abcd`, restarts: service === 'nginx' ? 1 : 0, cpuNanoCores: service === 'nginx' ? 25e6 : 10e6 + index * 1e6 }],
}));
/** Pods of other namespaces, one named like ours: telegraf's tagpass and namespace must keep them out. */
const foreignPods: StandInPod[] = [
  { namespace: 'kube-system', name: 'coredns-7db6d8ff4d-abcde', node, containers: [{ name: 'coredns', image: 'coredns:1.11', restarts: 0, cpuNanoCores: 3e6 }] },
  { namespace: 'other', name: 'nginx-5f9c7d8b6-zzzzz', node, containers: [{ name: 'nginx', image: 'nginx:1', restarts: 7, cpuNanoCores: 99e6 }] },
];

/** A pod of ours the scheduler put on another node: this node's telegraf must not report it (B7). */
const otherNodePod: StandInPod = {
  namespace, node: 'minikube-m02', name: 'phpmyadmin-6d4cf56db3-m02xq',
  containers: [{ name: 'phpmyadmin', image: 'phpmyadmin:0123abcd', restarts: 5, cpuNanoCores: 77e6 }],
};

/**
 * The `nodes/<subresource>` checks the kubelet makes for a request path, in order, with
 * KubeletFineGrainedAuthz on (kubernetes `pkg/kubelet/server/auth.go` GetRequestAttributes, 1.33+):
 * `/stats/*` → stats; `/pods` → pods, then proxy as the fallback; anything else → proxy.
 */
function kubeletSubresources(requestPath: string): string[] {
  const under = (prefix: string): boolean => requestPath === prefix || requestPath.startsWith(`${prefix}/`);
  if (under('/stats')) return ['stats'];
  if (under('/metrics')) return ['metrics'];
  if (under('/pods') || under('/runningpods')) return ['pods', 'proxy'];
  return ['proxy'];
}

interface Series { name: string; tags?: Record<string, string>; columns: string[]; values: Array<[number, ...Array<number | string | null>]> }

/** A query as Grafana's InfluxDB datasource sends it (httpMode GET, `epoch=ms`), as its reader. */
async function grafanaQuery(db: InfluxDatabase, database: string, query: string): Promise<Series[]> {
  const user = database === db.database ? db.users.reader : db.users.admin;
  const url = `${db.url}/query?${new URLSearchParams({ db: database, q: query, epoch: 'ms' })}`;
  const response = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}` } });
  expect({ query, status: response.status }).toEqual({ query, status: 200 });
  const result = (await response.json() as { results: Array<{ error?: string; series?: Series[] }> }).results[0];
  expect({ query, error: result.error }).toEqual({ query, error: undefined });
  return result.series ?? [];
}

/** A real server of the host tests behind OUR entrypoint, serving a pod's own metrics (B10). */
interface PodSource {
  /** Where its serve-metrics listens on 127.0.0.1. */
  readonly metricsPort: number;
  /** Real work for the server, whose metrics the panels must then show. */
  traffic(): Promise<unknown>;
}

/** Starts `start` once, for the sources that share a server. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= start());
}

const portOf = (listen: string): number => Number(listen.split(':').pop());

/** Servers more than one source uses: WordPress's MySQL, which phpMyAdmin manages too; telegraf writes into the InfluxDB. */
const shared = {
  wordpress: once((): Promise<WordpressSite> => startWordpress('telegraf-wordpress')),
  influxdb: once((): Promise<InfluxDatabase> => startScratchInflux('telegraf-influxdb')),
};

/** Stand-ins a source started, closed after the tests. */
const standIns: Array<{ close(): Promise<void> }> = [];
/** The host users the nginx container's SSH_USER needs, removed after the run. */
const sshUsers: string[] = [];

/** How each service whose pods serve their own metrics is served here, and what traffic it gets. */
const POD_SOURCES: Readonly<Partial<Record<ServiceName, () => Promise<PodSource>>>> = {
  nginx: async () => {
    sshUsers.push(createSshUser());
    // Nothing is proxied to phpMyAdmin here: any address does.
    const container = await startNginxContainer({ phpMyAdminUrl: 'https://127.0.0.1:9' }, sshUsers[0]);
    // The index page over TLS.
    return { metricsPort: portOf(container.env.METRICS_LISTEN), traffic: () => fetchInsecure(`https://127.0.0.1:${container.httpsPort}/`) };
  },
  wordpress: async () => {
    const site = await shared.wordpress();
    // Pages rendered by php-fpm.
    return { metricsPort: portOf(site.env.METRICS_LISTEN), traffic: () => fetchInsecure(`${site.baseUrl}/`) };
  },
  mysql: async () => {
    const { db, baseUrl } = await shared.wordpress();
    return {
      metricsPort: portOf(db.env.METRICS_LISTEN),
      // WordPress's own queries, a statement past long_query_time (lowered for its session only)
      // and a refused login.
      traffic: () => Promise.all([
        fetchInsecure(`${baseUrl}/`),
        mysqlQueryAsync(db, db.user, db.password, 'SET SESSION long_query_time = 0.1; SELECT SLEEP(0.2)'),
        mysqlQueryAsync(db, db.user, `${db.password}x`, 'SELECT 1').catch(() => 'refused'),
      ]),
    };
  },
  phpmyadmin: async () => {
    const site = await shared.wordpress();
    const container: PhpMyAdminContainer = await startPhpMyAdminContainer({ host: site.db.host, port: site.db.port });
    return { metricsPort: portOf(container.env.METRICS_LISTEN), traffic: () => fetchInsecure(container.url) };
  },
  ftps: async () => {
    const setup = prepareFtps('telegraf-ftps');
    const vsftpd = await startFtps(setup, 'telegraf-vsftpd');
    const endpoint = { host: '127.0.0.1', port: vsftpd.port };
    return {
      metricsPort: portOf(vsftpd.env.METRICS_LISTEN),
      // A login, an upload and a download over FTPS, then a wrong password for the refused logins.
      traffic: async () => {
        await probeFtpsTransfer(endpoint, FTPS_USER, setup.password);
        await connectFtps(endpoint, FTPS_USER, `${setup.password}x`).then((client) => client.close(), () => undefined);
      },
    };
  },
  influxdb: async () => {
    const db = await shared.influxdb();
    // telegraf's own writes, and Grafana's reader querying.
    return { metricsPort: portOf(db.env.METRICS_LISTEN), traffic: () => influxQuery(db, 'SHOW MEASUREMENTS', db.users.reader, db.database) };
  },
  grafana: async () => {
    // Grafana cannot run here: its stand-in (support/grafana.ts), read by the image's collector.
    const db = await shared.influxdb();
    const pod = await startGrafanaPod('telegraf-grafana', { url: db.url, database: db.database, user: db.users.reader });
    standIns.push(pod.grafana);
    return { metricsPort: pod.metrics.port, traffic: () => grafanaTraffic(pod) };
  },
};

const hasData = (series: Series[]): boolean => series.some((s) => s.values.some(([, ...values]) => values.some((value) => value !== null)));

describe('K7 the telegraf binary', () => {
  beforeAll(requireTelegraf);

  test('K7 telegraf 1.34.4 holds exactly the plugins the generated config uses (a custom build)', () => {
    const used = telegrafDocument(telegrafOptions(namespace));
    const configured = ['inputs', 'outputs'].flatMap((kind) => Object.keys(used[kind] as object).map((plugin) => `${kind}.${plugin}`));
    expect(compiledPlugins().sort()).toEqual(configured.sort());
  });
});

describe('S9 K7 the real telegraf on the generated config, into a real InfluxDB', () => {
  let db: InfluxDatabase;
  let cluster: ClusterStandIn;
  let dir: string;
  let config: string;
  let env: TelegrafEnv;
  let telegraf: Server;
  let range: { fromMs: number; toMs: number };
  let sources: Partial<Record<ServiceName, PodSource>>;
  let identity: Record<string, string[]>;

  beforeAll(async () => {
    requireTelegraf();
    dir = scratchDir('telegraf');
    const tls = makeTlsPair(path.join(dir, 'tls'));
    const token = randomSecret();
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, token);
    // The pod's service-account files are readable by any user (the projected volume's mode 0644);
    // the stand-ins' own copy of the certificate is for root only, as the chart mounts the tls Secret.
    const serviceAccountCa = path.join(dir, 'ca.crt');
    fs.copyFileSync(tls.cert, serviceAccountCa);
    fs.chmodSync(serviceAccountCa, 0o644);
    // The real servers whose pods serve their own metrics (their modules' podMetrics, lib/services/).
    let started: Array<[string, PodSource]>;
    [db, started] = await Promise.all([
      shared.influxdb(),
      Promise.all(Object.entries(POD_SOURCES).map(async ([service, start]) => [service, await start()] as [string, PodSource])),
    ]);
    sources = Object.fromEntries(started);
    // The chart's pod annotations, with the port each host server really listens on.
    const annotated = pods.map((pod) => {
      const source = sources[pod.containers[0].name as ServiceName];
      return source ? { ...pod, annotations: scrapeAnnotations(source.metricsPort) } : pod;
    });
    cluster = await startClusterStandIn({ node, pods: [...annotated, ...foreignPods, otherNodePod], token, tls, kubeletAddress: HOST_IP });
    const healthPort = await freePort();
    const kubeConfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeConfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'stand-in',
      clusters: [{ name: 'stand-in', cluster: { server: cluster.apiServerUrl, 'certificate-authority': serviceAccountCa } }],
      users: [{ name: 'telegraf', user: { tokenFile } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'telegraf' } }],
    }));
    config = writeConfig(dir, forHost(telegrafDocument(telegrafOptions(namespace)), '2s', {
      'https://kubernetes.default.svc': cluster.apiServerUrl,
      '/var/run/secrets/kubernetes.io/serviceaccount/token': tokenFile,
      '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt': serviceAccountCa,
      [`http://:${TELEGRAF_HEALTH_PORT}`]: `http://127.0.0.1:${healthPort}`,
    }, kubeConfig));
    env = {
      INFLUXDB_URL: db.url, INFLUXDB_DB: db.database, INFLUXDB_WRITE_USER: db.users.writer.name, INFLUXDB_WRITE_PASSWORD: db.users.writer.password,
      HOST_IP, NODE_NAME: node,
    };
    const startedMs = Date.now();
    telegraf = startTelegraf(dir, config, env);
    // What the kernel says of the running agent, once setpriv has exec'd it.
    await waitFor('telegraf running', () => {
      // An agent that exited is reported, with its log, by the wait below.
      if (!telegraf.running) return true;
      const status = fs.readFileSync(`/proc/${telegraf.pid}/status`, 'utf8');
      identity = Object.fromEntries(status.split('\n').filter((line) => /^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd|NoNewPrivs):/.test(line))
        .map((line) => line.split(/:\s*/)).map(([key, value]) => [key, value.trim().split(/\s+/).filter(Boolean)]));
      return /^Name:\s+telegraf$/m.test(status);
    }, 10000);
    // Two whole Grafana intervals after the first one: every rate panel has two buckets to compare.
    await waitFor('telegraf writing for three 10 s intervals', async () => {
      if (!telegraf.running) throw new WaitingIsFutile(`telegraf exited:\n${telegraf.log()}`);
      await Promise.all(Object.values(sources).map((source) => source.traffic()));
      const series = await grafanaQuery(db, db.database, `SELECT count("${METRICS.telegrafAgent.written}") FROM "${METRICS.telegrafAgent.measurement}" WHERE time > now() - 5m GROUP BY time(${GRAFANA_INTERVAL}) fill(none)`);
      return (series[0]?.values.length ?? 0) >= 4;
    }, 90000).catch((error: Error) => { throw new Error(`${error.message}\n--- telegraf log ---\n${telegraf.log()}`); });
    await telegraf.stop();
    // Up to the last whole interval: a partial last bucket would show a lower rate than there was.
    range = { fromMs: startedMs - 10_000, toMs: Math.floor(Date.now() / 10_000) * 10_000 - 1 };
    // One database per service holding every OTHER service's series, copied from what telegraf
    // wrote: a query that returns anything there does not filter on its own service.
    for (const service of SERVICE_NAMES) {
      const copy = await influxQuery(db, `CREATE DATABASE "without_${service}"; SELECT * INTO "without_${service}"..:MEASUREMENT FROM "${db.database}"../.*/ WHERE "service" != '${service}' AND "pod_name" !~ /^${service}-/ GROUP BY *`, db.users.admin);
      expect(copy.status).toBe(200);
    }
  }, 400000);

  afterAll(async () => {
    await stopAll();
    await cluster?.close();
    await Promise.all(standIns.map((standIn) => standIn.close()));
    sshUsers.forEach(removeUser);
  });

  test('B10 every service that serves its own metrics has a real server here', () => {
    expect(Object.keys(POD_SOURCES).sort()).toEqual([...servedMetrics().keys()].sort());
  });

  test('K7 telegraf --test accepts the generated config: every plugin compiled in, every option known, every input gathers', async () => {
    const result = await telegrafTest(config, env);
    expect({ status: result.status, errors: result.stderr.split('\n').filter((line) => /\bE!/.test(line)) }).toEqual({ status: 0, errors: [] });
    const measurements = new Set(result.stdout.split('\n').filter((line) => line.startsWith('> ')).map((line) => line.slice(2).split(/[, ]/)[0]));
    // Pod discovery fills its target list in the background (kubernetes.go startK8s), after the
    // single gather of --test; the agent run below proves that input.
    for (const input of telegrafInputs(telegrafOptions(namespace)).filter((i) => !i.settings.monitor_kubernetes_pods)) {
      expect(input.settings.namepass.filter((m) => measurements.has(m))).not.toEqual([]);
    }
  });

  test('B15 the agent ran as the chart\'s numeric user and group, with no capability and no way to gain one', () => {
    const { user, group } = TELEGRAF_USER;
    const none = '0000000000000000';
    expect(identity).toEqual({
      Uid: Array(4).fill(String(user)), Gid: Array(4).fill(String(group)), Groups: [], CapPrm: [none], CapEff: [none], CapBnd: [none], NoNewPrivs: ['1'],
    });
  });

  test('K7 the agent ran without an error and wrote to InfluxDB as the writer account', () => {
    expect(telegraf.log().split('\n').filter((line) => /\bE!/.test(line))).toEqual([]);
    expect(cluster.requests.filter((request) => request.status !== 200)).toEqual([]);
  });

  test('S9 only this stack\'s namespace reaches InfluxDB, and no node-wide series', async () => {
    const namespaces = await grafanaQuery(db, db.database, 'SHOW TAG VALUES WITH KEY = "namespace"');
    expect(new Set(namespaces.flatMap((s) => s.values.map(([, value]) => value)))).toEqual(new Set([namespace]));
    const measurements = await grafanaQuery(db, db.database, 'SHOW MEASUREMENTS');
    const expected = new Set(telegrafInputs(telegrafOptions(namespace)).flatMap((input) => input.settings.namepass));
    expect(new Set(measurements[0].values.map(([name]) => name))).toEqual(expected);
  });

  test('B7 kube_inventory asks the API server for the pods of its own node, so no pod is reported by every node', async () => {
    const lists = cluster.requests.filter((request) => request.server === 'apiserver');
    expect(lists.length).toBeGreaterThan(0);
    for (const request of lists) {
      expect(request.path).toBe(`/api/v1/namespaces/${namespace}/pods`);
      expect(request.query.fieldSelector).toBe(`spec.nodeName=${node}`);
    }
    const written = await grafanaQuery(db, db.database, `SHOW TAG VALUES FROM "${METRICS.container.measurement}" WITH KEY = "pod_name"`);
    const names = written.flatMap((s) => s.values.map(([, value]) => value));
    expect(names).toEqual(expect.arrayContaining(pods.map((pod) => pod.name)));
    expect(names).not.toContain(otherNodePod.name);
  });

  test('K7 every kubelet path telegraf reads is authorized by the ClusterRole without nodes/proxy (KubeletFineGrainedAuthz)', () => {
    const granted = TELEGRAF_RBAC_RULES.cluster.filter((rule) => rule.verbs.includes('get')).flatMap((rule) => rule.resources);
    const paths = [...new Set(cluster.requests.filter((request) => request.server === 'kubelet').map((request) => request.path))].sort();
    expect(paths).toEqual(['/pods', '/stats/summary']);
    for (const requested of paths) expect({ requested, granted: granted.includes(`nodes/${kubeletSubresources(requested)[0]}`) }).toEqual({ requested, granted: true });
    expect(granted).not.toContain('nodes/proxy');
  });

  const cases = Object.entries(dashboardFiles({ namespace, services: stackServices() })).flatMap(([file, json]) => {
    const board = JSON.parse(json) as { panels: Array<{ title: string; fieldConfig: { defaults: { unit?: string } }; targets: Array<{ refId: string; alias: string }> }> };
    return panelQueries(json).map((q) => {
      const panel = board.panels.find((p) => p.title === q.panel)!;
      return { service: file.replace(/^ft-|\.json$/g, ''), unit: panel.fieldConfig.defaults.unit ?? '', alias: panel.targets.find((t) => t.refId === q.refId)!.alias, ...q };
    });
  });
  /** What each panel showed, for the picture (docs/dashboards.png). */
  const shown = new Map<string, PanelData>();

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s returns data, only for that service, as Grafana\'s reader', async (service, _p, _r, c) => {
    const query = grafanaInterpolate(c.query, range, GRAFANA_INTERVAL);
    const series = await grafanaQuery(db, db.database, query);
    const key = `${service}/${c.panel}`;
    const lines = series.map((s) => ({
      label: c.alias.replace(/\$tag_(\w+)/g, (_m, tag: string) => s.tags?.[tag] ?? ''),
      points: s.values.filter(([, v]) => typeof v === 'number').map(([t, v]) => [t, v as number] as const),
    }));
    shown.set(key, { dashboard: service, panel: c.panel, unit: c.unit, lines: [...(shown.get(key)?.lines ?? []), ...lines] });
    expect({ query, hasData: hasData(series) }).toEqual({ query, hasData: true });
    for (const s of series) {
      if (s.tags?.pod_name !== undefined) expect(s.tags.pod_name.startsWith(`${service}-`)).toBe(true);
    }
  });

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s returns nothing from the other services\' data', async (service, _p, _r, c) => {
    const query = grafanaInterpolate(c.query, range, GRAFANA_INTERVAL);
    expect(await grafanaQuery(db, `without_${service}`, query)).toEqual([]);
  });

  test('S9 the panels\' data, drawn by headless Chromium into test-output/dashboards.png (docs/dashboards.png is one such run) and listed in test-output/dashboards.md', async () => {
    const title = `ft_services dashboards: every panel's query answered by InfluxDB after the real telegraf ${TELEGRAF_VERSION} ran (${new Date(range.toMs).toISOString().slice(0, 16)}Z)`;
    const file = path.join(OUTPUT_ROOT, 'dashboards.png');
    await renderPicture(file, title, [...shown.values()]);
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    const table = panelTable(title, [...shown.values()]);
    fs.writeFileSync(path.join(OUTPUT_ROOT, 'dashboards.md'), table);
    expect(table.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| dashboard')).length).toBeGreaterThanOrEqual(shown.size);
  });

  test('S9 CPU is shown in millicores and restarts as Kubernetes counts them', async () => {
    const board = dashboardFiles({ namespace, services: stackServices().filter((service) => service.name === 'nginx') })['ft-nginx.json'];
    const byPanel = Object.fromEntries(panelQueries(board).map((q) => [q.panel, grafanaInterpolate(q.query, range, GRAFANA_INTERVAL)]));
    const cpu = await grafanaQuery(db, db.database, byPanel['CPU usage']);
    expect(new Set(cpu[0].values.map(([, v]) => v))).toEqual(new Set([25]));
    const restarts = await grafanaQuery(db, db.database, byPanel.Restarts);
    expect(new Set(restarts[0].values.map(([, v]) => v))).toEqual(new Set([1]));
  });
});
