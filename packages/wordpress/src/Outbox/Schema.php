<?php
/**
 * The outbox table and its versioned schema.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

/**
 * One row per (event, channel). `serial` numbers each channel's events 1, 2, 3 … and, with
 * `created_at` and the (channel, serial) index, makes the outbox the event log that polling pages
 * read (see Log). Version 2 adds the presence table of no-server mode and the log's epoch.
 */
final class Schema {

	/**
	 * Bump to run dbDelta again on every site.
	 */
	const VERSION = 2;

	const VERSION_OPTION = 'pressrelay_db_version';

	/**
	 * Table name with the site's prefix.
	 */
	public static function table(): string {
		global $wpdb;
		return $wpdb->prefix . 'pressrelay_outbox';
	}

	/**
	 * Presence members of polling pages, with the site's prefix.
	 */
	public static function presence_table(): string {
		global $wpdb;
		return $wpdb->prefix . 'pressrelay_presence';
	}

	/**
	 * CREATE TABLE statements in dbDelta's format.
	 */
	public static function sql(): string {
		global $wpdb;
		$table   = self::table();
		$collate = $wpdb->get_charset_collate();
		// Channel names are case-sensitive: a binary collation of the table's own charset (a column in
		// another charset would make wpdb refuse queries carrying non-ASCII data).
		$charset = $wpdb->charset ? $wpdb->charset : 'utf8mb4';
		$binary  = "CHARACTER SET {$charset} COLLATE {$charset}_bin";
		return "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  channel varchar(164) {$binary} NOT NULL,
  serial bigint(20) unsigned NOT NULL,
  event varchar(200) NOT NULL,
  data longtext NOT NULL,
  socket_id varchar(64) NOT NULL DEFAULT '',
  group_key varchar(32) NOT NULL DEFAULT '',
  status varchar(10) NOT NULL DEFAULT 'pending',
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  next_attempt_at datetime NOT NULL,
  last_error text NULL,
  created_at datetime NOT NULL,
  sent_at datetime NULL DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY channel_serial (channel,serial),
  KEY status_next (status,next_attempt_at),
  KEY created_at (created_at)
) {$collate};
CREATE TABLE " . self::presence_table() . " (
  channel varchar(164) {$binary} NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  user_info text NOT NULL,
  expires_at bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (channel,user_id),
  KEY expires_at (expires_at)
) {$collate};";
	}

	/**
	 * Creates or upgrades the table and records the schema version.
	 */
	public static function install(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$existed = self::exists();
		dbDelta( self::sql() );
		if ( ! $existed ) {
			// A new, empty log: positions handed out by an earlier one must not be read against it.
			Log::new_epoch();
		} else {
			Log::epoch();
		}
		update_option( self::VERSION_OPTION, self::VERSION );
	}

	/**
	 * Runs install() when the stored version is older (a plugin update by zip runs no activation hook).
	 */
	public static function maybe_upgrade(): void {
		if ( (int) get_option( self::VERSION_OPTION, 0 ) < self::VERSION ) {
			self::install();
		}
	}

	/**
	 * Whether the table exists.
	 */
	public static function exists(): bool {
		global $wpdb;
		$table = self::table();
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * Drops the table (uninstall).
	 */
	public static function drop(): void {
		global $wpdb;
		$table = self::table();
		$wpdb->query( "DROP TABLE IF EXISTS {$table}" ); // phpcs:ignore -- table name is built from the prefix, not input.
		$presence = self::presence_table();
		$wpdb->query( "DROP TABLE IF EXISTS {$presence}" ); // phpcs:ignore -- table name is built from the prefix, not input.
		delete_option( self::VERSION_OPTION );
		delete_option( Log::EPOCH_OPTION );
	}
}
