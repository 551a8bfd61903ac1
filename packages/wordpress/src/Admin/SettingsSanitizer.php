<?php
/**
 * Validates the settings form. Invalid input keeps the previous value and is reported.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Admin;

use PressRelay\Channels;
use PressRelay\Settings;
use PressRelay\Triggers\CustomActions;
use PressRelay\Triggers\Schedules;

/**
 * Turns the posted form into a settings array. Each problem becomes one message naming the field
 * or line; nothing the site owner typed is dropped without a message.
 */
final class SettingsSanitizer {

	/**
	 * Problems found by the last sanitize() call.
	 *
	 * @var string[]
	 */
	private $errors = array();

	/**
	 * Problems found by the last sanitize() call.
	 *
	 * @return string[]
	 */
	public function errors(): array {
		return $this->errors;
	}

	/**
	 * Sanitizes posted settings.
	 *
	 * @param mixed               $input    Posted values.
	 * @param array<string,mixed> $previous Current settings (kept where the input is invalid).
	 * @return array<string,mixed>
	 */
	public function sanitize( $input, array $previous ): array {
		$this->errors = array();
		$input        = is_array( $input ) ? wp_unslash( $input ) : array();
		$out          = array_merge( Settings::defaults(), array_intersect_key( $previous, Settings::defaults() ) );

		foreach ( array( 'url', 'public_url' ) as $field ) {
			if ( ! isset( $input[ $field ] ) ) {
				continue;
			}
			$url = trim( (string) $input[ $field ] );
			if ( '' === $url || 1 === preg_match( '#^https?://[A-Za-z0-9.\-\[\]:]+(/[^\s?\#]*)?$#', $url ) ) {
				$out[ $field ] = untrailingslashit( esc_url_raw( $url, array( 'http', 'https' ) ) );
			} else {
				/* translators: %s: the URL entered. */
				$this->errors[] = sprintf( __( 'The URL "%s" is not a valid http(s) URL; the previous value was kept.', 'pressrelay' ), $url );
			}
		}
		foreach ( array( 'app_id', 'key' ) as $field ) {
			if ( ! isset( $input[ $field ] ) ) {
				continue;
			}
			$value = trim( (string) $input[ $field ] );
			if ( 1 === preg_match( '/^[A-Za-z0-9_\-.]{0,100}$/', $value ) ) {
				$out[ $field ] = $value;
			} else {
				/* translators: %s: field name. */
				$this->errors[] = sprintf( __( 'The %s may contain only letters, digits, "_", "-" and "."; the previous value was kept.', 'pressrelay' ), 'app_id' === $field ? __( 'app id', 'pressrelay' ) : __( 'app key', 'pressrelay' ) );
			}
		}
		if ( isset( $input['secret'] ) && '' !== trim( (string) $input['secret'] ) ) {
			$out['secret'] = trim( (string) $input['secret'] );
		}
		if ( ! empty( $input['clear_secret'] ) ) {
			$out['secret'] = '';
		}

		if ( isset( $input['mode'] ) ) {
			$mode = (string) $input['mode'];
			if ( '' === $mode || in_array( $mode, Settings::MODES, true ) ) {
				$out['mode'] = $mode;
			} else {
				/* translators: %s: the value posted. */
				$this->errors[] = sprintf( __( 'Unknown delivery mode "%s"; the previous mode was kept.', 'pressrelay' ), $mode );
			}
		}
		$numbers = array(
			'poll_interval'        => array( Settings::POLL_INTERVAL_MIN, Settings::POLL_INTERVAL_MAX, __( 'Polling interval (visible page)', 'pressrelay' ) ),
			'poll_hidden_interval' => array( Settings::POLL_INTERVAL_MIN, Settings::POLL_INTERVAL_MAX, __( 'Polling interval (hidden page)', 'pressrelay' ) ),
			'retention_hours'      => array( Settings::RETENTION_MIN, Settings::RETENTION_MAX, __( 'Event log retention', 'pressrelay' ) ),
		);
		foreach ( $numbers as $field => $bounds ) {
			if ( ! isset( $input[ $field ] ) ) {
				continue;
			}
			$value = trim( (string) $input[ $field ] );
			if ( ctype_digit( $value ) && (int) $value >= $bounds[0] && (int) $value <= $bounds[1] ) {
				$out[ $field ] = (int) $value;
			} else {
				/* translators: 1: field label, 2: the value entered, 3: minimum, 4: maximum. */
				$this->errors[] = sprintf( __( '%1$s: "%2$s" must be a whole number from %3$d to %4$d; the previous value was kept.', 'pressrelay' ), $bounds[2], $value, $bounds[0], $bounds[1] );
			}
		}

		$triggers = isset( $input['triggers'] ) && is_array( $input['triggers'] ) ? $input['triggers'] : array();
		foreach ( Settings::TRIGGERS as $trigger ) {
			$out['triggers'][ $trigger ] = ! empty( $triggers[ $trigger ] );
		}
		if ( isset( $input['meta_keys'] ) ) {
			$out['meta_keys'] = $this->meta_keys( self::text( $input['meta_keys'] ) );
		}
		if ( isset( $input['actions'] ) ) {
			$out['actions'] = $this->actions( self::text( $input['actions'] ) );
		}
		if ( isset( $input['schedules'] ) ) {
			$out['schedules'] = $this->schedules( self::text( $input['schedules'] ) );
		}
		return $out;
	}

