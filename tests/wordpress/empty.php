<?php
/**
 * Empty a fresh instance of what WordPress's install adds ("Hello world!", its comment, "Sample
 * Page", the draft privacy policy): an import into it then meets nothing it did not bring.
 * Once per database (an option remembers it), so re-running up.sh keeps what was imported since.
 *
 *   WP_LOCAL_PORT=PORT php empty.php     (up.sh runs it with WP_LOCAL_EMPTY=1)
 */
require __DIR__ . '/_cli.php';
require WP_LOCAL_ABSPATH . 'wp-load.php';
if (get_option('wp_local_emptied')) {
    exit(0);
}
foreach (get_posts(['post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1, 'fields' => 'ids']) as $id) {
    wp_delete_post($id, true);
}
foreach (get_comments(['status' => 'all', 'fields' => 'ids']) as $id) {
    wp_delete_comment($id, true);
}
update_option('wp_page_for_privacy_policy', 0);
update_option('wp_local_emptied', 1);
fwrite(STDERR, "empty.php: install content removed\n");
