<?php
/**
 * Plugin settings: one option, with wp-config.php constants taking precedence for the connection.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay;

/**
 * Reads the `pressrelay_settings` option merged over defaults. Connection fields defined as constants
 * in wp-config.php win over the option and are shown locked in the admin.
 */
final class Settings {

	const OPTION = 'pressrelay_settings';

	/**
	 * Connection field => wp-config.php constant that overrides it.
	 */
	const CONSTANTS = array(
		'url'        => 'PRESSRELAY_URL',
		'public_url' => 'PRESSRELAY_PUBLIC_URL',
		'app_id'     => 'PRESSRELAY_APP_ID',
		'key'        => 'PRESSRELAY_APP_KEY',
		'secret'     => 'PRESSRELAY_APP_SECRET',
	);

	/**
	 * Trigger ids, in the order the admin shows them.
	 */
	const TRIGGERS = array( 'posts', 'comments', 'meta', 'woocommerce', 'schedules', 'actions' );

	/**
	 * Delivery modes: pages use the realtime server only; pages poll WordPress only (no server);
	 * pages use the server and poll WordPress while it cannot be reached.
	 */
	const MODE_PUSH     = 'push';
	const MODE_POLLING  = 'polling';
	const MODE_FALLBACK = 'push-with-polling-fallback';
	const MODES         = array( self::MODE_PUSH, self::MODE_POLLING, self::MODE_FALLBACK );

	/**
	 * Bounds of the numeric delivery settings: polling intervals in seconds, retention in hours.
	 */
	const POLL_INTERVAL_MIN = 1;
	const POLL_INTERVAL_MAX = 600;
	const RETENTION_MIN     = 1;
	const RETENTION_MAX     = 720;

	/**
	 * Default values for every setting.
	 *
	 * @return array<string,mixed>
	 */
	public static function defaults(): array {
		return array(
			'url'        => '',
			'public_url' => '',
			'app_id'     => '',
			'key'        => '',
			'secret'     => '',
			'triggers'   => array(
				'posts'       => true,
				'comments'    => true,
				'meta'        => false,
				'woocommerce' => false,
				'schedules'   => false,
				'actions'     => false,
			),
			'meta_keys'  => array(),
			'actions'    => array(),
			'schedules'  => array(),
			// '' until chosen: the default depends on whether a server is configured (see chosen_mode()).
			'mode'                 => '',
			'poll_interval'        => 5,
			'poll_hidden_interval' => 30,
			'retention_hours'      => 24,
		);
	}

	/**
	 * All settings, constants applied.
	 *
	 * @return array<string,mixed>
	 */
	public function all(): array {
		$stored   = get_option( self::OPTION, array() );
		$stored   = is_array( $stored ) ? $stored : array();
		$defaults = self::defaults();
		$settings = array_merge( $defaults, array_intersect_key( $stored, $defaults ) );

		$settings['triggers'] = array_merge(
			$defaults['triggers'],
			is_array( $settings['triggers'] ) ? array_map( 'boolval', $settings['triggers'] ) : array()
		);
		$settings['meta_keys'] = array_values( array_map( 'strval', array_filter( (array) $settings['meta_keys'], 'is_scalar' ) ) );
		$settings['actions']   = self::records( $settings['actions'], array( 'hook', 'channel', 'event' ) );
		$settings['schedules'] = array_map(
			static function ( $schedule ) {
				$schedule['interval'] = (int) $schedule['interval'];
				return $schedule;
			},
			self::records( $settings['schedules'], array( 'name', 'interval', 'channel', 'event' ) )
		);
		$settings['mode'] = in_array( $settings['mode'], self::MODES, true ) ? $settings['mode'] : '';
		foreach ( array( 'poll_interval', 'poll_hidden_interval' ) as $field ) {
			$settings[ $field ] = is_numeric( $settings[ $field ] ) ? max( self::POLL_INTERVAL_MIN, min( self::POLL_INTERVAL_MAX, (int) $settings[ $field ] ) ) : $defaults[ $field ];
		}
		$settings['retention_hours'] = is_numeric( $settings['retention_hours'] ) ? max( self::RETENTION_MIN, min( self::RETENTION_MAX, (int) $settings['retention_hours'] ) ) : $defaults['retention_hours'];
		foreach ( self::CONSTANTS as $field => $constant ) {
			if ( defined( $constant ) ) {
				$settings[ $field ] = (string) constant( $constant );
			} else {
				$settings[ $field ] = is_scalar( $settings[ $field ] ) ? (string) $settings[ $field ] : '';
			}
		}
		return $settings;
	}

