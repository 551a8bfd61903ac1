<?php
/**
 * The outbox read as an event log: per-channel positions `epoch:serial` and the events after them.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

/**
 * A WordPress position is `{epoch}:{serial}`, the same format as the realtime server's positions
 * (docs/protocol.md §1): `serial` is the outbox's per-channel serial and `epoch` a random string kept
 * in an option, replaced whenever the log is created anew or emptied, so that a position handed out
 * by an earlier log is never read against a new one. Serial 0 is the position of a channel with no
 * event yet.
 *
 * read() answers a poll with one SQL statement: for each channel, one range read on the unique
 * (channel, serial) index. Only answers that cannot be served (another epoch, a position older
 * than the retention window or ahead of the log) cost a second query, for the channels' heads.
 *
 * A page that has no position for a channel yet may give the cursor printed in it when it was
 * rendered (cursor()): the channel is then read from the first row stored after that moment. Row ids
 * grow with serials within a channel (an insert computes its serial and takes its id in one
 * statement, under InnoDB's auto-increment lock), so a channel's rows after the cursor are its newest.
 */
final class Log {

	const EPOCH_OPTION = 'pressrelay_log_epoch';

	/**
	 * Most events returned per channel by one read; the answer says `more` when there are others.
	 */
	const MAX_EVENTS = 100;

	const EPOCH_PATTERN = '/^[A-Za-z0-9_-]{1,32}$/';

	/**
	 * The log's epoch (created on first use).
	 */
	public static function epoch(): string {
		$epoch = get_option( self::EPOCH_OPTION );
		if ( is_string( $epoch ) && 1 === preg_match( self::EPOCH_PATTERN, $epoch ) ) {
			return $epoch;
		}
		return self::new_epoch();
	}

	/**
	 * Replaces the epoch: every position handed out before becomes unrecoverable (`epoch_changed`).
	 */
	public static function new_epoch(): string {
		$epoch = wp_generate_password( 12, false, false );
		update_option( self::EPOCH_OPTION, $epoch, true );
		return $epoch;
	}

	/**
	 * Formats a position.
	 *
	 * @param string $epoch  Epoch.
	 * @param int    $serial Serial.
	 */
	public static function position( string $epoch, int $serial ): string {
		return $epoch . ':' . $serial;
	}

	/**
	 * Parses `epoch:serial`.
	 *
	 * @param mixed $text Position text.
	 * @return array{epoch:string,serial:int}|null Null when malformed.
	 */
	public static function parse_position( $text ): ?array {
		if ( ! is_string( $text ) ) {
			return null;
		}
		$separator = strrpos( $text, ':' );
		if ( false === $separator || 0 === $separator ) {
			return null;
		}
		$epoch  = substr( $text, 0, $separator );
		$serial = substr( $text, $separator + 1 );
		if ( 1 !== preg_match( self::EPOCH_PATTERN, $epoch ) || 1 !== preg_match( '/^\d{1,15}$/', $serial ) ) {
			return null;
		}
		return array(
			'epoch'  => $epoch,
			'serial' => (int) $serial,
		);
	}

	/**
	 * The WordPress position of an outbox row, as sent to the server as the event's publisher id.
	 *
	 * @param object $row Row with `serial`.
	 */
	public static function row_id( $row ): string {
		return self::position( self::epoch(), (int) $row->serial );
	}

	/**
	 * The log's head as `{epoch}:{row id}`: printed in a page's client configuration, it lets the page
	 * read every channel from the moment it was rendered (see read()'s `$since`).
	 */
	public static function cursor(): string {
		global $wpdb;
		$table = Schema::table();
		return self::epoch() . ':' . (int) $wpdb->get_var( "SELECT MAX(id) FROM {$table}" ); // phpcs:ignore -- table name from the prefix.
	}

	/**
	 * Empties the log and starts a new epoch.
	 */
	public function reset(): void {
		global $wpdb;
		$table = Schema::table();
		$wpdb->query( "DELETE FROM {$table}" ); // phpcs:ignore -- table name from the prefix.
		self::new_epoch();
	}

