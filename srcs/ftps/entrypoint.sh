#!/bin/sh
# vsftpd for ft_services (S8): sets the FTP user's password from its Secret, prepares the user's
# home on the volume, renders vsftpd.conf from the environment, then runs vsftpd, count-vsftpd-log
# (which counts what vsftpd logs) and the pod's metrics (serve-metrics collect-metrics, B10)
# under run-together: when any of them ends, the others are stopped and the container exits, so
# Kubernetes restarts it (S11).
set -eu

: "${FTPS_USER:?FTPS_USER is required}"
: "${FTPS_PASV_ADDRESS:?FTPS_PASV_ADDRESS (the load-balancer IP) is required}"
: "${FTPS_PASV_MIN_PORT:?FTPS_PASV_MIN_PORT is required}"
: "${FTPS_PASV_MAX_PORT:?FTPS_PASV_MAX_PORT is required}"
# Alpine paths by default; the host tests (B5) point them at a scratch folder.
FTPS_LISTEN_PORT="${FTPS_LISTEN_PORT:-21}"
FTPS_LISTEN_ADDRESS="${FTPS_LISTEN_ADDRESS:-0.0.0.0}"
FTPS_HOME="${FTPS_HOME:-/var/lib/ftp}"
FTPS_CONF_DIR="${FTPS_CONF_DIR:-/etc/vsftpd}"
FTPS_EMPTY_DIR="${FTPS_EMPTY_DIR:-/usr/share/empty}"
# vsftpd's log (a FIFO) and count-vsftpd-log's counts; collect-metrics reads the same setting.
export FTPS_RUN_DIR="${FTPS_RUN_DIR:-/run/ftps}"
# The pod's own metrics for telegraf (the chart's metrics port, serve-metrics).
export METRICS_LISTEN="${METRICS_LISTEN:-9117}"
# Where the image keeps its templates (ftps/ below it).
FT_SHARE="${FT_SHARE:-/usr/local/share/ft-services}"
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
# TLS_CIPHERS: the stack's one TLS policy.
# shellcheck source=../common/tls-policy.sh
. "$FT_SHARE/common/tls-policy.sh"

log() { echo "ftps-entrypoint: $*" >&2; }
fail() { log "$*"; exit 1; }

read-secret tls/tls.crt tls/tls.key >/dev/null
password="$(read-secret ftps-user/password)"
check-login-name FTPS_USER "$FTPS_USER"

is_port() {
  case "$1" in
    '' | *[!0-9]*) return 1 ;;
  esac
  [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}
for port in "$FTPS_LISTEN_PORT" "$FTPS_PASV_MIN_PORT" "$FTPS_PASV_MAX_PORT"; do
  is_port "$port" || fail "not a port number: $port"
done
[ "$FTPS_PASV_MIN_PORT" -le "$FTPS_PASV_MAX_PORT" ] || fail "FTPS_PASV_MIN_PORT is above FTPS_PASV_MAX_PORT"
# vsftpd sends pasv_address as is in its 227 reply: it must be an IPv4 address, not a name.
echo "$FTPS_PASV_ADDRESS" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$' || fail "FTPS_PASV_ADDRESS is not an IPv4 address: $FTPS_PASV_ADDRESS"
for value in "$FTPS_USER" "$FTPS_LISTEN_ADDRESS" "$FTPS_HOME" "$FTPS_CONF_DIR" "$FTPS_EMPTY_DIR" "$FTPS_RUN_DIR" "$SECRETS_DIR"; do
  case "$value" in
    *'|'* | *'&'* | *\\* | *[[:space:]]*) fail "not a plain name, address or path: $value" ;;
  esac
done

if ! id "$FTPS_USER" >/dev/null 2>&1; then
  # BusyBox adduser (Alpine): no password yet, no home created here, no shell.
  adduser -D -H -h "$FTPS_HOME" -s /sbin/nologin "$FTPS_USER"
  log "created user $FTPS_USER"
fi
# Every boot, so that a new Secret value takes effect; through stdin, never on a command line.
printf '%s' "$password" | set-password "$FTPS_USER"

# The volume starts empty and root-owned; the user's files on it stay the user's.
mkdir -p "$FTPS_HOME" "$FTPS_CONF_DIR" "$FTPS_EMPTY_DIR"
chown -R "$FTPS_USER" "$FTPS_HOME"

printf '%s\n' "$FTPS_USER" > "$FTPS_CONF_DIR/user_list"
# A new FIFO every start, root's alone: vsftpd (root when it opens it) writes, count-vsftpd-log
# reads. Its counts there are no secret; collect-metrics reads them as the metrics user (METRICS_USER).
FTPS_LOG_FIFO="$FTPS_RUN_DIR/vsftpd-log"
mkdir -p "$FTPS_RUN_DIR"
chmod 0755 "$FTPS_RUN_DIR"
rm -f "$FTPS_LOG_FIFO" "$FTPS_RUN_DIR/counts"
mkfifo -m 0600 "$FTPS_LOG_FIFO"
# render-template reads the @NAME@ values from the environment.
export TLS_CIPHERS FTPS_LISTEN_PORT FTPS_LISTEN_ADDRESS FTPS_CONF_DIR FTPS_EMPTY_DIR FTPS_PASV_ADDRESS FTPS_PASV_MIN_PORT FTPS_PASV_MAX_PORT FTPS_LOG_FIFO
render-template "$FT_SHARE/ftps/vsftpd.conf.template" "$FTPS_CONF_DIR/vsftpd.conf"
render-template "$FT_SHARE/ftps/openssl.cnf.template" "$FTPS_CONF_DIR/openssl.cnf"
export OPENSSL_CONF="$FTPS_CONF_DIR/openssl.cnf"

log "user $FTPS_USER, passive ports $FTPS_PASV_MIN_PORT-$FTPS_PASV_MAX_PORT advertised at $FTPS_PASV_ADDRESS"
# The counter first: it must hold the FIFO open before the first session opens it.
exec run-together count-vsftpd-log "$FTPS_LOG_FIFO" "$FTPS_RUN_DIR/counts" -- \
  vsftpd "$FTPS_CONF_DIR/vsftpd.conf" -- \
  serve-metrics collect-metrics
