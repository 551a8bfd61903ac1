<?php
/**
 * Any action hook mapped in the admin to a channel and an event.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

/**
 * When a mapped hook fires, publishes its arguments (scalars, and the IDs of WordPress objects) to
 * the mapped channel. The filter `pressrelay_action_payload` can build any other data.
 */
final class CustomActions implements Trigger {

	/**
	 * Emitter.
	 *
	 * @var Emitter
	 */
	private $emitter;

	/**
	 * Mappings grouped by hook.
	 *
	 * @var array<string,array<int,array{hook:string,channel:string,event:string}>>
	 */
	private $by_hook = array();

	/**
	 * Constructor.
	 *
	 * @param Emitter                                                    $emitter  Emitter.
	 * @param array<int,array{hook:string,channel:string,event:string}> $mappings Mappings.
	 */
	public function __construct( Emitter $emitter, array $mappings ) {
		$this->emitter = $emitter;
		foreach ( $mappings as $mapping ) {
			$this->by_hook[ $mapping['hook'] ][] = $mapping;
		}
	}

	/**
	 * Whether a hook name may be mapped (not one of the plugin's own hooks, which would loop).
	 *
	 * @param string $hook Hook name.
	 */
	public static function is_valid_hook( string $hook ): bool {
		return 1 === preg_match( '/^[A-Za-z0-9_\-\/.:]{1,190}$/', $hook ) && 0 !== strpos( $hook, 'pressrelay' );
	}

	/**
	 * Adds one callback per mapped hook.
	 */
	public function register(): void {
		foreach ( array_keys( $this->by_hook ) as $hook ) {
			add_action( (string) $hook, array( $this, 'on_action' ), 10, 10 );
		}
	}

	/**
	 * Removes the callbacks.
	 */
	public function unregister(): void {
		foreach ( array_keys( $this->by_hook ) as $hook ) {
			remove_action( (string) $hook, array( $this, 'on_action' ), 10 );
		}
	}

	/**
	 * A mapped hook fired. Returns its first argument, so that mapping a filter does no harm.
	 *
	 * @param mixed ...$args Hook arguments.
	 * @return mixed
	 */
	public function on_action( ...$args ) {
		$hook = (string) current_action();
		foreach ( isset( $this->by_hook[ $hook ] ) ? $this->by_hook[ $hook ] : array() as $mapping ) {
			$data = array(
				'hook' => $hook,
				'args' => array_map( array( self::class, 'normalize' ), $args ),
			);
			/**
			 * Filters the data published for a mapped action; return null to publish nothing.
			 *
			 * @param array|null $data    Data: hook and normalized arguments.
			 * @param string     $hook    Hook name.
			 * @param array      $args    Raw hook arguments.
			 * @param array      $mapping The mapping: hook, channel, event.
			 */
			$data = apply_filters( 'pressrelay_action_payload', $data, $hook, $args, $mapping );
			if ( is_array( $data ) ) {
				$this->emitter->emit( array( $mapping['channel'] ), $mapping['event'], $data );
			}
		}
		return isset( $args[0] ) ? $args[0] : null;
	}

	/**
	 * Scalars as they are, WordPress objects as their ID, arrays recursively; anything else null.
	 *
	 * @param mixed $value Argument.
	 * @param int   $depth Current depth.
	 * @return mixed
	 */
	public static function normalize( $value, int $depth = 0 ) {
		if ( null === $value || is_scalar( $value ) ) {
			return $value;
		}
		if ( $value instanceof \WP_Post || $value instanceof \WP_User || $value instanceof \WP_Comment ) {
			return array( 'id' => (int) ( $value instanceof \WP_Comment ? $value->comment_ID : $value->ID ) );
		}
		if ( $value instanceof \WP_Term ) {
			return array(
				'id'       => (int) $value->term_id,
				'taxonomy' => (string) $value->taxonomy,
			);
		}
		if ( is_array( $value ) && $depth < 3 ) {
			$out = array();
			foreach ( $value as $key => $item ) {
				$out[ $key ] = self::normalize( $item, $depth + 1 );
			}
			return $out;
		}
		return null;
	}
}
