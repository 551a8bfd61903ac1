<?php
/**
 * When flushing happens: shutdown strategies, loopback, WP-Cron.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Outbox;

use PressRelay\Outbox\Runner;
use PressRelay\Outbox\Store;
use PressRelay\Plugin;
use PressRelay\Tests\TestCase;

final class RunnerTest extends TestCase {

	/**
	 * Sets the flush strategy for the test.
	 *
	 * @param string $strategy Strategy.
	 */
	private function use_strategy( string $strategy ): void {
		remove_filter( 'pressrelay_flush_strategy', array( $this, 'strategy_cron' ) );
		add_filter(
			'pressrelay_flush_strategy',
			static function () use ( $strategy ) {
				return $strategy;
			}
		);
	}

	private function runner(): Runner {
		return Plugin::instance()->runner();
	}

	public function test_auto_strategy_on_the_command_line_flushes_inline(): void {
		remove_filter( 'pressrelay_flush_strategy', array( $this, 'strategy_cron' ) );
		$this->assertSame( function_exists( 'fastcgi_finish_request' ) ? 'finish-request' : 'inline', $this->runner()->strategy() );
	}

	public function test_loopback_strategy_fires_a_request_with_the_token_and_does_not_wait_for_it(): void {
		$this->configure();
		$this->use_strategy( 'loopback' );
		$listener = stream_socket_server( 'tcp://127.0.0.1:0', $errno, $errstr );
		$this->assertNotFalse( $listener, $errstr );
		$address = (string) stream_socket_get_name( $listener, false );
		add_filter(
			'pressrelay_loopback_url',
			static function () use ( $address ) {
				return 'http://' . $address . '/?rest_route=/pressrelay/v1/flush';
			}
		);
		pressrelay_publish( 'a', 'e', 1 );
		$started = microtime( true );
		$this->runner()->on_shutdown();
		$elapsed = microtime( true ) - $started;

		// Nobody has even accepted the connection yet: the request did not wait for an answer.
		$this->assertLessThan( 0.2, $elapsed );
		$connection = stream_socket_accept( $listener, 2 );
		$this->assertNotFalse( $connection );
		$request = (string) stream_get_contents( $connection );
		fclose( $connection );
		fclose( $listener );
		$this->assertStringStartsWith( "POST /?rest_route=/pressrelay/v1/flush HTTP/1.1\r\nHost: {$address}\r\n", $request );
		$this->assertStringEndsWith( "\r\n\r\ntoken=" . rawurlencode( Runner::token() ), $request );
		$this->assertCount( 0, $this->requests, 'the realtime server is not called in this request' );
		$this->assertSame( Store::PENDING, $this->outbox()[0]->status );
	}

	public function test_a_failed_loopback_leaves_the_row_to_wp_cron(): void {
		$this->configure();
		$this->use_strategy( 'loopback' );
		$listener = stream_socket_server( 'tcp://127.0.0.1:0' );
		$address  = (string) stream_socket_get_name( $listener, false );
		fclose( $listener );
		add_filter(
			'pressrelay_loopback_url',
			static function () use ( $address ) {
				return 'http://' . $address . '/';
			}
		);
		wp_clear_scheduled_hook( Runner::RETRY_HOOK );
		pressrelay_publish( 'a', 'e', 1 );
		$this->runner()->on_shutdown();
		$this->assertNotFalse( wp_next_scheduled( Runner::RETRY_HOOK ) );
	}

	public function test_inline_strategy_sends_at_shutdown(): void {
		$this->configure();
		$this->use_strategy( 'inline' );
		pressrelay_publish( array( 'posts', 'post-3' ), 'post-published', array( 'id' => 3 ) );
		$this->runner()->on_shutdown();
		$this->assertCount( 1, $this->sent_bodies() );
		$this->assertSame( array( Store::SENT, Store::SENT ), wp_list_pluck( $this->outbox(), 'status' ) );
	}

	public function test_finish_request_strategy_flushes_in_the_same_process_after_the_response(): void {
		$this->configure();
		$this->use_strategy( 'finish-request' );
		pressrelay_publish( 'a', 'e', 1 );
		$this->assertCount( 0, $this->requests );
		$this->runner()->on_shutdown();
		$this->assertCount( 1, $this->sent_bodies(), 'sent directly, no loopback' );
		$this->assertStringContainsString( '/apps/test-app/events', $this->requests[0]['url'] );
	}

	public function test_cron_strategy_leaves_rows_for_wp_cron(): void {
		$this->configure();
		wp_clear_scheduled_hook( Runner::RETRY_HOOK );
		pressrelay_publish( 'a', 'e', 1 );
		$this->runner()->on_shutdown();
		$this->assertCount( 0, $this->requests );
		$this->assertNotFalse( wp_next_scheduled( Runner::RETRY_HOOK ) );
	}

	public function test_a_failed_flush_plans_a_cron_retry_when_the_row_is_due(): void {
		$this->configure();
		$this->responder = static function () {
			return new \WP_Error( 'http_request_failed', 'Connection refused' );
		};
		wp_clear_scheduled_hook( Runner::RETRY_HOOK );
		pressrelay_publish( 'a', 'e', 1 );
		$before = time();
		$this->runner()->flush_now( 5.0 );
		$next = wp_next_scheduled( Runner::RETRY_HOOK );
		$this->assertGreaterThanOrEqual( $before + 15, $next );
		$this->assertLessThanOrEqual( time() + 15, $next );
	}

	public function test_cron_flush_delivers_after_the_server_comes_back(): void {
		$this->configure();
		$down            = true;
		$this->responder = static function () use ( &$down ) {
			return $down ? new \WP_Error( 'http_request_failed', 'Connection refused' ) : self::http_response( 200, '{}' );
		};
		for ( $i = 1; $i <= 5; $i++ ) {
			pressrelay_publish( 'live', 'tick', array( 'n' => $i ) );
		}
		$this->runner()->flush_now( 5.0 );
		$this->assertSame( 0, Plugin::instance()->store()->counts()[ Store::SENT ] );

		global $wpdb;
		$down  = false;
		$table = \PressRelay\Outbox\Schema::table();
		$wpdb->query( "UPDATE {$table} SET next_attempt_at = '2000-01-01 00:00:00'" ); // phpcs:ignore -- the retry is due.
		do_action( Runner::CRON_HOOK );
		$this->assertSame( 5, Plugin::instance()->store()->counts()[ Store::SENT ] );
		$last = end( $this->requests );
		$this->assertSame( range( 1, 5 ), array_map( static function ( $item ) { return json_decode( $item['data'], true )['n']; }, json_decode( $last['args']['body'], true )['batch'] ) ); // phpcs:ignore
	}

	public function test_cron_events_are_scheduled(): void {
		wp_clear_scheduled_hook( Runner::CRON_HOOK );
		wp_clear_scheduled_hook( Runner::PURGE_HOOK );
		$this->runner()->ensure_scheduled();
		$this->assertSame( Runner::SCHEDULE, wp_get_schedule( Runner::CRON_HOOK ) );
		$this->assertSame( 60, wp_get_schedules()[ Runner::SCHEDULE ]['interval'] );
		$this->assertSame( 'hourly', wp_get_schedule( Runner::PURGE_HOOK ) );
		// An earlier version's daily purge is replaced by the hourly one.
		wp_clear_scheduled_hook( Runner::PURGE_HOOK );
		wp_schedule_event( time() + 60, 'daily', Runner::PURGE_HOOK );
		$this->runner()->ensure_scheduled();
		$this->assertSame( 'hourly', wp_get_schedule( Runner::PURGE_HOOK ) );
	}

	public function test_flush_route_needs_the_token(): void {
		$this->configure();
		pressrelay_publish( 'a', 'e', 1 );
		$request = new \WP_REST_Request( 'POST', '/pressrelay/v1/flush' );
		$request->set_body_params( array( 'token' => 'wrong' ) );
		$response = rest_do_request( $request );
		$this->assertSame( 403, $response->get_status() );
		$this->assertCount( 0, $this->sent_bodies() );

		$request->set_body_params( array( 'token' => Runner::token() ) );
		$response = rest_do_request( $request );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 1, $response->get_data()['sent'] );
		$this->assertCount( 1, $this->sent_bodies() );
	}
}
