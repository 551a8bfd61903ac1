<?php
/**
 * The public PHP API of PressRelay.
 *
 * @package PressRelay
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( ! function_exists( 'pressrelay_publish' ) ) {
	/**
	 * Publishes an event to one or more channels.
	 *
	 * The event is stored in the outbox (a database table) and sent to the PressRelay server after
	 * the response has gone to the browser, or by WP-Cron when the server cannot be reached: this
	 * function never waits on the server. Events to one channel arrive in the order they were
	 * published.
	 *
	 * Code that must not depend on the plugin being active can use the action instead:
	 * `do_action( 'pressrelay_publish', $channels, $event, $data, $args );`
	 *
	 * @since 0.1.0
	 *
	 * @param string|string[]     $channels Channel name or names (`[A-Za-z0-9_\-=@,.;]`, at most 164 characters, at most 100 channels).
	 * @param string              $event    Event name (1 to 200 characters).
	 * @param mixed               $data     Event data: a string is sent as is, anything else is encoded as JSON (at most 10 KB).
	 * @param array<string,mixed> $args     Optional. `socket_id` (`123.456`): a connection that must not receive the event.
	 * @return int|false Id of the stored outbox row, or false on failure (the error is passed to the
	 *                   `pressrelay_publish_error` action).
	 */
	function pressrelay_publish( $channels, $event, $data, $args = array() ) {
		/**
		 * Short-circuits pressrelay_publish(). Return anything but null to skip storing the event;
		 * that value is returned instead.
		 *
		 * @since 0.1.0
		 *
		 * @param mixed           $result   Null to go on.
		 * @param string|string[] $channels Channels.
		 * @param string          $event    Event name.
		 * @param mixed           $data     Data.
		 * @param array           $args     Arguments.
		 */
		$pre = apply_filters( 'pre_pressrelay_publish', null, $channels, $event, $data, $args );
		if ( null !== $pre ) {
			return $pre;
		}
		if ( ! did_action( 'plugins_loaded' ) && ! doing_action( 'plugins_loaded' ) ) {
			$error = new WP_Error( 'pressrelay_too_early', __( 'pressrelay_publish() was called before plugins_loaded.', 'pressrelay' ) );
		} else {
			try {
				$error = PressRelay\Plugin::instance()->publisher()->publish( $channels, $event, $data, is_array( $args ) ? $args : array() );
			} catch ( Throwable $e ) {
				$error = new WP_Error( 'pressrelay_exception', $e->getMessage() );
			}
		}
		if ( ! is_wp_error( $error ) ) {
			return $error;
		}
		/**
		 * Fires when pressrelay_publish() refused an event or could not store it.
		 *
		 * @since 0.1.0
		 *
		 * @param WP_Error        $error    What went wrong.
		 * @param string|string[] $channels Channels.
		 * @param string          $event    Event name.
		 */
		do_action( 'pressrelay_publish_error', $error, $channels, $event );
		if ( defined( 'WP_DEBUG_LOG' ) && WP_DEBUG_LOG ) {
			error_log( 'PressRelay: ' . $error->get_error_message() ); // phpcs:ignore -- debug log only when WP_DEBUG_LOG is on.
		}
		return false;
	}
}

/**
 * Handler of the `pressrelay_publish` action.
 *
 * @since 0.1.0
 *
 * @param string|string[]     $channels Channels.
 * @param string              $event    Event name.
 * @param mixed               $data     Data.
 * @param array<string,mixed> $args     Arguments.
 */
function pressrelay_publish_action( $channels, $event = '', $data = null, $args = array() ) {
	pressrelay_publish( $channels, $event, $data, $args );
}
