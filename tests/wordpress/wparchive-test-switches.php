<?php
/**
 * Plugin Name: wparchive test switches
 * Description: Lets a test instance turn its REST API off (option wp_local_rest_off), as some sites do.
 */
if (get_option('wp_local_rest_off')) {
    add_filter('rest_authentication_errors', static function () {
        return new WP_Error('rest_disabled', 'The REST API is disabled on this site.', ['status' => 403]);
    });
    remove_action('wp_head', 'rest_output_link_wp_head', 10);
    remove_action('template_redirect', 'rest_output_link_header', 11);
    remove_action('xmlrpc_rsd_apis', 'rest_output_rsd');
}
