#!/bin/sh
# Liveness/readiness of the nginx container (K1, S11): nginx answers over TLS AND sshd greets
# with its SSH banner. Exit 0 only when both really answer.
set -eu

NGINX_HTTPS_LISTEN="${NGINX_HTTPS_LISTEN:-443}"
SSH_LISTEN_PORT="${SSH_LISTEN_PORT:-22}"
SSH_LISTEN="${SSH_LISTEN:-0.0.0.0:$SSH_LISTEN_PORT}"

# host:port to connect to for a listen spec: `443`, `0.0.0.0:22` or `127.0.0.1:8443`.
local_address() {
  case "$1" in
    *:*) host="${1%:*}" port="${1##*:}" ;;
    *) host='' port="$1" ;;
  esac
  case "$host" in
    '' | 0.0.0.0 | '*' | '[::]') host=127.0.0.1 ;;
  esac
  echo "$host:$port"
}

https="$(local_address "$NGINX_HTTPS_LISTEN")"
if ! curl --silent --fail --insecure --max-time 3 --output /dev/null "https://$https/healthz"; then
  echo "healthcheck: nginx does not answer https://$https/healthz" >&2
  exit 1
fi

# curl's telnet client prints what the server sends: sshd's `SSH-2.0-…` banner. The line we send
# is not an SSH identification, so sshd answers it and hangs up at once (no waiting for a timeout).
ssh="$(local_address "$SSH_LISTEN")"
banner="$(printf 'healthcheck\r\n' | curl --silent --max-time 3 "telnet://$ssh" || :)"
case "$banner" in
  SSH-2.0-*) ;;
  *)
    echo "healthcheck: sshd does not greet on $ssh" >&2
    exit 1
    ;;
esac
