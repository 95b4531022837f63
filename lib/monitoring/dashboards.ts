/**
 * Grafana as code (S9, B3): one dashboard per service of the chart, each with its own panels (from
 * its module, lib/services/), plus the provisioning files that make Grafana load them and the
 * InfluxDB datasource without a click. Pure functions; the chart puts their output into ConfigMaps (srcs/README.md):
 * `datasourceProvisioning` → `/etc/grafana/provisioning/datasources/`, `dashboardProvider` →
 * `/etc/grafana/provisioning/dashboards/`, `dashboardFiles` → `/etc/grafana/dashboards/`.
 *
 * Queries are InfluxQL over exactly what telegraf-config.ts writes (the tests check every measurement,
 * field and tag against the telegraf config, and run every query against a real InfluxDB).
 */
import { Yaml } from 'cdk8s';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { MetricFamily, POD_METRICS_MEASUREMENT, PodMetric } from './pod-metrics';
import { METRICS, SERIES_TAGS } from './telegraf-config';

/**
 * The dashboard schema Grafana 12.0 (Alpine 3.22's package) knows; the SDK emits 42, which only
 * newer Grafana releases understand (test/monitoring.test.ts pins it).
 */
export const DASHBOARD_SCHEMA_VERSION = 41;

/** The provisioned datasource's uid, which every panel and query names. */
export const INFLUXDB_DATASOURCE_UID = 'ft-influxdb';
const DATASOURCE: common.DataSourceRef = { type: 'influxdb', uid: INFLUXDB_DATASOURCE_UID };

/** Where the chart mounts the dashboard JSON files. */
export const DASHBOARDS_PATH = '/etc/grafana/dashboards';

/** Telegraf's collection interval; Grafana never groups below it (`timeInterval`). */
const MIN_INTERVAL = '10s';

/** `ft-<service>`: the dashboard's uid, stable across syntheses so links and stars survive. */
export function dashboardUid(service: string): string {
  return `ft-${service}`;
}

export function dashboardTitle(service: string): string {
  return `ft_services / ${service}`;
}

/** One `"tag" <op> value` condition of a WHERE clause. */
export interface TagCondition {
  readonly tag: string;
  readonly op: '=' | '=~';
  /** A string literal for `=`, a regular expression (without slashes) for `=~`. */
  readonly value: string;
}

/** A raw InfluxQL query over one measurement, grouped by Grafana's interval. */
export interface InfluxQuery {
  /** The SELECT expression, e.g. `mean("memory_working_set_bytes")`. */
  readonly select: string;
  readonly measurement: string;
  readonly where: readonly TagCondition[];
  /** Tags to split the series by (one line per pod, per database…). */
  readonly groupBy: readonly string[];
  /** Legend text; `$tag_<name>` is replaced by Grafana with that tag's value. */
  readonly alias: string;
}

const quoteIdentifier = (name: string): string => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const quoteString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const quoteRegex = (pattern: string): string => `/${pattern.replace(/\//g, '\\/')}/`;

/** The query text, with Grafana's `$timeFilter` and `$__interval` macros. */
export function renderInfluxQuery(query: InfluxQuery): string {
  const conditions = query.where.map(({ tag, op, value }) => `${quoteIdentifier(tag)} ${op} ${op === '=~' ? quoteRegex(value) : quoteString(value)}`);
  const groupBy = ['time($__interval)', ...query.groupBy.map(quoteIdentifier)].join(', ');
  return `SELECT ${query.select} FROM ${quoteIdentifier(query.measurement)} WHERE ${[...conditions, '$timeFilter'].join(' AND ')} GROUP BY ${groupBy} fill(none)`;
}

/** The InfluxDB datasource's query model (InfluxQL in raw mode), as panels carry it. */
export interface InfluxQlTarget extends cog.Dataquery {
  readonly refId: string;
  readonly datasource: common.DataSourceRef;
  readonly query: string;
  readonly rawQuery: true;
  readonly resultFormat: 'time_series';
  readonly alias: string;
}

/** Our InfluxQL target builder: the SDK has query builders for other datasources, none for InfluxDB. */
export class InfluxQlTargetBuilder implements cog.Builder<cog.Dataquery> {
  constructor(private readonly refId: string, private readonly query: InfluxQuery) {}

