<?php
/**
 * Outbox rows: insert, pick what is due, record outcomes.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

/**
 * Statuses: pending (never tried), retry (failed, next_attempt_at says when to try again), sent,
 * failed (permanently refused, or retried max_attempts() times; kept for the admin to retry by hand),
 * logged (no-server mode: kept only for polling pages, never sent).
 *
 * Order per channel: a channel whose oldest unsent row waits for a retry sends nothing newer
 * until that row has gone (due() leaves the whole channel out).
 */
final class Store {

	const PENDING = 'pending';
	const RETRY   = 'retry';
	const SENT    = 'sent';
	const FAILED  = 'failed';
	const LOGGED  = 'logged';

	/**
	 * Returns the Unix time.
	 *
	 * @var callable
	 */
	private $clock;

	/**
	 * Constructor.
	 *
	 * @param callable|null $clock Returns the Unix time (tests pass their own).
	 */
	public function __construct( ?callable $clock = null ) {
		$this->clock = $clock ? $clock : 'time';
	}

	/**
	 * Current Unix time.
	 */
	public function now(): int {
		return (int) call_user_func( $this->clock );
	}

	/**
	 * MySQL DATETIME (UTC) for a Unix time.
	 *
	 * @param int $time Unix time.
	 */
	private static function datetime( int $time ): string {
		return gmdate( 'Y-m-d H:i:s', $time );
	}

	/**
	 * Appends an event for one channel, numbering it after the channel's last serial.
	 *
	 * @param string $channel   Channel.
	 * @param string $event     Event name.
	 * @param string $data      Event data string.
	 * @param string $socket_id Socket id to exclude, or ''.
	 * @param string $group     Key shared by the rows of one publish call.
	 * @param string $status    Either self::PENDING (to be sent) or self::LOGGED (no-server mode).
	 * @return int|\WP_Error Row id.
	 */
	public function insert( string $channel, string $event, string $data, string $socket_id, string $group, string $status = self::PENDING ) {
		global $wpdb;
		$table = Schema::table();
		$now   = self::datetime( $this->now() );
		$sql   = $wpdb->prepare(
			"INSERT INTO {$table} (channel, serial, event, data, socket_id, group_key, status, attempts, next_attempt_at, created_at) " . // phpcs:ignore -- table name from the prefix.
			'SELECT %s, COALESCE(MAX(serial), 0) + 1, %s, %s, %s, %s, %s, 0, %s, %s FROM ' . $table . ' WHERE channel = %s',
			$channel,
			$event,
			$data,
			$socket_id,
			$group,
			self::LOGGED === $status ? self::LOGGED : self::PENDING,
			$now,
			$now,
			$channel
		);
		$suppressed = $wpdb->suppress_errors( true );
		$error      = '';
		// Two concurrent inserts can pick the same serial; the unique key refuses one, which tries again.
		for ( $try = 0; $try < 5; $try++ ) {
			if ( false !== $wpdb->query( $sql ) ) { // phpcs:ignore -- prepared above.
				$wpdb->suppress_errors( $suppressed );
				return (int) $wpdb->insert_id;
			}
			$error = $wpdb->last_error;
			if ( false === stripos( $error, 'Duplicate' ) ) {
				break;
			}
		}
		$wpdb->suppress_errors( $suppressed );
		return new \WP_Error( 'pressrelay_outbox_insert', sprintf( 'Could not store the event in the outbox: %s', $error ) );
	}

