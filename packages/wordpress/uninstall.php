<?php
/**
 * Uninstall: drops the outbox table and deletes every option and cron event of the plugin.
 *
 * @package PressRelay
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/autoload.php';

/**
 * Removes PressRelay's data from the current site.
 */
function pressrelay_uninstall_site() {
	PressRelay\Outbox\Schema::drop();
	foreach ( array( 'pressrelay_settings', 'pressrelay_flush_token', 'pressrelay_webhook_log' ) as $option ) {
		delete_option( $option );
	}
	foreach ( array( 'pressrelay_flush', 'pressrelay_flush_retry', 'pressrelay_purge', 'pressrelay_schedule' ) as $hook ) {
		wp_unschedule_hook( $hook );
	}
}

if ( is_multisite() ) {
	foreach ( get_sites(
		array(
			'fields' => 'ids',
			'number' => 1000,
		)
	) as $pressrelay_site_id ) {
		switch_to_blog( (int) $pressrelay_site_id );
		pressrelay_uninstall_site();
		restore_current_blog();
	}
} else {
	pressrelay_uninstall_site();
}
