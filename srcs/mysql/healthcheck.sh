#!/bin/sh
# Liveness and readiness (K1): a real query over TCP, as the application user, on the application
# database, exactly the path WordPress and phpMyAdmin use.
set -eu

: "${MYSQL_DATABASE:?MYSQL_DATABASE is required}"
: "${MYSQL_USER:?MYSQL_USER is required}"
MYSQL_LISTEN_PORT="${MYSQL_LISTEN_PORT:-3306}"

# From the environment, so the password never shows on a command line.
MYSQL_PWD="$(read-secret mysql-wordpress/password)"
export MYSQL_PWD
# MariaDB 11.4+ clients verify the server's certificate by default, but only when they see the
# password among their options: with MYSQL_PWD they switch it off and print a WARNING on every
# probe (include/sslopt-vars.h, SET_SSL_OPTS_WITH_CHECK). The connection never leaves the pod, so
# say it: --skip-ssl-verify-server-cert (a boolean option in 10.11 too).
result="$(mariadb --no-defaults --protocol=TCP --host=127.0.0.1 --port="$MYSQL_LISTEN_PORT" --user="$MYSQL_USER" \
  --skip-ssl-verify-server-cert --connect-timeout=5 --batch --skip-column-names --execute='SELECT 1' "$MYSQL_DATABASE")"
[ "$result" = 1 ]
