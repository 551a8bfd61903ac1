<?php
/**
 * Runs PHP code inside a loaded WordPress (a tiny stand-in for `wp eval`):
 * php wp-eval.php WP_DIR CODE. The code's output is printed.
 *
 * @package PressRelay
 */

if ( 'cli' !== PHP_SAPI || $argc < 3 ) {
	exit( 1 );
}
$pressrelay_config         = file_get_contents( $argv[1] . '/wp-config.php' );
preg_match( "/'WP_HOME', '([^']+)'/", $pressrelay_config, $pressrelay_home );
$pressrelay_parts          = parse_url( $pressrelay_home[1] );
$_SERVER['HTTP_HOST']      = $pressrelay_parts['host'] . ':' . $pressrelay_parts['port'];
$_SERVER['SERVER_NAME']    = $pressrelay_parts['host'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI']    = '/';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
eval( $argv[2] ); // phpcs:ignore -- test tool.
