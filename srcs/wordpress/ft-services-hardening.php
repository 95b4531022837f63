<?php
/**
 * Plugin Name: ft_services hardening
 * Description: WordPress gives away nothing to anonymous clients (B11): no user names, no XML-RPC,
 * no version. A must-use plugin (wp-content/mu-plugins/), so no one can switch it off in the dashboard.
 */

// Any client may send any Host header: a request for another host is sent to the site's address
// (wp-config.php's WP_HOME, from WORDPRESS_URL), so no page is ever built for that host.
// Not for install.php, which runs on the command line.
add_action('init', static function (): void {
    $home = wp_parse_url(WP_HOME);
    if (PHP_SAPI === 'cli' || !isset($home['host'], $_SERVER['HTTP_HOST'])) {
        return;
    }
    $site = $home['host'] . (isset($home['port']) ? ':' . $home['port'] : '');
    if (strcasecmp($_SERVER['HTTP_HOST'], $site) !== 0) {
        wp_redirect(WP_HOME . ($_SERVER['REQUEST_URI'] ?? '/'), 301);
        exit;
    }
}, 0);

// Author archives: /?author=N redirects to /author/<login>/ (redirect_canonical, template_redirect
// priority 10) and shows the name. Anonymous clients get "not found" before that redirect.
add_action('template_redirect', static function (): void {
    if (!is_user_logged_in() && (is_author() || isset($_GET['author']) || isset($_GET['author_name']))) {
        global $wp_query;
        $wp_query->set_404();
        status_header(404);
        nocache_headers();
    }
}, 1);

// The REST API lists every user with posts (/wp/v2/users, also as ?rest_route=): only for users
// who are logged in (the block editor's author picker).
add_filter('rest_endpoints', static function (array $endpoints): array {
    if (!is_user_logged_in()) {
        foreach (array_keys($endpoints) as $route) {
            if (preg_match('#^/wp/v2/users(/|$)#', $route)) {
                unset($endpoints[$route]);
            }
        }
    }
    return $endpoints;
});

// The users' sitemap (/wp-sitemap-users-1.xml) and oEmbed's author fields name the authors too.
add_filter('wp_sitemaps_add_provider', static fn ($provider, string $name) => $name === 'users' ? false : $provider, 10, 2);
add_filter('oembed_response_data', static function (array $data): array {
    unset($data['author_name'], $data['author_url']);
    return $data;
});

// One message for every failed login, so a wrong password does not confirm the user name. The
// cluster sends no mail, so there is no password reset to offer (it too told users apart).
add_filter('login_errors', static fn (): string => '<strong>Error:</strong> the user name or the password is wrong.');
add_filter('allow_password_reset', '__return_false');

// XML-RPC (also refused by nginx): no methods, no pingback header or discovery link.
add_filter('xmlrpc_enabled', '__return_false');
add_filter('xmlrpc_methods', static fn (): array => []);
add_filter('wp_headers', static function (array $headers): array {
    unset($headers['X-Pingback']);
    return $headers;
});
remove_action('wp_head', 'rsd_link');

// No version: no generator tag (pages and feeds), no ?ver=<WordPress version> on core assets.
remove_action('wp_head', 'wp_generator');
add_filter('the_generator', '__return_empty_string');
$ft_services_unversion = static function (string $src): string {
    return str_contains($src, 'ver=' . get_bloginfo('version')) ? remove_query_arg('ver', $src) : $src;
};
add_filter('style_loader_src', $ft_services_unversion);
add_filter('script_loader_src', $ft_services_unversion);
unset($ft_services_unversion);
