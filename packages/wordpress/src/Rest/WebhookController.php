<?php
/**
 * REST route receiving the server's signed webhooks.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Rest;

use PressRelay\Http\Signer;
use PressRelay\Settings;

/**
 * `POST /wp-json/pressrelay/v1/webhook`: verifies X-Pusher-Key and X-Pusher-Signature (HMAC-SHA256
 * of the raw body with the app secret), then fires `pressrelay_webhook_{name}` and
 * `pressrelay_webhook` for each event. A bad signature gets 401.
 */
final class WebhookController {

	const LOG_OPTION = 'pressrelay_webhook_log';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 */
	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * Hooks the route.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			AuthController::ROUTE_NAMESPACE,
			'/webhook',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'verify' ),
			)
		);
	}

	/**
	 * Accepts only requests signed with this app's secret.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function verify( \WP_REST_Request $request ) {
		if ( ! $this->settings->is_configured() ) {
			return new \WP_Error( 'pressrelay_not_configured', __( 'PressRelay is not configured.', 'pressrelay' ), array( 'status' => 503 ) );
		}
		$signer = new Signer( (string) $this->settings->get( 'key' ), (string) $this->settings->get( 'secret' ) );
		$valid  = $signer->verify_webhook(
			(string) $request->get_body(),
			(string) $request->get_header( 'x_pusher_key' ),
			(string) $request->get_header( 'x_pusher_signature' )
		);
		if ( ! $valid ) {
			return new \WP_Error( 'pressrelay_invalid_signature', __( 'Invalid webhook signature.', 'pressrelay' ), array( 'status' => 401 ) );
		}
		return true;
	}

	/**
	 * Re-fires each event as WordPress actions.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function handle( \WP_REST_Request $request ) {
		$payload = json_decode( (string) $request->get_body(), true );
		if ( ! is_array( $payload ) || ! isset( $payload['events'] ) || ! is_array( $payload['events'] ) ) {
			return new \WP_Error( 'pressrelay_invalid_webhook', __( 'Expected a JSON body with an "events" array.', 'pressrelay' ), array( 'status' => 400 ) );
		}
		$time_ms = isset( $payload['time_ms'] ) ? (int) $payload['time_ms'] : 0;
		$names   = array();
		foreach ( $payload['events'] as $event ) {
			if ( ! is_array( $event ) || ! isset( $event['name'] ) || ! is_string( $event['name'] ) ) {
				continue;
			}
			$name    = sanitize_key( $event['name'] );
			$names[] = $name;
			/**
			 * Fires for each webhook event of one kind, e.g. `pressrelay_webhook_channel_occupied`.
			 *
			 * @param array $event   The event: name, channel and the kind's fields.
			 * @param int   $time_ms When the server created the webhook (ms).
			 */
			do_action( "pressrelay_webhook_{$name}", $event, $time_ms );
			/**
			 * Fires for each webhook event.
			 *
			 * @param array $event   The event.
			 * @param int   $time_ms When the server created the webhook (ms).
			 */
			do_action( 'pressrelay_webhook', $event, $time_ms );
		}
		$log = get_option( self::LOG_OPTION, array() );
		$log = is_array( $log ) ? $log : array();
		update_option(
			self::LOG_OPTION,
			array(
				'received' => ( isset( $log['received'] ) ? (int) $log['received'] : 0 ) + 1,
				'last'     => time(),
				'events'   => array_slice( $names, 0, 10 ),
			),
			false
		);
		return new \WP_REST_Response( new \stdClass() );
	}
}
