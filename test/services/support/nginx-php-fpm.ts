/**
 * What the WordPress and phpMyAdmin entrypoints share on this machine: the nginx + php-fpm pair and
 * its metrics server (lib/monitoring/nginx-php-fpm.ts), moved to a scratch folder and loopback ports.
 */
import * as path from 'path';
import { chartEnvironment, debianPhpFpm, freePort, HOST_METRICS_ENV, SRCS } from './harness';
import { busyboxPath } from './metrics';

/** The environment both entrypoints take for nginx, php-fpm and serve-metrics, their files under `dir`. */
export async function nginxPhpFpmEnvironment(service: 'wordpress' | 'phpmyadmin', dir: string): Promise<Record<string, string>> {
  return {
    // The files php-fpm's workers get copies of (lib/services/<service>.ts secretReaders).
    DAEMON_HANDED: chartEnvironment(service).DAEMON_HANDED,
    HANDED_DIR: path.join(dir, 'handed'),
    // Debian and scratch overrides of the image's Alpine defaults; Debian has no `nginx` user.
    PATH: busyboxPath(),
    FT_SHARE: SRCS,
    NGINX_CONF_DIR: path.join(dir, 'nginx'),
    NGINX_USER: 'www-data',
    NGINX_RUN_DIR: path.join(dir, 'run'),
    NGINX_STATUS_PORT: String(await freePort()),
    PHP_FPM_BIN: debianPhpFpm(),
    PHP_FPM_CONF: path.join(dir, 'php-fpm.conf'),
    PHP_FPM_USER: 'nobody',
    PHP_FPM_LISTEN: `127.0.0.1:${await freePort()}`,
    PHP_FPM_STATUS_PORT: String(await freePort()),
    METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    METRICS_ROOT: path.join(dir, 'metrics'),
    ...HOST_METRICS_ENV,
    HEALTHZ_PHP: path.join(SRCS, 'common', 'healthz.php'),
  };
}
