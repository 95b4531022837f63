import { Construct } from 'constructs';
import { publicEndpoints } from '../endpoints';
import { dashboardFiles, dashboardProvider, DASHBOARDS_PATH, datasourceProvisioning, metricSelect, PanelSpec, podMetricsQuery, PodMetrics } from '../monitoring/dashboards';
import { collectorReadNote, counter, gauge, MetricFamily } from '../monitoring/pod-metrics';
import { wgetPing } from '../probes/connect';
import { GRAFANA_METRICS_USER, handedSecretPath, secretFiles } from '../secrets';
import { configuredService, dataVolume, familyPanels, StackService, StackServiceContext } from '../stack-service';
import { InfluxDb } from './influxdb';

export interface GrafanaProps extends StackServiceContext {
  /** The datasource, provisioned with Grafana's read-only InfluxDB user. */
  readonly influxdb: InfluxDb;
  /** The services that get a dashboard each, besides Grafana itself (B3). */
  readonly monitored: readonly StackService[];
}

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

function grafanaPanels(service: string, namespace: string): PanelSpec[] {
  const m = GRAFANA_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'Grafana requests',
      description: `Requests per second Grafana answered (pages, API calls, its probes), and those answered with a 5xx status. ${collectorReadNote('one request to /metrics')}.`,
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: metricSelect(m.requests), alias: 'requests $tag_pod_name' },
        { ...perPod, select: metricSelect(m.serverErrors), alias: '5xx $tag_pod_name' },
      ],
    },
    {
      title: 'Logins',
      description: 'Successful logins per second through Grafana\'s login form.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.logins), alias: 'logins $tag_pod_name' }],
    },
    {
      title: 'Active users',
      description: 'Users seen in the last 30 days, as Grafana counts them once a minute (grafana_stat_active_users).',
      kind: 'stat',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.activeUsers), alias: '$tag_pod_name' }],
    },
    {
      title: 'Datasource answers',
      description: 'Answers per second Grafana got from InfluxDB for the panels\' queries, and those with a status other than 2xx (a query InfluxDB refused). A datasource that does not answer at all is not counted.',
      kind: 'timeseries',
      unit: 'reqps',
      queries: [
        { ...perPod, select: metricSelect(m.datasourceRequests), alias: 'answers $tag_pod_name' },
        { ...perPod, select: metricSelect(m.datasourceErrors), alias: 'errors $tag_pod_name' },
      ],
    },
  ];
}

const GRAFANA_POD_METRICS: PodMetrics = { metrics: GRAFANA_METRICS, panels: grafanaPanels };

/** Where Grafana reads its provisioning files (srcs/README.md). */
const PROVISIONING = '/etc/grafana/provisioning';

/**
 * Grafana on 3000 (S9): the InfluxDB datasource and one dashboard per service are provisioned from
 * ConfigMaps generated here, so nothing has to be clicked; its own database is on its volume.
 */
export class Grafana extends StackService {
  constructor(scope: Construct, id: string, props: GrafanaProps) {
    const { config, secrets, influxdb } = props;
    const families = [GRAFANA_POD_METRICS];
    // Its own dashboard is drawn before this construct exists: from the families it serves.
    const itself = { name: 'grafana', ownPanels: (namespace: string) => familyPanels('grafana', families, namespace) };
    const https = { name: 'https', containerPort: 3000, servicePort: publicEndpoints(config).grafana.port, listenVariable: 'GRAFANA_LISTEN_PORT' };
    const [datasourcePassword] = secretFiles(secrets.influxdbRead, 'password');
    const passwordFile = handedSecretPath('daemon', datasourcePassword);
    super(scope, id, {
      ...configuredService(config, 'grafana', 'LoadBalancer'),
      component: 'monitoring',
      ports: [https],
      env: {
        GRAFANA_ADMIN_USER: config.grafana.adminUser,
        // /metrics' login (grafana.ini [metrics]), and the address the certificate names, which the
        // pod's collector checks when it reads /metrics over the loopback (srcs/grafana/collect-metrics).
        GRAFANA_METRICS_USER,
        GRAFANA_TLS_NAME: config.loadBalancer.address,
      },
      secrets: [secrets.grafanaAdmin, secrets.grafanaMetrics, secrets.influxdbRead, secrets.tls],
      // Grafana reads them itself, as user grafana ($__file{} for the admin, /metrics' password and
      // the datasource; its certificate and key); the collector reads /metrics' password and checks
      // Grafana's certificate, as the metrics user.
      secretReaders: {
        daemon: [...secretFiles(secrets.grafanaAdmin), ...secretFiles(secrets.grafanaMetrics), datasourcePassword, ...secretFiles(secrets.tls)],
        metrics: [...secretFiles(secrets.grafanaMetrics), ...secretFiles(secrets.tls, 'tls.crt')],
      },
      configFolders: {
        datasources: {
          path: `${PROVISIONING}/datasources`,
          files: { 'influxdb.yaml': datasourceProvisioning({ url: influxdb.url('http'), database: config.influxdb.database, user: config.influxdb.readUser, passwordFile }) },
        },
        'dashboard-providers': { path: `${PROVISIONING}/dashboards`, files: { 'ft-services.yaml': dashboardProvider('ft_services') } },
        dashboards: { path: DASHBOARDS_PATH, files: dashboardFiles({ namespace: config.namespace, services: [...props.monitored, itself] }) },
      },
      volume: dataVolume(config, 'grafana', '/var/lib/grafana'),
      liveness: { kind: 'http', path: '/api/health', port: https.containerPort, scheme: 'HTTPS' },
      firstBootSeconds: 120,
      connectsTo: [influxdb],
      podMetrics: { families, scrapedBy: 'telegraf' },
      capabilities: {
        CHOWN: 'the entrypoint hands the data folder and copies of its Secrets to grafana, the collector\'s copies to METRICS_USER (srcs/common/hand-over), '
          + 'serve-metrics its state folder to METRICS_USER',
        KILL: 'run-together watches and stops Grafana, which runs as grafana (kill -0, the stop signal)',
        SETGID: 'su-exec runs Grafana as grafana\'s group, socat (serve-metrics) its connections as METRICS_USER\'s',
        SETUID: 'su-exec runs Grafana as grafana, socat (serve-metrics) its connections as METRICS_USER',
      },
      rootFilesystem: {
        readOnly: true,
        writable: {
          run: { path: '/run', why: 'serve-metrics\' CGI folder' },
          tmp: { path: '/tmp', why: 'Grafana\'s temporary files' },
        },
      },
      checks: { processToKill: 'grafana', connect: wgetPing },
    });
  }
}
