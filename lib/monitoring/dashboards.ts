/**
 * Grafana as code (S9, B3): one dashboard per service, generated from the chart's service list,
 * plus the provisioning files that make Grafana load them and the InfluxDB datasource without a
 * click. Pure functions; the chart puts their output into ConfigMaps (srcs/README.md):
 * `datasourceProvisioning` → `/etc/grafana/provisioning/datasources/`, `dashboardProvider` →
 * `/etc/grafana/provisioning/dashboards/`, `dashboardFiles` → `/etc/grafana/dashboards/`.
 *
 * Queries are InfluxQL over exactly what `telegraf.ts` writes (the tests check every measurement,
 * field and tag against the telegraf config, and run every query against a real InfluxDB).
 */
import { Yaml } from 'cdk8s';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { SERVICE_NAMES, ServiceName } from '../config';
import { FTPS_METRICS, GRAFANA_METRICS, INFLUXDB_METRICS, MetricFamily, MYSQL_METRICS, NGINX_METRICS, PHP_FPM_METRICS, POD_METRICS, POD_METRICS_MEASUREMENT, PodMetric } from './pod-metrics';
import { METRICS, SERIES_TAGS } from '../telegraf-config';

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
const rate = (field: string): string => `non_negative_derivative(max(${quoteIdentifier(field)}), 1s)`;

/** The stack's pods of `service`: Deployment, StatefulSet and DaemonSet pods are all named `<service>-…`. */
function podConditions(service: string, namespace: string): TagCondition[] {
  return [
    { tag: SERIES_TAGS.namespace, op: '=', value: namespace },
    { tag: SERIES_TAGS.pod, op: '=~', value: `^${service}-` },
  ];
}

/** Series a service's own telegraf input writes (tagged `service=<name>` in telegraf.ts). */
function serviceConditions(service: string, namespace: string): TagCondition[] {
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

/** Panels from a service's own metrics that telegraf reads itself, not from a pod: its own (inputs.internal). */
const SERVICE_PANELS: Readonly<Record<string, (namespace: string) => PanelSpec[]>> = {
  telegraf: (namespace) => {
    const { telegrafAgent, telegrafInput, telegrafOutput } = METRICS;
    const where = serviceConditions('telegraf', namespace);
    const agent = { measurement: telegrafAgent.measurement, where, groupBy: [SERIES_TAGS.node] };
    const perInput = { measurement: telegrafInput.measurement, where, groupBy: [telegrafInput.tag, SERIES_TAGS.node] };
    const perOutput = { measurement: telegrafOutput.measurement, where, groupBy: [telegrafOutput.tag, SERIES_TAGS.node] };
    return [
      {
        title: 'Metrics pipeline',
        description: 'Metrics per second gathered, written to InfluxDB and dropped, per node.',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          { ...agent, select: rate(telegrafAgent.gathered), alias: 'gathered $tag_node_name' },
          { ...agent, select: rate(telegrafAgent.written), alias: 'written $tag_node_name' },
          { ...agent, select: rate(telegrafAgent.dropped), alias: 'dropped $tag_node_name' },
        ],
      },
      {
        title: 'Gather errors',
        description: 'Errors per second while collecting (the kubelet, the API server or a pod\'s own figures unreachable or failing).',
        kind: 'timeseries',
        unit: 'none',
        queries: [{ ...agent, select: rate(telegrafAgent.errors), alias: '$tag_node_name' }],
      },
      {
        title: 'Gathered per input',
        description: 'Metrics per second each input plugin gathered, before the filters drop what no dashboard reads.',
        kind: 'timeseries',
        unit: 'none',
        queries: [{ ...perInput, select: rate(telegrafInput.gathered), alias: '$tag_input $tag_node_name' }],
      },
      {
        title: 'Errors and drops per plugin',
        description: 'Per second: errors of each input and output, and metrics each output dropped (buffer full).',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          { ...perInput, select: rate(telegrafInput.errors), alias: 'errors $tag_input $tag_node_name' },
          { ...perOutput, select: rate(telegrafOutput.errors), alias: 'errors $tag_output $tag_node_name' },
          { ...perOutput, select: rate(telegrafOutput.dropped), alias: 'dropped $tag_output $tag_node_name' },
        ],
      },
    ];
  },
};

