<?php
/**
 * Signed webhooks re-fired as WordPress actions.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Rest;

use PressRelay\Rest\WebhookController;
use PressRelay\Tests\TestCase;

final class WebhookControllerTest extends TestCase {

	/**
	 * Events received by actions.
	 *
	 * @var array<int,array<string,mixed>>
	 */
	private $fired = array();

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		$this->fired = array();
		add_action(
			'pressrelay_webhook_channel_occupied',
			function ( $event, $time_ms ) {
				$this->fired[] = array( 'occupied', $event, $time_ms );
			},
			10,
			2
		);
		add_action(
			'pressrelay_webhook_member_added',
			function ( $event ) {
				$this->fired[] = array( 'member_added', $event );
			}
		);
		add_action(
			'pressrelay_webhook',
			function ( $event ) {
				$this->fired[] = array( 'any', $event['name'] );
			}
		);
	}

	/**
	 * Sends a webhook.
	 *
	 * @param string      $body      Raw body.
	 * @param string|null $signature Signature (default: valid).
	 * @param string      $key       X-Pusher-Key.
	 * @return \WP_REST_Response
	 */
	private function webhook( string $body, ?string $signature = null, string $key = 'test-key' ) {
		$request = new \WP_REST_Request( 'POST', '/pressrelay/v1/webhook' );
		$request->set_header( 'Content-Type', 'application/json' );
		$request->set_header( 'X-Pusher-Key', $key );
		$request->set_header( 'X-Pusher-Signature', null === $signature ? hash_hmac( 'sha256', $body, 'test-secret' ) : $signature );
		$request->set_body( $body );
		return rest_get_server()->dispatch( $request );
	}

	public function test_a_signed_webhook_fires_one_action_per_event(): void {
		$body     = '{"time_ms":1700000000123,"events":[{"name":"channel_occupied","channel":"posts"},{"name":"member_added","channel":"presence-a","user_id":"3"}]}';
		$response = $this->webhook( $body );
		$this->assertSame( 200, $response->get_status() );
		$this->assertEquals( new \stdClass(), $response->get_data() );
		$this->assertSame(
			array(
				array(
					'occupied',
					array(
						'name'    => 'channel_occupied',
						'channel' => 'posts',
					),
					1700000000123,
				),
				array( 'any', 'channel_occupied' ),
				array(
					'member_added',
					array(
						'name'    => 'member_added',
						'channel' => 'presence-a',
						'user_id' => '3',
					),
				),
				array( 'any', 'member_added' ),
			),
			$this->fired
		);
		$log = get_option( WebhookController::LOG_OPTION );
		$this->assertSame( 1, $log['received'] );
		$this->assertSame( array( 'channel_occupied', 'member_added' ), $log['events'] );
	}

	public function test_bad_signatures_get_401_and_fire_nothing(): void {
		$body = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"posts"}]}';
		$this->assertSame( 401, $this->webhook( $body, str_repeat( '0', 64 ) )->get_status() );
		$this->assertSame( 401, $this->webhook( $body, '' )->get_status() );
		$this->assertSame( 401, $this->webhook( $body, hash_hmac( 'sha256', $body, 'wrong-secret' ) )->get_status() );
		$this->assertSame( 401, $this->webhook( $body, null, 'other-key' )->get_status() );
		$tampered = $this->webhook( str_replace( 'posts', 'other', $body ), hash_hmac( 'sha256', $body, 'test-secret' ) );
		$this->assertSame( 401, $tampered->get_status() );
		$this->assertSame( 'pressrelay_invalid_signature', $tampered->get_data()['code'] );
		$this->assertSame( array(), $this->fired );
	}

	public function test_a_signed_body_without_events_gets_400(): void {
		$this->assertSame( 400, $this->webhook( 'not json' )->get_status() );
		$this->assertSame( 400, $this->webhook( '{"time_ms":1}' )->get_status() );
	}
}