	/**
	 * Keeps the list items that have every field as a scalar, as strings (the option may have been
	 * written by other code).
	 *
	 * @param mixed    $items  Stored list.
	 * @param string[] $fields Required fields.
	 * @return array<int,array<string,string>>
	 */
	private static function records( $items, array $fields ): array {
		$records = array();
		foreach ( is_array( $items ) ? $items : array() as $item ) {
			$record = array();
			foreach ( $fields as $field ) {
				if ( ! is_array( $item ) || ! isset( $item[ $field ] ) || ! is_scalar( $item[ $field ] ) ) {
					continue 2;
				}
				$record[ $field ] = (string) $item[ $field ];
			}
			$records[] = $record;
		}
		return $records;
	}

	/**
	 * One setting.
	 *
	 * @param string $name Setting name.
	 * @return mixed
	 */
	public function get( string $name ) {
		$all = $this->all();
		return isset( $all[ $name ] ) ? $all[ $name ] : null;
	}

	/**
	 * Whether a connection field is set by a constant in wp-config.php.
	 *
	 * @param string $field Connection field name.
	 */
	public function is_locked( string $field ): bool {
		return isset( self::CONSTANTS[ $field ] ) && defined( self::CONSTANTS[ $field ] );
	}

	/**
	 * Whether the server URL, app id, key and secret are all set.
	 */
	public function is_configured(): bool {
		$all = $this->all();
		return '' !== $all['url'] && '' !== $all['app_id'] && '' !== $all['key'] && '' !== $all['secret'];
	}

	/**
	 * The mode chosen on the settings page, or its default: "Realtime server with polling fallback"
	 * when a server is configured, "No server (polling)" otherwise.
	 */
	public function chosen_mode(): string {
		$mode = (string) $this->get( 'mode' );
		if ( '' !== $mode ) {
			return $mode;
		}
		return $this->is_configured() ? self::MODE_FALLBACK : self::MODE_POLLING;
	}

	/**
	 * The mode in force: the chosen one, except that a mode that needs the realtime server runs as
	 * "No server (polling)" until the server is configured (so events are never lost).
	 */
	public function mode(): string {
		$mode = $this->chosen_mode();
		return self::MODE_POLLING !== $mode && ! $this->is_configured() ? self::MODE_POLLING : $mode;
	}

	/**
	 * Whether events go to the realtime server (false in no-server mode: they are only logged).
	 */
	public function sends_to_server(): bool {
		return self::MODE_POLLING !== $this->mode();
	}

	/**
	 * Whether pages may poll WordPress for events.
	 */
	public function polling_enabled(): bool {
		return self::MODE_PUSH !== $this->mode();
	}

	/**
	 * How long sent and logged events stay in the log, in seconds (filter `pressrelay_retention`).
	 */
	public function retention(): int {
		/**
		 * Filters how long sent (and, in no-server mode, logged) events stay in the outbox: polling
		 * pages can catch up over this window.
		 *
		 * @param int $seconds Seconds (default: the retention setting, one day).
		 */
		return max( 0, (int) apply_filters( 'pressrelay_retention', HOUR_IN_SECONDS * (int) $this->get( 'retention_hours' ) ) );
	}

	/**
	 * How long a polling page stays in a presence channel's member list after its last poll.
	 */
	public function presence_ttl(): int {
		/**
		 * Filters how long, in seconds, a polling member stays listed after its last poll.
		 *
		 * @param int $seconds Seconds (default: twice the hidden-page interval plus 15 s).
		 */
		return max( 10, (int) apply_filters( 'pressrelay_presence_ttl', 2 * (int) $this->get( 'poll_hidden_interval' ) + 15 ) );
	}

	/**
	 * The URL browsers use to reach the server (defaults to the server URL).
	 */
	public function public_url(): string {
		$all = $this->all();
		return '' !== $all['public_url'] ? $all['public_url'] : $all['url'];
	}

	/**
	 * Whether a trigger is switched on.
	 *
	 * @param string $trigger Trigger id, one of self::TRIGGERS.
	 */
	public function trigger_enabled( string $trigger ): bool {
		$triggers = $this->get( 'triggers' );
		return ! empty( $triggers[ $trigger ] );
	}

	/**
	 * Replaces the stored settings (already sanitized).
	 *
	 * @param array<string,mixed> $settings New settings.
	 */
	public function save( array $settings ): void {
		update_option( self::OPTION, $settings );
	}
}
