/**
 * Every panel query of every generated dashboard, run by a real InfluxDB (Debian's influxd 1.6
 * behind OUR influxdb entrypoint and config) over what OUR telegraf config would write (S9, B5):
 * each returns data for its own service, and nothing from a database holding every other service.
 * Grafana is not packaged by Debian, so its macros are substituted here the way its InfluxQL
 * backend does.
 */
import { SERVICE_NAMES } from '../../lib/config';
import { dashboardFiles } from '../../lib/monitoring/dashboards';
import { telegrafInputs } from '../../lib/telegraf-config';
import { grafanaInterpolate, panelQueries } from '../support/influxql';
import { stopAll } from './support/harness';
import { InfluxDatabase, influxQuery, influxWrite, startScratchInflux } from './support/influxdb';
import {
  influxdbDebugVars, internalAgent, inventoryContainer, kubeletContainer, kubeletNetwork, kubeletNode, lineProtocol, Metric, Pod, throughInput,
} from './support/telegraf-metrics';

afterAll(stopAll);

const namespace = 'ft-services';
const node = 'minikube';
const inputs = Object.fromEntries(telegrafInputs({ namespace }).map((input) => [input.plugin, input]));
const STEPS = 6;
const STEP_NS = 10_000_000_000n;
/** Grafana's interval for a short range: never below the datasource's timeInterval (10s). */
const INTERVAL = '10s';

/** Each service's pod as its workload kind names it (Deployment, StatefulSet, DaemonSet). */
const pods: Pod[] = SERVICE_NAMES.map((service, index) => ({
  namespace, node, container: service,
  name: ['mysql', 'influxdb'].includes(service) ? `${service}-0` : service === 'telegraf' ? `${service}-x7k2q` : `${service}-6d4cf56db${index}-q8z${index}p`,
}));
/** Pods of other namespaces, one named like ours: telegraf's tagpass must keep them out. */
const foreignPods: Pod[] = [
  { namespace: 'kube-system', name: 'coredns-7db6d8ff4d-abcde', container: 'coredns', node },
  { namespace: 'other', name: 'nginx-5f9c7d8b6-zzzzz', container: 'nginx', node },
];

/** Which service's dashboard a written series belongs to. */
function ownerOf(metric: Metric): string | undefined {
  if (metric.tags.service) return metric.tags.service;
  return SERVICE_NAMES.find((service) => metric.tags.pod_name?.startsWith(`${service}-`));
}

interface Series { tags?: Record<string, string>; values: Array<[string, number | null]> }

/** Runs `query` on `database`: the stack's database as Grafana's reader, the others as the admin. */
async function seriesOf(db: InfluxDatabase, database: string, query: string): Promise<Series[]> {
  const answer = await influxQuery(db, query, database === db.database ? db.users.reader : db.users.admin, database);
  expect({ query, status: answer.status }).toEqual({ query, status: 200 });
  const result = JSON.parse(answer.body).results[0];
  expect({ query, error: result.error }).toEqual({ query, error: undefined });
  return (result.series ?? []) as Series[];
}

const hasData = (series: Series[]): boolean => series.some((s) => s.values.some(([, value]) => value !== null));

