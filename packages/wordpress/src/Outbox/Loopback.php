<?php
/**
 * A fire-and-forget HTTP POST to this site, for flushing outside the page request.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

/**
 * Writes the request on a socket and closes it without reading the answer. (WordPress's own
 * non-blocking wp_remote_post() still waits up to a second with the cURL transport, which has a
 * one-second minimum timeout, until the other side answers.) The receiving request keeps running
 * after the close because the flush route calls ignore_user_abort().
 */
final class Loopback {

	/**
	 * Seconds to wait for the connection to this site.
	 */
	const CONNECT_TIMEOUT = 0.5;

	/**
	 * Posts form fields to a URL of this site and returns at once.
	 *
	 * @param string               $url     An http or https URL.
	 * @param array<string,string> $fields  Form fields.
	 * @param array<string,string> $headers Extra headers (e.g. Authorization for a protected staging site).
	 * @return true|\WP_Error
	 */
	public static function post( string $url, array $fields, array $headers = array() ) {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( $parts['scheme'] ?? '', array( 'http', 'https' ), true ) ) {
			return new \WP_Error( 'pressrelay_loopback_url', 'Invalid loopback URL: ' . $url );
		}
		$tls     = 'https' === $parts['scheme'];
		$port    = isset( $parts['port'] ) ? (int) $parts['port'] : ( $tls ? 443 : 80 );
		$path    = ( isset( $parts['path'] ) ? $parts['path'] : '/' ) . ( isset( $parts['query'] ) ? '?' . $parts['query'] : '' );
		$body    = http_build_query( $fields, '', '&' );
		$context = stream_context_create(
			array(
				'ssl' => array(
					/** This filter is documented in wp-includes/class-wp-http-streams.php */
					'verify_peer'      => (bool) apply_filters( 'https_local_ssl_verify', false ),
					'verify_peer_name' => (bool) apply_filters( 'https_local_ssl_verify', false ),
				),
			)
		);
		$socket  = @stream_socket_client( ( $tls ? 'ssl://' : 'tcp://' ) . $parts['host'] . ':' . $port, $errno, $errstr, self::CONNECT_TIMEOUT, STREAM_CLIENT_CONNECT, $context ); // phpcs:ignore -- the error is returned below.
		if ( false === $socket ) {
			return new \WP_Error( 'pressrelay_loopback_connect', sprintf( 'Loopback connection to %s failed: %s (%d)', $url, $errstr, $errno ) );
		}
		$host  = $parts['host'] . ( isset( $parts['port'] ) ? ':' . $port : '' );
		$lines = array(
			"POST {$path} HTTP/1.1",
			"Host: {$host}",
			'User-Agent: PressRelay/' . PRESSRELAY_VERSION . ' (loopback flush)',
			'Content-Type: application/x-www-form-urlencoded',
			'Content-Length: ' . strlen( $body ),
			'Connection: close',
		);
		foreach ( $headers as $name => $value ) {
			$lines[] = preg_replace( '/[\r\n:]/', '', (string) $name ) . ': ' . preg_replace( '/[\r\n]/', '', (string) $value );
		}
		$written = fwrite( $socket, implode( "\r\n", $lines ) . "\r\n\r\n" . $body );
		fclose( $socket );
		return false === $written ? new \WP_Error( 'pressrelay_loopback_write', 'Loopback request could not be written to ' . $url ) : true;
	}
}
