<?php
/**
 * Import a WXR file with WordPress's own importer plugin (../shared/peers/wordpress-importer/), as
 * Tools > Import does when every author is kept: each author in the file becomes a user (an existing
 * login is mapped to that user), so dc:creator decides who wrote what.
 *
 *   WP_LOCAL_PORT=PORT php import-wxr.php PLUGIN_DIR FILE.xml [fetch]
 *
 * fetch: download attachments (their URLs must be on 127.0.0.1); otherwise no network at all.
 * The arguments are kept in constants: WordPress's bootstrap overwrites globals such as $file.
 */
define('WXR_PLUGIN', $argv[1]);
define('WXR_FILE', $argv[2]);
define('WXR_FETCH', ($argv[3] ?? '') === 'fetch');
require __DIR__ . '/_cli.php';
define('WP_LOAD_IMPORTERS', true);
define('WP_ADMIN', true);
require WP_LOCAL_ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
if (WXR_FETCH) {
    add_filter('http_request_host_is_external', '__return_true');
    add_filter('http_allowed_safe_ports', static fn($ports) => array_merge((array) $ports, range(1024, 65535)));
} else {
    wp_local_block_http();
}
wp_set_current_user(1);
require WXR_PLUGIN . '/src/wordpress-importer.php';
$importer = new WP_Import();
$importer->fetch_attachments = WXR_FETCH;
$data = $importer->parse(WXR_FILE);
if (is_wp_error($data)) {
    fwrite(STDERR, 'import-wxr.php: ' . $data->get_error_message() . "\n");
    exit(1);
}
$logins = $data['authors'] ? array_keys($data['authors'])
    : array_map(static fn($post) => sanitize_user($post['post_author'], true), $data['posts']);
$_POST['imported_authors'] = array_values(array_unique(array_filter($logins, 'strlen')));
$_POST['user_map'] = [];
$_POST['user_new'] = [];
ob_start();
$importer->import(WXR_FILE);
$out = ob_get_clean();
echo strip_tags(str_replace(['<br />', '<br>'], "\n", $out)), "\n";