	/**
	 * Unsent rows that may go now, oldest first, skipping every channel that waits for a retry.
	 *
	 * @param int $limit Maximum rows.
	 * @return array<int,object> Rows.
	 */
	public function due( int $limit = 100 ): array {
		global $wpdb;
		$table = Schema::table();
		$now   = self::datetime( $this->now() );
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT id, channel, serial, event, data, socket_id, group_key, status, attempts FROM {$table} " . // phpcs:ignore -- table name from the prefix.
				'WHERE status IN (%s, %s) AND next_attempt_at <= %s ' .
				"AND channel NOT IN (SELECT channel FROM {$table} WHERE status = %s AND next_attempt_at > %s) " .
				'ORDER BY id LIMIT %d',
				self::PENDING,
				self::RETRY,
				$now,
				self::RETRY,
				$now,
				$limit
			)
		);
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Marks rows as delivered.
	 *
	 * @param array<int> $ids Row ids.
	 */
	public function mark_sent( array $ids ): void {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$table = Schema::table();
		$in    = implode( ',', array_map( 'intval', $ids ) );
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, attempts = attempts + 1, sent_at = %s, last_error = NULL WHERE id IN ({$in})", // phpcs:ignore -- ids are integers.
				self::SENT,
				self::datetime( $this->now() )
			)
		);
	}

	/**
	 * Records a temporary failure: retry with backoff, or `failed` after max_attempts().
	 *
	 * @param array<int,object> $rows  Rows (with id and attempts).
	 * @param string            $error Error text.
	 */
	public function mark_retry( array $rows, string $error ): void {
		global $wpdb;
		$table = Schema::table();
		$max   = self::max_attempts();
		foreach ( $rows as $row ) {
			$attempts = (int) $row->attempts + 1;
			$status   = $attempts >= $max ? self::FAILED : self::RETRY;
			$wpdb->update(
				$table,
				array(
					'status'          => $status,
					'attempts'        => $attempts,
					'next_attempt_at' => self::datetime( $this->now() + self::retry_delay( $attempts ) ),
					'last_error'      => $error,
				),
				array( 'id' => (int) $row->id ),
				array( '%s', '%d', '%s', '%s' ),
				array( '%d' )
			);
		}
	}

	/**
	 * Records a permanent failure (the server refused the event itself).
	 *
	 * @param array<int,object> $rows  Rows.
	 * @param string            $error Error text.
	 */
	public function mark_failed( array $rows, string $error ): void {
		global $wpdb;
		foreach ( $rows as $row ) {
			$wpdb->update(
				Schema::table(),
				array(
					'status'     => self::FAILED,
					'attempts'   => (int) $row->attempts + 1,
					'last_error' => $error,
				),
				array( 'id' => (int) $row->id ),
				array( '%s', '%d', '%s' ),
				array( '%d' )
			);
		}
	}

	/**
	 * Puts failed rows (all, or the given ids) back in the queue, due now.
	 *
	 * @param array<int>|null $ids Row ids, or null for every failed row.
	 * @return int Rows re-queued.
	 */
	public function retry_failed( ?array $ids = null ): int {
		global $wpdb;
		$table = Schema::table();
		$where = '';
		if ( null !== $ids ) {
			if ( ! $ids ) {
				return 0;
			}
			$where = ' AND id IN (' . implode( ',', array_map( 'intval', $ids ) ) . ')';
		}
		return (int) $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, attempts = 0, next_attempt_at = %s WHERE status = %s{$where}", // phpcs:ignore -- ids are integers.
				self::RETRY,
				self::datetime( $this->now() ),
				self::FAILED
			)
		);
	}

	/**
	 * Row counts by status.
	 *
	 * @return array<string,int>
	 */
	public function counts(): array {
		global $wpdb;
		$table  = Schema::table();
		$counts = array_fill_keys( array( self::PENDING, self::RETRY, self::SENT, self::FAILED, self::LOGGED ), 0 );
		$rows   = $wpdb->get_results( "SELECT status, COUNT(*) AS n FROM {$table} GROUP BY status" ); // phpcs:ignore -- no input.
		foreach ( (array) $rows as $row ) {
			$counts[ (string) $row->status ] = (int) $row->n;
		}
		return $counts;
	}

	/**
	 * Rows waiting for a retry or failed, newest first, for the admin.
	 *
	 * @param int $limit Maximum rows.
	 * @return array<int,object>
	 */
	public function problems( int $limit = 20 ): array {
		global $wpdb;
		$table = Schema::table();
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT id, channel, event, status, attempts, next_attempt_at, last_error, created_at FROM {$table} WHERE status IN (%s, %s) ORDER BY id DESC LIMIT %d", // phpcs:ignore -- table name from the prefix.
				self::RETRY,
				self::FAILED,
				$limit
			)
		);
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * One row by id.
	 *
	 * @param int $id Row id.
	 * @return object|null
	 */
	public function get( int $id ) {
		global $wpdb;
		$table = Schema::table();
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", $id ) ); // phpcs:ignore -- table name from the prefix.
	}

	/**
	 * When the earliest waiting retry becomes due, or null when none waits.
	 */
	public function next_retry_time(): ?int {
		global $wpdb;
		$table = Schema::table();
		$next  = $wpdb->get_var( $wpdb->prepare( "SELECT MIN(next_attempt_at) FROM {$table} WHERE status = %s", self::RETRY ) ); // phpcs:ignore -- table name from the prefix.
		return $next ? (int) strtotime( $next . ' UTC' ) : null;
	}

	/**
	 * Deletes sent (and logged) rows older than the retention window, keeping each channel's newest
	 * row so serials keep counting up. Unsent rows are never deleted.
	 *
	 * @param int $retention Seconds to keep sent rows.
	 * @return int Rows deleted.
	 */
	public function purge_sent( int $retention ): int {
		global $wpdb;
		$table = Schema::table();
		return (int) $wpdb->query(
			$wpdb->prepare(
				"DELETE o FROM {$table} o LEFT JOIN (SELECT channel, MAX(serial) AS last_serial FROM {$table} GROUP BY channel) l " . // phpcs:ignore -- table name from the prefix.
				'ON l.channel = o.channel AND l.last_serial = o.serial WHERE l.last_serial IS NULL AND o.status IN (%s, %s) AND o.created_at < %s',
				self::SENT,
				self::LOGGED,
				self::datetime( $this->now() - $retention )
			)
		);
	}

	/**
	 * How many times a row is tried before it is marked failed.
	 */
	public static function max_attempts(): int {
		/**
		 * Filters how many attempts a row gets before it is kept as failed.
		 *
		 * @param int $max Attempts (default 12: about 4.5 hours of retries).
		 */
		return max( 1, (int) apply_filters( 'pressrelay_max_attempts', 12 ) );
	}

	/**
	 * Seconds to wait after the given number of failed attempts: 15 s doubling, at most one hour.
	 *
	 * @param int $attempts Attempts made so far (1 or more).
	 */
	public static function retry_delay( int $attempts ): int {
		$delay = (int) min( 3600, 15 * ( 2 ** max( 0, min( 20, $attempts - 1 ) ) ) );
		/**
		 * Filters the wait before the next attempt.
		 *
		 * @param int $delay    Seconds.
		 * @param int $attempts Attempts made so far.
		 */
		return max( 1, (int) apply_filters( 'pressrelay_retry_delay', $delay, $attempts ) );
	}
}
