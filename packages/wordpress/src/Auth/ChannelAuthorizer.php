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
 * The filter `pressrelay_authorize_channel` has the last word.
 */
final class ChannelAuthorizer {

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