  build(): InfluxQlTarget {
    return {
      refId: this.refId,
      datasource: DATASOURCE,
      query: renderInfluxQuery(this.query),
      rawQuery: true,
      resultFormat: 'time_series',
      alias: this.query.alias,
      _implementsDataqueryVariant: () => undefined,
    };
  }
}

/** A panel: what it shows and the queries behind it. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly kind: 'timeseries' | 'stat';
  readonly unit: string;
  readonly queries: readonly InfluxQuery[];
}

/** Counters become per-second rates; Grafana's interval buckets them first. */
export const rate = (field: string): string => `non_negative_derivative(max(${quoteIdentifier(field)}), 1s)`;

/** The stack's pods of `service`: Deployment, StatefulSet and DaemonSet pods are all named `<service>-…`. */
function podConditions(service: string, namespace: string): TagCondition[] {
  return [
    { tag: SERIES_TAGS.namespace, op: '=', value: namespace },
    { tag: SERIES_TAGS.pod, op: '=~', value: `^${service}-` },
  ];
}

/** Series a service's own telegraf input writes (tagged `service=<name>` in telegraf-config.ts). */
export function serviceConditions(service: string, namespace: string): TagCondition[] {
  return [
    { tag: SERIES_TAGS.namespace, op: '=', value: namespace },
    { tag: SERIES_TAGS.service, op: '=', value: service },
  ];
}

/** CPU, memory, network and restarts of the service's container: the same four for every service. */
export function containerPanels(service: string, namespace: string): PanelSpec[] {
  const { container, network } = METRICS;
  // The container named after the service (the chart names it so), not sidecars or init containers.
  const inContainer = [...podConditions(service, namespace), { tag: SERIES_TAGS.container, op: '=', value: service } as const];
  const perPod = { measurement: container.measurement, where: inContainer, groupBy: [SERIES_TAGS.pod], alias: '$tag_pod_name' };
  const perPodNetwork = { measurement: network.measurement, where: podConditions(service, namespace), groupBy: [SERIES_TAGS.pod] };
  return [
    {
      title: 'CPU usage',
      description: `CPU used by the ${service} container, in millicores (kubelet stats, 1000 = one core).`,
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: `mean(${quoteIdentifier(container.cpu)}) / 1000000` }],
    },
    {
      title: 'Memory (working set)',
      description: `Working-set memory of the ${service} container: what the kernel counts against its limit.`,
      kind: 'timeseries',
      unit: 'bytes',
      queries: [{ ...perPod, select: `mean(${quoteIdentifier(container.memory)})` }],
    },
    {
      title: 'Network traffic',
      description: `Bytes per second received and sent by the ${service} pod.`,
      kind: 'timeseries',
      unit: 'Bps',
      queries: [
        { ...perPodNetwork, select: rate(network.rx), alias: 'received $tag_pod_name' },
        { ...perPodNetwork, select: rate(network.tx), alias: 'sent $tag_pod_name' },
      ],
    },
    {
      title: 'Restarts',
      description: `Restarts of the ${service} container in its current pod (Kubernetes' RESTARTS column).`,
      kind: 'stat',
      unit: 'none',
      queries: [{ ...perPod, select: `max(${quoteIdentifier(container.restarts)})` }],
    },
  ];
}

/** The metrics `service`'s pods serve themselves (pod-metrics.ts): one line per pod. */
export function podMetricsQuery(service: string, namespace: string): Omit<InfluxQuery, 'select' | 'alias'> {
  return { measurement: POD_METRICS_MEASUREMENT, where: podConditions(service, namespace), groupBy: [SERIES_TAGS.pod] };
}

/** How a pod's metric is shown: a counter as its per-second rate, a gauge as its highest value in the interval. */
export function metricSelect(metric: PodMetric): string {
  return metric.type === 'counter' ? rate(metric.name) : `max(${quoteIdentifier(metric.name)})`;
}

/** The metrics of one program in a pod, and the panels that draw them on the dashboard of any service that runs it. */
export interface PodMetrics {
  readonly metrics: MetricFamily;
  readonly panels: (service: string, namespace: string) => PanelSpec[];
}