describe('S9 B5 every panel query against a real InfluxDB', () => {
  let db: InfluxDatabase;
  let written: Metric[];
  let range: { fromMs: number; toMs: number };

  beforeAll(async () => {
    db = await startScratchInflux('influxdb-queries');
    const aligned = (BigInt(Date.now()) * 1_000_000n / STEP_NS) * STEP_NS;
    const times = Array.from({ length: STEPS }, (_, step) => aligned - BigInt(STEPS - step) * STEP_NS);
    written = [];
    const keep = (plugin: string, metric: Metric) => { const kept = throughInput(inputs[plugin], metric); if (kept) written.push(kept); };
    for (const [step, time] of times.entries()) {
      for (const pod of [...pods, ...foreignPods]) {
        keep('kubernetes', kubeletContainer(pod, step, time));
        keep('kubernetes', kubeletNetwork(pod, step, time));
        // kube_inventory asks the API server for the pods of its `namespace` setting only.
        if (pod.namespace === inputs.kube_inventory.settings.namespace) keep('kube_inventory', inventoryContainer(pod, step >= 3 ? 1 : 0, time));
      }
      for (const metric of kubeletNode(node, time)) keep('kubernetes', metric);
      keep('internal', internalAgent(step + 1, time));
      // The real server's own statistics, read between writes so its counters move.
      await influxWrite(db, db.database, `heartbeat value=${step} ${time}`, db.users.writer);
      const vars = await (await fetch(`${db.url}/debug/vars`)).json() as Record<string, unknown>;
      for (const metric of influxdbDebugVars(vars, `${db.url}/debug/vars`, time)) keep('influxdb', metric);
    }
    // telegraf writes with the writer account (outputs.influxdb).
    const everything = written.map(lineProtocol).join('\n');
    expect(await influxWrite(db, db.database, everything, db.users.writer)).toMatchObject({ status: 204 });
    // One database per service holding every OTHER service's series: a query that returns
    // anything there does not filter on its own service.
    for (const service of SERVICE_NAMES) {
      const database = `without_${service}`;
      await influxQuery(db, `CREATE DATABASE "${database}"`, db.users.admin);
      const others = written.filter((metric) => ownerOf(metric) !== service).map(lineProtocol).join('\n');
      expect(await influxWrite(db, database, others, db.users.admin)).toMatchObject({ status: 204 });
    }
    range = { fromMs: Number(times[0] / 1_000_000n) - 10_000, toMs: Date.now() };
  });

  test('B5 the sample data is what the filters let through: this namespace only, no node-wide series', () => {
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((m) => m.tags.namespace !== namespace)).toEqual([]);
    expect(new Set(written.map((m) => m.measurement))).toEqual(new Set(inputs.kubernetes.settings.namepass.concat(
      inputs.kube_inventory.settings.namepass, inputs.influxdb.settings.namepass, inputs.internal.settings.namepass)));
    for (const service of SERVICE_NAMES) expect(written.some((metric) => ownerOf(metric) === service)).toBe(true);
  });

  const cases = Object.entries(dashboardFiles({ namespace })).flatMap(([file, json]) =>
    panelQueries(json).map((q) => ({ service: file.replace(/^ft-|\.json$/g, ''), ...q })));

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s returns data, only for that service, as Grafana\'s reader', async (service, _p, _r, c) => {
    const query = grafanaInterpolate(c.query, range, INTERVAL);
    const series = await seriesOf(db, db.database, query);
    expect({ query, hasData: hasData(series) }).toEqual({ query, hasData: true });
    for (const s of series) {
      if (s.tags?.pod_name !== undefined) expect(s.tags.pod_name.startsWith(`${service}-`)).toBe(true);
    }
  });

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s returns nothing from the other services\' data', async (service, _p, _r, c) => {
    const query = grafanaInterpolate(c.query, range, INTERVAL);
    expect(await seriesOf(db, `without_${service}`, query)).toEqual([]);
  });

  test('S9 CPU is shown in millicores and restarts as Kubernetes counts them', async () => {
    const board = dashboardFiles({ namespace, services: ['nginx'] })['ft-nginx.json'];
    const byPanel = Object.fromEntries(panelQueries(board).map((q) => [q.panel, grafanaInterpolate(q.query, range, INTERVAL)]));
    const cpu = await seriesOf(db, db.database, byPanel['CPU usage']);
    expect(cpu[0].values.map(([, v]) => v)).toEqual([25, 26, 27, 28, 29, 30]);
    const restarts = await seriesOf(db, db.database, byPanel.Restarts);
    expect(restarts[0].values.map(([, v]) => v)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});
