/**
 * How a client's container opens a connection for the B8 check, with what its image has: PHP's CLI
 * (`/usr/bin/php` from php83, Alpine 3.22's default PHP) in WordPress and phpMyAdmin; busybox's
 * wget and timeout applets in Grafana and telegraf, on InfluxDB's unauthenticated /ping (aports
 * main/busybox/busyboxconfig sets CONFIG_WGET and CONFIG_TIMEOUT; the version read here was busybox
 * 1.29's, so the live check is what proves 3.22's). busybox timeout, not `wget -T`: Debian's busybox
 * 1.35 crashes with -T (test/services/netpol-commands.test.ts runs these commands); curl in nginx,
 * whose image installs it.
 */
import type { ConnectCommand } from './cluster';

export const phpConnect: ConnectCommand = (host, port) => ['php', '-r', `exit(@fsockopen("${host}", ${port}, $errno, $error, 5) ? 0 : 1);`];
export const wgetPing: ConnectCommand = (host, port) => ['timeout', '10', 'wget', '-q', '-O', '/dev/null', `http://${host}:${port}/ping`];

/**
 * A shell line that prints the seconds curl took to open a TCP connection to `host:port`, 0.000000
 * when it opened none (curl's --write-out `time_connect`), even when the transfer then fails
 * because the server does not speak HTTP.
 */
export function curlTimeConnect(host: string, port: number): string {
  return `curl -s -o /dev/null --connect-timeout 5 --max-time 8 -w '%{time_connect}' http://${host}:${port}/`;
}

/** Exits 0 exactly when curl opened the TCP connection, whatever the port speaks. */
export const curlConnect: ConnectCommand = (host, port) => ['sh', '-c', `t=$(${curlTimeConnect(host, port)}); [ -n "$(echo "$t" | tr -d 0.)" ]`];
