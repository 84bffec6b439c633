<?php
/**
 * Changes a test WordPress between syncs, the way its authors and moderators would.
 *
 *   WP_LOCAL_PORT=8768 php mutate.php ACTION [ARGS...]
 *
 * add-post TITLE CONTENT | edit-post ID CONTENT | trash-post ID | untrash-post ID
 * add-comment POST_ID AUTHOR CONTENT | edit-comment ID CONTENT | unapprove-comment ID | approve-comment ID
 * Prints the id it created or changed.
 */
require __DIR__ . '/_cli.php';
require WP_LOCAL_ABSPATH . 'wp-load.php';
wp_local_block_http();
wp_set_current_user(1);

[$action, $a, $b, $c] = array_pad(array_slice($argv, 1), 4, null);
switch ($action) {
    case 'add-post':
        echo wp_insert_post(wp_slash(['post_title' => $a, 'post_content' => $b, 'post_status' => 'publish', 'post_author' => 1]), true), "\n";
        break;
    case 'edit-post':
        echo wp_update_post(wp_slash(['ID' => (int) $a, 'post_content' => $b]), true), "\n";
        break;
    case 'trash-post':
        echo wp_trash_post((int) $a)->ID, "\n";
        break;
    case 'untrash-post':
        wp_untrash_post((int) $a);
        wp_publish_post((int) $a);
        echo $a, "\n";
        break;
    case 'add-comment':
        echo wp_insert_comment(wp_slash(['comment_post_ID' => (int) $a, 'comment_author' => $b, 'comment_content' => $c,
            'comment_author_email' => 'sync@example.org', 'comment_approved' => 1, 'comment_type' => 'comment',
            'comment_date' => current_time('mysql'), 'comment_date_gmt' => current_time('mysql', true)])), "\n";
        break;
    case 'edit-comment':
        wp_update_comment(wp_slash(['comment_ID' => (int) $a, 'comment_content' => $b]));
        echo $a, "\n";
        break;
    case 'unapprove-comment':
        wp_set_comment_status((int) $a, 'hold');
        echo $a, "\n";
        break;
    case 'approve-comment':
        wp_set_comment_status((int) $a, 'approve');
        echo $a, "\n";
        break;
    default:
        fwrite(STDERR, "mutate.php: unknown action $action\n");
        exit(2);
}