	/**
	 * Events after the given positions, channel by channel.
	 *
	 * Each answer has `position` (where the channel stands after its events: resume from it) and
	 * `events` (`event`, `channel`, `data` as published, `id` = the event's WordPress position), oldest
	 * first. A channel asked with a position also has `recovered`: true when every event after it
	 * follows (with `more` true when only the first MAX_EVENTS do: ask again from `position`), false
	 * with `reason` (`epoch_changed`, `too_old`, `invalid_position`) when the gap cannot be filled;
	 * `position` is then the channel's head. Without a position the answer is the head, live from now.
	 *
	 * @param array<string,string|null> $channels  Channel => position (`epoch:serial`) or null.
	 * @param string                    $socket_id Events published with this socket id are left out (their position still counts).
	 * @param string|null               $since     Cursor (`epoch:row id`, see cursor()) for the channels without a position.
	 * @return array<string,array<string,mixed>> Channel => answer.
	 */
	public function read( array $channels, string $socket_id = '', ?string $since = null ): array {
		global $wpdb;
		$table   = Schema::table();
		$epoch   = self::epoch();
		$parts   = array();
		$answers = array();
		$index   = 0;
		$cursor  = null === $since ? null : self::parse_position( $since );
		foreach ( $channels as $channel => $text ) {
			$channel = (string) $channel;
			if ( null === $text && null !== $since ) {
				// Read from the cursor: as if from the channel's position at that moment.
				if ( null === $cursor || $cursor['epoch'] !== $epoch ) {
					$answers[ $channel ] = array(
						'recovered' => false,
						'reason'    => null === $cursor ? 'invalid_position' : 'epoch_changed',
					);
					continue;
				}
				$parts[ $index ] = $wpdb->prepare( "(SELECT %d AS part, serial, '' AS event, '' AS data, '' AS socket_id, 1 AS at_cursor FROM {$table} FORCE INDEX (channel_serial) WHERE channel = %s AND id <= %d ORDER BY serial DESC LIMIT 1) UNION ALL (SELECT %d AS part, serial, event, data, socket_id, 0 AS at_cursor FROM {$table} FORCE INDEX (channel_serial) WHERE channel = %s AND id > %d ORDER BY serial LIMIT %d)", $index, $channel, $cursor['serial'], $index, $channel, $cursor['serial'], self::MAX_EVENTS + 1 ); // phpcs:ignore -- table name from the prefix.
				$answers[ $channel ] = array(
					'part' => $index,
					'from' => 'cursor',
				);
				$index++;
				continue;
			}
			$from = null === $text ? null : self::parse_position( $text );
			if ( null !== $text && ( null === $from || $from['epoch'] !== $epoch ) ) {
				$answers[ $channel ] = array(
					'recovered' => false,
					'reason'    => null === $from ? 'invalid_position' : 'epoch_changed',
				);
				continue;
			}
			if ( null === $from ) {
				$parts[ $index ] = $wpdb->prepare( "(SELECT %d AS part, serial, '' AS event, '' AS data, '' AS socket_id, 0 AS at_cursor FROM {$table} FORCE INDEX (channel_serial) WHERE channel = %s ORDER BY serial DESC LIMIT 1)", $index, $channel ); // phpcs:ignore -- table name from the prefix.
			} else {
				// The row at the position itself comes too when it is still there: no row at all means the
				// position is ahead of the log (each channel keeps its newest row).
				$parts[ $index ] = $wpdb->prepare( "(SELECT %d AS part, serial, event, data, socket_id, 0 AS at_cursor FROM {$table} FORCE INDEX (channel_serial) WHERE channel = %s AND serial >= %d ORDER BY serial LIMIT %d)", $index, $channel, $from['serial'], self::MAX_EVENTS + 2 ); // phpcs:ignore -- table name from the prefix.
			}
			$answers[ $channel ] = array(
				'part' => $index,
				'from' => $from,
			);
			$index++;
		}

		$rows_by_part = array();
		if ( $parts ) {
			$rows = $wpdb->get_results( implode( ' UNION ALL ', $parts ) ); // phpcs:ignore -- every part prepared above.
			foreach ( (array) $rows as $row ) {
				$rows_by_part[ (int) $row->part ][] = $row;
			}
		}

		$need_head = array();
		foreach ( $answers as $channel => $state ) {
			if ( ! isset( $state['part'] ) ) {
				$need_head[] = $channel;
				continue;
			}
			$rows = isset( $rows_by_part[ $state['part'] ] ) ? $rows_by_part[ $state['part'] ] : array();
			usort(
				$rows,
				static function ( $a, $b ) {
					return (int) $a->serial <=> (int) $b->serial;
				}
			);
			if ( 'cursor' === $state['from'] ) {
				// The channel's position at the cursor: its last row then (kept in $rows: follow() drops it),
				// or 0 when it had none (or they were pruned: then the rows must still start at serial 1).
				$state['from'] = array( 'serial' => $rows && '1' === (string) $rows[0]->at_cursor ? (int) $rows[0]->serial : 0 );
			}
			if ( null === $state['from'] ) {
				$answers[ $channel ] = array(
					'position' => self::position( $epoch, $rows ? (int) $rows[0]->serial : 0 ),
					'events'   => array(),
				);
				continue;
			}
			$answer = self::follow( $channel, $epoch, (int) $state['from']['serial'], $rows, $socket_id );
			if ( false === $answer['recovered'] ) {
				$need_head[] = $channel;
			}
			$answers[ $channel ] = $answer;
		}

		if ( $need_head ) {
			$heads = $this->heads( $need_head );
			foreach ( $need_head as $channel ) {
				$answers[ $channel ] = array(
					'position'  => self::position( $epoch, isset( $heads[ $channel ] ) ? $heads[ $channel ] : 0 ),
					'events'    => array(),
					'recovered' => false,
					'reason'    => $answers[ $channel ]['reason'],
				);
			}
		}
		return $answers;
	}

