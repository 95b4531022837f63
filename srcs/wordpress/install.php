<?php
/**
 * First-boot installation of the WordPress site, run by the entrypoint with the PHP CLI before the
 * web server starts (wp-cli is not packaged by Alpine). Idempotent: an installed site is never
 * installed again; users of WORDPRESS_USERS missing from the database are added.
 *
 * Environment: WORDPRESS_ROOT (default /var/www/wordpress), WORDPRESS_TITLE, WORDPRESS_URL,
 * WORDPRESS_USERS (space-separated `login:role:email`, the first is the administrator), the
 * WORDPRESS_DB_* variables wp-config.php reads, and WORDPRESS_DB_WAIT_SECONDS (default 60).
 * Passwords: `<SECRETS_DIR>/wordpress-users/<login>`.
 * Exit status: 0 when the site is installed with every user, 1 otherwise (the container restarts).
 */

require_once (getenv('FT_SHARE') ?: '/usr/local/share/ft-services') . '/common/read-secret.php';

function fail(string $message): never
{
    fwrite(STDERR, "wordpress-install: $message\n");
    exit(1);
}

function say(string $message): void
{
    fwrite(STDOUT, "wordpress-install: $message\n");
}

function required_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || trim($value) === '') {
        fail("environment variable $name is not set");
    }
    return trim($value);
}

/** @return list<array{login: string, role: string, email: string}> */
function parse_users(string $spec): array
{
    $users = [];
    foreach (preg_split('/\s+/', trim($spec)) as $entry) {
        $parts = explode(':', $entry);
        if (count($parts) !== 3 || in_array('', $parts, true)) {
            fail("WORDPRESS_USERS entry '$entry' is not login:role:email");
        }
        [$login, $role, $email] = $parts;
        $users[] = ['login' => $login, 'role' => $role, 'email' => $email];
    }
    if ($users[0]['role'] !== 'administrator') {
        fail("the first WORDPRESS_USERS entry must be the administrator, not '{$users[0]['role']}'");
    }
    return $users;
}

/** A Secret file's content, or the installation fails naming the file. */
function secret_or_fail(string $file): string
{
    try {
        return ft_read_secret($file);
    } catch (RuntimeException $error) {
        fail($error->getMessage());
    }
}

/** Waits (bounded) until MySQL accepts the application user: MySQL may start after WordPress. */
function wait_for_database(): void
{
    $host = required_env('WORDPRESS_DB_HOST');
    $port = 3306;
    if (preg_match('/^(.*):([0-9]+)$/', $host, $match)) {
        [$host, $port] = [$match[1], (int) $match[2]];
    }
    $password = secret_or_fail('mysql-wordpress/password');
    $deadline = time() + (int) (getenv('WORDPRESS_DB_WAIT_SECONDS') ?: 60);
    mysqli_report(MYSQLI_REPORT_OFF);
    for (;;) {
        $link = @mysqli_connect($host, required_env('WORDPRESS_DB_USER'), $password,
            required_env('WORDPRESS_DB_NAME'), $port);
        if ($link !== false) {
            mysqli_close($link);
            return;
        }
        if (time() >= $deadline) {
            fail("database $host:$port not reachable: " . mysqli_connect_error());
        }
        say("waiting for the database at $host:$port (" . mysqli_connect_error() . ')');
        sleep(2);
    }
}

$root = rtrim(getenv('WORDPRESS_ROOT') ?: '/var/www/wordpress', '/');
$title = required_env('WORDPRESS_TITLE');
$url = rtrim(required_env('WORDPRESS_URL'), '/');
$users = parse_users(required_env('WORDPRESS_USERS'));
$parsed = parse_url($url);
if (!isset($parsed['scheme'], $parsed['host'])) {
    fail("WORDPRESS_URL '$url' is not an absolute URL");
}

wait_for_database();

// Look like a request to WORDPRESS_URL, so wp-config.php derives the same address the site is
// installed with.
$_SERVER['HTTP_HOST'] = $parsed['host'] . (isset($parsed['port']) ? ':' . $parsed['port'] : '');
$_SERVER['HTTPS'] = $parsed['scheme'] === 'https' ? 'on' : 'off';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
// Stops wp-load.php from redirecting to the web installer while the site is not installed yet.
define('WP_INSTALLING', true);

// wp_install() would mail the administrator; the cluster has no mail server.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password): void
{
}

require $root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$admin = $users[0];
if (is_blog_installed()) {
    say('site already installed, not installing again');
} else {
    $result = wp_install($title, $admin['login'], $admin['email'], true, '', secret_or_fail("wordpress-users/{$admin['login']}"));
    if (is_wp_error($result) || empty($result['user_id'])) {
        fail('wp_install failed');
    }
    update_option('siteurl', $url);
    update_option('home', $url);
    say("installed '$title' at $url with administrator {$admin['login']}");
}

foreach ($users as $user) {
    if (username_exists($user['login'])) {
        continue;
    }
    if (wp_roles()->get_role($user['role']) === null) {
        fail("unknown role '{$user['role']}' for user {$user['login']}");
    }
    $id = wp_insert_user([
        'user_login' => $user['login'],
        'user_pass' => secret_or_fail("wordpress-users/{$user['login']}"),
        'user_email' => $user['email'],
        'role' => $user['role'],
    ]);
    if (is_wp_error($id)) {
        fail("cannot add user {$user['login']}: " . $id->get_error_message());
    }
    say("added user {$user['login']} ({$user['role']})");
}
