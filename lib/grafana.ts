import { Construct } from 'constructs';
import { publicEndpoints } from './endpoints';
import { InfluxDb } from './influxdb';
import { dashboardFiles, dashboardProvider, DASHBOARDS_PATH, datasourceProvisioning } from './monitoring/dashboards';
import { GRAFANA_METRICS_USER, secretMountPath } from './secrets';
import { configuredService, dataVolume, StackService, StackServiceContext } from './stack-service';

export interface GrafanaProps extends StackServiceContext {
  /** The datasource, provisioned with Grafana's read-only InfluxDB user. */
  readonly influxdb: InfluxDb;
  /** The services that get a dashboard each, besides Grafana itself (B3). */
  readonly monitored: readonly StackService[];
}

/** Where Grafana reads its provisioning files (srcs/README.md). */
const PROVISIONING = '/etc/grafana/provisioning';

/**
 * Grafana on 3000 (S9): the InfluxDB datasource and one dashboard per service are provisioned from
 * ConfigMaps generated here, so nothing has to be clicked; its own database is on its volume.
 */
export class Grafana extends StackService {
  constructor(scope: Construct, id: string, props: GrafanaProps) {
    const { config, secrets, influxdb } = props;
    const services = [...props.monitored.map((service) => service.name), 'grafana'];
    const passwordFile = `${secretMountPath(secrets.influxdbRead)}/${secrets.influxdbRead.keys[0].key}`;
    super(scope, id, {
      ...configuredService(config, 'grafana'),
      component: 'monitoring',
      ports: [{ name: 'http', containerPort: 3000, servicePort: publicEndpoints(config).grafana.port }],
      env: {
        GRAFANA_ADMIN_USER: config.grafana.adminUser,
        // /metrics' login (grafana.ini [metrics]), and the address the certificate names, which the
        // pod's collector checks when it reads /metrics over the loopback (srcs/grafana/collect-metrics).
        GRAFANA_METRICS_USER,
        GRAFANA_TLS_NAME: config.loadBalancer.address,
      },
      secrets: [secrets.grafanaAdmin, secrets.grafanaMetrics, secrets.influxdbRead, secrets.tls],
      // Grafana reads them itself ($__file{} for the admin, /metrics' password and the datasource,
      // its TLS key), as user grafana; the collector reads /metrics' password and the certificate as
      // user nobody.
      daemonReadSecrets: [secrets.grafanaAdmin, secrets.grafanaMetrics, secrets.influxdbRead, secrets.tls],
      configFolders: {
        datasources: {
          path: `${PROVISIONING}/datasources`,
          files: { 'influxdb.yaml': datasourceProvisioning({ url: influxdb.url('http'), database: config.influxdb.database, user: config.influxdb.readUser, passwordFile }) },
        },
        'dashboard-providers': { path: `${PROVISIONING}/dashboards`, files: { 'ft-services.yaml': dashboardProvider('ft_services') } },
        dashboards: { path: DASHBOARDS_PATH, files: dashboardFiles({ namespace: config.namespace, services }) },
      },
      volume: dataVolume(config, 'grafana', '/var/lib/grafana'),
      liveness: { kind: 'http', path: '/api/health', port: 3000, scheme: 'HTTPS' },
      firstBootSeconds: 120,
    });
    influxdb.allowFrom(this);
  }
}
