import { Construct } from 'constructs';
import { StackService, StackServiceContext } from './stack-service';

export type MySqlProps = StackServiceContext;

/** MariaDB for WordPress: reachable inside the cluster only (S12), data on its volume (S10). */
export class MySql extends StackService {
  constructor(scope: Construct, id: string, props: MySqlProps) {
    const { config, secrets } = props;
    super(scope, id, {
      config,
      name: 'mysql',
      component: 'database',
      ports: [{ name: 'mysql', containerPort: 3306 }],
      exposure: 'ClusterIP',
      env: { MYSQL_DATABASE: config.mysql.database, MYSQL_USER: config.mysql.user },
      secrets: [secrets.mysqlRoot, secrets.mysqlWordPress],
      dataPath: '/var/lib/mysql',
      // A real query, not an open port: the first boot's temporary server listens on no port at all.
      liveness: { kind: 'exec', command: ['healthcheck'] },
      firstBootSeconds: 300,
    });
  }
}
