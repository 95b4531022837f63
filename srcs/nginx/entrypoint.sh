#!/bin/sh
# The nginx container (S7): nginx on 80 (301 to https) and 443 (TLS: index page, /wordpress 307
# to WordPress's port, /phpmyadmin/ reverse proxy), sshd on 22 for one user, and nginx's metrics
# for telegraf (serve-metrics, B10). Renders the configs from the environment and the Secrets, then
# runs the three under run-together, which exits as soon as any of them dies so that Kubernetes
# restarts the container (S11).
set -eu

: "${SSH_USER:?SSH_USER is required}"
: "${HTTPS_PORT_SUFFIX?HTTPS_PORT_SUFFIX is required (empty on 443)}"
: "${WORDPRESS_PORT_SUFFIX?WORDPRESS_PORT_SUFFIX is required (empty on 443)}"
: "${PHPMYADMIN_URL:?PHPMYADMIN_URL is required}"
# Alpine paths and the container's ports by default; the host tests (B5) point them at scratch
# folders, Debian's users and loopback ports.
export SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
NGINX_CONF_DIR="${NGINX_CONF_DIR:-/etc/nginx}"
NGINX_USER="${NGINX_USER:-nginx}"
NGINX_RUN_DIR="${NGINX_RUN_DIR:-/run/nginx}"
NGINX_HTTP_LISTEN="${NGINX_HTTP_LISTEN:-80}"
NGINX_HTTPS_LISTEN="${NGINX_HTTPS_LISTEN:-443}"
# nginx's stub_status on 127.0.0.1 (nginx.conf), read by collect-nginx-metrics (B10), which
# serve-metrics runs on the chart's metrics port.
NGINX_STATUS_PORT="${NGINX_STATUS_PORT:-8081}"
METRICS_LISTEN="${METRICS_LISTEN:-9117}"
METRICS_ROOT="${METRICS_ROOT:-/run/ft-metrics}"
# sshd's port (the chart sets it); the host tests move the whole address.
SSH_LISTEN_PORT="${SSH_LISTEN_PORT:-22}"
SSH_LISTEN="${SSH_LISTEN:-0.0.0.0:$SSH_LISTEN_PORT}"
SSHD_DIR="${SSHD_DIR:-/etc/ssh}"
WWW_ROOT="${WWW_ROOT:-/var/www/ft-services}"
# Where the image keeps its templates: common/ (shared) and nginx/ (ours).
FT_SHARE="${FT_SHARE:-/usr/local/share/ft-services}"
# TLS_CIPHERS (exported): the stack's one TLS policy, for tls.conf.
# shellcheck source=../common/tls-policy.sh
. "$FT_SHARE/common/tls-policy.sh"

log() { echo "nginx-entrypoint: $*" >&2; }
fail() { log "$*"; exit 1; }

check-login-name SSH_USER "$SSH_USER"
# The redirects keep the host the client asked for and add what the chart's public URLs have after
# the host: nothing on the default port, else `:PORT` (lib/endpoints.ts builds both).
port_suffix() {
  case "$2" in
    '' | :[0-9] | :[0-9]*[0-9]) ;;
    *) fail "$1 '$2' is neither empty nor :PORT" ;;
  esac
  case "$2" in :*[!0-9]*) fail "$1 '$2' is neither empty nor :PORT" ;; esac
}
port_suffix HTTPS_PORT_SUFFIX "$HTTPS_PORT_SUFFIX"
port_suffix WORDPRESS_PORT_SUFFIX "$WORDPRESS_PORT_SUFFIX"
case "$PHPMYADMIN_URL" in
  http://?* | https://?*) PHPMYADMIN_URL="${PHPMYADMIN_URL%/}" ;;
  *) fail "PHPMYADMIN_URL '$PHPMYADMIN_URL' is not an http(s) URL" ;;
esac

read-secret tls/tls.crt tls/tls.key >/dev/null
ssh_password="$(read-secret ssh-user/password)"

# render-template reads the @NAME@ values from the environment.
export SSH_USER HTTPS_PORT_SUFFIX WORDPRESS_PORT_SUFFIX PHPMYADMIN_URL SECRETS_DIR NGINX_USER NGINX_RUN_DIR NGINX_HTTP_LISTEN \
  NGINX_HTTPS_LISTEN NGINX_STATUS_PORT METRICS_LISTEN METRICS_ROOT SSH_LISTEN SSHD_DIR WWW_ROOT

mkdir -p "$NGINX_RUN_DIR" "$NGINX_CONF_DIR/http.d" "$SSHD_DIR"
render-template "$FT_SHARE/common/nginx.conf.template" "$NGINX_CONF_DIR/nginx.conf"
render-template "$FT_SHARE/common/nginx-tls.conf.template" "$NGINX_CONF_DIR/tls.conf"
render-template "$FT_SHARE/nginx/nginx-site.conf.template" "$NGINX_CONF_DIR/http.d/default.conf"
render-template "$FT_SHARE/nginx/sshd_config.template" "$SSHD_DIR/sshd_config"

# The host key: the Secret's when there is one (clients then see the same key after every
# restart), else one generated on the first start of this container.
host_key="$SSHD_DIR/ssh_host_ed25519_key"
if [ -s "$SECRETS_DIR/ssh-host-keys/ssh_host_ed25519_key" ]; then
  # sshd ignores a private key that others can read, and Secret files are 0644 by default.
  rm -f "$host_key"
  (umask 077 && read-secret ssh-host-keys/ssh_host_ed25519_key > "$host_key")
  log "using the SSH host key from the ssh-host-keys Secret"
elif [ ! -s "$host_key" ]; then
  ssh-keygen -q -t ed25519 -N '' -C '' -f "$host_key"
  log "generated an SSH host key"
fi

# The SSH user, with the password from the Secret (set again at every start, so a changed
# Secret takes effect on restart).
if ! id "$SSH_USER" >/dev/null 2>&1; then
  adduser -D -s /bin/sh "$SSH_USER"
  log "created user $SSH_USER"
fi
printf '%s' "$ssh_password" | set-password "$SSH_USER"

# QUIT is nginx's graceful stop: it closes its listeners and finishes the requests in flight (K8).
exec run-together --stop-signal=QUIT nginx -e stderr -c "$NGINX_CONF_DIR/nginx.conf" -- /usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config" \
  -- serve-metrics collect-nginx-metrics
