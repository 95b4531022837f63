import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { InfluxDb } from './influxdb';
import { dashboardFiles, dashboardProvider, DASHBOARDS_PATH, datasourceProvisioning } from './monitoring/dashboards';
import { secretMountPath } from './secrets';
import { serviceLabels, StackService, StackServiceContext } from './stack-service';

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
    const labels = serviceLabels(config, 'grafana', 'monitoring');
    const configMap = (name: string, data: Record<string, string>) =>
      new kplus.ConfigMap(scope, `${id}${name}`, { metadata: { name: `grafana-${name}`, labels }, data });
    const services = [...props.monitored.map((service) => service.name), 'grafana'];
    const passwordFile = `${secretMountPath(secrets.influxdbRead)}/${secrets.influxdbRead.keys[0].key}`;
    super(scope, id, {
      config,
      name: 'grafana',
      component: 'monitoring',
      ports: [{ name: 'http', containerPort: 3000, servicePort: config.ports.grafana }],
      exposure: 'LoadBalancer',
      env: { GRAFANA_ADMIN_USER: config.grafana.adminUser },
      secrets: [secrets.grafanaAdmin, secrets.influxdbRead],
      configFolders: [
        {
          path: `${PROVISIONING}/datasources`,
          configMap: configMap('datasources', {
            'influxdb.yaml': datasourceProvisioning({ url: influxdb.url('http'), database: config.influxdb.database, user: config.influxdb.readUser, passwordFile }),
          }),
        },
        { path: `${PROVISIONING}/dashboards`, configMap: configMap('dashboard-providers', { 'ft-services.yaml': dashboardProvider('ft_services') }) },
        { path: DASHBOARDS_PATH, configMap: configMap('dashboards', dashboardFiles({ namespace: config.namespace, services })) },
      ],
      dataPath: '/var/lib/grafana',
      liveness: { kind: 'http', path: '/api/health', port: 3000, scheme: 'HTTP' },
      firstBootSeconds: 120,
    });
  }
}
