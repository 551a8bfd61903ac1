<?php
/**
 * Renders a live value: a cache-safe baseline in an element the client updates.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Frontend;

use PressRelay\Channels;
use PressRelay\Plugin;
use PressRelay\Triggers\PostStatus;

/**
 * Shared by the shortcode and the block. Three ways to say what to show:
 * - `channel`, `event`, `field` (and the baseline as content or `default`);
 * - `meta` (a post meta key): the meta value of the current (or `post_id`) post, updated by
 *   `meta-updated` events on `post-{ID}`;
 * - `latest` (title, url, excerpt, author): that field of the newest post, updated by
 *   `post-published` on `posts`.
 */
final class LiveValue {

	const TAGS = array( 'span', 'div', 'p', 'strong', 'em', 'b', 'time', 'h2', 'h3', 'h4' );

	/**
	 * Attribute defaults.
	 *
	 * @return array<string,string>
	 */
	public static function defaults(): array {
		return array(
			'channel' => '',
			'event'   => '',
			'field'   => '',
			'default' => '',
			'meta'    => '',
			'post_id' => '',
			'latest'  => '',
			'tag'     => 'span',
			'class'   => '',
		);
	}

	/**
	 * The HTML.
	 *
	 * @param array<string,mixed> $atts    Attributes.
	 * @param string              $content Baseline given as content.
	 */
	public static function render( array $atts, string $content = '' ): string {
		$atts     = array_map( 'strval', array_intersect_key( array_merge( self::defaults(), array_filter( $atts, 'is_scalar' ) ), self::defaults() ) );
		$baseline = '' !== trim( $content ) ? wp_strip_all_tags( $content ) : $atts['default'];
		$channel  = $atts['channel'];
		$event    = $atts['event'];
		$field    = $atts['field'];

		if ( '' !== $atts['meta'] ) {
			$post_id  = '' !== $atts['post_id'] ? (int) $atts['post_id'] : (int) get_the_ID();
			$key      = $atts['meta'];
			$channel  = Channels::post( $post_id );
			$event    = 'meta-updated';
			$field    = 'meta.' . $key;
			$post     = get_post( $post_id );
			$allowed  = in_array( $key, (array) Plugin::instance()->settings()->get( 'meta_keys' ), true );
			$baseline = $post instanceof \WP_Post && $allowed && PostStatus::is_public( $post ) ? self::text( get_post_meta( $post_id, $key, true ) ) : $baseline;
			if ( ! $allowed ) {
				// Only allow-listed keys of public posts are shown: a shortcode must not reveal other meta.
				$field = '';
			}
		} elseif ( '' !== $atts['latest'] ) {
			$channel = Channels::posts();
			$event   = 'post-published';
			$field   = sanitize_key( $atts['latest'] );
			$latest  = get_posts(
				array(
					'numberposts'      => 1,
					'post_status'      => 'publish',
					'has_password'     => false,
					'suppress_filters' => false,
				)
			);
			if ( $latest ) {
				$payload  = PostStatus::payload( $latest[0] );
				$baseline = isset( $payload[ $field ] ) ? self::text( $payload[ $field ] ) : $baseline;
			}
		}

		if ( ! Channels::is_valid( $channel ) || ! Channels::is_valid_event( $event ) || '' === $field ) {
			$message = __( 'PressRelay live value: give a valid channel, event and field, a meta key on the allow-list, or latest.', 'pressrelay' );
			return '<!-- ' . esc_html( $message ) . ' -->' . ( current_user_can( 'edit_posts' ) ? '<span class="pressrelay-error">' . esc_html( $message ) . '</span>' : esc_html( $baseline ) );
		}
		$tag   = in_array( $atts['tag'], self::TAGS, true ) ? $atts['tag'] : 'span';
		$class = trim( 'pressrelay-live ' . implode( ' ', array_map( 'sanitize_html_class', preg_split( '/\s+/', $atts['class'], -1, PREG_SPLIT_NO_EMPTY ) ) ) );
		return sprintf(
			'<%1$s class="%2$s" data-pressrelay-channel="%3$s" data-pressrelay-event="%4$s" data-pressrelay-field="%5$s">%6$s</%1$s>',
			$tag,
			esc_attr( $class ),
			esc_attr( $channel ),
			esc_attr( $event ),
			esc_attr( $field ),
			esc_html( $baseline )
		);
	}

	/**
	 * A value as text.
	 *
	 * @param mixed $value Value.
	 */
	private static function text( $value ): string {
		if ( is_scalar( $value ) || null === $value ) {
			return (string) $value;
		}
		return (string) wp_json_encode( $value );
	}
}
