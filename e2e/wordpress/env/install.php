<?php
/**
 * Installs WordPress headlessly and activates PressRelay: php install.php WP_DIR URL ACTIVATE(0|1).
 *
 * @package PressRelay
 */

if ( 'cli' !== PHP_SAPI || $argc < 3 ) {
	exit( 1 );
}
$pressrelay_url            = $argv[2];
$pressrelay_parts          = parse_url( $pressrelay_url );
$_SERVER['HTTP_HOST']      = $pressrelay_parts['host'] . ':' . $pressrelay_parts['port'];
$_SERVER['SERVER_NAME']    = $pressrelay_parts['host'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI']    = '/';
define( 'WP_INSTALLING', true );
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$pressrelay_result = wp_install( 'PressRelay Test', 'admin', 'admin@example.test', true, '', 'admin-password' );
if ( is_wp_error( $pressrelay_result ) ) {
	fwrite( STDERR, $pressrelay_result->get_error_message() . "\n" );
	exit( 1 );
}
update_option( 'permalink_structure', '' );
if ( '1' === ( $argv[3] ?? '1' ) ) {
	// Activation runs in a second process: WP_INSTALLING keeps plugins from loading in this one.
	passthru( 'php ' . escapeshellarg( __DIR__ . '/wp-eval.php' ) . ' ' . escapeshellarg( $argv[1] ) . ' ' . escapeshellarg( '$r = activate_plugin( "pressrelay/pressrelay.php" ); if ( is_wp_error( $r ) ) { fwrite( STDERR, $r->get_error_message() ); exit( 1 ); } echo "activated";' ), $pressrelay_code );
	exit( $pressrelay_code );
}
