<?php
/**
 * The plugin's requests are byte-identical to the official `pusher` Node SDK's for the same input.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Http;

use PressRelay\Http\Client;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class SdkParityTest extends TestCase {

	/**
	 * Runs the SDK and returns the requests it sent.
	 *
	 * @param array<int,array<string,mixed>> $calls Calls.
	 * @return array<int,array<string,string>>
	 */
	private function sdk( array $calls ): array {
		$input = wp_json_encode(
			array(
				'appId'  => self::APP['app_id'],
				'key'    => self::APP['key'],
				'secret' => self::APP['secret'],
				'calls'  => $calls,
			)
		);
		exec( 'node ' . escapeshellarg( dirname( __DIR__ ) . '/fixtures/pusher-sdk-requests.mjs' ) . ' ' . escapeshellarg( (string) $input ) . ' 2>&1', $output, $code );
		$this->assertSame( 0, $code, 'the pusher SDK script failed (needs node and npm install at the repo root): ' . implode( "\n", $output ) );
		$requests = json_decode( implode( "\n", $output ), true );
		$this->assertIsArray( $requests );
		return $requests;
	}

	/**
	 * The plugin's request for the same body at the SDK's timestamp.
	 *
	 * @param string $endpoint  events or batch_events.
	 * @param string $body      Body.
	 * @param string $sdk_query The SDK's query (for its auth_timestamp).
	 * @return array{url:string,path:string,query:string,body:string}
	 */
	private function plugin_request( string $endpoint, string $body, string $sdk_query ): array {
		parse_str( $sdk_query, $params );
		$timestamp = (int) $params['auth_timestamp'];
		$this->configure();
		return ( new Client( new Settings(), static function () use ( $timestamp ) {
			return $timestamp;
		} ) )->build( $endpoint, $body );
	}

	public function test_trigger_to_several_channels_with_unicode_slashes_and_socket_id(): void {
		$data = array(
			'title' => 'Café "live" </script> ✓ 😀',
			'url'   => 'http://example.test/a/b?x=1&y=2',
			'n'     => 12,
			'list'  => array( 1, 2.5, true, null ),
			'line'  => "a\u{2028}b\n\t",
		);
		$sdk  = $this->sdk(
			array(
				array(
					'type'     => 'trigger',
					'channels' => array( 'posts', 'post-42' ),
					'event'    => 'post-published',
					'data'     => $data,
					'params'   => array( 'socket_id' => '123.456' ),
				),
			)
		);
		$body = Client::json( Client::event( 'post-published', (string) Client::json( $data ), array( 'posts', 'post-42' ), '123.456' ) );
		$this->assertSame( $sdk[0]['body'], $body, 'same body bytes' );
		$mine = $this->plugin_request( 'events', (string) $body, $sdk[0]['query'] );
		$this->assertSame( 'POST', $sdk[0]['method'] );
		$this->assertSame( $sdk[0]['path'], $mine['path'] );
		$this->assertSame( $sdk[0]['query'], $mine['query'], 'same signed query string, byte for byte' );
		$this->assertSame( 'application/json', $sdk[0]['contentType'] );
	}

	public function test_trigger_with_string_data_is_sent_as_is(): void {
		$sdk  = $this->sdk(
			array(
				array(
					'type'     => 'trigger',
					'channels' => array( 'seats-A12' ),
					'event'    => 'seats-changed',
					'data'     => '{"seats_left":11}',
				),
			)
		);
		$body = (string) Client::json( Client::event( 'seats-changed', '{"seats_left":11}', array( 'seats-A12' ) ) );
		$this->assertSame( $sdk[0]['body'], $body );
		$this->assertSame( $sdk[0]['query'], $this->plugin_request( 'events', $body, $sdk[0]['query'] )['query'] );
	}

	public function test_batch_events(): void {
		$batch = array(
			array(
				'channel' => 'post-1',
				'name'    => 'meta-updated',
				'data'    => '{"value":"1"}',
			),
			array(
				'channel' => 'posts',
				'name'    => 'post-updated',
				'data'    => '{"id":1}',
			),
		);
		$sdk   = $this->sdk(
			array(
				array(
					'type'  => 'batch',
					'batch' => $batch,
				),
			)
		);
		$body  = (string) Client::json( array( 'batch' => $batch ) );
		$this->assertSame( $sdk[0]['body'], $body );
		$mine = $this->plugin_request( 'batch_events', $body, $sdk[0]['query'] );
		$this->assertSame( '/apps/test-app/batch_events', $sdk[0]['path'] );
		$this->assertSame( $sdk[0]['path'], $mine['path'] );
		$this->assertSame( $sdk[0]['query'], $mine['query'] );
	}
}