/** The figures `service`'s pods serve themselves (pod-metrics.ts): one line per pod. */
function podFigures(service: string, namespace: string): Omit<InfluxQuery, 'select' | 'alias'> {
  return { measurement: POD_METRICS_MEASUREMENT, where: podConditions(service, namespace), groupBy: [SERIES_TAGS.pod] };
}

/** How a pod's figure is shown: a counter as its per-second rate, a gauge as its highest value in the interval. */
function figure(metric: PodMetric): string {
  return metric.type === 'counter' ? rate(metric.name) : `max(${quoteIdentifier(metric.name)})`;
}

/** nginx's own figures (stub_status), in every pod that runs nginx. */
function nginxPanels(service: string, namespace: string): PanelSpec[] {
  const m = NGINX_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'nginx requests',
      description: `HTTP requests per second nginx received in the ${service} pod, on every port (nginx stub_status; each of telegraf's scrapes adds one: the collector's read of that page).`,
      kind: 'timeseries',
      unit: 'reqps',
      queries: [{ ...perPod, select: figure(m.requests), alias: 'requests $tag_pod_name' }],
    },
    {
      title: 'nginx connections',
      description: 'Client connections open in nginx: active (all of them), reading a request, writing an answer (the collector\'s read of stub_status is one), waiting idle for the next request (keep-alive).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: figure(m.active), alias: 'active $tag_pod_name' },
        { ...perPod, select: figure(m.reading), alias: 'reading $tag_pod_name' },
        { ...perPod, select: figure(m.writing), alias: 'writing $tag_pod_name' },
        { ...perPod, select: figure(m.waiting), alias: 'waiting $tag_pod_name' },
      ],
    },
    {
      title: 'nginx new connections',
      description: 'Client connections per second nginx accepted and handled: handled stays below accepted only when nginx ran out of connections (worker_connections).',
      kind: 'timeseries',
      unit: 'cps',
      queries: [
        { ...perPod, select: figure(m.accepted), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: figure(m.handled), alias: 'handled $tag_pod_name' },
      ],
    },
  ];
}

function phpFpmPanels(service: string, namespace: string): PanelSpec[] {
  const m = PHP_FPM_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'php-fpm processes',
      description: 'Workers of the php-fpm pool busy with a request and waiting for one (pm.status_path).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: figure(m.active), alias: 'active $tag_pod_name' },
        { ...perPod, select: figure(m.idle), alias: 'idle $tag_pod_name' },
      ],
    },
    {
      title: 'php-fpm requests',
      description: 'Requests per second php-fpm accepted, and how often per second every worker was busy (pm.max_children reached).',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: figure(m.accepted), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: figure(m.maxChildrenReached), alias: 'max children reached $tag_pod_name' },
      ],
    },
    {
      title: 'php-fpm listen queue',
      description: 'Requests waiting for a free php-fpm worker: above zero, the pool is too small.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.listenQueue), alias: 'queued $tag_pod_name' }],
    },
  ];
}

/**
 * vsftpd's figures (srcs/ftps/collect-metrics): sessions from the kernel's socket table, the
 * rest counted from vsftpd's own log lines by srcs/ftps/count-vsftpd-log.
 */
function ftpsPanels(service: string, namespace: string): PanelSpec[] {
  const m = FTPS_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'FTPS sessions',
      description: 'FTP control connections open now, logged in or not (a health check\'s brief one too), counted from '
        + 'the kernel\'s socket table: the ESTABLISHED sockets on vsftpd\'s control port.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.sessions), alias: 'open $tag_pod_name' }],
    },
    {
      title: 'FTPS logins',
      description: 'Logins per second of the FTP user that vsftpd accepted, and that it refused for a wrong password, '
        + 'from the OK LOGIN and FAIL LOGIN lines of vsftpd\'s own log. vsftpd refuses any other user name before a '
        + 'password is asked and logs nothing for it, so those attempts are not counted.',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: figure(m.logins), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: figure(m.loginFailures), alias: 'refused $tag_pod_name' },
      ],
    },
    {
      title: 'FTPS transfers',
      description: 'Uploads and downloads per second that vsftpd completed (the OK UPLOAD and OK DOWNLOAD lines of its '
        + 'own log); an aborted transfer is not counted.',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: figure(m.uploads), alias: 'uploads $tag_pod_name' },
        { ...perPod, select: figure(m.downloads), alias: 'downloads $tag_pod_name' },
      ],
    },
    {
      title: 'FTPS bytes transferred',
      description: 'Bytes per second of the completed uploads and downloads, as vsftpd logs each file\'s size when its '
        + 'transfer ends: a long transfer shows all at once, when it completes.',
      kind: 'timeseries',
      unit: 'Bps',
      queries: [
        { ...perPod, select: figure(m.uploadBytes), alias: 'uploaded $tag_pod_name' },
        { ...perPod, select: figure(m.downloadBytes), alias: 'downloaded $tag_pod_name' },
      ],
    },
  ];
}

