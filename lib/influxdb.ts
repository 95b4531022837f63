import { Construct } from 'constructs';
import { configuredService, dataVolume, StackService, StackServiceContext } from './stack-service';

export type InfluxDbProps = StackServiceContext;

/**
 * InfluxDB 1.x, where telegraf writes and Grafana reads: cluster-internal (S12), reachable only by
 * the clients that declare themselves with `allowFrom` (B8), data on its volume (S10).
 */
export class InfluxDb extends StackService {
  constructor(scope: Construct, id: string, props: InfluxDbProps) {
    const { config, secrets } = props;
    super(scope, id, {
      ...configuredService(config, 'influxdb'),
      component: 'database',
      ports: [{ name: 'http', containerPort: 8086 }],
      env: {
        INFLUXDB_DB: config.influxdb.database,
        INFLUXDB_ADMIN_USER: config.influxdb.adminUser,
        INFLUXDB_WRITE_USER: config.influxdb.writeUser,
        INFLUXDB_READ_USER: config.influxdb.readUser,
        INFLUXDB_RETENTION_DAYS: config.influxdb.retentionDays,
      },
      secrets: [secrets.influxdbAdmin, secrets.influxdbWrite, secrets.influxdbRead],
      volume: dataVolume(config, 'influxdb', '/var/lib/influxdb'),
      liveness: { kind: 'http', path: '/ping', port: 8086, scheme: 'HTTP' },
      firstBootSeconds: 120,
    });
  }
}
