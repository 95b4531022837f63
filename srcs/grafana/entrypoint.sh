#!/bin/sh
# Grafana for ft_services: prepares the volume, then runs the server as PID 1 as user grafana.
# Everything else (admin, datasource, dashboards) comes from /etc/grafana.ini and provisioning.
set -eu

: "${GRAFANA_ADMIN_USER:?GRAFANA_ADMIN_USER is required}"
GRAFANA_CONFIG="${GRAFANA_CONFIG:-/etc/grafana.ini}"
GRAFANA_HOME="${GRAFANA_HOME:-/usr/share/grafana}"
GRAFANA_DATA="${GRAFANA_DATA:-/var/lib/grafana}"
SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"

# Grafana reads the admin password itself, so it never passes through the environment or a command
# line: the override names the file, and Grafana expands $__file{} in environment overrides too
# (pkg/setting/setting.go applies GF_* overrides, then expandConfig; pkg/setting/expanders.go).
# Fail early and clearly when the Secret is missing.
read-secret grafana-admin/password tls/tls.crt tls/tls.key >/dev/null
export GF_SECURITY_ADMIN_PASSWORD="\$__file{$SECRETS_DIR/grafana-admin/password}"
# HTTPS (grafana.ini [server] protocol): Grafana reads the certificate and its key itself.
export GF_SERVER_CERT_FILE="$SECRETS_DIR/tls/tls.crt" GF_SERVER_CERT_KEY="$SECRETS_DIR/tls/tls.key"

# A fresh volume is owned by root; the package does not create the data folder.
mkdir -p "$GRAFANA_DATA/plugins"
chown -R grafana:grafana "$GRAFANA_DATA"

exec su-exec grafana:grafana grafana server --homepath "$GRAFANA_HOME" --config "$GRAFANA_CONFIG"
