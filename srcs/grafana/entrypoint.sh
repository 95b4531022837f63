#!/bin/sh
# Grafana for ft_services: prepares the volume, then runs the server as user grafana, next to
# serve-metrics, which serves Grafana's own metrics (collect-metrics, read from Grafana's /metrics
# on the loopback) on $METRICS_LISTEN; run-together stops the container when either ends (S11).
# Everything else (admin, datasource, dashboards) comes from /etc/grafana.ini and provisioning.
set -eu

: "${GRAFANA_ADMIN_USER:?GRAFANA_ADMIN_USER is required}"
# grafana.ini's /metrics login: without it, Grafana would serve /metrics to anyone.
: "${GRAFANA_METRICS_USER:?GRAFANA_METRICS_USER is required}"
# For the collector: the address the certificate names.
: "${GRAFANA_TLS_NAME:?GRAFANA_TLS_NAME is required}"
GRAFANA_CONFIG="${GRAFANA_CONFIG:-/etc/grafana.ini}"
GRAFANA_HOME="${GRAFANA_HOME:-/usr/share/grafana}"
GRAFANA_DATA="${GRAFANA_DATA:-/var/lib/grafana}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# The Secret files Grafana and the collector read (the chart's secretReaders), and where each gets
# copies of its own (srcs/common/hand-over); the collector runs as serve-metrics' user.
: "${DAEMON_HANDED:?DAEMON_HANDED (the Secret files Grafana reads, NAME/KEY...) is required}"
: "${METRICS_HANDED:?METRICS_HANDED (the Secret files the collector reads, NAME/KEY...) is required}"
HANDED_DIR="${HANDED_DIR:-/run/ft-secrets}"
grafana_secrets="$HANDED_DIR/daemon"
metrics_secrets="$HANDED_DIR/metrics"
metrics_user="${METRICS_USER:?METRICS_USER (the user of the metrics server, set by the image) is required}"
# Grafana's one port (the chart sets it), as Grafana's own override of grafana.ini [server]
# http_port; the collector reads /metrics there on the loopback.
GRAFANA_LISTEN_PORT="${GRAFANA_LISTEN_PORT:-3000}"
export GF_SERVER_HTTP_PORT="$GRAFANA_LISTEN_PORT"
export GRAFANA_LOCAL_ADDRESS="${GRAFANA_LOCAL_ADDRESS:-127.0.0.1:$GRAFANA_LISTEN_PORT}"
# The pod's metrics port (lib/monitoring/pod-metrics.ts METRICS_PORT; the chart sets it).
export METRICS_LISTEN="${METRICS_LISTEN:-9117}"

# Grafana reads the admin and /metrics passwords itself, so they never pass through the environment
# or a command line: each override names the file, and Grafana expands $__file{} in environment overrides too
# (pkg/setting/setting.go applies GF_* overrides, then expandConfig; pkg/setting/expanders.go).
# Fail early and clearly when a Secret is missing or empty: an empty /metrics password would leave
# /metrics open.
read-secret grafana-admin/password grafana-metrics/password tls/tls.crt tls/tls.key >/dev/null
# shellcheck disable=SC2086 # lists of NAME/KEY words
{
  hand-over grafana "$grafana_secrets" $DAEMON_HANDED
  hand-over "$metrics_user" "$metrics_secrets" $METRICS_HANDED
}
export GF_SECURITY_ADMIN_PASSWORD="\$__file{$grafana_secrets/grafana-admin/password}"
export GF_METRICS_BASIC_AUTH_PASSWORD="\$__file{$grafana_secrets/grafana-metrics/password}"
# HTTPS (grafana.ini [server] protocol): Grafana reads the certificate and its key itself.
export GF_SERVER_CERT_FILE="$grafana_secrets/tls/tls.crt" GF_SERVER_CERT_KEY="$grafana_secrets/tls/tls.key"

# A fresh volume is owned by root; the package does not create the data folder.
mkdir -p "$GRAFANA_DATA/plugins"
chown -R grafana:grafana "$GRAFANA_DATA"

# The collector reads its copies (serve-metrics passes it this environment); Grafana reads its own
# through the paths above, never through SECRETS_DIR.
export SECRETS_DIR="$metrics_secrets"
exec run-together \
  su-exec grafana:grafana grafana server --homepath "$GRAFANA_HOME" --config "$GRAFANA_CONFIG" -- \
  serve-metrics collect-metrics
