<?php
/**
 * Contract of the outbox store.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Outbox;

use PressRelay\Outbox\Store;
use PressRelay\Tests\TestCase;

final class StoreTest extends TestCase {

	/**
	 * Fake clock.
	 *
	 * @var int
	 */
	private $now = 1700000000;

	private function store(): Store {
		return new Store(
			function () {
				return $this->now;
			}
		);
	}

	public function test_serials_count_per_channel_and_channels_are_case_sensitive(): void {
		$store = $this->store();
		$store->insert( 'posts', 'a', '{}', '', 'g1' );
		$store->insert( 'post-1', 'a', '{}', '', 'g1' );
		$store->insert( 'posts', 'b', '{}', '', 'g2' );
		$store->insert( 'Posts', 'c', '{}', '', 'g3' );
		$serials = array();
		foreach ( $this->outbox() as $row ) {
			$serials[] = $row->channel . ':' . $row->serial;
			$this->assertSame( Store::PENDING, $row->status );
			$this->assertSame( gmdate( 'Y-m-d H:i:s', $this->now ), $row->created_at );
		}
		$this->assertSame( array( 'posts:1', 'post-1:1', 'posts:2', 'Posts:1' ), $serials );
	}

	public function test_due_returns_pending_rows_oldest_first(): void {
		$store = $this->store();
		$a     = $store->insert( 'x', 'one', '1', '', 'g1' );
		$b     = $store->insert( 'y', 'two', '2', '', 'g2' );
		$this->assertSame( array( $a, $b ), array_map( 'intval', wp_list_pluck( $store->due(), 'id' ) ) );
		$this->assertCount( 1, $store->due( 1 ) );
	}

	public function test_a_channel_waiting_for_a_retry_sends_nothing_newer(): void {
		$store = $this->store();
		$a1    = $store->insert( 'a', 'e1', '1', '', 'g1' );
		$store->insert( 'a', 'e2', '2', '', 'g2' );
		$b1 = $store->insert( 'b', 'e3', '3', '', 'g3' );
		$store->mark_retry( array( $store->get( $a1 ) ), 'HTTP 503: down' );

		$this->assertSame( array( $b1 ), array_map( 'intval', wp_list_pluck( $store->due(), 'id' ) ), 'channel a is held back while its head waits' );

		$this->now += Store::retry_delay( 1 );
		$this->assertSame( array( 'e1', 'e2', 'e3' ), wp_list_pluck( $store->due(), 'event' ), 'once due, a resumes in order' );
	}

	public function test_backoff_doubles_from_15_seconds_up_to_an_hour(): void {
		$this->assertSame( 15, Store::retry_delay( 1 ) );
		$this->assertSame( 30, Store::retry_delay( 2 ) );
		$this->assertSame( 60, Store::retry_delay( 3 ) );
		$this->assertSame( 3600, Store::retry_delay( 9 ) );
		$this->assertSame( 3600, Store::retry_delay( 50 ) );
		add_filter(
			'pressrelay_retry_delay',
			static function () {
				return 2;
			}
		);
		$this->assertSame( 2, Store::retry_delay( 5 ) );
	}

	public function test_retry_records_error_and_attempts_then_fails_after_max_attempts(): void {
		add_filter(
			'pressrelay_max_attempts',
			static function () {
				return 3;
			}
		);
		$store = $this->store();
		$id    = $store->insert( 'a', 'e', '1', '', 'g' );
		for ( $attempt = 1; $attempt <= 3; $attempt++ ) {
			$store->mark_retry( array( $store->get( $id ) ), "error $attempt" );
			$row = $store->get( $id );
			$this->assertSame( (string) $attempt, (string) $row->attempts );
			$this->assertSame( "error $attempt", $row->last_error );
			$this->assertSame( 3 === $attempt ? Store::FAILED : Store::RETRY, $row->status );
			$this->assertSame( gmdate( 'Y-m-d H:i:s', $this->now + Store::retry_delay( $attempt ) ), $row->next_attempt_at );
		}
		$this->assertSame( array(), $store->due(), 'failed rows are kept but not sent again by themselves' );
		$this->assertSame( 1, $store->counts()[ Store::FAILED ] );
		$this->assertSame( 'error 3', $store->problems()[0]->last_error );
	}

	public function test_a_failed_row_does_not_block_its_channel_and_can_be_retried_by_hand(): void {
		$store = $this->store();
		$bad   = $store->insert( 'a', 'bad', 'x', '', 'g1' );
		$next  = $store->insert( 'a', 'next', 'y', '', 'g2' );
		$store->mark_failed( array( $store->get( $bad ) ), 'HTTP 413: too large' );
		$this->assertSame( array( $next ), array_map( 'intval', wp_list_pluck( $store->due(), 'id' ) ) );

		$this->assertSame( 1, $store->retry_failed() );
		$row = $store->get( $bad );
		$this->assertSame( Store::RETRY, $row->status );
		$this->assertSame( '0', (string) $row->attempts );
		$this->assertSame( array( $bad, $next ), array_map( 'intval', wp_list_pluck( $store->due(), 'id' ) ) );
		$this->assertSame( 0, $store->retry_failed( array() ) );
	}

	public function test_mark_sent_and_counts(): void {
		$store = $this->store();
		$a     = $store->insert( 'a', 'e', '1', '', 'g' );
		$store->insert( 'b', 'e', '1', '', 'g' );
		$store->mark_sent( array( $a ) );
		$row = $store->get( $a );
		$this->assertSame( Store::SENT, $row->status );
		$this->assertNotNull( $row->sent_at );
		$this->assertSame(
			array(
				'pending' => 1,
				'retry'   => 0,
				'sent'    => 1,
				'failed'  => 0,
				'logged'  => 0,
			),
			$store->counts()
		);
	}

	public function test_next_retry_time(): void {
		$store = $this->store();
		$this->assertNull( $store->next_retry_time() );
		$id = $store->insert( 'a', 'e', '1', '', 'g' );
		$store->mark_retry( array( $store->get( $id ) ), 'down' );
		$this->assertSame( $this->now + 15, $store->next_retry_time() );
	}

	public function test_purge_keeps_unsent_rows_recent_rows_and_each_channels_last_serial(): void {
		$store = $this->store();
		$old1  = $store->insert( 'a', 'e', '1', '', 'g1' );
		$old2  = $store->insert( 'a', 'e', '2', '', 'g2' );
		$oldp  = $store->insert( 'b', 'e', '3', '', 'g3' );
		$store->mark_sent( array( $old1, $old2 ) );
		$this->now += 2 * DAY_IN_SECONDS;
		$new = $store->insert( 'c', 'e', '4', '', 'g4' );
		$store->mark_sent( array( $new ) );

		$this->assertSame( 1, $store->purge_sent( DAY_IN_SECONDS ) );
		$this->assertNull( $store->get( $old1 ) );
		$this->assertNotNull( $store->get( $old2 ), 'newest row of channel a stays, so serials keep counting' );
		$this->assertNotNull( $store->get( $oldp ), 'pending rows are never purged' );
		$this->assertNotNull( $store->get( $new ) );
		$store->insert( 'a', 'e', '5', '', 'g5' );
		$rows = $this->outbox();
		$this->assertSame( '3', (string) end( $rows )->serial );
	}
}
