#!/bin/sh
# phpMyAdmin (S6): nginx over TLS on 5000 and php-fpm, with the pod's metrics (serve-metrics), all
# under run-together, which exits as soon as any of them dies so that Kubernetes restarts the
# container (S11). The configs are rendered from the environment; config.inc.php itself is static
# and reads the environment at run time.
set -eu

: "${PMA_HOST:?PMA_HOST is required}"
: "${PMA_PORT:?PMA_PORT is required}"
# Alpine paths and the container's port by default; the host tests (B5) point them at Debian's
# php-fpm, a scratch copy of Debian's phpMyAdmin and loopback ports.
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# The Secret files php-fpm's workers read (the chart's secretReaders), and where they get their
# copies of them (srcs/common/hand-over).
: "${DAEMON_HANDED:?DAEMON_HANDED (the Secret files php-fpm reads, NAME/KEY...) is required}"
HANDED_DIR="${HANDED_DIR:-/run/ft-secrets}"
PHP_FPM_SECRETS_DIR="$HANDED_DIR/daemon"
PMA_LISTEN="${PMA_LISTEN:-5000}"
# The pod's own metrics for telegraf (the chart's metrics port, serve-metrics), and where nginx
# serves php-fpm's status to their collector (loopback only).
METRICS_LISTEN="${METRICS_LISTEN:-9117}"
METRICS_ROOT="${METRICS_ROOT:-/run/ft-metrics}"
PHP_FPM_STATUS_PORT="${PHP_FPM_STATUS_PORT:-8082}"
PMA_ROOT="${PMA_ROOT:-/usr/share/webapps/phpmyadmin}"
PMA_TEMP_DIR="${PMA_TEMP_DIR:-/tmp/phpmyadmin}"
NGINX_CONF_DIR="${NGINX_CONF_DIR:-/etc/nginx}"
NGINX_USER="${NGINX_USER:-nginx}"
NGINX_RUN_DIR="${NGINX_RUN_DIR:-/run/nginx}"
# nginx's stub_status on 127.0.0.1 (nginx.conf), read by collect-nginx-metrics (B10).
NGINX_STATUS_PORT="${NGINX_STATUS_PORT:-8081}"
PHP_FPM_BIN="${PHP_FPM_BIN:-php-fpm83}"
PHP_FPM_CONF="${PHP_FPM_CONF:-/etc/php83/php-fpm.conf}"
PHP_FPM_LISTEN="${PHP_FPM_LISTEN:-127.0.0.1:9000}"
PHP_FPM_USER="${PHP_FPM_USER:-nobody}"
# How long run-together waits for the servers after the stop signal (the chart sets it); php-fpm
# gives its workers as long to finish their requests (php-fpm.conf.template).
RUN_TOGETHER_GRACE="${RUN_TOGETHER_GRACE:-10}"
HEALTHZ_PHP="${HEALTHZ_PHP:-/var/www/healthz/healthz.php}"
# Where the image keeps its templates and PHP helpers: common/ (shared) and phpmyadmin/ (ours).
FT_SHARE="${FT_SHARE:-/usr/local/share/ft-services}"
# TLS_CIPHERS (exported): the stack's one TLS policy, for tls.conf.
# shellcheck source=../common/tls-policy.sh
. "$FT_SHARE/common/tls-policy.sh"

log() { echo "phpmyadmin-entrypoint: $*" >&2; }
fail() { log "$*"; exit 1; }

case "$PMA_PORT" in
  '' | *[!0-9]*) fail "PMA_PORT '$PMA_PORT' is not a port number" ;;
esac
read-secret tls/tls.crt tls/tls.key phpmyadmin/blowfish-secret >/dev/null
# shellcheck disable=SC2086 # a list of NAME/KEY words
hand-over "$PHP_FPM_USER" "$PHP_FPM_SECRETS_DIR" $DAEMON_HANDED

# render-template reads the @NAME@ values from the environment; config.inc.php reads PMA_HOST,
# PMA_PORT, PMA_TEMP_DIR, SECRETS_DIR (its copies, php-fpm.conf) and FT_SHARE through php-fpm.
export RUN_TOGETHER_GRACE PMA_HOST PMA_PORT SECRETS_DIR PHP_FPM_SECRETS_DIR FT_SHARE PMA_LISTEN METRICS_LISTEN METRICS_ROOT PHP_FPM_STATUS_PORT PMA_ROOT PMA_TEMP_DIR \
  NGINX_USER NGINX_RUN_DIR NGINX_STATUS_PORT PHP_FPM_LISTEN PHP_FPM_USER HEALTHZ_PHP

mkdir -p "$NGINX_RUN_DIR" "$NGINX_CONF_DIR/http.d" "$PMA_TEMP_DIR"
# phpMyAdmin caches compiled templates there; only php-fpm's user needs it.
chown "$PHP_FPM_USER" "$PMA_TEMP_DIR"
chmod 0700 "$PMA_TEMP_DIR"

render-template "$FT_SHARE/common/nginx.conf.template" "$NGINX_CONF_DIR/nginx.conf"
render-template "$FT_SHARE/common/nginx-tls.conf.template" "$NGINX_CONF_DIR/tls.conf"
render-template "$FT_SHARE/common/nginx-php.conf.template" "$NGINX_CONF_DIR/php.conf"
# Alpine's stock vhost (404 on port 80) has no place here.
rm -f "$NGINX_CONF_DIR/http.d/default.conf"
render-template "$FT_SHARE/phpmyadmin/nginx-phpmyadmin.conf.template" "$NGINX_CONF_DIR/http.d/phpmyadmin.conf"
render-template "$FT_SHARE/common/nginx-metrics.conf.template" "$NGINX_CONF_DIR/http.d/metrics.conf"
render-template "$FT_SHARE/common/php-fpm.conf.template" "$PHP_FPM_CONF"

# QUIT is the graceful stop of both nginx and php-fpm: they finish the requests in flight (K8).
exec run-together --stop-signal=QUIT nginx -e stderr -c "$NGINX_CONF_DIR/nginx.conf" -- --stop-signal=QUIT "$PHP_FPM_BIN" -F -y "$PHP_FPM_CONF" \
  -- serve-metrics collect-all collect-nginx-metrics collect-php-fpm-metrics
