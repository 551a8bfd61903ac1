<?php
/**
 * Channel and event name rules, and the names the plugin's triggers use.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay;

/**
 * Pusher channel naming: `[A-Za-z0-9_\-=@,.;]`, at most 164 characters.
 */
final class Channels {

	const MAX_LENGTH       = 164;
	const MAX_EVENT_LENGTH = 200;
	const MAX_PER_EVENT    = 100;

	/**
	 * Whether a channel name is valid for publishing. `#server-to-user-{id}` is allowed (user messages).
	 *
	 * @param string $name Channel name.
	 */
	public static function is_valid( string $name ): bool {
		if ( '' === $name || strlen( $name ) > self::MAX_LENGTH ) {
			return false;
		}
		return 1 === preg_match( '/^#?[A-Za-z0-9_\-=@,.;]+$/', $name ) && ( '#' !== $name[0] || 0 === strpos( $name, '#server-to-user-' ) );
	}

	/**
	 * Whether an event name is valid (non-empty, at most 200 characters, no control characters).
	 *
	 * @param string $name Event name.
	 */
	public static function is_valid_event( string $name ): bool {
		return '' !== $name && strlen( $name ) <= self::MAX_EVENT_LENGTH && 1 !== preg_match( '/[\x00-\x1f]/', $name );
	}

	/**
	 * The site-wide public posts channel.
	 */
	public static function posts(): string {
		return 'posts';
	}

	/**
	 * The public channel of one post.
	 *
	 * @param int $post_id Post ID.
	 */
	public static function post( int $post_id ): string {
		return 'post-' . $post_id;
	}

	/**
	 * The private notifications channel of one user.
	 *
	 * @param int $user_id User ID.
	 */
	public static function user( int $user_id ): string {
		return 'private-user-' . $user_id;
	}

	/**
	 * The private channel of one WooCommerce order.
	 *
	 * @param int $order_id Order ID.
	 */
	public static function order( int $order_id ): string {
		return 'private-order-' . $order_id;
	}
}
