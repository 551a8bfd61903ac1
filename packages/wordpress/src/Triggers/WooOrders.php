<?php
/**
 * WooCommerce order status changes.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

use PressRelay\Channels;

/**
 * Publishes `order-status-changed` to `private-order-{ID}`, which only the order's customer and shop
 * managers may join. Hooks WooCommerce's documented action
 * `woocommerce_order_status_changed( int $order_id, string $from, string $to, WC_Order $order )`.
 */
final class WooOrders implements Trigger {

	/**
	 * Emitter.
	 *
	 * @var Emitter
	 */
	private $emitter;

	/**
	 * Constructor.
	 *
	 * @param Emitter $emitter Emitter.
	 */
	public function __construct( Emitter $emitter ) {
		$this->emitter = $emitter;
	}

	/**
	 * Whether WooCommerce is active.
	 */
	public static function woocommerce_active(): bool {
		/**
		 * Filters whether WooCommerce counts as active for PressRelay.
		 *
		 * @param bool $active Whether the WooCommerce class or WC() exists.
		 */
		return (bool) apply_filters( 'pressrelay_woocommerce_active', class_exists( 'WooCommerce' ) || function_exists( 'WC' ) );
	}

	/**
	 * Adds the hook.
	 */
	public function register(): void {
		add_action( 'woocommerce_order_status_changed', array( $this, 'on_status_changed' ), 10, 4 );
	}

	/**
	 * Removes the hook.
	 */
	public function unregister(): void {
		remove_action( 'woocommerce_order_status_changed', array( $this, 'on_status_changed' ), 10 );
	}

	/**
	 * An order's status changed.
	 *
	 * @param int    $order_id Order ID.
	 * @param string $from     Old status, without the wc- prefix.
	 * @param string $to       New status, without the wc- prefix.
	 * @param object $order    The WC_Order.
	 */
	public function on_status_changed( $order_id, $from, $to, $order = null ): void {
		$order_id = (int) $order_id;
		if ( $order_id <= 0 ) {
			return;
		}
		$data = array(
			'order_id' => $order_id,
			'number'   => is_object( $order ) && method_exists( $order, 'get_order_number' ) ? (string) $order->get_order_number() : (string) $order_id,
			'from'     => (string) $from,
			'to'       => (string) $to,
			'label'    => function_exists( 'wc_get_order_status_name' ) ? (string) wc_get_order_status_name( (string) $to ) : (string) $to,
		);
		/**
		 * Filters an order event's data; return null to publish nothing.
		 *
		 * @param array|null $data  Data.
		 * @param object     $order The WC_Order.
		 */
		$data = apply_filters( 'pressrelay_order_payload', $data, $order );
		if ( is_array( $data ) ) {
			$this->emitter->emit( array( Channels::order( $order_id ) ), 'order-status-changed', $data );
		}
	}
}
