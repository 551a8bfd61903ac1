<?php
/**
 * Validates a publish call and stores it in the outbox. Sends nothing itself.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay;

use PressRelay\Http\Client;
use PressRelay\Outbox\Runner;
use PressRelay\Outbox\Store;

/**
 * What pressrelay_publish() calls. Rows are stored to be sent to the realtime server, or, in
 * no-server mode, only logged for polling pages.
 */
final class Publisher {

	/**
	 * Default maximum size of an event's data, in bytes (Pusher's limit).
	 */
	const MAX_DATA_BYTES = 10240;

	/**
	 * Store.
	 *
	 * @var Store
	 */
	private $store;

	/**
	 * Runner, told when rows were stored.
	 *
	 * @var Runner|null
	 */
	private $runner;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Constructor.
	 *
	 * @param Store       $store    Store.
	 * @param Settings    $settings Settings.
	 * @param Runner|null $runner   Runner (null: store only).
	 */
	public function __construct( Store $store, Settings $settings, ?Runner $runner = null ) {
		$this->store    = $store;
		$this->settings = $settings;
		$this->runner   = $runner;
	}

	/**
	 * Validates and stores one event for one or more channels.
	 *
	 * @param string|string[]     $channels Channel or channels.
	 * @param string              $event    Event name.
	 * @param mixed               $data     Data: a string is sent as is, anything else as JSON.
	 * @param array<string,mixed> $args     Optional: `socket_id` to exclude.
	 * @return int|\WP_Error Id of the first stored row.
	 */
	public function publish( $channels, $event, $data, array $args = array() ) {
		$channels = is_string( $channels ) ? array( $channels ) : $channels;
		if ( ! is_array( $channels ) || ! $channels ) {
			return new \WP_Error( 'pressrelay_invalid_channel', __( 'Give one channel name or a non-empty array of channel names.', 'pressrelay' ) );
		}
		$channels = array_values( array_unique( $channels, SORT_REGULAR ) );
		if ( count( $channels ) > Channels::MAX_PER_EVENT ) {
			/* translators: %d: maximum number of channels. */
			return new \WP_Error( 'pressrelay_invalid_channel', sprintf( __( 'An event can go to at most %d channels.', 'pressrelay' ), Channels::MAX_PER_EVENT ) );
		}
		foreach ( $channels as $channel ) {
			if ( ! is_string( $channel ) || ! Channels::is_valid( $channel ) ) {
				return new \WP_Error(
					'pressrelay_invalid_channel',
					sprintf(
						/* translators: %s: the channel name given. */
						__( 'Invalid channel name "%s": use A-Z, a-z, 0-9 and _ - = @ , . ; (at most 164 characters).', 'pressrelay' ),
						is_scalar( $channel ) ? (string) $channel : gettype( $channel )
					)
				);
			}
		}
		if ( ! is_string( $event ) || ! Channels::is_valid_event( $event ) ) {
			return new \WP_Error( 'pressrelay_invalid_event', __( 'Invalid event name: give a string of 1 to 200 characters.', 'pressrelay' ) );
		}
		if ( ! is_string( $data ) ) {
			$data = Client::json( $data );
			if ( false === $data ) {
				return new \WP_Error( 'pressrelay_invalid_data', __( 'The event data could not be encoded as JSON.', 'pressrelay' ) );
			}
		}
		/**
		 * Filters the largest event data accepted, in bytes.
		 *
		 * @param int $bytes Bytes (default 10240, as Pusher).
		 */
		$max = (int) apply_filters( 'pressrelay_max_data_bytes', self::MAX_DATA_BYTES );
		if ( strlen( $data ) > $max ) {
			/* translators: 1: data size in bytes, 2: limit in bytes. */
			return new \WP_Error( 'pressrelay_data_too_large', sprintf( __( 'The event data is %1$d bytes; the limit is %2$d.', 'pressrelay' ), strlen( $data ), $max ) );
		}
		$socket_id = isset( $args['socket_id'] ) && is_string( $args['socket_id'] ) ? $args['socket_id'] : '';
		if ( '' !== $socket_id && 1 !== preg_match( '/^\d+\.\d+$/', $socket_id ) ) {
			return new \WP_Error( 'pressrelay_invalid_socket_id', __( 'Invalid socket_id: expected digits.digits.', 'pressrelay' ) );
		}

		$group  = str_replace( '-', '', wp_generate_uuid4() );
		$status = $this->settings->sends_to_server() ? Store::PENDING : Store::LOGGED;
		$first  = 0;
		foreach ( $channels as $channel ) {
			$id = $this->store->insert( $channel, $event, $data, $socket_id, $group, $status );
			if ( is_wp_error( $id ) ) {
				return $id;
			}
			$first = $first ? $first : $id;
		}
		if ( $this->runner ) {
			$this->runner->on_enqueued();
		}
		/**
		 * Fires after an event was stored in the outbox.
		 *
		 * @param int      $first_id First row id.
		 * @param string[] $channels Channels.
		 * @param string   $event    Event name.
		 * @param string   $data     Data string.
		 */
		do_action( 'pressrelay_published', $first, $channels, $event, $data );
		return $first;
	}
}
