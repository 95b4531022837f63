<?php
/**
 * ft_services WordPress configuration. Nothing site-specific is baked in: database settings come
 * from the environment the chart sets, the password and the key material from mounted Secrets
 * (K2), and the site's address from WORDPRESS_URL, the stack's configured public address (a new
 * load-balancer IP is a new value there, never a database change). WordPress otherwise keeps its
 * address as `siteurl` and `home` in the database and redirects every request to it, the old one
 * too after a move; WP_HOME and WP_SITEURL override both (wordpress.org, "Changing The Site URL").
 */

require_once (getenv('FT_SHARE') ?: '/usr/local/share/ft-services') . '/common/read-secret.php';

/** A required environment variable. */
function ft_services_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        error_log("wp-config: environment variable $name is not set");
        http_response_code(500);
        exit(1);
    }
    return $value;
}

define('DB_NAME', ft_services_env('WORDPRESS_DB_NAME'));
define('DB_USER', ft_services_env('WORDPRESS_DB_USER'));
define('DB_PASSWORD', ft_read_secret('mysql-wordpress/password'));
define('DB_HOST', ft_services_env('WORDPRESS_DB_HOST'));
define('DB_CHARSET', 'utf8mb4');
// One request per core asset: load-styles.php (the concatenated login and admin styles) appends
// ?ver=<WordPress version> without the style_loader_src filter that removes it (B11).
define('CONCATENATE_SCRIPTS', false);
define('DB_COLLATE', '');
$table_prefix = 'wp_';

// The eight keys and salts, derived from one random Secret so that every replica and every restart
// agrees (sessions survive a restart) and none is ever stored in the image.
$ft_services_salt = ft_read_secret('wordpress-keys/salt');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
          'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $ft_services_name) {
    define($ft_services_name, hash_hmac('sha256', $ft_services_name, $ft_services_salt));
}
unset($ft_services_salt, $ft_services_name);

// Every link, redirect and mail names the stack's public address (B11), never the request's Host
// header, which any client chooses (`Host: evil.example` would otherwise poison links and
// password-reset mails).
define('WP_HOME', rtrim(ft_services_env('WORDPRESS_URL'), '/'));
define('WP_SITEURL', WP_HOME);

define('FORCE_SSL_ADMIN', true);
// The image is the unit of deployment: no self-updates, no editing PHP from the dashboard, and no
// calls to wordpress.org from page loads (clusters are often offline).
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISALLOW_FILE_EDIT', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
// wp-cron would call the site's public address from inside the pod on every page load.
define('DISABLE_WP_CRON', true);

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
