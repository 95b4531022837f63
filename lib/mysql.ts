import { Construct } from 'constructs';
import { MYSQL_METRICS_USER } from './config';
import { configuredService, dataVolume, StackService, StackServiceContext } from './stack-service';

export type MySqlProps = StackServiceContext;

/**
 * MariaDB for WordPress: reachable inside the cluster only (S12), and only by the clients that
 * declare themselves with `allowFrom` (B8); data on its volume (S10).
 */
export class MySql extends StackService {
  constructor(scope: Construct, id: string, props: MySqlProps) {
    const { config, secrets } = props;
    super(scope, id, {
      ...configuredService(config, 'mysql'),
      component: 'database',
      ports: [{ name: 'mysql', containerPort: 3306 }],
      env: { MYSQL_DATABASE: config.mysql.database, MYSQL_USER: config.mysql.user, MYSQL_METRICS_USER },
      // Every one read by the entrypoint, as root: the metrics password reaches the collector
      // through a client options file the entrypoint writes for it.
      secrets: [secrets.mysqlRoot, secrets.mysqlWordPress, secrets.mysqlMetrics],
      volume: dataVolume(config, 'mysql', '/var/lib/mysql'),
      // A real query, not an open port: the first boot's temporary server listens on no port at all.
      liveness: { kind: 'exec', command: ['healthcheck'] },
      firstBootSeconds: 300,
    });
  }
}