/** A service as its dashboard sees it: its name, and the panels of its own work. */
export interface DashboardSource {
  readonly name: string;
  /** The panels after its container's, in display order. */
  ownPanels(namespace: string): readonly PanelSpec[];
}

/** Every panel of `service`'s dashboard, in display order. */
export function servicePanels(service: DashboardSource, namespace: string): readonly PanelSpec[] {
  return [...containerPanels(service.name, namespace), ...service.ownPanels(namespace)];
}

function panelBuilder(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  const targets = spec.queries.map((query, index) => new InfluxQlTargetBuilder(String.fromCharCode(65 + index), query));
  if (spec.kind === 'stat') {
    return new stat.PanelBuilder()
      .title(spec.title).description(spec.description).datasource(DATASOURCE).targets(targets)
      .unit(spec.unit).height(8).span(12)
      .graphMode(common.BigValueGraphMode.None)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  }
  return new timeseries.PanelBuilder()
    .title(spec.title).description(spec.description).datasource(DATASOURCE).targets(targets)
    .unit(spec.unit).height(8).span(12).min(0)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true));
}

/** The dashboard of one service. */
export function serviceDashboard(source: DashboardSource, namespace: string): dashboard.Dashboard {
  const service = source.name;
  const builder = new dashboard.DashboardBuilder(dashboardTitle(service))
    .uid(dashboardUid(service))
    .description(`Live metrics of the ${service} container of ft_services (namespace ${namespace}), collected by telegraf.`)
    .tags(['ft_services', service])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser');
  for (const spec of servicePanels(source, namespace)) builder.withPanel(panelBuilder(spec));
  return { ...builder.build(), schemaVersion: DASHBOARD_SCHEMA_VERSION };
}

export interface DashboardOptions {
  readonly namespace: string;
  /** The services that get a dashboard each (B3), in the order of the list. */
  readonly services: readonly DashboardSource[];
}

/** `{ 'ft-<service>.json': dashboard JSON }` for every service: the dashboards ConfigMap's data. */
export function dashboardFiles(options: DashboardOptions): Record<string, string> {
  const files: Record<string, string> = {};
  for (const service of options.services) {
    files[`${dashboardUid(service.name)}.json`] = `${JSON.stringify(serviceDashboard(service, options.namespace), null, 2)}\n`;
  }
  return files;
}

export interface DatasourceOptions {
  /** InfluxDB's URL inside the cluster, e.g. `http://influxdb:8086`. */
  readonly url: string;
  readonly database: string;
  /** The read-only InfluxDB user. */
  readonly user: string;
  /** The mounted Secret file holding that user's password. */
  readonly passwordFile: string;
}

/**
 * Grafana's datasource provisioning file. The password is Grafana's `$__file{<path>}` expansion
 * (pkg/services/provisioning/values: every string goes through setting.ExpandVar, whose file
 * expander reads the file and trims it), so the ConfigMap names the Secret's file, never its value.
 */
export function datasourceProvisioning(options: DatasourceOptions): string {
  return Yaml.stringify({
    apiVersion: 1,
    datasources: [{
      name: 'InfluxDB',
      uid: INFLUXDB_DATASOURCE_UID,
      type: 'influxdb',
      access: 'proxy',
      url: options.url,
      user: options.user,
      isDefault: true,
      editable: false,
      jsonData: { dbName: options.database, httpMode: 'GET', timeInterval: MIN_INTERVAL },
      secureJsonData: { password: `$__file{${options.passwordFile}}` },
    }],
  });
}

/** Grafana's dashboard provider file: load every JSON file under `DASHBOARDS_PATH` into `folder`. */
export function dashboardProvider(folder: string): string {
  return Yaml.stringify({
    apiVersion: 1,
    providers: [{
      name: 'ft-services',
      orgId: 1,
      folder,
      type: 'file',
      // The files are the source of truth (B3): a dashboard deleted or edited in the UI comes back.
      disableDeletion: true,
      allowUiUpdates: false,
      updateIntervalSeconds: 30,
      options: { path: DASHBOARDS_PATH },
    }],
  });
}