function influxdbPanels(service: string, namespace: string): PanelSpec[] {
  const m = INFLUXDB_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'InfluxDB requests',
      description: 'Requests per second to /write (telegraf\'s batches) and to /query (Grafana\'s panels), from InfluxDB\'s /debug/vars.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: figure(m.writes), alias: 'writes $tag_pod_name' },
        { ...perPod, select: figure(m.queries), alias: 'queries $tag_pod_name' },
      ],
    },
    {
      title: 'Points written',
      description: 'Points per second InfluxDB stored through /write.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.pointsWritten), alias: 'points $tag_pod_name' }],
    },
    {
      title: 'Write errors',
      description: 'Points per second InfluxDB did not store: refused with their whole write (rights, a missing retention policy, a server error), and dropped from a partial write (a field type conflict, a time outside the retention).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: figure(m.pointsFailed), alias: 'refused $tag_pod_name' },
        { ...perPod, select: figure(m.pointsDropped), alias: 'dropped $tag_pod_name' },
      ],
    },
    {
      title: 'Error answers',
      description: 'Answers per second with a 4xx status (bad writes or queries, failed logins, refused rights) and with a 5xx status.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: figure(m.clientErrors), alias: '4xx $tag_pod_name' },
        { ...perPod, select: figure(m.serverErrors), alias: '5xx $tag_pod_name' },
      ],
    },
    {
      title: 'Series',
      description: 'Series in the stack\'s database, the one telegraf writes: its cardinality, which InfluxDB\'s memory grows with.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.series), alias: 'series $tag_pod_name' }],
    },
  ];
}

function grafanaPanels(service: string, namespace: string): PanelSpec[] {
  const m = GRAFANA_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'Grafana requests',
      description: 'Requests per second Grafana answered (pages, API calls, its probes and the scrapes of its figures), and those answered with a 5xx status.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: figure(m.requests), alias: 'requests $tag_pod_name' },
        { ...perPod, select: figure(m.serverErrors), alias: '5xx $tag_pod_name' },
      ],
    },
    {
      title: 'Logins',
      description: 'Successful logins per second through Grafana\'s login form.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.logins), alias: 'logins $tag_pod_name' }],
    },
    {
      title: 'Active users',
      description: 'Users seen in the last 30 days, as Grafana counts them once a minute (grafana_stat_active_users).',
      kind: 'stat',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.activeUsers), alias: '$tag_pod_name' }],
    },
    {
      title: 'Datasource answers',
      description: 'Answers per second Grafana got from InfluxDB for the panels\' queries, and those with a status other than 2xx (a query InfluxDB refused). A datasource that does not answer at all is not counted.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: figure(m.datasourceRequests), alias: 'answers $tag_pod_name' },
        { ...perPod, select: figure(m.datasourceErrors), alias: 'errors $tag_pod_name' },
      ],
    },
  ];
}