	/**
	 * Checks the rows read from a position and turns them into events.
	 *
	 * @param string            $channel   Channel.
	 * @param string            $epoch     Epoch.
	 * @param int               $serial    Serial of the position asked from.
	 * @param array<int,object> $rows      Rows with serial >= $serial, by serial.
	 * @param string            $socket_id Socket id to leave out.
	 * @return array<string,mixed>
	 */
	private static function follow( string $channel, string $epoch, int $serial, array $rows, string $socket_id ): array {
		if ( $serial > 0 ) {
			if ( ! $rows ) {
				// Row $serial would still be there (each channel keeps its newest row): never issued by this log.
				return array(
					'recovered' => false,
					'reason'    => 'invalid_position',
				);
			}
			if ( (int) $rows[0]->serial === $serial ) {
				array_shift( $rows );
			}
		}
		$events = array();
		$last   = $serial;
		$more   = false;
		foreach ( $rows as $row ) {
			if ( $last - $serial === self::MAX_EVENTS ) {
				$more = true;
				break;
			}
			if ( (int) $row->serial !== $last + 1 ) {
				// A hole: rows right after the position, or between unsent rows kept, were pruned.
				return array(
					'recovered' => false,
					'reason'    => 'too_old',
				);
			}
			$last = (int) $row->serial;
			if ( '' !== $socket_id && (string) $row->socket_id === $socket_id ) {
				continue;
			}
			$events[] = array(
				'event'   => (string) $row->event,
				'channel' => $channel,
				'data'    => (string) $row->data,
				'id'      => self::position( $epoch, $last ),
			);
		}
		return array(
			'position'  => self::position( $epoch, $last ),
			'events'    => $events,
			'recovered' => true,
			'more'      => $more,
		);
	}

	/**
	 * The newest serial of each channel (channels without rows are left out).
	 *
	 * @param array<int,string> $channels Channels.
	 * @return array<string,int>
	 */
	private function heads( array $channels ): array {
		global $wpdb;
		$table        = Schema::table();
		$placeholders = implode( ',', array_fill( 0, count( $channels ), '%s' ) );
		$rows         = $wpdb->get_results( $wpdb->prepare( "SELECT channel, MAX(serial) AS serial FROM {$table} WHERE channel IN ({$placeholders}) GROUP BY channel", $channels ) ); // phpcs:ignore -- table name from the prefix, placeholders built above.
		$heads        = array();
		foreach ( (array) $rows as $row ) {
			$heads[ (string) $row->channel ] = (int) $row->serial;
		}
		return $heads;
	}
}
