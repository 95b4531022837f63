#!/bin/sh
# WordPress: nginx + php-fpm on 5050 over TLS (S5). Renders the configs from the environment,
# installs the site on first boot (install.php waits for MySQL, bounded, and fails so that
# Kubernetes restarts the container), then runs both daemons and the pod's metrics (serve-metrics)
# under run-together, which exits as soon as any of them dies (S11).
set -eu

# Alpine paths by default; the host tests (B5) point them at Debian's servers and a scratch folder.
# How long run-together waits for the servers after the stop signal (the chart sets it); php-fpm
# gives its workers as long to finish their requests (php-fpm.conf.template).
export RUN_TOGETHER_GRACE="${RUN_TOGETHER_GRACE:-10}"
export WORDPRESS_ROOT="${WORDPRESS_ROOT:-/var/www/wordpress}"
export WORDPRESS_LISTEN="${WORDPRESS_LISTEN:-5050}"
# The pod's own metrics for telegraf (the chart's metrics port, serve-metrics), and where nginx
# serves php-fpm's status to their collector (loopback only).
export METRICS_LISTEN="${METRICS_LISTEN:-9117}"
export METRICS_ROOT="${METRICS_ROOT:-/run/ft-metrics}"
export PHP_FPM_STATUS_PORT="${PHP_FPM_STATUS_PORT:-8082}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# The Secret files php-fpm's workers read (the chart's secretReaders), and where they get their
# copies of them (srcs/common/hand-over).
: "${DAEMON_HANDED:?DAEMON_HANDED (the Secret files php-fpm reads, NAME/KEY...) is required}"
HANDED_DIR="${HANDED_DIR:-/run/ft-secrets}"
export PHP_FPM_SECRETS_DIR="$HANDED_DIR/daemon"
export NGINX_CONF_DIR="${NGINX_CONF_DIR:-/etc/nginx}"
export NGINX_USER="${NGINX_USER:-nginx}"
export NGINX_RUN_DIR="${NGINX_RUN_DIR:-/run/nginx}"
# nginx's stub_status on 127.0.0.1 (nginx.conf), read by collect-nginx-metrics (B10).
export NGINX_STATUS_PORT="${NGINX_STATUS_PORT:-8081}"
export PHP_FPM_BIN="${PHP_FPM_BIN:-php-fpm83}"
export PHP_FPM_CONF="${PHP_FPM_CONF:-/etc/php83/php-fpm.conf}"
export PHP_FPM_USER="${PHP_FPM_USER:-nobody}"
export PHP_FPM_LISTEN="${PHP_FPM_LISTEN:-127.0.0.1:9000}"
export HEALTHZ_PHP="${HEALTHZ_PHP:-/var/www/healthz/healthz.php}"
# Where the image keeps its templates and PHP helpers: common/ (shared) and wordpress/ (ours).
export FT_SHARE="${FT_SHARE:-/usr/local/share/ft-services}"
# TLS_CIPHERS (exported): the stack's one TLS policy, for tls.conf.
# shellcheck source=../common/tls-policy.sh
. "$FT_SHARE/common/tls-policy.sh"

log() { echo "wordpress-entrypoint: $*" >&2; }

read-secret tls/tls.crt tls/tls.key >/dev/null
# shellcheck disable=SC2086 # a list of NAME/KEY words
hand-over "$PHP_FPM_USER" "$PHP_FPM_SECRETS_DIR" $DAEMON_HANDED

render-template "$FT_SHARE/common/nginx.conf.template" "$NGINX_CONF_DIR/nginx.conf"
render-template "$FT_SHARE/common/nginx-tls.conf.template" "$NGINX_CONF_DIR/tls.conf"
render-template "$FT_SHARE/common/nginx-php.conf.template" "$NGINX_CONF_DIR/php.conf"
render-template "$FT_SHARE/wordpress/wordpress.conf.template" "$NGINX_CONF_DIR/http.d/wordpress.conf"
render-template "$FT_SHARE/common/nginx-metrics.conf.template" "$NGINX_CONF_DIR/http.d/metrics.conf"
render-template "$FT_SHARE/common/php-fpm.conf.template" "$PHP_FPM_CONF"
mkdir -p "$NGINX_RUN_DIR"

# The uploads volume starts empty and root-owned; php-fpm writes media there.
mkdir -p "$WORDPRESS_ROOT/wp-content/uploads"
chown "$PHP_FPM_USER" "$WORDPRESS_ROOT/wp-content/uploads"

php "$FT_SHARE/wordpress/install.php"

# QUIT is the graceful stop of both nginx and php-fpm: they finish the requests in flight (K8).
exec run-together \
  --stop-signal=QUIT nginx -e stderr -c "$NGINX_CONF_DIR/nginx.conf" -- \
  --stop-signal=QUIT "$PHP_FPM_BIN" -F -y "$PHP_FPM_CONF" -- \
  serve-metrics collect-all collect-nginx-metrics collect-php-fpm-metrics
