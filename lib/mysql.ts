import { Construct } from 'constructs';
import { MYSQL_METRICS_USER } from './config';
import { configuredService, dataVolume, StackService, StackServiceContext } from './stack-service';

export type MySqlProps = StackServiceContext;

/** MariaDB's port in the container and the Service's, told to the image as MYSQL_LISTEN_PORT. */
const PORT = 3306;

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
      ports: [{ name: 'mysql', containerPort: PORT }],
      env: { MYSQL_DATABASE: config.mysql.database, MYSQL_USER: config.mysql.user, MYSQL_METRICS_USER, MYSQL_LISTEN_PORT: PORT },
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
