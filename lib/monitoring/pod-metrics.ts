/**
 * A service's own figures, served by each of its pods in Prometheus text on a metrics port, and
 * read ONCE PER POD on any number of nodes (B10): the DaemonSet's telegraf on each node
 * reads the pods of its own node only, through `inputs.prometheus` with `monitor_kubernetes_pods`
 * and `pod_scrape_scope = "node"` (telegraf v1.34.4 plugins/inputs/prometheus/kubernetes.go
 * `cAdvisor`: it lists `https://<node_ip>:10250/pods`, the kubelet's own pods, which the kubelet
 * authorizes as `nodes/pods`, and scrapes `http://<podIP>:<prometheus.io/port><prometheus.io/path>`
 * of each ready, running pod annotated `prometheus.io/scrape: "true"`). A Service in front of the
 * pods would be read by every node's telegraf, N times; no Service exposes the metrics port (S4),
 * and a NetworkPolicy admits only telegraf to it.
 *
 * A service declares its figures once here, as the families of the programs it runs; the chart
 * annotates its pods and opens the port to telegraf, the telegraf config lets exactly these fields
 * through, the dashboard gets the panels (B3), and the host tests check that each image's collector
 * prints exactly these names.
 */
import type { ServiceName } from '../config';

/**
 * Where every pod serves its own figures: srcs/common/serve-metrics (busybox httpd running the
 * image's collector) on one port, the same in every pod (each pod has its own address), which no
 * Service carries.
 */
export const METRICS_PORT = 9117;
export const METRICS_PATH = '/cgi-bin/metrics';

/** One figure a collector prints: a sample without labels, of Prometheus type `type`. */
export interface PodMetric {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
}

/** The figures of one program in a pod (nginx, php-fpm, MariaDB…), by what the panels call them. */
export type MetricFamily = Readonly<Record<string, PodMetric>>;

export const gauge = (name: string): PodMetric => ({ name, type: 'gauge' });
export const counter = (name: string): PodMetric => ({ name, type: 'counter' });

/**
 * nginx's own figures, in every pod that runs nginx (nginx, wordpress, phpmyadmin): its stub_status
 * page (srcs/common/nginx.conf.template, on 127.0.0.1 only; nginx
 * src/http/modules/ngx_http_stub_status_module.c) printed by srcs/common/collect-nginx-metrics.
 * The counters count since nginx started; each scrape is one of the requests and, while it runs,
 * one of the active, writing connections.
 */
export const NGINX_METRICS = {
  active: gauge('nginx_connections_active'),
  reading: gauge('nginx_connections_reading'),
  writing: gauge('nginx_connections_writing'),
  waiting: gauge('nginx_connections_waiting'),
  accepted: counter('nginx_connections_accepted_total'),
  handled: counter('nginx_connections_handled_total'),
  requests: counter('nginx_http_requests_total'),
} satisfies MetricFamily;

/**
 * vsftpd's own figures, in the ftps pod, printed by srcs/ftps/collect-metrics: the control
 * connections open now (ESTABLISHED sockets on the control port in the kernel's socket table,
 * health checks' included), and what vsftpd logged since the container started, counted by
 * srcs/ftps/count-vsftpd-log from vsftpd's own log lines (vsftpd logging.c): logins of the FTP
 * user accepted and refused (vsftpd refuses any other user name before a login is attempted, and
 * logs nothing), completed uploads and downloads and their bytes.
 */
export const FTPS_METRICS = {
  sessions: gauge('ftps_sessions'),
  logins: counter('ftps_logins_total'),
  loginFailures: counter('ftps_login_failures_total'),
  uploads: counter('ftps_uploads_total'),
  uploadBytes: counter('ftps_upload_bytes_total'),
  downloads: counter('ftps_downloads_total'),
  downloadBytes: counter('ftps_download_bytes_total'),
} satisfies MetricFamily;

