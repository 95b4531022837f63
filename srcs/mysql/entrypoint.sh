#!/bin/sh
# MariaDB for ft_services. The first boot (no marker on the volume) creates the datadir, the
# application database and user and root's password, using a temporary socket-only server; every
# boot then runs mariadbd, listening on TCP, and the pod's own metrics (serve-metrics running
# collect-metrics, B10) under run-together, which exits as soon as either dies so that
# Kubernetes restarts the container (S11). A restart never initialises again. The monitoring
# account has a marker of its own, so that a datadir initialised before it existed gets it on its
# next boot, the one time that boot starts the temporary server again.
set -eu

: "${MYSQL_DATABASE:?MYSQL_DATABASE is required}"
: "${MYSQL_USER:?MYSQL_USER is required}"
: "${MYSQL_METRICS_USER:?MYSQL_METRICS_USER is required}"
# Alpine paths by default; the host tests (B5) point them at a scratch folder.
MYSQL_CONFIG="${MYSQL_CONFIG:-/etc/my.cnf}"
MYSQL_DATADIR="${MYSQL_DATADIR:-/var/lib/mysql}"
MYSQL_RUN_DIR="${MYSQL_RUN_DIR:-/run/mysqld}"
MYSQL_BIND_ADDRESS="${MYSQL_BIND_ADDRESS:-0.0.0.0}"
MYSQL_LISTEN_PORT="${MYSQL_LISTEN_PORT:-3306}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# The pod's metrics for telegraf (the chart's metrics port), and the monitoring account's client
# options for collect-metrics, which serve-metrics runs as $METRICS_USER (the image's own user).
export METRICS_LISTEN="${METRICS_LISTEN:-9117}"
export MYSQL_METRICS_CLIENT_CONFIG="${MYSQL_METRICS_CLIENT_CONFIG:-/run/mysql-metrics.cnf}"
metrics_reader="${METRICS_USER:?METRICS_USER (the user of the metrics server, set by the image) is required}"
# On a stop, mariadbd gets the time it had as PID 1 to flush InnoDB and shut down cleanly, short of
# the 30 s Kubernetes waits by default before it kills the container (terminationGracePeriodSeconds).
export RUN_TOGETHER_GRACE="${RUN_TOGETHER_GRACE:-25}"

socket="$MYSQL_RUN_DIR/mysqld.sock"
marker="$MYSQL_DATADIR/.ft-services-initialized"
metrics_marker="$MYSQL_DATADIR/.ft-services-metrics-account"

log() { echo "mysql-entrypoint: $*" >&2; }

# $1 as an SQL string literal: backslashes and quotes doubled.
sql_string() {
  printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"
}

# $1 as an SQL identifier (backticks doubled).
# shellcheck disable=SC2016 # the backticks are literal SQL quoting, not command substitution
sql_identifier() {
  printf '`%s`' "$(printf '%s' "$1" | sed -e 's/`/``/g')"
}

# The application database and user, and root's password: the first boot only.
initialise() {
  user_password="$(read-secret mysql-wordpress/password)"
  root_password="$(read-secret mysql-root/password)"
  user="$(sql_string "$MYSQL_USER")"
  user_password="$(sql_string "$user_password")"
  # root keeps socket authentication (the container's root, for administration) and gets a
  # password; it exists only @localhost, so it is never reachable from another pod.
  mariadb --no-defaults --socket="$socket" --user=root <<SQL
CREATE DATABASE IF NOT EXISTS $(sql_identifier "$MYSQL_DATABASE") CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS $user@'%' IDENTIFIED BY $user_password;
ALTER USER $user@'%' IDENTIFIED BY $user_password;
GRANT ALL PRIVILEGES ON $(sql_identifier "$MYSQL_DATABASE").* TO $user@'%';
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD($(sql_string "$root_password"));
DROP USER IF EXISTS ''@'localhost';
DROP DATABASE IF EXISTS test;
FLUSH PRIVILEGES;
SQL
  unset user_password root_password
}

