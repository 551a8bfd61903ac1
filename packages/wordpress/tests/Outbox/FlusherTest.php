<?php
/**
 * The flusher: order per channel, batching, failures.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Outbox;

use PressRelay\Http\Client;
use PressRelay\Outbox\Flusher;
use PressRelay\Outbox\Log;
use PressRelay\Outbox\Store;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class FlusherTest extends TestCase {

	/**
	 * Fake clock.
	 *
	 * @var int
	 */
	private $now = 1700000000;

	/**
	 * Store.
	 *
	 * @var Store
	 */
	private $store;

	/**
	 * Flusher.
	 *
	 * @var Flusher
	 */
	private $flusher;

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		$clock         = function () {
			return $this->now;
		};
		$this->store   = new Store( $clock );
		$this->flusher = new Flusher( $this->store, new Client( new Settings(), $clock ) );
	}

	public function test_one_row_goes_as_one_signed_event_with_its_wordpress_position_as_id(): void {
		$this->store->insert( 'posts', 'post-published', '{"id":1}', '', 'g1' );
		$this->store->insert( 'posts', 'post-published', '{"id":2}', '', 'g2' );
		$this->store->mark_sent( array( (int) $this->outbox()[0]->id ) );

		$stats = $this->flusher->flush();

		$this->assertSame( 1, $stats['sent'] );
		$this->assertCount( 1, $this->requests );
		$this->assertStringStartsWith( 'http://127.0.0.1:6001/apps/test-app/events?auth_key=test-key&auth_timestamp=1700000000&auth_version=1.0&body_md5=', $this->requests[0]['url'] );
		$this->assertSame(
			array(
				'name'     => 'post-published',
				'data'     => '{"id":2}',
				'channels' => array( 'posts' ),
				'id'       => Log::epoch() . ':2',
			),
			$this->sent_bodies()[0]
		);
		$this->assertSame( 'application/json', $this->requests[0]['args']['headers']['Content-Type'] );
	}

	public function test_one_publish_call_to_two_channels_goes_as_one_batch_each_with_its_own_id(): void {
		$this->store->insert( 'post-1', 'post-updated', '{"id":1}', '', 'g0' );
		$this->store->insert( 'posts', 'post-published', '{"id":1}', '', 'g1' );
		$this->store->insert( 'post-1', 'post-published', '{"id":1}', '', 'g1' );
		$this->store->mark_sent( array( (int) $this->outbox()[0]->id ) );

		$stats = $this->flusher->flush();

		$this->assertSame( 2, $stats['sent'] );
		$this->assertCount( 1, $this->requests );
		$this->assertStringStartsWith( 'http://127.0.0.1:6001/apps/test-app/batch_events?', $this->requests[0]['url'] );
		$epoch = Log::epoch();
		$this->assertSame(
			array(
				'batch' => array(
					array(
						'name'    => 'post-published',
						'data'    => '{"id":1}',
						'channel' => 'posts',
						'id'      => "$epoch:1",
					),
					array(
						'name'    => 'post-published',
						'data'    => '{"id":1}',
						'channel' => 'post-1',
						'id'      => "$epoch:2",
					),
				),
			),
			$this->sent_bodies()[0]
		);
		$this->assertSame( 'application/json', $this->requests[0]['args']['headers']['Content-Type'] );
		$this->assertLessThanOrEqual( 5, $this->requests[0]['args']['timeout'] );
		$this->assertSame( array( Store::SENT, Store::SENT, Store::SENT ), wp_list_pluck( $this->outbox(), 'status' ) );
	}

	public function test_many_rows_go_in_batches_of_ten_in_order(): void {
		for ( $i = 1; $i <= 23; $i++ ) {
			$this->store->insert( 'counter', 'tick', (string) $i, 1 === $i % 2 ? '1.2' : '', "g$i" );
		}
		$stats = $this->flusher->flush();
		$this->assertSame( 23, $stats['sent'] );
		$bodies = $this->sent_bodies();
		$this->assertCount( 3, $bodies );
		$this->assertStringContainsString( '/batch_events?', $this->requests[0]['url'] );
		$data = array();
		foreach ( $bodies as $body ) {
			$this->assertLessThanOrEqual( 10, count( $body['batch'] ) );
			foreach ( $body['batch'] as $item ) {
				$this->assertSame( 'counter', $item['channel'] );
				$data[] = (int) $item['data'];
			}
		}
		$this->assertSame( range( 1, 23 ), $data );
		$this->assertSame( '1.2', $bodies[0]['batch'][0]['socket_id'] );
		$this->assertArrayNotHasKey( 'socket_id', $bodies[0]['batch'][1] );
	}

	public function test_server_down_keeps_rows_and_stops_the_flush(): void {
		$this->responder = static function () {
			return new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to 127.0.0.1 port 6001: Connection refused' );
		};
		$this->store->insert( 'a', 'e', '1', '', 'g1' );
		$this->store->insert( 'a', 'e', '2', '', 'g2' );
		$this->store->insert( 'b', 'e', '3', '', 'g3' );

		$stats = $this->flusher->flush();

		$this->assertSame( 0, $stats['sent'] );
		$this->assertCount( 1, $this->requests, 'one failed request is enough to stop' );
		$rows = $this->outbox();
		$this->assertSame( array( Store::RETRY, Store::RETRY, Store::RETRY ), wp_list_pluck( $rows, 'status' ) );
		$this->assertStringContainsString( 'Connection refused', $rows[0]->last_error );

		// Back up, but before the retry is due: nothing is sent.
		$this->responder = null;
		$this->requests  = array();
		$this->flusher->flush();
		$this->assertCount( 0, $this->requests );

		$this->now += 15;
		$stats = $this->flusher->flush();
		$this->assertSame( 3, $stats['sent'] );
		$this->assertSame( array( '1', '2', '3' ), array_column( $this->sent_bodies()[0]['batch'], 'data' ) );
	}

	public function test_a_failure_on_one_channel_does_not_reorder_it_and_later_rows_wait(): void {
		$calls           = 0;
		$this->responder = function ( $url, $args ) use ( &$calls ) {
			++$calls;
			return 1 === $calls ? self::http_response( 503, '{"error":"busy"}' ) : self::http_response( 200, '{}' );
		};
		$this->store->insert( 'a', 'e', 'a1', '', 'g1' );
		$this->store->insert( 'a', 'e', 'a2', '', 'g2' );
		$stats = $this->flusher->flush();
		$this->assertSame( 2, $stats['retry'] );
		$this->assertSame( 'HTTP 503: busy', $this->outbox()[0]->last_error );

		$this->store->insert( 'a', 'e', 'a3', '', 'g3' );
		$this->flusher->flush();
		$this->assertSame( 1, $calls, 'a3 waits behind a1 and a2' );

		$this->now += 15;
		$this->flusher->flush();
		$this->assertSame( array( 'a1', 'a2', 'a3' ), array_column( $this->sent_bodies()[1]['batch'], 'data' ) );
	}

	public function test_a_refused_event_in_a_batch_is_isolated_and_the_others_are_sent(): void {
		$this->responder = static function ( $url, $args ) {
			return false !== strpos( (string) $args['body'], 'too-big' ) ? self::http_response( 413, '{"error":"Payload too large"}' ) : self::http_response( 200, '{}' );
		};
		$this->store->insert( 'a', 'e', 'ok-1', '', 'g1' );
		$bad = $this->store->insert( 'a', 'e', 'too-big', '', 'g2' );
		$this->store->insert( 'b', 'e', 'ok-2', '', 'g3' );

		$stats = $this->flusher->flush();

		$this->assertSame( 2, $stats['sent'] );
		$this->assertSame( 1, $stats['failed'] );
		$row = $this->store->get( $bad );
		$this->assertSame( Store::FAILED, $row->status );
		$this->assertSame( 'HTTP 413: Payload too large', $row->last_error );
		$this->assertSame( 0, $this->store->counts()[ Store::PENDING ] );
	}

	public function test_bad_credentials_are_retried_not_dropped(): void {
		$this->responder = static function () {
			return self::http_response( 401, '{"error":"Invalid signature"}' );
		};
		$this->store->insert( 'a', 'e', '1', '', 'g1' );
		$this->flusher->flush();
		$row = $this->outbox()[0];
		$this->assertSame( Store::RETRY, $row->status );
		$this->assertSame( 'HTTP 401: Invalid signature', $row->last_error );
	}

	public function test_unconfigured_plugin_sends_nothing_and_keeps_rows(): void {
		$this->store->insert( 'a', 'e', '1', '', 'g1' );
		update_option( Settings::OPTION, array() );
		$this->flusher->flush();
		$this->assertCount( 0, $this->requests );
		$this->assertSame( Store::RETRY, $this->outbox()[0]->status );
		$this->assertStringContainsString( 'not configured', $this->outbox()[0]->last_error );
	}

	public function test_only_one_flusher_runs_at_a_time(): void {
		global $wpdb;
		$this->store->insert( 'a', 'e', '1', '', 'g1' );
		// Hold the lock from another connection.
		$other = new \wpdb( DB_USER, DB_PASSWORD, DB_NAME, DB_HOST );
		$name  = 'pressrelay_flush_' . md5( DB_NAME . '|' . $wpdb->prefix );
		$this->assertSame( '1', (string) $other->get_var( $other->prepare( 'SELECT GET_LOCK(%s, 0)', $name ) ) );
		$stats = $this->flusher->flush( 5.0, 0 );
		$this->assertTrue( $stats['locked'] );
		$this->assertCount( 0, $this->requests );
		$other->query( $other->prepare( 'SELECT RELEASE_LOCK(%s)', $name ) );
		$other->close();
		$this->assertSame( 1, $this->flusher->flush()['sent'] );
	}
}
