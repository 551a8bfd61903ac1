<?php
/**
 * Pusher signatures: HTTP API requests, channel auth, user sign-in and webhooks.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Http;

/**
 * Every signature is hex(HMAC-SHA256(app secret, string)). Pure: no WordPress calls.
 */
final class Signer {

	/**
	 * App key.
	 *
	 * @var string
	 */
	private $key;

	/**
	 * App secret.
	 *
	 * @var string
	 */
	private $secret;

	/**
	 * Constructor.
	 *
	 * @param string $key    App key.
	 * @param string $secret App secret.
	 */
	public function __construct( string $key, string $secret ) {
		$this->key    = $key;
		$this->secret = $secret;
	}

	/**
	 * Hex HMAC-SHA256 of a string with the app secret.
	 *
	 * @param string $data String to sign.
	 */
	public function sign( string $data ): string {
		return hash_hmac( 'sha256', $data, $this->secret );
	}

	/**
	 * The signed query string of an HTTP API request (pusher-protocol §4.1): every parameter but
	 * auth_signature, keys lower-cased and sorted, values not escaped, then auth_signature appended.
	 *
	 * @param string                $method    HTTP method.
	 * @param string                $path      Path as signed, e.g. /apps/1/events.
	 * @param string                $body      Raw request body ('' for none).
	 * @param int                   $timestamp Unix time in seconds.
	 * @param array<string,string>  $params    Extra query parameters.
	 */
	public function signed_query( string $method, string $path, string $body, int $timestamp, array $params = array() ): string {
		$query = array(
			'auth_key'       => $this->key,
			'auth_timestamp' => (string) $timestamp,
			'auth_version'   => '1.0',
		);
		if ( '' !== $body ) {
			$query['body_md5'] = md5( $body );
		}
		foreach ( $params as $name => $value ) {
			$query[ strtolower( (string) $name ) ] = is_array( $value ) ? implode( ',', $value ) : (string) $value;
		}
		ksort( $query, SORT_STRING );
		$pairs = array();
		foreach ( $query as $name => $value ) {
			$pairs[] = $name . '=' . $value;
		}
		$joined = implode( '&', $pairs );
		return $joined . '&auth_signature=' . $this->sign( strtoupper( $method ) . "\n" . $path . "\n" . $joined );
	}

	/**
	 * The `auth` token for a private or presence channel subscription.
	 *
	 * @param string      $socket_id    Socket id.
	 * @param string      $channel      Channel name.
	 * @param string|null $channel_data Presence channel data, exactly the string sent to the client.
	 */
	public function channel_auth( string $socket_id, string $channel, ?string $channel_data = null ): string {
		$data = $socket_id . ':' . $channel;
		if ( null !== $channel_data ) {
			$data .= ':' . $channel_data;
		}
		return $this->key . ':' . $this->sign( $data );
	}

	/**
	 * The `auth` token for a user sign-in.
	 *
	 * @param string $socket_id Socket id.
	 * @param string $user_data User data, exactly the string sent to the client.
	 */
	public function user_auth( string $socket_id, string $user_data ): string {
		return $this->key . ':' . $this->sign( $socket_id . '::user::' . $user_data );
	}

	/**
	 * Whether a webhook's X-Pusher-Key and X-Pusher-Signature match its raw body (constant-time compare).
	 *
	 * @param string $body      Raw request body.
	 * @param string $key       X-Pusher-Key header.
	 * @param string $signature X-Pusher-Signature header.
	 */
	public function verify_webhook( string $body, string $key, string $signature ): bool {
		if ( '' === $this->secret || '' === $signature || ! hash_equals( $this->key, $key ) ) {
			return false;
		}
		return hash_equals( $this->sign( $body ), strtolower( $signature ) );
	}
}