# The monitoring account collect-metrics logs in with (B10). It runs SHOW GLOBAL STATUS only,
# whose one access check is SELECT on INFORMATION_SCHEMA's status table (MariaDB
# sql/sql_parse.cc, execute_show_status), which information_schema grants every account
# (check_access, internal schemas), so it gets no privilege: USAGE only, no database, no table. It
# logs in from the pod's own loopback only. serve-metrics runs one collector at a time and kills
# one that hangs, so a scrape needs one connection; the second is for the moment between a killed
# collector's connection and the server seeing it closed, so that a scrape is never refused (a
# refusal would count in Aborted_connects, the dashboard's failed connections).
create_metrics_account() {
  account="$(sql_string "$MYSQL_METRICS_USER")@'127.0.0.1'"
  metrics_password="$(sql_string "$(read-secret mysql-metrics/password)")"
  mariadb --no-defaults --socket="$socket" --user=root <<SQL
CREATE USER IF NOT EXISTS $account IDENTIFIED BY $metrics_password WITH MAX_USER_CONNECTIONS 2;
ALTER USER $account IDENTIFIED BY $metrics_password WITH MAX_USER_CONNECTIONS 2;
SQL
  unset metrics_password
}

# What a boot with a marker missing does, on a temporary server nobody can reach over the network.
prepare_datadir() {
  # A first boot that died half-way left system tables behind: keep them, redo the rest.
  if [ ! -d "$MYSQL_DATADIR/mysql" ]; then
    log "creating the system tables in $MYSQL_DATADIR"
    mariadb-install-db --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" \
      --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve >/dev/null
  fi

  mariadbd --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" --socket="$socket" \
    --skip-networking &
  temporary=$!
  if ! wait-until "$temporary" mariadb-admin --no-defaults --socket="$socket" --user=root ping; then
    log "the temporary server did not start"
    exit 1
  fi

  first_boot=''
  [ -f "$marker" ] || { first_boot=yes; initialise; }
  create_metrics_account

  kill -TERM "$temporary"
  wait "$temporary"
  touch "$marker" "$metrics_marker"
  [ -z "$first_boot" ] || log "initialised database $MYSQL_DATABASE for user $MYSQL_USER"
  log "monitoring account $MYSQL_METRICS_USER@127.0.0.1 ready"
}

# The monitoring account's client options for collect-metrics, from the mysql-metrics Secret
# at every start, handed to the collector's user alone (srcs/common/hand-over: 0400). The client
# reads a double-quoted option value with \\ and \" unescaped (MariaDB mysys/my_default.c,
# search_default_file_with_ext), so the password may hold any character but a newline; the
# connection goes to the loopback, where the account lives.
write_metrics_client_config() {
  metrics_password="$(read-secret mysql-metrics/password)"
  metrics_password="$(printf '%s' "$metrics_password" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
  printf '[client]\nuser=%s\npassword="%s"\nprotocol=TCP\nhost=127.0.0.1\nport=%s\n' \
    "$MYSQL_METRICS_USER" "$metrics_password" "$MYSQL_LISTEN_PORT" | hand-over "$metrics_reader" "$MYSQL_METRICS_CLIENT_CONFIG"
  unset metrics_password
}

mkdir -p "$MYSQL_DATADIR" "$MYSQL_RUN_DIR"
# A fresh volume is owned by root.
chown mysql:mysql "$MYSQL_DATADIR" "$MYSQL_RUN_DIR"
chmod 0750 "$MYSQL_DATADIR"

if [ -f "$marker" ] && [ -f "$metrics_marker" ]; then
  log "datadir already initialised, starting"
else
  prepare_datadir
fi
write_metrics_client_config

# --defaults-file must come first on mariadbd's command line.
exec run-together mariadbd --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" --socket="$socket" \
  --bind-address="$MYSQL_BIND_ADDRESS" --port="$MYSQL_LISTEN_PORT" -- serve-metrics collect-metrics