	/**
	 * A textarea's text. WordPress runs the sanitizer a second time on an option's first save, then with
	 * the already sanitized lists: those are turned back into lines and validated again.
	 *
	 * @param mixed $value Posted text, or a sanitized list.
	 */
	private static function text( $value ): string {
		if ( ! is_array( $value ) ) {
			return is_scalar( $value ) ? (string) $value : '';
		}
		$lines = array();
		foreach ( $value as $item ) {
			$lines[] = is_array( $item ) ? implode( ' ', array_map( 'strval', array_filter( $item, 'is_scalar' ) ) ) : ( is_scalar( $item ) ? (string) $item : '' );
		}
		return implode( "\n", $lines );
	}

	/**
	 * Non-empty lines, trimmed, with their line numbers.
	 *
	 * @param string $text Textarea.
	 * @return array<int,string> Line number => line.
	 */
	private static function lines( string $text ): array {
		$lines = array();
		foreach ( preg_split( '/\r\n|\r|\n/', $text ) as $index => $line ) {
			$line = trim( $line );
			if ( '' !== $line && '#' !== $line[0] ) {
				$lines[ $index + 1 ] = $line;
			}
		}
		return $lines;
	}

	/**
	 * Meta keys, one per line.
	 *
	 * @param string $text Textarea.
	 * @return string[]
	 */
	private function meta_keys( string $text ): array {
		$keys = array();
		foreach ( self::lines( $text ) as $number => $line ) {
			if ( 1 === preg_match( '/^[A-Za-z0-9_\-.:]{1,255}$/', $line ) ) {
				$keys[] = $line;
			} else {
				/* translators: 1: line number, 2: line. */
				$this->errors[] = sprintf( __( 'Meta keys, line %1$d: "%2$s" is not a meta key (letters, digits, _ - . :).', 'pressrelay' ), $number, $line );
			}
		}
		return array_values( array_unique( $keys ) );
	}

	/**
	 * Action mappings: `hook channel event` per line.
	 *
	 * @param string $text Textarea.
	 * @return array<int,array{hook:string,channel:string,event:string}>
	 */
	private function actions( string $text ): array {
		$mappings = array();
		foreach ( self::lines( $text ) as $number => $line ) {
			$parts = preg_split( '/[\s|]+/', $line, -1, PREG_SPLIT_NO_EMPTY );
			if ( 3 !== count( $parts ) ) {
				/* translators: 1: line number, 2: line. */
				$this->errors[] = sprintf( __( 'Custom actions, line %1$d: "%2$s" must be: hook channel event.', 'pressrelay' ), $number, $line );
				continue;
			}
			list( $hook, $channel, $event ) = $parts;
			$problem                        = $this->mapping_problem( $channel, $event );
			if ( ! CustomActions::is_valid_hook( $hook ) ) {
				$problem = __( 'the hook name is invalid or belongs to PressRelay', 'pressrelay' );
			}
			if ( '' !== $problem ) {
				/* translators: 1: line number, 2: line, 3: problem. */
				$this->errors[] = sprintf( __( 'Custom actions, line %1$d: "%2$s": %3$s.', 'pressrelay' ), $number, $line, $problem );
				continue;
			}
			$mappings[] = array(
				'hook'    => $hook,
				'channel' => $channel,
				'event'   => $event,
			);
		}
		return $mappings;
	}

	/**
	 * Schedules: `name interval-seconds channel event` per line.
	 *
	 * @param string $text Textarea.
	 * @return array<int,array{name:string,interval:int,channel:string,event:string}>
	 */
	private function schedules( string $text ): array {
		$schedules = array();
		foreach ( self::lines( $text ) as $number => $line ) {
			$parts = preg_split( '/[\s|]+/', $line, -1, PREG_SPLIT_NO_EMPTY );
			if ( 4 !== count( $parts ) ) {
				/* translators: 1: line number, 2: line. */
				$this->errors[] = sprintf( __( 'Schedules, line %1$d: "%2$s" must be: name seconds channel event.', 'pressrelay' ), $number, $line );
				continue;
			}
			list( $name, $interval, $channel, $event ) = $parts;
			$problem                                   = $this->mapping_problem( $channel, $event );
			if ( 1 !== preg_match( '/^[a-z0-9_]{1,40}$/', $name ) ) {
				$problem = __( 'the name may contain only a-z, 0-9 and _', 'pressrelay' );
			} elseif ( ! ctype_digit( $interval ) || (int) $interval < Schedules::MIN_INTERVAL ) {
				/* translators: %d: minimum seconds. */
				$problem = sprintf( __( 'the interval must be a whole number of seconds, at least %d', 'pressrelay' ), Schedules::MIN_INTERVAL );
			} elseif ( isset( $schedules[ $name ] ) ) {
				$problem = __( 'the name is used twice', 'pressrelay' );
			}
			if ( '' !== $problem ) {
				/* translators: 1: line number, 2: line, 3: problem. */
				$this->errors[] = sprintf( __( 'Schedules, line %1$d: "%2$s": %3$s.', 'pressrelay' ), $number, $line, $problem );
				continue;
			}
			$schedules[ $name ] = array(
				'name'     => $name,
				'interval' => (int) $interval,
				'channel'  => $channel,
				'event'    => $event,
			);
		}
		return array_values( $schedules );
	}

	/**
	 * What is wrong with a channel and event, or ''.
	 *
	 * @param string $channel Channel.
	 * @param string $event   Event.
	 */
	private function mapping_problem( string $channel, string $event ): string {
		if ( ! Channels::is_valid( $channel ) ) {
			return __( 'the channel name is invalid (A-Z a-z 0-9 _ - = @ , . ; at most 164 characters)', 'pressrelay' );
		}
		if ( ! Channels::is_valid_event( $event ) ) {
			return __( 'the event name is invalid', 'pressrelay' );
		}
		return '';
	}
}
