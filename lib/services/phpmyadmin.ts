import { Construct } from 'constructs';
import { NGINX_PHP_FPM_CAPABILITIES } from '../capabilities';
import { publicEndpoints } from '../endpoints';
import { NGINX_POD_METRICS, PHP_FPM_POD_METRICS } from '../monitoring/nginx-php-fpm';
import { phpConnect } from '../probes/connect';
import { secretFiles } from '../secrets';
import { configuredService, StackService, StackServiceContext } from '../stack-service';
import { MySql } from './mysql';

export interface PhpMyAdminProps extends StackServiceContext {
  /** The database it administers. */
  readonly mysql: MySql;
}

/** phpMyAdmin with its own nginx on 5000 over TLS (S6), also served by nginx under /phpmyadmin/ (S7). */
export class PhpMyAdmin extends StackService {
  constructor(scope: Construct, id: string, props: PhpMyAdminProps) {
    const { config, secrets, mysql } = props;
    const https = { name: 'https', containerPort: 5000, servicePort: publicEndpoints(config).phpmyadmin.port, listenVariable: 'PMA_LISTEN' };
    super(scope, id, {
      ...configuredService(config, 'phpmyadmin', 'LoadBalancer'),
      component: 'web',
      ports: [https],
      env: { PMA_HOST: mysql.host, PMA_PORT: mysql.port },
      secrets: [secrets.tls, secrets.phpMyAdmin],
      // config.inc.php reads it in php-fpm's workers.
      secretReaders: { daemon: secretFiles(secrets.phpMyAdmin) },
      // nginx and php-fpm both answer, without depending on the database being up.
      liveness: { kind: 'http', path: '/healthz.php', port: https.containerPort, scheme: 'HTTPS' },
      replicas: config.replicas.phpmyadmin,
      autoscaling: config.autoscaling.phpmyadmin,
      // A login lives in the pod's PHP session files, so a client must come back to the same pod.
      // Behind nginx's /phpmyadmin/ proxy the client is the nginx pod, which holds each user on
      // itself by the same rule (lib/services/nginx.ts): user → one nginx pod → one phpMyAdmin pod.
      sessionAffinity: true,
      connectsTo: [mysql],
      podMetrics: { families: [NGINX_POD_METRICS, PHP_FPM_POD_METRICS], scrapedBy: 'telegraf' },
      capabilities: {
        ...NGINX_PHP_FPM_CAPABILITIES,
        CHOWN: 'the entrypoint hands phpMyAdmin\'s temp folder and php-fpm\'s copies of its Secrets (srcs/common/hand-over) to php-fpm\'s user, serve-metrics its state folder to METRICS_USER, '
          + 'and nginx\'s master its temp folders to its workers\' user (nginx src/core/ngx_file.c ngx_create_paths)',
        FOWNER: 'the entrypoint closes phpMyAdmin\'s temp folder (chmod 0700) once php-fpm\'s user owns it',
      },
      rootFilesystem: {
        readOnly: false,
        because: 'the entrypoint renders nginx\'s and php-fpm\'s configs into /etc/nginx and /etc/php83 at every start, beside '
          + 'the image\'s own files there (not yet moved to a volume)',
      },
      checks: { processToKill: 'nginx', connect: phpConnect, connectAnyPort: true },
    });
  }
}
