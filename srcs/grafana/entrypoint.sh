#!/bin/sh
# Grafana for ft_services: prepares the volume, then runs the server as PID 1 as user grafana.
# Everything else (admin, datasource, dashboards) comes from /etc/grafana.ini and provisioning.
set -eu

: "${GRAFANA_ADMIN_USER:?GRAFANA_ADMIN_USER is required}"
GRAFANA_CONFIG="${GRAFANA_CONFIG:-/etc/grafana.ini}"
GRAFANA_HOME="${GRAFANA_HOME:-/usr/share/grafana}"
GRAFANA_DATA="${GRAFANA_DATA:-/var/lib/grafana}"

# The admin password is read by Grafana itself ($__file in the config): fail early and clearly.
if [ ! -s /run/secrets/grafana-admin/password ]; then
  echo "grafana-entrypoint: missing secret file /run/secrets/grafana-admin/password" >&2
  exit 1
fi

# A fresh volume is owned by root; the package does not create the data folder.
mkdir -p "$GRAFANA_DATA/plugins"
chown -R grafana:grafana "$GRAFANA_DATA"

exec su-exec grafana:grafana grafana server --homepath "$GRAFANA_HOME" --config "$GRAFANA_CONFIG"
