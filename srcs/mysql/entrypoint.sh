#!/bin/sh
# MariaDB for ft_services. The first boot (no marker on the volume) creates the datadir, the
# application database and user and root's password, using a temporary socket-only server; every
# boot then runs mariadbd as PID 1, listening on TCP. A restart never initialises again.
set -eu

: "${MYSQL_DATABASE:?MYSQL_DATABASE is required}"
: "${MYSQL_USER:?MYSQL_USER is required}"
# Alpine paths by default; the host tests (B5) point them at a scratch folder.
MYSQL_CONFIG="${MYSQL_CONFIG:-/etc/my.cnf}"
MYSQL_DATADIR="${MYSQL_DATADIR:-/var/lib/mysql}"
MYSQL_RUN_DIR="${MYSQL_RUN_DIR:-/run/mysqld}"
MYSQL_BIND_ADDRESS="${MYSQL_BIND_ADDRESS:-0.0.0.0}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"

socket="$MYSQL_RUN_DIR/mysqld.sock"
marker="$MYSQL_DATADIR/.ft-services-initialized"

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

initialise() {
  user_password="$(read-secret mysql-wordpress/password)"
  root_password="$(read-secret mysql-root/password)"

  # A first boot that died half-way left system tables behind: keep them, redo the rest.
  if [ ! -d "$MYSQL_DATADIR/mysql" ]; then
    log "creating the system tables in $MYSQL_DATADIR"
    mariadb-install-db --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" \
      --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve >/dev/null
  fi

  # Nobody can reach the server over the network until it is fully set up.
  mariadbd --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" --socket="$socket" \
    --skip-networking &
  temporary=$!
  if ! wait-until "$temporary" mariadb-admin --no-defaults --socket="$socket" --user=root ping; then
    log "the temporary server did not start"
    exit 1
  fi

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

  kill -TERM "$temporary"
  wait "$temporary"
  touch "$marker"
  log "initialised database $MYSQL_DATABASE for user $MYSQL_USER"
}

mkdir -p "$MYSQL_DATADIR" "$MYSQL_RUN_DIR"
# A fresh volume is owned by root.
chown mysql:mysql "$MYSQL_DATADIR" "$MYSQL_RUN_DIR"
chmod 0750 "$MYSQL_DATADIR"

if [ -f "$marker" ]; then
  log "datadir already initialised, starting"
else
  initialise
fi

# --defaults-file must come first on mariadbd's command line.
exec mariadbd --defaults-file="$MYSQL_CONFIG" --user=mysql --datadir="$MYSQL_DATADIR" --socket="$socket" \
  --bind-address="$MYSQL_BIND_ADDRESS" --port="$MYSQL_PORT"