/**
 * MariaDB's own figures, served by the mysql pod: srcs/mysql/collect-metrics reads SHOW GLOBAL
 * STATUS as the monitoring account (no privilege, loopback only) and says at its top which status
 * variable each one is.
 */
export const MYSQL_METRICS = {
  queries: counter('mysql_queries_total'),
  connections: gauge('mysql_connections_current'),
  connectionAttempts: counter('mysql_connections_total'),
  abortedConnects: counter('mysql_connections_aborted_total'),
  abortedClients: counter('mysql_clients_aborted_total'),
  slowQueries: counter('mysql_slow_queries_total'),
  bufferPoolData: gauge('mysql_innodb_buffer_pool_data_bytes'),
  bufferPoolSize: gauge('mysql_innodb_buffer_pool_size_bytes'),
} satisfies MetricFamily;

/**
 * php-fpm's pool (`pm.status_path`, read in its plain-text format by srcs/common/
 * collect-php-fpm-metrics through the pod's nginx on the loopback; php-src sapi/fpm/fpm/
 * fpm_status.c names each line): workers busy and idle, requests waiting for a worker, requests
 * accepted, and how often the pool hit `pm.max_children`.
 */
export const PHP_FPM_METRICS = {
  active: gauge('phpfpm_active_processes'),
  idle: gauge('phpfpm_idle_processes'),
  listenQueue: gauge('phpfpm_listen_queue'),
  accepted: counter('phpfpm_accepted_connections_total'),
  maxChildrenReached: counter('phpfpm_max_children_reached_total'),
} satisfies MetricFamily;

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

/**
 * Grafana's own work, summed from its /metrics by srcs/grafana/collect-metrics (each sum and the
 * Grafana series it comes from are listed there): requests answered and those with a 5xx, logins,
 * users active in the last 30 days, and the answers of its datasource, those other than 2xx apart.
 */
export const GRAFANA_METRICS = {
  requests: counter('grafana_http_requests_total'),
  serverErrors: counter('grafana_http_server_errors_total'),
  logins: counter('grafana_logins_total'),
  activeUsers: gauge('grafana_active_users'),
  datasourceRequests: counter('grafana_datasource_requests_total'),
  datasourceErrors: counter('grafana_datasource_errors_total'),
} satisfies MetricFamily;

/**
 * telegraf's measurement for what `inputs.prometheus` reads with `metric_version = 2` from a target
 * that answers in Prometheus text (`text/plain; version=0.0.4`, as serve-metrics does): `prometheus`,
 * a field per metric name (telegraf v1.34.4 plugins/parsers/prometheus/metric_v2.go).
 */
export const POD_METRICS_MEASUREMENT = 'prometheus';

/**
 * The services whose pods serve their own figures: the families of the programs each one runs. A
 * pod with two programs serves both families from its one endpoint (srcs/common/collect-all).
 */
export const POD_METRICS: Readonly<Partial<Record<ServiceName, readonly MetricFamily[]>>> = {
  nginx: [NGINX_METRICS],
  wordpress: [NGINX_METRICS, PHP_FPM_METRICS],
  phpmyadmin: [NGINX_METRICS, PHP_FPM_METRICS],
  ftps: [FTPS_METRICS],
  influxdb: [INFLUXDB_METRICS],
  grafana: [GRAFANA_METRICS],
  mysql: [MYSQL_METRICS],
};

/** The metrics `service`'s collector prints, in declaration order (none for a service without figures). */
export function podMetrics(service: ServiceName): readonly PodMetric[] {
  return (POD_METRICS[service] ?? []).flatMap((family) => Object.values(family));
}

/** Every field `inputs.prometheus` lets through. */
export const POD_METRICS_FIELDS: readonly string[] = [
  ...new Set(Object.values(POD_METRICS).flatMap((families) => families.flatMap((family) => Object.values(family).map((metric) => metric.name)))),
];

/** The pod annotations `inputs.prometheus` looks for (kubernetes.go shouldScrapePod, getScrapeURL). */
export function scrapeAnnotations(port: number = METRICS_PORT): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': METRICS_PATH };
}
