<?php
/**
 * PHPUnit bootstrap: a real WordPress with a real database (e2e/wordpress/env/lib.php starts a
 * private MariaDB and installs WordPress with the plugin symlinked), then WordPress is loaded into
 * this process. Everything is torn down when PHPUnit exits.
 *
 * @package PressRelay
 */

// PHPUnit includes this file inside a function: make WordPress's globals global.
// phpcs:ignore -- these are WordPress's own globals.
global $wpdb, $wp, $wp_query, $wp_the_query, $wp_rewrite, $wp_roles, $wp_filter, $wp_actions, $wp_current_filter, $wp_locale, $wp_embed, $wp_widget_factory, $wp_post_types, $wp_taxonomies, $wp_version, $wp_db_version, $table_prefix, $current_user, $shortcode_tags, $post, $wp_scripts, $wp_styles, $wp_object_cache, $wp_rest_server, $wp_plugin_paths, $allowedposttags, $allowedtags, $pagenow, $blog_id, $current_site, $current_blog, $phpmailer, $wp_theme_directories, $wp_meta_boxes, $wp_settings_errors, $new_allowed_options, $allowed_options, $wp_registered_settings;

require dirname( __DIR__, 3 ) . '/e2e/wordpress/env/lib.php';

$pressrelay_ci = in_array( strtolower( (string) getenv( 'CI' ) ), array( '1', 'true', 'yes' ), true );
try {
	$pressrelay_env = PressRelayTestEnv\create(
		array(
			'plugin_dir' => dirname( __DIR__ ),
			'constants'  => array(
				'DISABLE_WP_CRON'    => true,
				'PRESSRELAY_TESTING' => true,
			),
		)
	);
} catch ( Throwable $e ) {
	fwrite( STDERR, "\nCannot set up WordPress for the PressRelay tests: " . $e->getMessage() . "\n" );
	fwrite( STDERR, "Needs Debian's wordpress, mariadb-server, php-mysql, php-curl, php-xml, php-mbstring.\n" );
	exit( 1 );
}

$_SERVER['HTTP_HOST']       = '127.0.0.1:' . $pressrelay_env['port'];
$_SERVER['SERVER_NAME']     = '127.0.0.1';
$_SERVER['SERVER_PORT']     = (string) $pressrelay_env['port'];
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
define( 'PRESSRELAY_TEST_ENV', $pressrelay_env['root'] );
define( 'PRESSRELAY_TEST_URL', $pressrelay_env['url'] );

require $pressrelay_env['wp_dir'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

if ( ! class_exists( 'PressRelay\\Plugin' ) ) {
	fwrite( STDERR, "PressRelay did not load in the test WordPress.\n" );
	exit( 1 );
}

// Tear down after WordPress's own shutdown hooks (registered while loading, so they run first).
register_shutdown_function(
	static function () use ( $pressrelay_env ) {
		PressRelayTestEnv\destroy( $pressrelay_env );
	}
);

require __DIR__ . '/TestCase.php';
