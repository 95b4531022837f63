# shellcheck shell=sh
# The stack's one TLS policy (B11), sourced by every entrypoint that serves TLS: nginx (443),
# WordPress (5050), phpMyAdmin (5000) and vsftpd (FTPS, 21). Grafana (3000) is a Go server whose
# TLS 1.2 cipher list is fixed in its code, so it serves TLS 1.3 only (srcs/grafana/grafana.ini).
#
# Mozilla's "intermediate" server-side TLS profile (https://ssl-config.mozilla.org/guidelines/5.7.json),
# made stricter: TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key exchange (forward secrecy; no
# static RSA, and no DHE, for which we ship no parameters) with an AEAD cipher (AES-GCM or
# ChaCha20-Poly1305): no CBC, CCM/CCM8, Camellia or ARIA. TLS 1.3's suites all meet that, and
# OpenSSL's default TLS 1.3 list (the three AES-GCM/ChaCha20 suites, no CCM) is kept. The servers
# apply their own order (most preferred first) and issue no session tickets.
TLS_CIPHERS='ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305'
export TLS_CIPHERS
