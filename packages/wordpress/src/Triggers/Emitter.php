<?php
/**
 * Shared by the triggers: publish through one callable, once per identical event per request.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

/**
 * Publishes for triggers. The block editor saves a post twice (REST, then meta boxes); the same
 * event with the same data is published only once per request.
 */
final class Emitter {

	/**
	 * The publish function.
	 *
	 * @var callable
	 */
	private $publish;

	/**
	 * Hashes of what this request published.
	 *
	 * @var array<string,bool>
	 */
	private $seen = array();

	/**
	 * Constructor.
	 *
	 * @param callable|null $publish Same signature as pressrelay_publish() (default).
	 */
	public function __construct( ?callable $publish = null ) {
		$this->publish = $publish ? $publish : 'pressrelay_publish';
	}

	/**
	 * Publishes unless the identical event was already published in this request.
	 *
	 * @param string[]            $channels Channels.
	 * @param string              $event    Event name.
	 * @param array<string,mixed> $data     Data.
	 * @return int|false|null Row id, false on failure, null when skipped as a duplicate.
	 */
	public function emit( array $channels, string $event, array $data ) {
		$key = md5( implode( ',', $channels ) . '|' . $event . '|' . wp_json_encode( $data ) );
		if ( isset( $this->seen[ $key ] ) ) {
			return null;
		}
		$this->seen[ $key ] = true;
		return call_user_func( $this->publish, $channels, $event, $data );
	}

	/**
	 * Forgets what was published (tests simulate separate requests).
	 */
	public function reset(): void {
		$this->seen = array();
	}
}
