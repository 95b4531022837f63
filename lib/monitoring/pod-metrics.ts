/**
 * A service's own metrics, served by each of its pods in Prometheus text on a metrics port, and
 * read ONCE PER POD on any number of nodes (B10): the DaemonSet's telegraf on each node
 * reads the pods of its own node only, through `inputs.prometheus` with `monitor_kubernetes_pods`
 * and `pod_scrape_scope = "node"` (telegraf v1.34.4 plugins/inputs/prometheus/kubernetes.go
 * `cAdvisor`: it lists `https://<node_ip>:10250/pods`, the kubelet's own pods, which the kubelet
 * authorizes as `nodes/pods`, and scrapes `http://<podIP>:<prometheus.io/port><prometheus.io/path>`
 * of each ready, running pod annotated `prometheus.io/scrape: "true"`). A Service in front of the
 * pods would be read by every node's telegraf, N times; no Service exposes the metrics port (S4),
 * and a NetworkPolicy admits only telegraf to it.
 *
 * A service declares its metrics once, in its module (lib/services/<name>.ts `podMetrics`), as the
 * families of the programs it runs, each with its panels; StackService annotates its pods and opens
 * the port to telegraf, the telegraf config lets exactly these fields through, the dashboard gets
 * the panels (B3), and the host tests check that each image's collector prints exactly these names.
 */

/**
 * Where every pod serves its own metrics: srcs/common/serve-metrics (socat and busybox httpd
 * running the image's collector) on one port, the same in every pod (each pod has its own
 * address), which no Service carries.
 */
export const METRICS_PORT = 9117;
export const METRICS_PATH = '/cgi-bin/metrics';

/**
 * How long serve-metrics reuses an answer (B15; the pods' METRICS_CACHE_SECONDS): however many
 * scrapes come, a pod's collector runs at most once in this many seconds, one at a time. Well
 * under telegraf's interval, so that telegraf's own scrapes always get a fresh reading.
 */
export const METRICS_REUSE_SECONDS = 5;

/**
 * What a panel says when the collector's own reads move the counters it draws: `what` (e.g. "one
 * request") per reading, which comes at most once per METRICS_REUSE_SECONDS (B15).
 */
export function collectorReadNote(what: string): string {
  return `The collector's own reading adds ${what}: once per telegraf scrape, and never more than once in ${METRICS_REUSE_SECONDS} s however many scrapes come`;
}

/** One metric a collector prints: a sample without labels, of Prometheus type `type`. */
export interface PodMetric {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
}

/** The metrics of one program in a pod (nginx, php-fpm, MariaDB…), by what the panels call them. */
export type MetricFamily = Readonly<Record<string, PodMetric>>;

export const gauge = (name: string): PodMetric => ({ name, type: 'gauge' });
export const counter = (name: string): PodMetric => ({ name, type: 'counter' });

/**
 * telegraf's measurement for what `inputs.prometheus` reads with `metric_version = 2` from a target
 * that answers in Prometheus text (`text/plain; version=0.0.4`, as serve-metrics does): `prometheus`,
 * a field per metric name (telegraf v1.34.4 plugins/parsers/prometheus/metric_v2.go).
 */
export const POD_METRICS_MEASUREMENT = 'prometheus';

/** The pod annotations `inputs.prometheus` looks for (kubernetes.go shouldScrapePod, getScrapeURL). */
export function scrapeAnnotations(port: number = METRICS_PORT): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': METRICS_PATH };
}
