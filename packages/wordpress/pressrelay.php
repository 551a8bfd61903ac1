<?php
/**
 * Plugin Name:       PressRelay
 * Plugin URI:        https://github.com/pressrelay/pressrelay
 * Description:       Real-time events for WordPress: publishes posts, comments, meta and custom events to a PressRelay (Pusher-compatible) server, which pushes them to browsers. Never waits on the realtime server during a page request.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            PressRelay
 * License:           MIT
 * Text Domain:       pressrelay
 * Domain Path:       /languages
 *
 * @package PressRelay
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'PRESSRELAY_VERSION', '0.1.0' );
define( 'PRESSRELAY_FILE', __FILE__ );
define( 'PRESSRELAY_MIN_PHP', '7.4' );

if ( version_compare( PHP_VERSION, PRESSRELAY_MIN_PHP, '<' ) ) {
	/**
	 * Tells administrators that this PHP version is too old, instead of failing with a fatal error.
	 */
	function pressrelay_php_version_notice() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p>%s</p></div>',
			esc_html(
				sprintf(
					/* translators: 1: required PHP version, 2: current PHP version. */
					__( 'PressRelay needs PHP %1$s or newer; this site runs PHP %2$s. The plugin is inactive until PHP is upgraded.', 'pressrelay' ),
					PRESSRELAY_MIN_PHP,
					PHP_VERSION
				)
			)
		);
	}
	add_action( 'admin_notices', 'pressrelay_php_version_notice' );
	return;
}

require_once __DIR__ . '/includes/autoload.php';
require_once __DIR__ . '/includes/functions.php';

register_activation_hook( __FILE__, array( 'PressRelay\\Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'PressRelay\\Plugin', 'deactivate' ) );

PressRelay\Plugin::instance()->boot();
