<?php
/**
 * REST route answering pusher-js's and the PressRelay client's auth requests.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Rest;

use PressRelay\Auth\ChannelAuthorizer;
use PressRelay\Http\Client;
use PressRelay\Http\Signer;
use PressRelay\Settings;

/**
 * `POST /wp-json/pressrelay/v1/auth` with `socket_id` and `channel_name` (form-encoded, as pusher-js
 * sends them) signs a private or presence subscription; with `socket_id` only it signs a user
 * sign-in. Authenticated by the WordPress cookie plus the REST nonce (X-WP-Nonce).
 */
final class AuthController {

	const ROUTE_NAMESPACE = 'pressrelay/v1';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Channel rules.
	 *
	 * @var ChannelAuthorizer
	 */
	private $authorizer;

	/**
	 * Constructor.
	 *
	 * @param Settings          $settings   Settings.
	 * @param ChannelAuthorizer $authorizer Rules.
	 */
	public function __construct( Settings $settings, ChannelAuthorizer $authorizer ) {
		$this->settings   = $settings;
		$this->authorizer = $authorizer;
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
			self::ROUTE_NAMESPACE,
			'/auth',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'check_permission' ),
				'args'                => array(
					'socket_id'    => array(
						'type'     => 'string',
						'required' => true,
					),
					'channel_name' => array(
						'type'     => 'string',
						'required' => false,
					),
				),
			)
		);
	}

	/**
	 * Only logged-in users (cookie and nonce) get anything.
	 *
	 * @return true|\WP_Error
	 */
	public function check_permission() {
		return is_user_logged_in() ? true : ChannelAuthorizer::logged_out();
	}

	/**
	 * Signs the subscription or sign-in.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function handle( \WP_REST_Request $request ) {
		if ( ! $this->settings->is_configured() ) {
			return new \WP_Error( 'pressrelay_not_configured', __( 'PressRelay is not configured.', 'pressrelay' ), array( 'status' => 503 ) );
		}
		$socket_id = (string) $request->get_param( 'socket_id' );
		if ( 1 !== preg_match( '/^\d+\.\d+$/', $socket_id ) ) {
			return new \WP_Error( 'pressrelay_invalid_socket_id', __( 'Invalid socket_id.', 'pressrelay' ), array( 'status' => 400 ) );
		}
		$user   = wp_get_current_user();
		$signer = new Signer( (string) $this->settings->get( 'key' ), (string) $this->settings->get( 'secret' ) );
		$info   = ChannelAuthorizer::user_info( $user );

		$channel = (string) $request->get_param( 'channel_name' );
		if ( '' === $channel ) {
			$user_data = (string) Client::json(
				array(
					'id'        => (string) $user->ID,
					'user_info' => $info,
				)
			);
			return new \WP_REST_Response(
				array(
					'auth'      => $signer->user_auth( $socket_id, $user_data ),
					'user_data' => $user_data,
				)
			);
		}
		$allowed = $this->authorizer->check( $channel, $user, $socket_id );
		if ( is_wp_error( $allowed ) ) {
			return $allowed;
		}
		if ( 0 === strpos( $channel, 'presence-' ) ) {
			$channel_data = (string) Client::json( ChannelAuthorizer::member( $user ) );
			return new \WP_REST_Response(
				array(
					'auth'         => $signer->channel_auth( $socket_id, $channel, $channel_data ),
					'channel_data' => $channel_data,
				)
			);
		}
		return new \WP_REST_Response( array( 'auth' => $signer->channel_auth( $socket_id, $channel ) ) );
	}
}
