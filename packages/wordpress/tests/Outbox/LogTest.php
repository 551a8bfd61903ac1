<?php
/**
 * The outbox read as an event log: epoch, positions, recovery rules, retention.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Outbox;

use PressRelay\Outbox\Log;
use PressRelay\Outbox\Store;
use PressRelay\Tests\TestCase;

final class LogTest extends TestCase {

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
	 * Log.
	 *
	 * @var Log
	 */
	private $log;

	protected function setUp(): void {
		parent::setUp();
		$this->store = new Store(
			function () {
				return $this->now;
			}
		);
		$this->log   = new Log();
	}

	private function publish( string $channel, int $count, string $prefix = 'e' ): void {
		for ( $i = 1; $i <= $count; $i++ ) {
			$this->store->insert( $channel, 'tick', $prefix . $i, '', 'g' . wp_rand() );
		}
	}

	public function test_the_epoch_is_stable_and_a_new_one_replaces_it(): void {
		$epoch = Log::epoch();
		$this->assertMatchesRegularExpression( '/^[A-Za-z0-9_-]{1,32}$/', $epoch );
		$this->assertSame( $epoch, Log::epoch() );
		$this->assertNotSame( $epoch, Log::new_epoch() );
		$this->assertSame( get_option( Log::EPOCH_OPTION ), Log::epoch() );
	}

	public function test_positions_have_the_servers_format(): void {
		$this->assertSame( 'abc:17', Log::position( 'abc', 17 ) );
		$this->assertSame(
			array(
				'epoch'  => 'h5zG-_0',
				'serial' => 17,
			),
			Log::parse_position( 'h5zG-_0:17' )
		);
		foreach ( array( '', ':1', 'abc', 'abc:', 'abc:x', 'a:b:1', 'a b:1', str_repeat( 'a', 33 ) . ':1', 7 ) as $bad ) {
			$this->assertNull( Log::parse_position( $bad ), (string) $bad );
		}
	}

	public function test_a_channel_without_a_position_gets_its_head_and_no_events(): void {
		$this->publish( 'a', 3 );
		$epoch   = Log::epoch();
		$answers = $this->log->read(
			array(
				'a'     => null,
				'empty' => null,
			)
		);
		$this->assertSame(
			array(
				'position' => "$epoch:3",
				'events'   => array(),
			),
			$answers['a']
		);
		$this->assertSame( "$epoch:0", $answers['empty']['position'] );
	}

	public function test_events_after_a_position_come_in_order_with_their_wordpress_position_as_id(): void {
		$this->publish( 'a', 5 );
		$this->publish( 'b', 2, 'b' );
		$epoch   = Log::epoch();
		$answers = $this->log->read(
			array(
				'a' => "$epoch:2",
				'b' => "$epoch:0",
				'c' => "$epoch:0",
			)
		);
		$this->assertSame( "$epoch:5", $answers['a']['position'] );
		$this->assertTrue( $answers['a']['recovered'] );
		$this->assertFalse( $answers['a']['more'] );
		$this->assertSame(
			array(
				'event'   => 'tick',
				'channel' => 'a',
				'data'    => 'e3',
				'id'      => "$epoch:3",
			),
			$answers['a']['events'][0]
		);
		$this->assertSame( array( 'e3', 'e4', 'e5' ), array_column( $answers['a']['events'], 'data' ) );
		$this->assertSame( array( "$epoch:1", "$epoch:2" ), array_column( $answers['b']['events'], 'id' ) );
		$this->assertSame( "$epoch:0", $answers['c']['position'] );
		$this->assertSame( array(), $answers['c']['events'] );
		$this->assertTrue( $answers['c']['recovered'] );
		$at_head = $this->log->read( array( 'a' => "$epoch:5" ) );
		$this->assertSame( array(), $at_head['a']['events'] );
		$this->assertSame( "$epoch:5", $at_head['a']['position'] );
	}

	public function test_one_read_is_one_query_whatever_the_number_of_channels(): void {
		global $wpdb;
		$this->publish( 'a', 3 );
		$epoch  = Log::epoch();
		$before = $wpdb->num_queries;
		$this->log->read(
			array(
				'a' => "$epoch:1",
				'b' => "$epoch:0",
				'c' => null,
				'd' => "$epoch:0",
			)
		);
		$this->assertSame( 1, $wpdb->num_queries - $before );
		$plan = $wpdb->get_results( 'EXPLAIN ' . $wpdb->last_query );
		foreach ( $plan as $step ) {
			if ( null !== $step->table && false !== strpos( (string) $step->table, 'union' ) ) {
				continue;
			}
			$this->assertSame( 'channel_serial', $step->key, 'every part reads the (channel, serial) index: ' . wp_json_encode( $step ) );
		}
	}

	public function test_a_long_gap_is_served_in_pages(): void {
		$this->publish( 'a', Log::MAX_EVENTS + 30 );
		$epoch = Log::epoch();
		$first = $this->log->read( array( 'a' => "$epoch:0" ) )['a'];
		$this->assertCount( Log::MAX_EVENTS, $first['events'] );
		$this->assertTrue( $first['more'] );
		$this->assertSame( $epoch . ':' . Log::MAX_EVENTS, $first['position'] );
		$second = $this->log->read( array( 'a' => $first['position'] ) )['a'];
		$this->assertCount( 30, $second['events'] );
		$this->assertFalse( $second['more'] );
		$this->assertSame( 'e' . ( Log::MAX_EVENTS + 1 ), $second['events'][0]['data'] );
	}

	public function test_positions_of_another_epoch_or_ahead_of_the_log_are_not_recovered(): void {
		$this->publish( 'a', 2 );
		$epoch   = Log::epoch();
		$answers = $this->log->read(
			array(
				'a'  => 'OldEpoch:1',
				'a2' => "$epoch:9",
			)
		);
		$this->assertSame(
			array(
				'position'  => "$epoch:2",
				'events'    => array(),
				'recovered' => false,
				'reason'    => 'epoch_changed',
			),
			$answers['a']
		);
		$this->assertFalse( $answers['a2']['recovered'] );
		$this->assertSame( 'invalid_position', $answers['a2']['reason'] );
		$this->assertSame( "$epoch:0", $answers['a2']['position'] );
		$this->assertSame( 'invalid_position', $this->log->read( array( 'a' => 'garbage' ) )['a']['reason'] );
	}

	public function test_a_new_epoch_makes_every_earlier_position_unrecoverable(): void {
		$this->publish( 'a', 2 );
		$old = Log::epoch();
		$this->log->reset();
		$this->assertNotSame( $old, Log::epoch() );
		$this->publish( 'a', 1 );
		$answer = $this->log->read( array( 'a' => "$old:1" ) )['a'];
		$this->assertSame( 'epoch_changed', $answer['reason'] );
		$this->assertSame( Log::epoch() . ':1', $answer['position'] );
	}

	public function test_retention_prunes_old_sent_and_logged_rows_never_unsent_ones_and_old_positions_become_too_old(): void {
		global $wpdb;
		$this->publish( 'a', 4 );
		$this->store->insert( 'b', 'tick', 'unsent', '', 'g' );
		$this->store->insert( 'c', 'tick', 'c1', '', 'g', Store::LOGGED );
		$this->store->insert( 'c', 'tick', 'c2', '', 'g', Store::LOGGED );
		$rows = $this->outbox();
		$this->store->mark_sent( array( (int) $rows[0]->id, (int) $rows[1]->id, (int) $rows[2]->id, (int) $rows[3]->id ) );
		$this->now += 2 * DAY_IN_SECONDS;
		$this->publish( 'a', 1, 'new' );
		$this->store->insert( 'c', 'tick', 'c3', '', 'g', Store::LOGGED );

		$deleted = $this->store->purge_sent( DAY_IN_SECONDS );

		$this->assertSame( 6, $deleted, 'a1–a4 and c1–c2 (sent or logged, older than a day)' );
		$left = $this->outbox();
		$this->assertSame( array( 'unsent', 'new1', 'c3' ), wp_list_pluck( $left, 'data' ) );
		$epoch   = Log::epoch();
		$answers = $this->log->read(
			array(
				'a' => "$epoch:2",
				'c' => "$epoch:2",
				'b' => "$epoch:0",
			)
		);
		$this->assertFalse( $answers['a']['recovered'] );
		$this->assertSame( 'too_old', $answers['a']['reason'] );
		$this->assertSame( "$epoch:5", $answers['a']['position'] );
		$this->assertTrue( $answers['c']['recovered'], 'c2 was pruned but c3 follows it directly: nothing is missing' );
		$this->assertSame( array( 'c3' ), array_column( $answers['c']['events'], 'data' ) );
		$this->assertSame( 'too_old', $this->log->read( array( 'c' => "$epoch:1" ) )['c']['reason'], 'c2 is gone' );
		$this->assertSame( array( 'unsent' ), array_column( $answers['b']['events'], 'data' ) );
		$this->assertSame( 1, (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . \PressRelay\Outbox\Schema::table() . ' WHERE channel = %s', 'b' ) ) ); // phpcs:ignore
	}

	public function test_a_hole_left_by_pruning_around_an_unsent_row_is_too_old(): void {
		$this->publish( 'a', 4 );
		$rows = $this->outbox();
		// a1 stays unsent; a2 and a3 were sent and pruned; a4 is the head.
		$this->store->mark_sent( array( (int) $rows[1]->id, (int) $rows[2]->id, (int) $rows[3]->id ) );
		$this->now += 2 * DAY_IN_SECONDS;
		$this->store->purge_sent( DAY_IN_SECONDS );
		$epoch = Log::epoch();
		$this->assertSame( 'too_old', $this->log->read( array( 'a' => "$epoch:1" ) )['a']['reason'] );
		$this->assertSame( 'too_old', $this->log->read( array( 'a' => "$epoch:0" ) )['a']['reason'] );
		$this->assertTrue( $this->log->read( array( 'a' => "$epoch:4" ) )['a']['recovered'] );
	}

	public function test_events_of_the_excluded_socket_are_left_out_but_counted(): void {
		$this->store->insert( 'a', 'tick', 'mine', '12.34', 'g1' );
		$this->store->insert( 'a', 'tick', 'other', '', 'g2' );
		$epoch  = Log::epoch();
		$answer = $this->log->read( array( 'a' => "$epoch:0" ), '12.34' )['a'];
		$this->assertSame( array( 'other' ), array_column( $answer['events'], 'data' ) );
		$this->assertSame( "$epoch:2", $answer['position'] );
	}

	public function test_a_page_cursor_reads_each_channel_from_the_moment_the_page_was_rendered(): void {
		global $wpdb;
		$this->publish( 'a', 2 );
		$this->publish( 'b', 1, 'b' );
		$cursor = Log::cursor();
		$epoch  = Log::epoch();
		$this->assertMatchesRegularExpression( '/^' . $epoch . ':\d+$/', $cursor );
		$this->publish( 'a', 2, 'after' );
		$this->publish( 'c', 1, 'c-after' );
		$before  = $wpdb->num_queries;
		$answers = $this->log->read(
			array(
				'a' => null,
				'b' => null,
				'c' => null,
				'd' => null,
			),
			'',
			$cursor
		);
		$this->assertSame( 1, $wpdb->num_queries - $before );
		$this->assertSame( array( 'after1', 'after2' ), array_column( $answers['a']['events'], 'data' ) );
		$this->assertSame( array( "$epoch:3", "$epoch:4" ), array_column( $answers['a']['events'], 'id' ) );
		$this->assertSame( "$epoch:4", $answers['a']['position'] );
		$this->assertSame( array(), $answers['b']['events'] );
		$this->assertSame( "$epoch:1", $answers['b']['position'] );
		$this->assertSame( array( 'c-after1' ), array_column( $answers['c']['events'], 'data' ) );
		$this->assertSame( "$epoch:0", $answers['d']['position'] );
		foreach ( $answers as $answer ) {
			$this->assertTrue( $answer['recovered'] );
		}
		$this->assertSame( 'epoch_changed', $this->log->read( array( 'a' => null ), '', 'Other:1' )['a']['reason'] );
		$this->assertSame( 'invalid_position', $this->log->read( array( 'a' => null ), '', 'junk' )['a']['reason'] );
	}

	public function test_a_cursor_older_than_the_retention_window_is_too_old(): void {
		$this->publish( 'a', 3 );
		$cursor = Log::cursor();
		$this->publish( 'a', 3, 'later' );
		$rows = $this->outbox();
		$this->store->mark_sent( array_map( 'intval', wp_list_pluck( array_slice( $rows, 0, 5 ), 'id' ) ) );
		$this->now += 2 * DAY_IN_SECONDS;
		$this->store->purge_sent( DAY_IN_SECONDS );
		$this->assertSame( 'too_old', $this->log->read( array( 'a' => null ), '', $cursor )['a']['reason'], 'rows after the cursor were pruned' );
	}
}
