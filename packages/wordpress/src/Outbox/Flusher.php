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
 * tying up a PHP worker). Rows of one publish call that are
 * next to each other go as one event with several channels; anything else goes through
 * batch_events, 10 at a time. A temporary failure stops the flush: the server is down or slow, and
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
	 * Sends one fetched set of rows.
	 *
	 * @param array<int,object>                                $rows  Due rows, oldest first.
	 * @param array{sent:int,retry:int,failed:int,locked:bool} $stats Counters.
	 * @return bool False after a temporary failure (stop flushing).
	 */
	private function send_rows( array $rows, array &$stats ): bool {
		$groups = array_unique( array_map( 'strval', wp_list_pluck( $rows, 'group_key' ) ) );
		if ( 1 === count( $groups ) && '' !== reset( $groups ) ) {
			return $this->send_single( $rows, $stats );
		}
		foreach ( array_chunk( $rows, self::BATCH_SIZE ) as $chunk ) {
			$items = array();
			foreach ( $chunk as $row ) {
				$item = array(
					'name'    => (string) $row->event,
					'data'    => (string) $row->data,
					'channel' => (string) $row->channel,
				);
				if ( '' !== (string) $row->socket_id ) {
					$item['socket_id'] = (string) $row->socket_id;
				}
				$items[] = $item;
			}
			$response = 1 === count( $items ) ? $this->client->trigger( Client::event( $items[0]['name'], $items[0]['data'], array( $items[0]['channel'] ), (string) $chunk[0]->socket_id ) ) : $this->client->trigger_batch( $items );
			if ( $response->ok ) {
				$this->store->mark_sent( array_map( 'intval', wp_list_pluck( $chunk, 'id' ) ) );
				$stats['sent'] += count( $chunk );
				continue;
			}
			if ( $response->permanent && count( $chunk ) > 1 ) {
				// One bad event refuses the whole batch: send them one by one to find it.
				foreach ( $chunk as $row ) {
					if ( ! $this->send_single( array( $row ), $stats ) ) {
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
	 * Sends rows of one publish call (one channel each) as one event to several channels.
	 *
	 * @param array<int,object>                                $rows  Rows with the same group.
	 * @param array{sent:int,retry:int,failed:int,locked:bool} $stats Counters.
	 * @return bool False after a temporary failure.
	 */
	private function send_single( array $rows, array &$stats ): bool {
		$first    = $rows[0];
		$response = $this->client->trigger(
			Client::event( (string) $first->event, (string) $first->data, array_map( 'strval', wp_list_pluck( $rows, 'channel' ) ), (string) $first->socket_id )
		);
		if ( $response->ok ) {
			$this->store->mark_sent( array_map( 'intval', wp_list_pluck( $rows, 'id' ) ) );
			$stats['sent'] += count( $rows );
			return true;
		}
		return $this->record_failure( $rows, $response, $stats );
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
