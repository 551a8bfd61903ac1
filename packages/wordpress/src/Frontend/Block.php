<?php
/**
 * The "Live value" block (pressrelay/live-value), rendered on the server like the shortcode.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Frontend;

/**
 * A dynamic block: its attributes are the shortcode's, `baseline` is the cached text.
 */
final class Block {

	/**
	 * Hooks the registration.
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'register_block' ) );
	}

	/**
	 * Removes the hook.
	 */
	public function unregister(): void {
		remove_action( 'init', array( $this, 'register_block' ) );
	}

	/**
	 * Registers the block from block.json.
	 */
	public function register_block(): void {
		register_block_type(
			dirname( PRESSRELAY_FILE ) . '/blocks/live-value',
			array( 'render_callback' => array( $this, 'render' ) )
		);
	}

	/**
	 * Render callback.
	 *
	 * @param array<string,mixed> $attributes Block attributes.
	 */
	public function render( $attributes ): string {
		$attributes = is_array( $attributes ) ? $attributes : array();
		$baseline   = isset( $attributes['baseline'] ) && is_string( $attributes['baseline'] ) ? $attributes['baseline'] : '';
		unset( $attributes['baseline'] );
		return LiveValue::render( $attributes, $baseline );
	}
}
