<?php
// Liveness and readiness of the PHP images (K1, S11): reaching this page proves that nginx
// passes requests to php-fpm and php-fpm runs PHP. It touches no database on purpose: a
// database outage must not make Kubernetes restart the web containers.
header('Content-Type: text/plain');
header('Cache-Control: no-store');
echo "ok\n";
