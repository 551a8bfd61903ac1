<?php
/**
 * pressrelay_publish() and the pressrelay_publish action.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests;

use PressRelay\Outbox\Runner;
use PressRelay\Outbox\Store;
use PressRelay\Plugin;
use PressRelay\Settings;

final class PublishTest extends TestCase {

	/**
	 * Errors passed to pressrelay_publish_error.
	 *
	 * @var array<int,\WP_Error>
	 */
	private $errors = array();

	protected function setUp(): void {
		parent::setUp();
		$this->errors = array();
		add_action(
			'pressrelay_publish_error',
			function ( $error ) {
				$this->errors[] = $error;
			}
		);
	}

	public function test_publish_stores_one_row_per_channel_and_never_sends_during_the_request(): void {
		$this->configure();
		$id = pressrelay_publish( array( 'seats-A12', 'seats' ), 'seats-changed', array( 'seats_left' => 11 ) );

		$this->assertIsInt( $id );
		$rows = $this->outbox();
		$this->assertCount( 2, $rows );
		$this->assertSame( (string) $id, $rows[0]->id );
		$this->assertSame( array( 'seats-A12', 'seats' ), wp_list_pluck( $rows, 'channel' ) );
		$this->assertSame( '{"seats_left":11}', $rows[0]->data );
		$this->assertSame( $rows[0]->group_key, $rows[1]->group_key );
		$this->assertCount( 0, $this->requests, 'nothing is sent while the page is built' );
		$this->assertNotFalse( has_action( 'shutdown', array( Plugin::instance()->runner(), 'on_shutdown' ) ), 'a flush is planned for after the response' );
	}

	public function test_string_data_is_stored_as_is(): void {
		$this->configure();
		pressrelay_publish( 'a', 'e', '{"raw":true}' );
		$this->assertSame( '{"raw":true}', $this->outbox()[0]->data );
	}

	public function test_the_action_publishes_without_a_dependency_on_the_function(): void {
		$this->configure();
		do_action( 'pressrelay_publish', 'news', 'breaking', array( 'title' => 'Hi' ), array( 'socket_id' => '1.2' ) );
		$row = $this->outbox()[0];
		$this->assertSame( 'news', $row->channel );
		$this->assertSame( 'breaking', $row->event );
		$this->assertSame( '1.2', $row->socket_id );
	}

	public function test_pre_filter_short_circuits(): void {
		$this->configure();
		add_filter(
			'pre_pressrelay_publish',
			static function ( $pre, $channels ) {
				return 'blocked' === $channels ? 'short' : null;
			},
			10,
			2
		);
		$this->assertSame( 'short', pressrelay_publish( 'blocked', 'e', 1 ) );
		$this->assertCount( 0, $this->outbox() );
		$this->assertIsInt( pressrelay_publish( 'open', 'e', 1 ) );
	}

	/**
	 * Bad input.
	 *
	 * @return array<string,array{0:mixed,1:mixed,2:mixed,3:array<string,mixed>,4:string}>
	 */
	public function bad_input(): array {
		return array(
			'empty channel list'  => array( array(), 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'bad characters'      => array( 'posts/1', 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'too long'            => array( str_repeat( 'a', 165 ), 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'non-string channel'  => array( array( 'a', 5 ), 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'too many channels'   => array( array_map( 'strval', range( 1, 101 ) ), 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'reserved #'          => array( '#secret', 'e', 1, array(), 'pressrelay_invalid_channel' ),
			'empty event'         => array( 'a', '', 1, array(), 'pressrelay_invalid_event' ),
			'event too long'      => array( 'a', str_repeat( 'e', 201 ), 1, array(), 'pressrelay_invalid_event' ),
			'data too large'      => array( 'a', 'e', str_repeat( 'x', 10241 ), array(), 'pressrelay_data_too_large' ),
			'data not encodable'  => array( 'a', 'e', array( NAN ), array(), 'pressrelay_invalid_data' ),
			'bad socket id'       => array( 'a', 'e', 1, array( 'socket_id' => 'abc' ), 'pressrelay_invalid_socket_id' ),
		);
	}

	/**
	 * Bad input returns false, stores nothing and reports the error.
	 *
	 * @dataProvider bad_input
	 *
	 * @param mixed               $channels Channels.
	 * @param mixed               $event    Event.
	 * @param mixed               $data     Data.
	 * @param array<string,mixed> $args     Args.
	 * @param string              $code     Expected error code.
	 */
	public function test_bad_input_returns_false_with_a_clear_error( $channels, $event, $data, array $args, string $code ): void {
		$this->configure();
		$this->assertFalse( pressrelay_publish( $channels, $event, $data, $args ) );
		$this->assertCount( 0, $this->outbox() );
		$this->assertCount( 1, $this->errors );
		$this->assertSame( $code, $this->errors[0]->get_error_code() );
		$this->assertNotEmpty( $this->errors[0]->get_error_message() );
	}

	public function test_user_channel_and_exactly_164_characters_are_accepted(): void {
		$this->configure();
		$this->assertIsInt( pressrelay_publish( array( '#server-to-user-7', str_repeat( 'a', 164 ), 'A-z_0=9@,.;' ), 'e', 1 ) );
	}

	public function test_without_a_server_events_are_logged_for_polling_and_never_sent(): void {
		$this->assertSame( Settings::MODE_POLLING, Plugin::instance()->settings()->mode() );
		$this->assertIsInt( pressrelay_publish( array( 'a', 'b' ), 'e', 1 ) );
		$this->assertSame( array( Store::LOGGED, Store::LOGGED ), wp_list_pluck( $this->outbox(), 'status' ) );
		$this->assertSame( array(), $this->errors );
		Plugin::instance()->runner()->run_from_cron();
		$this->assertCount( 0, $this->requests, 'nothing goes to a server' );
	}

	public function test_no_server_mode_logs_even_with_a_server_configured(): void {
		$this->configure( array( 'mode' => Settings::MODE_POLLING ) );
		pressrelay_publish( 'a', 'e', 1 );
		Plugin::instance()->runner()->run_from_cron();
		$this->assertSame( Store::LOGGED, $this->outbox()[0]->status );
		$this->assertCount( 0, $this->requests );
	}

	public function test_a_database_failure_returns_false_instead_of_a_fatal(): void {
		$this->configure();
		add_filter(
			'query',
			static function ( $query ) {
				return false !== strpos( $query, 'pressrelay_outbox' ) && 0 === strpos( $query, 'INSERT' ) ? 'INSERT INTO no_such_table VALUES (1)' : $query;
			}
		);
		$this->assertFalse( pressrelay_publish( 'a', 'e', 1 ) );
		$this->assertSame( 'pressrelay_outbox_insert', $this->errors[0]->get_error_code() );
		$this->assertStringContainsString( 'no_such_table', $this->errors[0]->get_error_message() );
		remove_all_filters( 'query' );
		$this->assertIsInt( pressrelay_publish( 'a', 'e', 1 ), 'the next publish works' );
	}

	public function test_runner_is_registered_for_cron(): void {
		$this->assertNotFalse( has_action( Runner::CRON_HOOK, array( Plugin::instance()->runner(), 'run_from_cron' ) ) );
		$this->assertNotFalse( has_action( Runner::RETRY_HOOK, array( Plugin::instance()->runner(), 'run_from_cron' ) ) );
	}
}
