<?php
/**
 * The `[pressrelay]` shortcode.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Frontend;

/**
 * `[pressrelay channel="seats-A12" event="seats-changed" field="seats_left"]12[/pressrelay]`,
 * `[pressrelay meta="seats_left"]`, `[pressrelay latest="title"]`.
 */
final class Shortcode {

	const TAG = 'pressrelay';

	/**
	 * Hooks the shortcode in.
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'add' ) );
	}

	/**
	 * Removes it.
	 */
	public function unregister(): void {
		remove_action( 'init', array( $this, 'add' ) );
		remove_shortcode( self::TAG );
	}

	/**
	 * Adds the shortcode.
	 */
	public function add(): void {
		add_shortcode( self::TAG, array( $this, 'render' ) );
	}

	/**
	 * Shortcode callback.
	 *
	 * @param array<string,string>|string $atts    Attributes.
	 * @param string|null                 $content Content between the tags.
	 */
	public function render( $atts, $content = null ): string {
		$atts = shortcode_atts( LiveValue::defaults(), is_array( $atts ) ? $atts : array(), self::TAG );
		return LiveValue::render( $atts, (string) $content );
	}
}
