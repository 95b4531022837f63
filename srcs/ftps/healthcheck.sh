#!/bin/sh
# Liveness and readiness (K1): vsftpd greets on its port and upgrades the session to TLS with our
# certificate (`-starttls ftp` reads the 220 banner, sends AUTH TLS and completes the handshake).
set -eu
FTPS_LISTEN_PORT="${FTPS_LISTEN_PORT:-21}"
openssl s_client -starttls ftp -connect "127.0.0.1:$FTPS_LISTEN_PORT" -brief </dev/null >/dev/null 2>&1