/** MariaDB's own figures (srcs/mysql/collect-metrics: SHOW GLOBAL STATUS, as a monitoring account). */
function mysqlPanels(service: string, namespace: string): PanelSpec[] {
  const m = MYSQL_METRICS;
  const perPod = podFigures(service, namespace);
  return [
    {
      title: 'MySQL queries',
      description: 'Statements per second the clients sent (Questions): WordPress\'s and phpMyAdmin\'s, the health check\'s SELECT 1 and the SHOW GLOBAL STATUS of each scrape included.',
      kind: 'timeseries',
      unit: 'ops',
      queries: [{ ...perPod, select: figure(m.queries), alias: 'queries $tag_pod_name' }],
    },
    {
      title: 'MySQL connections',
      description: 'Connections open now (Threads_connected), the one reading these figures included.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: figure(m.connections), alias: 'open $tag_pod_name' }],
    },
    {
      title: 'MySQL connection attempts and aborts',
      description: 'Per second: connection attempts (Connections), attempts that failed, such as a wrong password or a client that gave up during the handshake (Aborted_connects), and connections that ended without the client closing them (Aborted_clients).',
      kind: 'timeseries',
      unit: 'cps',
      queries: [
        { ...perPod, select: figure(m.connectionAttempts), alias: 'attempts $tag_pod_name' },
        { ...perPod, select: figure(m.abortedConnects), alias: 'failed $tag_pod_name' },
        { ...perPod, select: figure(m.abortedClients), alias: 'aborted by the client $tag_pod_name' },
      ],
    },
    {
      title: 'MySQL slow queries',
      description: 'Statements per second that took longer than long_query_time, 1 s (Slow_queries).',
      kind: 'timeseries',
      unit: 'cps',
      queries: [{ ...perPod, select: figure(m.slowQueries), alias: 'slow $tag_pod_name' }],
    },
    {
      title: 'InnoDB buffer pool',
      description: 'Table and index data InnoDB holds in memory (Innodb_buffer_pool_bytes_data), and the pages its buffer pool has room for (innodb_buffer_pool_size, less what InnoDB keeps for itself).',
      kind: 'timeseries',
      unit: 'bytes',
      queries: [
        { ...perPod, select: figure(m.bufferPoolData), alias: 'data $tag_pod_name' },
        { ...perPod, select: figure(m.bufferPoolSize), alias: 'size $tag_pod_name' },
      ],
    },
  ];
}

/** The panels of each family of figures a pod serves (pod-metrics.ts), for every service that runs it. */
const FAMILY_PANELS = new Map<MetricFamily, (service: string, namespace: string) => PanelSpec[]>([
  [NGINX_METRICS, nginxPanels],
  [PHP_FPM_METRICS, phpFpmPanels],
  [FTPS_METRICS, ftpsPanels],
  [INFLUXDB_METRICS, influxdbPanels],
  [GRAFANA_METRICS, grafanaPanels],
  [MYSQL_METRICS, mysqlPanels],
]);

/** The panels of `service`'s own figures, family by family. */
function podFigurePanels(service: string, namespace: string): PanelSpec[] {
  return (POD_METRICS[service as ServiceName] ?? []).flatMap((family) => {
    const panels = FAMILY_PANELS.get(family);
    if (panels === undefined) throw new Error(`no panels for a family of ${service}'s figures: ${Object.values(family).map((m) => m.name).join(', ')}`);
    return panels(service, namespace);
  });
}

/** Every panel of `service`'s dashboard, in display order. */
export function servicePanels(service: string, namespace: string): readonly PanelSpec[] {
  return [...containerPanels(service, namespace), ...ownPanels(service, namespace)];
}

/** The panels of `service`'s own work, after the container's (none for a service without figures). */
export function ownPanels(service: string, namespace: string): readonly PanelSpec[] {
  return [...podFigurePanels(service, namespace), ...(SERVICE_PANELS[service]?.(namespace) ?? [])];
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
export function serviceDashboard(service: string, namespace: string): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(dashboardTitle(service))
    .uid(dashboardUid(service))
    .description(`Live metrics of the ${service} container of ft_services (namespace ${namespace}), collected by telegraf.`)
    .tags(['ft_services', service])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser');
  for (const spec of servicePanels(service, namespace)) builder.withPanel(panelBuilder(spec));
  return { ...builder.build(), schemaVersion: DASHBOARD_SCHEMA_VERSION };
}

export interface DashboardOptions {
  readonly namespace: string;
  /** @default SERVICE_NAMES, the chart's service list */
  readonly services?: readonly string[];
}

/** `{ 'ft-<service>.json': dashboard JSON }` for every service: the dashboards ConfigMap's data. */
export function dashboardFiles(options: DashboardOptions): Record<string, string> {
  const files: Record<string, string> = {};
  for (const service of options.services ?? SERVICE_NAMES) {
    files[`${dashboardUid(service)}.json`] = `${JSON.stringify(serviceDashboard(service, options.namespace), null, 2)}\n`;
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
