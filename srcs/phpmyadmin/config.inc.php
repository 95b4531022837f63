<?php
/**
 * phpMyAdmin for ft_services (S6): cookie login to the MySQL server named by PMA_HOST/PMA_PORT.
 * The file is static: it reads the environment (php-fpm keeps it, `clear_env = no`) and the
 * blowfish secret from its Secret file, so no credential is ever written into the image (K2).
 *
 * It serves both https://IP:5000/ directly and https://IP/phpmyadmin/ behind nginx. phpMyAdmin
 * cannot know the URL the browser used (a maintainer's answer in phpmyadmin/phpmyadmin issue
 * 12374: it needs PmaAbsoluteUri then), so the absolute URI is computed per request
 * from the X-Forwarded-Host/Prefix headers nginx sends (or, directly, from the Host header).
 * Every link, the login form's target, the redirects after login and the cookie path then stay
 * under that prefix, on https.
 */
declare(strict_types=1);

require_once (getenv('FT_SHARE') ?: '/usr/local/share/ft-services') . '/common/read-secret.php';
$secret = ft_read_secret('phpmyadmin/blowfish-secret');
// phpMyAdmin wants exactly 32 bytes; the Secret may hold any length, so derive them from it.
$cfg['blowfish_secret'] = hash('sha256', $secret, true);
// BREACH (B11): pages that hold the CSRF token are never compressed. phpMyAdmin's default, auto,
// gzips its output whenever the browser accepts it.
$cfg['OBGzip'] = false;

$i = 1;
$cfg['Servers'][$i]['auth_type'] = 'cookie';
$cfg['Servers'][$i]['host'] = getenv('PMA_HOST') ?: 'mysql';
$cfg['Servers'][$i]['port'] = getenv('PMA_PORT') ?: '3306';
$cfg['Servers'][$i]['connect_type'] = 'tcp';
$cfg['Servers'][$i]['compress'] = false;
$cfg['Servers'][$i]['AllowNoPassword'] = false;

$host = (string) ($_SERVER['HTTP_X_FORWARDED_HOST'] ?? '');
if ($host === '') {
    $host = (string) ($_SERVER['HTTP_HOST'] ?? '');
}
$prefix = rtrim((string) ($_SERVER['HTTP_X_FORWARDED_PREFIX'] ?? ''), '/');
// Only a plain host[:port] and path: anything else falls back to phpMyAdmin's own guess.
if (preg_match('/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/', $host) === 1
    && preg_match('#^(/[A-Za-z0-9._~-]+)*$#', $prefix) === 1) {
    // Both ways in are TLS (nginx's 443 and our own 5000).
    $cfg['PmaAbsoluteUri'] = 'https://' . $host . $prefix . '/';
}

$cfg['TempDir'] = getenv('PMA_TEMP_DIR') ?: '/tmp/phpmyadmin';
$cfg['VersionCheck'] = false;
$cfg['SendErrorReports'] = 'never';
$cfg['PmaNoRelation_DisableWarning'] = true;
