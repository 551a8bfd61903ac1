<?php
/**
 * Sends due outbox rows to the server, in order per channel, within a time budget.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

use PressRelay\Http\Client;
use PressRelay\Http\Response;

/**
 * One flusher runs at a time per site (a MySQL named lock; others return at once instead of waiting and
 * tying up a PHP worker). A single row goes as one event; several go through batch_events, 10 at a
 * time, each with its row's WordPress position as its id. A temporary failure stops the flush: the server is down or slow, and
 * hammering it from every request would not help.
 */
final class Flusher {

	const BATCH_SIZE = 10;

	/**
	 * Outbox store.
	 *
	 * @var Store
	 */
	private $store;

	/**
	 * HTTP client.
	 *
	 * @var Client
	 */
	private $client;

	/**
	 * Constructor.
	 *
	 * @param Store  $store  Outbox store.
	 * @param Client $client HTTP client.
	 */
	public function __construct( Store $store, Client $client ) {
		$this->store  = $store;
		$this->client = $client;
	}

	/**
	 * Sends due rows until none is left, a temporary failure happens, or the budget is spent.
	 *
	 * @param float $budget    Seconds to spend at most (one more HTTP timeout may pass the limit).
	 * @param int   $lock_wait Seconds to wait for another flusher to finish.
	 * @return array{sent:int,retry:int,failed:int,locked:bool}
	 */
	public function flush( float $budget = 10.0, int $lock_wait = 0 ): array {
		$stats = array(
			'sent'   => 0,
			'retry'  => 0,
			'failed' => 0,
			'locked' => false,
		);
		if ( ! $this->lock( $lock_wait ) ) {
			$stats['locked'] = true;
			return $stats;
		}
		$deadline = microtime( true ) + $budget;
		do {
			$stopped = false;
			try {
				while ( microtime( true ) < $deadline ) {
					$rows = $this->store->due( 100 );
					if ( ! $rows ) {
						break;
					}
					if ( ! $this->send_rows( $rows, $stats ) ) {
						$stopped = true;
						break;
					}
				}
			} finally {
				$this->unlock();
			}
			// A request that stored rows while this flusher held the lock found it taken and left them to
			// this flusher: look once more after releasing, so none waits for WP-Cron.
		} while ( ! $stopped && microtime( true ) < $deadline && $this->store->due( 1 ) && $this->lock( 0 ) );
		return $stats;
	}

	/**
	 * Sends one fetched set of rows: one row as one event, several through batch_events, 10 at a time.
	 * Every event carries its row's WordPress position as its publisher id (docs/protocol.md §2.5), so a
	 * page that also polls WordPress recognises it; rows are per channel, so every item has one
	 * channel and its own id.
	 *
	 * @param array<int,object>                                $rows  Due rows, oldest first.
	 * @param array{sent:int,retry:int,failed:int,locked:bool} $stats Counters.
	 * @return bool False after a temporary failure (stop flushing).
	 */
	private function send_rows( array $rows, array &$stats ): bool {
		foreach ( array_chunk( $rows, self::BATCH_SIZE ) as $chunk ) {
			if ( 1 === count( $chunk ) ) {
				if ( ! $this->send_one( $chunk[0], $stats ) ) {
					return false;
				}
				continue;
			}
			$items = array();
			foreach ( $chunk as $row ) {
				$item = array(
					'name'    => (string) $row->event,
					'data'    => (string) $row->data,
					'channel' => (string) $row->channel,
					'id'      => Log::row_id( $row ),
				);
				if ( '' !== (string) $row->socket_id ) {
					$item['socket_id'] = (string) $row->socket_id;
				}
				$items[] = $item;
			}
			$response = $this->client->trigger_batch( $items );
			if ( $response->ok ) {
				$this->store->mark_sent( array_map( 'intval', wp_list_pluck( $chunk, 'id' ) ) );
				$stats['sent'] += count( $chunk );
				continue;
			}
			if ( $response->permanent ) {
				// One bad event refuses the whole batch: send them one by one to find it.
				foreach ( $chunk as $row ) {
					if ( ! $this->send_one( $row, $stats ) ) {
						return false;
					}
				}
				continue;
			}
			if ( ! $this->record_failure( $chunk, $response, $stats ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Sends one row as one event.
	 *
	 * @param object                                           $row   Row.
	 * @param array{sent:int,retry:int,failed:int,locked:bool} $stats Counters.
	 * @return bool False after a temporary failure.
	 */
	private function send_one( $row, array &$stats ): bool {
		$response = $this->client->trigger(
			Client::event( (string) $row->event, (string) $row->data, array( (string) $row->channel ), (string) $row->socket_id, Log::row_id( $row ) )
		);
		if ( $response->ok ) {
			$this->store->mark_sent( array( (int) $row->id ) );
			++$stats['sent'];
			return true;
		}
		return $this->record_failure( array( $row ), $response, $stats );
	}

	/**
	 * Stores a failure on rows.
	 *
	 * @param array<int,object>                                $rows     Rows.
	 * @param Response                                         $response Outcome.
	 * @param array{sent:int,retry:int,failed:int,locked:bool} $stats    Counters.
	 * @return bool True when the failure was permanent (carry on with other rows).
	 */
	private function record_failure( array $rows, Response $response, array &$stats ): bool {
		if ( $response->permanent ) {
			$this->store->mark_failed( $rows, $response->error );
			$stats['failed'] += count( $rows );
			return true;
		}
		$this->store->mark_retry( $rows, $response->error );
		$stats['retry'] += count( $rows );
		return false;
	}

	/**
	 * Name of this site's flush lock (MySQL lock names are server-wide, at most 64 characters).
	 */
	private static function lock_name(): string {
		global $wpdb;
		return 'pressrelay_flush_' . md5( DB_NAME . '|' . $wpdb->prefix );
	}

	/**
	 * Takes the flush lock.
	 *
	 * @param int $wait Seconds to wait.
	 */
	private function lock( int $wait ): bool {
		global $wpdb;
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %d)', self::lock_name(), $wait ) );
	}

	/**
	 * Releases the flush lock.
	 */
	private function unlock(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name() ) );
	}
}
