<?php
/**
 * Who may join which private or presence channel.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Auth;

/**
 * Rules, for logged-in users only:
 * - `private-user-{ID}`: that user;
 * - `private-order-{ID}`: the order's customer and shop managers (`manage_woocommerce` or
 *   `edit_shop_orders`), when WooCommerce is active;
 * - `presence-*`: any logged-in user;
 * - anything else (public channels need no auth; encrypted channels are not supported): refused.
 * The filter `pressrelay_authorize_channel` has the last word. check() applies the same rules, with
 * the same answers, for the auth route (a subscription to the realtime server) and for the events
 * route (a page polling WordPress).
 */
final class ChannelAuthorizer {

	/**
	 * Whether a user may subscribe to a private or presence channel, as a REST answer: true, or a
	 * WP_Error with its HTTP status (400 invalid name, 403 logged out or refused).
	 *
	 * @param string   $channel   Channel name.
	 * @param \WP_User $user      User (ID 0 when logged out).
	 * @param string   $socket_id Socket id ('' for a polling page).
	 * @return true|\WP_Error
	 */
	public function check( string $channel, \WP_User $user, string $socket_id ) {
		if ( ! \PressRelay\Channels::is_valid( $channel ) || '#' === $channel[0] ) {
			return new \WP_Error( 'pressrelay_invalid_channel', __( 'Invalid channel_name.', 'pressrelay' ), array( 'status' => 400 ) );
		}
		if ( $user->ID <= 0 ) {
			return self::logged_out();
		}
		if ( ! $this->authorize( $channel, $user, $socket_id ) ) {
			return new \WP_Error( 'pressrelay_forbidden', __( 'You may not join this channel.', 'pressrelay' ), array( 'status' => 403 ) );
		}
		return true;
	}

	/**
	 * The refusal for visitors who are not logged in.
	 */
	public static function logged_out(): \WP_Error {
		return new \WP_Error( 'pressrelay_forbidden', __( 'Log in to join private and presence channels.', 'pressrelay' ), array( 'status' => 403 ) );
	}

	/**
	 * A user as a presence member: `user_id` and `user_info`, as in Pusher's `channel_data`.
	 *
	 * @param \WP_User $user User.
	 * @return array{user_id:string,user_info:array<string,mixed>}
	 */
	public static function member( \WP_User $user ): array {
		return array(
			'user_id'   => (string) $user->ID,
			'user_info' => self::user_info( $user ),
		);
	}

	/**
	 * Whether a user may subscribe to a channel.
	 *
	 * @param string   $channel   Channel name.
	 * @param \WP_User $user      User (ID 0 when logged out).
	 * @param string   $socket_id Socket id.
	 */
	public function authorize( string $channel, \WP_User $user, string $socket_id ): bool {
		$allowed = $user->ID > 0 && $this->default_rule( $channel, $user );
		/**
		 * Filters whether a user may subscribe to a private or presence channel.
		 *
		 * @param bool     $allowed   The default decision.
		 * @param string   $channel   Channel name.
		 * @param \WP_User $user      The user (ID 0 when logged out).
		 * @param string   $socket_id Socket id.
		 */
		return true === apply_filters( 'pressrelay_authorize_channel', $allowed, $channel, $user, $socket_id );
	}

	/**
	 * The built-in rules.
	 *
	 * @param string   $channel Channel name.
	 * @param \WP_User $user    Logged-in user.
	 */
	private function default_rule( string $channel, \WP_User $user ): bool {
		if ( 1 === preg_match( '/^private-user-(\d+)$/', $channel, $m ) ) {
			return (int) $m[1] === (int) $user->ID;
		}
		if ( 1 === preg_match( '/^private-order-(\d+)$/', $channel, $m ) ) {
			return $this->may_see_order( (int) $m[1], $user );
		}
		if ( 0 === strpos( $channel, 'presence-' ) ) {
			return true;
		}
		return false;
	}

	/**
	 * Whether a user is the order's customer or a shop manager.
	 *
	 * @param int      $order_id Order ID.
	 * @param \WP_User $user     User.
	 */
	private function may_see_order( int $order_id, \WP_User $user ): bool {
		if ( ! \PressRelay\Triggers\WooOrders::woocommerce_active() || ! function_exists( 'wc_get_order' ) ) {
			return false;
		}
		$order = wc_get_order( $order_id );
		if ( ! is_object( $order ) || ! method_exists( $order, 'get_customer_id' ) ) {
			return false;
		}
		if ( user_can( $user, 'manage_woocommerce' ) || user_can( $user, 'edit_shop_orders' ) ) {
			return true;
		}
		$customer = (int) $order->get_customer_id();
		return $customer > 0 && $customer === (int) $user->ID;
	}

	/**
	 * What other presence members see of a user.
	 *
	 * @param \WP_User $user User.
	 * @return array<string,string>
	 */
	public static function user_info( \WP_User $user ): array {
		$info = array(
			'name'   => (string) $user->display_name,
			'avatar' => (string) get_avatar_url( $user->ID ),
		);
		/**
		 * Filters the `user_info` of presence members and signed-in users.
		 *
		 * @param array    $info Name and avatar URL.
		 * @param \WP_User $user User.
		 */
		return (array) apply_filters( 'pressrelay_user_info', $info, $user );
	}
}
