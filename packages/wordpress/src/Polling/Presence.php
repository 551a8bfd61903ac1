<?php
/**
 * Presence members of pages that poll WordPress (no-server mode and polling fallback).
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Polling;

use PressRelay\Http\Client;
use PressRelay\Outbox\Schema;

/**
 * A polling page has no connection whose end says "this member left": each poll of a presence
 * channel refreshes the user's entry with an expiry, and members whose entry expired are no longer
 * listed. One row per (channel, user), so a user with several pages open counts once, as on the
 * realtime server.
 */
final class Presence {

	/**
	 * Lists a user on a channel until `$expires_at`.
	 *
	 * @param string              $channel    Presence channel.
	 * @param string              $user_id    User id.
	 * @param array<string,mixed> $user_info  What other members see.
	 * @param int                 $expires_at Unix time.
	 */
	public function touch( string $channel, string $user_id, array $user_info, int $expires_at ): void {
		global $wpdb;
		$table = Schema::presence_table();
		$wpdb->query(
			$wpdb->prepare(
				"INSERT INTO {$table} (channel, user_id, user_info, expires_at) VALUES (%s, %d, %s, %d) ON DUPLICATE KEY UPDATE user_info = VALUES(user_info), expires_at = VALUES(expires_at)", // phpcs:ignore -- table name from the prefix.
				$channel,
				(int) $user_id,
				(string) Client::json( $user_info ),
				$expires_at
			)
		);
	}

	/**
	 * The members listed on a channel now, by user id.
	 *
	 * @param string $channel Presence channel.
	 * @param int    $now     Unix time.
	 * @return array<string,mixed> User id => user_info.
	 */
	public function members( string $channel, int $now ): array {
		global $wpdb;
		$table   = Schema::presence_table();
		$rows    = $wpdb->get_results( $wpdb->prepare( "SELECT user_id, user_info FROM {$table} WHERE channel = %s AND expires_at > %d ORDER BY user_id", $channel, $now ) ); // phpcs:ignore -- table name from the prefix.
		$members = array();
		foreach ( (array) $rows as $row ) {
			$info                                = json_decode( (string) $row->user_info, true );
			$members[ (string) $row->user_id ] = is_array( $info ) ? $info : null;
		}
		return $members;
	}

	/**
	 * Deletes expired entries.
	 *
	 * @param int $now Unix time.
	 * @return int Entries deleted.
	 */
	public function prune( int $now ): int {
		global $wpdb;
		$table = Schema::presence_table();
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE expires_at <= %d", $now ) ); // phpcs:ignore -- table name from the prefix.
	}
}
