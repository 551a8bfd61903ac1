<?php
/**
 * Signed calls to the PressRelay server's Pusher HTTP API.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Http;

use PressRelay\Settings;

/**
 * Builds and sends `POST /apps/{id}/events` and `/batch_events`. Only the flusher and the admin's
 * "Send test event" call it: never a page request.
 */
final class Client {

	/**
	 * JSON flags that make PHP's output byte-identical to JavaScript's JSON.stringify for the same values.
	 */
	const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_LINE_TERMINATORS;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Returns the current Unix time.
	 *
	 * @var callable
	 */
	private $clock;

	/**
	 * Constructor.
	 *
	 * @param Settings      $settings Settings.
	 * @param callable|null $clock    Returns the Unix time (tests pass a fixed one).
	 */
	public function __construct( Settings $settings, ?callable $clock = null ) {
		$this->settings = $settings;
		$this->clock    = $clock ? $clock : 'time';
	}

	/**
	 * The body of one event, in the field order of the `pusher` Node SDK.
	 *
	 * @param string        $name      Event name.
	 * @param string        $data      Event data (a string, usually JSON).
	 * @param array<string> $channels  Channels.
	 * @param string        $socket_id Socket id to exclude, '' for none.
	 * @param string        $id        Publisher event id (PressRelay extension), '' for none.
	 * @return array<string,mixed>
	 */
	public static function event( string $name, string $data, array $channels, string $socket_id = '', string $id = '' ): array {
		$event = array(
			'name'     => $name,
			'data'     => $data,
			'channels' => array_values( $channels ),
		);
		if ( '' !== $socket_id ) {
			$event['socket_id'] = $socket_id;
		}
		if ( '' !== $id ) {
			$event['id'] = $id;
		}
		return $event;
	}

	/**
	 * Encodes a value as JSON the way JavaScript does.
	 *
	 * @param mixed $value Value.
	 * @return string|false
	 */
	public static function json( $value ) {
		return wp_json_encode( $value, self::JSON_FLAGS );
	}

	/**
	 * Builds a signed request without sending it.
	 *
	 * @param string $endpoint Endpoint: 'events' or 'batch_events'.
	 * @param string $body     Raw JSON body.
	 * @return array{url:string,path:string,query:string,body:string}
	 */
	public function build( string $endpoint, string $body ): array {
		$settings = $this->settings->all();
		$signer   = new Signer( $settings['key'], $settings['secret'] );
		$path     = '/apps/' . $settings['app_id'] . '/' . $endpoint;
		$query    = $signer->signed_query( 'POST', $path, $body, (int) call_user_func( $this->clock ) );
		return array(
			'url'   => untrailingslashit( $settings['url'] ) . $path . '?' . $query,
			'path'  => $path,
			'query' => $query,
			'body'  => $body,
		);
	}

	/**
	 * Sends one event.
	 *
	 * @param array<string,mixed> $event Event from self::event().
	 */
	public function trigger( array $event ): Response {
		return $this->send( 'events', $event );
	}

	/**
	 * Sends up to 10 events in one request. Items carry `channel` (one each), as the batch API requires.
	 *
	 * @param array<int,array<string,mixed>> $events Events with a single `channel` each.
	 */
	public function trigger_batch( array $events ): Response {
		return $this->send( 'batch_events', array( 'batch' => array_values( $events ) ) );
	}

	/**
	 * Signs and POSTs a body; classifies the outcome.
	 *
	 * @param string              $endpoint Endpoint: 'events' or 'batch_events'.
	 * @param array<string,mixed> $payload  Body before encoding.
	 */
	private function send( string $endpoint, array $payload ): Response {
		if ( ! $this->settings->is_configured() ) {
			return new Response( 0, __( 'PressRelay is not configured: set the server URL, app id, key and secret.', 'pressrelay' ) );
		}
		$body = self::json( $payload );
		if ( false === $body ) {
			return new Response( 400, __( 'The event could not be encoded as JSON.', 'pressrelay' ) );
		}
		$request = $this->build( $endpoint, $body );

		/**
		 * Filters the arguments of the HTTP request to the PressRelay server.
		 *
		 * @param array  $args    wp_remote_post() arguments.
		 * @param string $url     Signed URL.
		 */
		$args = apply_filters(
			'pressrelay_http_args',
			array(
				'timeout'     => 3,
				'redirection' => 0,
				'headers'     => array( 'Content-Type' => 'application/json' ),
				'body'        => $body,
				'user-agent'  => 'PressRelay/' . PRESSRELAY_VERSION . ' WordPress/' . get_bloginfo( 'version' ),
			),
			$request['url']
		);

		$result = wp_remote_post( $request['url'], $args );
		if ( is_wp_error( $result ) ) {
			return new Response( 0, $result->get_error_message() );
		}
		$status = (int) wp_remote_retrieve_response_code( $result );
		$raw    = (string) wp_remote_retrieve_body( $result );
		if ( 200 === $status ) {
			return new Response( 200, '', $raw );
		}
		$decoded = json_decode( $raw, true );
		$message = is_array( $decoded ) && isset( $decoded['error'] ) && is_string( $decoded['error'] ) ? $decoded['error'] : substr( wp_strip_all_tags( $raw ), 0, 300 );
		return new Response(
			$status,
			sprintf(
				/* translators: 1: HTTP status code, 2: error message from the server. */
				__( 'HTTP %1$d: %2$s', 'pressrelay' ),
				$status,
				'' !== $message ? $message : (string) wp_remote_retrieve_response_message( $result )
			),
			$raw
		);
	}
}
