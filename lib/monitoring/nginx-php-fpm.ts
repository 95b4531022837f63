/**
 * The metrics of the two programs several images run (nginx in the nginx, wordpress and
 * phpmyadmin pods; php-fpm in wordpress and phpmyadmin), with the panels that draw them on the
 * dashboard of each service that runs them.
 */
import { metricSelect, PanelSpec, podMetricsQuery, PodMetrics } from './dashboards';
import { collectorReadNote, counter, gauge, MetricFamily } from './pod-metrics';

/**
 * nginx's own metrics, in every pod that runs nginx (nginx, wordpress, phpmyadmin): its stub_status
 * page (srcs/common/nginx.conf.template, on 127.0.0.1 only; nginx
 * src/http/modules/ngx_http_stub_status_module.c) printed by srcs/common/collect-nginx-metrics.
 * The counters count since nginx started; each reading of the collector is one of the requests and,
 * while it runs, one of the active, writing connections.
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

/** nginx's own metrics (stub_status), in every pod that runs nginx. */
function nginxPanels(service: string, namespace: string): PanelSpec[] {
  const m = NGINX_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'nginx requests',
      description: `HTTP requests per second nginx received in the ${service} pod, on every port (nginx stub_status). ${collectorReadNote('one request, two where php-fpm runs too (its status page is read through nginx)')}.`,
      kind: 'timeseries',
      unit: 'reqps',
      queries: [{ ...perPod, select: metricSelect(m.requests), alias: 'requests $tag_pod_name' }],
    },
    {
      title: 'nginx connections',
      description: 'Client connections open in nginx: active (all of them), reading a request, writing an answer (the collector\'s read of stub_status is one), waiting idle for the next request (keep-alive).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: metricSelect(m.active), alias: 'active $tag_pod_name' },
        { ...perPod, select: metricSelect(m.reading), alias: 'reading $tag_pod_name' },
        { ...perPod, select: metricSelect(m.writing), alias: 'writing $tag_pod_name' },
        { ...perPod, select: metricSelect(m.waiting), alias: 'waiting $tag_pod_name' },
      ],
    },
    {
      title: 'nginx new connections',
      description: 'Client connections per second nginx accepted and handled: handled stays below accepted only when nginx ran out of connections (worker_connections).',
      kind: 'timeseries',
      unit: 'cps',
      queries: [
        { ...perPod, select: metricSelect(m.accepted), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: metricSelect(m.handled), alias: 'handled $tag_pod_name' },
      ],
    },
  ];
}

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

function phpFpmPanels(service: string, namespace: string): PanelSpec[] {
  const m = PHP_FPM_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'php-fpm processes',
      description: 'Workers of the php-fpm pool busy with a request and waiting for one (pm.status_path).',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: metricSelect(m.active), alias: 'active $tag_pod_name' },
        { ...perPod, select: metricSelect(m.idle), alias: 'idle $tag_pod_name' },
      ],
    },
    {
      title: 'php-fpm requests',
      description: `Requests per second php-fpm accepted, and how often per second every worker was busy (pm.max_children reached). ${collectorReadNote('one request')}.`,
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: metricSelect(m.accepted), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: metricSelect(m.maxChildrenReached), alias: 'max children reached $tag_pod_name' },
      ],
    },
    {
      title: 'php-fpm listen queue',
      description: 'Requests waiting for a free php-fpm worker: above zero, the pool is too small.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.listenQueue), alias: 'queued $tag_pod_name' }],
    },
  ];
}

/** nginx's metrics with their panels. */
export const NGINX_POD_METRICS: PodMetrics = { metrics: NGINX_METRICS, panels: nginxPanels };

/** php-fpm's metrics with their panels. */
export const PHP_FPM_POD_METRICS: PodMetrics = { metrics: PHP_FPM_METRICS, panels: phpFpmPanels };
