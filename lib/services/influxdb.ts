import { Construct } from 'constructs';
import { metricSelect, PanelSpec, podMetricsQuery } from '../monitoring/dashboards';
import { counter, gauge, MetricFamily } from '../monitoring/pod-metrics';
import { secretMountPath } from '../secrets';
import { configuredService, dataVolume, StackService, StackServiceContext } from '../stack-service';

export type InfluxDbProps = StackServiceContext;

/**
 * InfluxDB's own work, from its /debug/vars read over the pod's loopback by srcs/influxdb/
 * collect-metrics (the `httpd` statistics of influxdb services/httpd/handler.go, and `numSeries` of
 * tsdb/store.go): requests to /write and /query, points stored, refused whole, and dropped from
 * partial writes, 4xx and 5xx answers, and the series of the stack's database. The one database
 * is the only one with data (telegraf writes there; the _internal one is off, influxdb.conf
 * [monitor]), so its series need no `database` label.
 */
export const INFLUXDB_METRICS = {
  writes: counter('influxdb_write_requests_total'),
  queries: counter('influxdb_query_requests_total'),
  pointsWritten: counter('influxdb_points_written_total'),
  pointsFailed: counter('influxdb_points_failed_total'),
  pointsDropped: counter('influxdb_points_dropped_total'),
  clientErrors: counter('influxdb_client_errors_total'),
  serverErrors: counter('influxdb_server_errors_total'),
  series: gauge('influxdb_series'),
} satisfies MetricFamily;

function influxdbPanels(service: string, namespace: string): PanelSpec[] {
  const m = INFLUXDB_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'InfluxDB requests',
      description: 'Requests per second to /write (telegraf\'s batches) and to /query (Grafana\'s panels), from InfluxDB\'s /debug/vars.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: metricSelect(m.writes), alias: 'writes $tag_pod_name' },
        { ...perPod, select: metricSelect(m.queries), alias: 'queries $tag_pod_name' },
      ],
    },
    {
      title: 'Points written',
      description: 'Points per second InfluxDB stored through /write.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.pointsWritten), alias: 'points $tag_pod_name' }],
    },
    {
      title: 'Write errors',
      description: 'Points per second InfluxDB did not store: refused with their whole write (rights, a missing retention policy, a server error), and dropped from a partial write (a field type conflict, a time outside the retention).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: metricSelect(m.pointsFailed), alias: 'refused $tag_pod_name' },
        { ...perPod, select: metricSelect(m.pointsDropped), alias: 'dropped $tag_pod_name' },
      ],
    },
    {
      title: 'Error answers',
      description: 'Answers per second with a 4xx status (bad writes or queries, failed logins, refused rights) and with a 5xx status.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: metricSelect(m.clientErrors), alias: '4xx $tag_pod_name' },
        { ...perPod, select: metricSelect(m.serverErrors), alias: '5xx $tag_pod_name' },
      ],
    },
    {
      title: 'Series',
      description: 'Series in the stack\'s database, the one telegraf writes: its cardinality, which InfluxDB\'s memory grows with.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.series), alias: 'series $tag_pod_name' }],
    },
  ];
}

/**
 * InfluxDB 1.x, where telegraf writes and Grafana reads: cluster-internal (S12), reachable only by
 * the services that name it in `connectsTo` (B8), data on its volume (S10).
 */
export class InfluxDb extends StackService {
  constructor(scope: Construct, id: string, props: InfluxDbProps) {
    const { config, secrets } = props;
    const http = { name: 'http', containerPort: 8086, listenVariable: 'INFLUXDB_LISTEN_PORT' };
    // As the admin, whose password only the container holds (as root).
    const influxAdmin = (statement: string, db: string): string[] => ['sh', '-c',
      `influx -username "$INFLUXDB_ADMIN_USER" -password "$(cat ${secretMountPath(secrets.influxdbAdmin)}/password)" -database ${db} -execute '${statement}'`];
    super(scope, id, {
      ...configuredService(config, 'influxdb', 'ClusterIP'),
      component: 'database',
      ports: [http],
      env: {
        INFLUXDB_DB: config.influxdb.database,
        INFLUXDB_ADMIN_USER: config.influxdb.adminUser,
        INFLUXDB_WRITE_USER: config.influxdb.writeUser,
        INFLUXDB_READ_USER: config.influxdb.readUser,
        INFLUXDB_RETENTION_DAYS: config.influxdb.retentionDays,
      },
      secrets: [secrets.influxdbAdmin, secrets.influxdbWrite, secrets.influxdbRead],
      volume: dataVolume(config, 'influxdb', '/var/lib/influxdb'),
      liveness: { kind: 'http', path: '/ping', port: http.containerPort, scheme: 'HTTP' },
      firstBootSeconds: 120,
      clientsOnly: true,
      podMetrics: { families: [{ metrics: INFLUXDB_METRICS, panels: influxdbPanels }], scrapedBy: 'telegraf' },
      // influxd closes its shards (writing their caches to disk) on SIGTERM.
      stopSeconds: 25,
      capabilities: {
        CHOWN: 'the entrypoint hands the storage folder to influxdb, serve-metrics its state folder to METRICS_USER',
        FOWNER: 'the entrypoint closes the storage folder (chmod 0750) once influxdb owns it',
        DAC_OVERRIDE: 'the entrypoint, as root, looks for and writes its marker in the storage folder, influxdb\'s and closed to others',
        KILL: 'the entrypoint watches (wait-until: kill -0) and stops its temporary influxd, which runs as influxdb, and '
          + 'run-together the real one',
        SETGID: 'su-exec runs influxd as influxdb\'s group, socat (serve-metrics) its connections as METRICS_USER\'s',
        SETUID: 'su-exec runs influxd as influxdb, socat (serve-metrics) its connections as METRICS_USER',
      },
      rootFilesystem: {
        readOnly: true,
        writable: {
          run: { path: '/run', why: 'serve-metrics\' CGI folder' },
          tmp: { path: '/tmp', why: 'the temporary files of influxd and of the entrypoint\'s tools' },
        },
      },
      checks: {
        processToKill: 'influxd',
        // The influx CLI runs -execute line by line, and INSERT only as a line of its own.
        dataSurvives: {
          write: (marker) => influxAdmin(`CREATE DATABASE ft_check\nINSERT marks,mark=${marker} value=1`, 'ft_check'),
          read: () => influxAdmin('SHOW TAG VALUES FROM marks WITH KEY = "mark"', 'ft_check'),
        },
      },
    });
  }
}
