/**
 * How a client's container opens a connection for the B8 check, with what its image has: PHP's CLI
 * (`/usr/bin/php` from php83, Alpine 3.22's default PHP) in WordPress and phpMyAdmin; busybox's
 * wget and timeout applets in Grafana and telegraf, on InfluxDB's unauthenticated /ping (aports
 * main/busybox/busyboxconfig sets CONFIG_WGET and CONFIG_TIMEOUT; the version read here was busybox
 * 1.29's, so the live check is what proves 3.22's). busybox timeout, not `wget -T`: Debian's busybox
 * 1.35 crashes with -T (test/services/netpol-commands.test.ts runs these commands).
 */
import type { ConnectCommand } from './cluster';

export const phpConnect: ConnectCommand = (host, port) => ['php', '-r', `exit(@fsockopen("${host}", ${port}, $errno, $error, 5) ? 0 : 1);`];
export const wgetPing: ConnectCommand = (host, port) => ['timeout', '10', 'wget', '-q', '-O', '/dev/null', `http://${host}:${port}/ping`];
