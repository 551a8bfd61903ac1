<?php
/**
 * REST route that the loopback request hits to flush the outbox outside the page request.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Rest;

use PressRelay\Outbox\Runner;

/**
 * `POST /wp-json/pressrelay/v1/flush` with the site's flush token. Flushing is harmless, but the
 * token keeps strangers from making the site call the realtime server at will.
 */
final class FlushController {

	/**
	 * Runner.
	 *
	 * @var Runner
	 */
	private $runner;

	/**
	 * Constructor.
	 *
	 * @param Runner $runner Runner.
	 */
	public function __construct( Runner $runner ) {
		$this->runner = $runner;
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
			'/flush',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'check_token' ),
				'args'                => array(
					'token' => array(
						'type'     => 'string',
						'required' => true,
					),
				),
			)
		);
	}

	/**
	 * Compares the token in constant time.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return true|\WP_Error
	 */
	public function check_token( \WP_REST_Request $request ) {
		if ( hash_equals( Runner::token(), (string) $request->get_param( 'token' ) ) ) {
			// The loopback caller hangs up at once: keep running.
			ignore_user_abort( true );
			return true;
		}
		return new \WP_Error( 'pressrelay_forbidden', __( 'Invalid flush token.', 'pressrelay' ), array( 'status' => 403 ) );
	}

	/**
	 * Flushes; keeps going after the caller hung up.
	 *
	 * @return \WP_REST_Response
	 */
	public function handle() {
		ignore_user_abort( true );
		return new \WP_REST_Response( $this->runner->flush_now( Runner::SHUTDOWN_BUDGET ) );
	}
}
