import { Construct } from 'constructs';
import { MySql } from './mysql';
import { StackService, StackServiceContext } from './stack-service';

export interface PhpMyAdminProps extends StackServiceContext {
  /** The database it administers. */
  readonly mysql: MySql;
}

/** phpMyAdmin with its own nginx on 5000 over TLS (S6), also served by nginx under /phpmyadmin/ (S7). */
export class PhpMyAdmin extends StackService {
  constructor(scope: Construct, id: string, props: PhpMyAdminProps) {
    const { config, secrets, mysql } = props;
    super(scope, id, {
      config,
      name: 'phpmyadmin',
      component: 'web',
      ports: [{ name: 'https', containerPort: 5000, servicePort: config.ports.phpmyadmin }],
      exposure: 'LoadBalancer',
      env: { PMA_HOST: mysql.name, PMA_PORT: mysql.ports[0].containerPort },
      secrets: [secrets.tls, secrets.phpMyAdmin],
      // nginx and php-fpm both answer, without depending on the database being up.
      liveness: { kind: 'http', path: '/healthz.php', port: 5000, scheme: 'HTTPS' },
      replicas: config.replicas.phpmyadmin,
    });
  }
}
