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
export GF_SECURITY_ADMIN_PASSWORD="\$__file{$SECRETS_DIR/grafana-admin/password}"
export GF_METRICS_BASIC_AUTH_PASSWORD="\$__file{$SECRETS_DIR/grafana-metrics/password}"
# HTTPS (grafana.ini [server] protocol): Grafana reads the certificate and its key itself.
export GF_SERVER_CERT_FILE="$SECRETS_DIR/tls/tls.crt" GF_SERVER_CERT_KEY="$SECRETS_DIR/tls/tls.key"

# A fresh volume is owned by root; the package does not create the data folder.
mkdir -p "$GRAFANA_DATA/plugins"
chown -R grafana:grafana "$GRAFANA_DATA"

exec run-together \
  su-exec grafana:grafana grafana server --homepath "$GRAFANA_HOME" --config "$GRAFANA_CONFIG" -- \
  serve-metrics collect-metrics
