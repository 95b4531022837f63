#!/bin/sh
# InfluxDB 1.x for ft_services. Every boot starts a temporary server that listens on loopback only,
# without authentication. On the first boot (no marker on the volume) it creates the database and
# three users:
#   - the admin (all privileges),
#   - the writer telegraf uses (WRITE on the database only),
#   - the reader Grafana uses (READ on the database only).
# On every boot it sets the database's default retention policy to INFLUXDB_RETENTION_DAYS, so a
# changed setting reaches a running install. Then influxd runs as user influxdb, with
# authentication on, next to serve-metrics, which serves InfluxDB's own metrics (collect-metrics,
# read from /debug/vars on the loopback) on $METRICS_LISTEN; run-together stops the container when
# either ends (S11). A restart never initialises again.
set -eu

: "${INFLUXDB_DB:?INFLUXDB_DB is required}"
: "${INFLUXDB_ADMIN_USER:?INFLUXDB_ADMIN_USER is required}"
: "${INFLUXDB_WRITE_USER:?INFLUXDB_WRITE_USER is required}"
: "${INFLUXDB_READ_USER:?INFLUXDB_READ_USER is required}"
: "${INFLUXDB_RETENTION_DAYS:?INFLUXDB_RETENTION_DAYS is required}"
case "$INFLUXDB_RETENTION_DAYS" in
  '' | *[!0-9]* | 0*) echo "influxdb-entrypoint: INFLUXDB_RETENTION_DAYS is not a whole number of days: $INFLUXDB_RETENTION_DAYS" >&2; exit 1 ;;
esac
# Alpine paths by default; the host tests (B5) point them at a scratch folder, and move the
# storage dirs and ports with InfluxDB's own INFLUXDB_* overrides.
INFLUXDB_CONFIG="${INFLUXDB_CONFIG:-/etc/influxdb/influxdb.conf}"
INFLUXDB_STORAGE="${INFLUXDB_STORAGE:-/var/lib/influxdb}"
# The HTTP API's port (the chart sets it): InfluxDB's own INFLUXDB_HTTP_BIND_ADDRESS override of
# influxdb.conf [http] bind-address, unless the host tests set that address themselves.
INFLUXDB_LISTEN_PORT="${INFLUXDB_LISTEN_PORT:-8086}"
export INFLUXDB_HTTP_BIND_ADDRESS="${INFLUXDB_HTTP_BIND_ADDRESS:-:$INFLUXDB_LISTEN_PORT}"
# This server on the loopback: the temporary one listens there only, the real one too (among its
# addresses), where collect-metrics reads it.
export INFLUXDB_LOCAL_ADDRESS="${INFLUXDB_LOCAL_ADDRESS:-127.0.0.1:$INFLUXDB_LISTEN_PORT}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# The pod's metrics port (lib/monitoring/pod-metrics.ts METRICS_PORT; the chart sets it).
export METRICS_LISTEN="${METRICS_LISTEN:-9117}"

marker="$INFLUXDB_STORAGE/.ft-services-initialized"

log() { echo "influxdb-entrypoint: $*" >&2; }

# $1 as an InfluxQL identifier and string literal (backslashes and quotes escaped).
identifier() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }
literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

# Runs one InfluxQL statement on the temporary server; fails on any error in the answer. The
# statement goes through stdin, so passwords never show on a command line.
influxql() {
  answer="$(printf '%s' "$1" | curl -sS --fail --max-time 10 -XPOST "http://$INFLUXDB_LOCAL_ADDRESS/query" --data-urlencode 'q@-')"
  case "$answer" in
    *'"error"'*) log "statement failed: ${answer}"; exit 1 ;;
  esac
  printf '%s' "$answer"
}

# Creates user $1 unless it exists (a first boot that died half-way), then sets its password $2.
ensure_user() {
  user="$(identifier "$1")"
  users="$(influxql 'SHOW USERS')"
  case "$users" in
    *"[\"$1\","*) ;;
    *) influxql "CREATE USER $user WITH PASSWORD $(literal "$2")" >/dev/null ;;
  esac
  influxql "SET PASSWORD FOR $user = $(literal "$2")" >/dev/null
}

# Nobody else can reach this server: loopback only, and it stops before the real one starts.
start_temporary_server() {
  INFLUXDB_HTTP_BIND_ADDRESS="$INFLUXDB_LOCAL_ADDRESS" INFLUXDB_HTTP_AUTH_ENABLED=false \
    su-exec influxdb:influxdb influxd run -config "$INFLUXDB_CONFIG" &
  temporary=$!
  if ! wait-until "$temporary" curl -sf --max-time 2 "http://$INFLUXDB_LOCAL_ADDRESS/ping"; then
    log "the temporary server did not start"
    exit 1
  fi
}

stop_temporary_server() {
  kill -TERM "$temporary"
  wait "$temporary" || true
}

database="$(identifier "$INFLUXDB_DB")"

initialise() {
  admin_password="$(read-secret influxdb-admin/password)"
  write_password="$(read-secret influxdb-telegraf/password)"
  read_password="$(read-secret influxdb-grafana/password)"

  influxql "CREATE DATABASE $database" >/dev/null
  ensure_user "$INFLUXDB_ADMIN_USER" "$admin_password"
  influxql "GRANT ALL PRIVILEGES TO $(identifier "$INFLUXDB_ADMIN_USER")" >/dev/null
  ensure_user "$INFLUXDB_WRITE_USER" "$write_password"
  influxql "GRANT WRITE ON $database TO $(identifier "$INFLUXDB_WRITE_USER")" >/dev/null
  ensure_user "$INFLUXDB_READ_USER" "$read_password"
  influxql "GRANT READ ON $database TO $(identifier "$INFLUXDB_READ_USER")" >/dev/null
  unset admin_password write_password read_password

  touch "$marker"
  log "initialised database $INFLUXDB_DB with users $INFLUXDB_ADMIN_USER (admin), $INFLUXDB_WRITE_USER (write), $INFLUXDB_READ_USER (read)"
}

# The default retention policy keeps INFLUXDB_RETENTION_DAYS days. CREATE DATABASE made it as
# "autogen" (infinite); altering that one keeps every point written so far under the policy that
# telegraf writes to and Grafana reads by default. Shards of a day (an hour below two days) let the
# oldest points go within a day of their time (InfluxDB's shard group duration guidance).
ensure_retention() {
  days="$INFLUXDB_RETENTION_DAYS"
  shard=1d
  [ "$days" -ge 2 ] || shard=1h
  case "$(influxql "SHOW RETENTION POLICIES ON $database")" in
    *'["autogen",'*) influxql "ALTER RETENTION POLICY \"autogen\" ON $database DURATION ${days}d SHARD DURATION $shard DEFAULT" >/dev/null ;;
    *) influxql "CREATE RETENTION POLICY \"autogen\" ON $database DURATION ${days}d REPLICATION 1 SHARD DURATION $shard DEFAULT" >/dev/null ;;
  esac
  log "retention of $INFLUXDB_DB: ${days}d (default policy autogen)"
}

mkdir -p "$INFLUXDB_STORAGE"
# A fresh volume is owned by root.
chown -R influxdb:influxdb "$INFLUXDB_STORAGE"
chmod 0750 "$INFLUXDB_STORAGE"

start_temporary_server
if [ -f "$marker" ]; then
  log "storage already initialised, starting"
else
  initialise
fi
ensure_retention
stop_temporary_server

exec run-together \
  su-exec influxdb:influxdb influxd run -config "$INFLUXDB_CONFIG" -- \
  serve-metrics collect-metrics
