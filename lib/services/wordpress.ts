import { Construct } from 'constructs';
import { NGINX_PHP_FPM_CAPABILITIES } from '../capabilities';
import { publicEndpoints } from '../endpoints';
import { NGINX_POD_METRICS, PHP_FPM_POD_METRICS } from '../monitoring/nginx-php-fpm';
import { phpConnect } from '../probes/connect';
import { secretFiles } from '../secrets';
import { configuredService, dataVolume, StackService, StackServiceContext } from '../stack-service';
import { MySql } from './mysql';

export interface WordPressProps extends StackServiceContext {
  /** The database WordPress stores its site in. */
  readonly mysql: MySql;
}

/**
 * WordPress with its own nginx and php-fpm on 5050 over TLS (S5). The first boot installs the site
 * with the configured users; uploads live on its volume.
 */
export class WordPress extends StackService {
  constructor(scope: Construct, id: string, props: WordPressProps) {
    const { config, secrets, mysql } = props;
    const endpoint = publicEndpoints(config).wordpress;
    const https = { name: 'https', containerPort: 5050, servicePort: endpoint.port, listenVariable: 'WORDPRESS_LISTEN' };
    super(scope, id, {
      ...configuredService(config, 'wordpress', 'LoadBalancer'),
      component: 'web',
      ports: [https],
      env: {
        WORDPRESS_DB_HOST: mysql.address,
        WORDPRESS_DB_NAME: config.mysql.database,
        WORDPRESS_DB_USER: config.mysql.user,
        WORDPRESS_TITLE: config.wordpress.title,
        WORDPRESS_URL: endpoint.url,
        WORDPRESS_USERS: config.wordpress.users.map((user) => `${user.login}:${user.role}:${user.email}`).join(' '),
      },
      secrets: [secrets.tls, secrets.mysqlWordPress, secrets.wordpressUsers, secrets.wordpressKeys],
      // wp-config.php reads them in php-fpm's workers; the users' passwords only install.php (root).
      secretReaders: { daemon: [...secretFiles(secrets.mysqlWordPress), ...secretFiles(secrets.wordpressKeys)] },
      volume: dataVolume(config, 'wordpress', '/var/www/wordpress/wp-content/uploads'),
      liveness: { kind: 'http', path: '/healthz.php', port: https.containerPort, scheme: 'HTTPS' },
      // The first boot waits for MySQL's own first boot, then installs the site.
      firstBootSeconds: 420,
      connectsTo: [mysql],
      podMetrics: { families: [NGINX_POD_METRICS, PHP_FPM_POD_METRICS], scrapedBy: 'telegraf' },
      capabilities: {
        ...NGINX_PHP_FPM_CAPABILITIES,
        CHOWN: 'the entrypoint hands the uploads folder and php-fpm\'s copies of its Secrets (srcs/common/hand-over) to php-fpm\'s user, serve-metrics its state folder to METRICS_USER, and '
          + 'nginx\'s master its temp folders to its workers\' user (nginx src/core/ngx_file.c ngx_create_paths)',
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
