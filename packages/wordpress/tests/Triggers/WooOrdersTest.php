<?php
/**
 * WooCommerce order status changes, against the documented hook signature (stand-in order).
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Plugin;
use PressRelay\Tests\TestCase;

require_once dirname( __DIR__ ) . '/fixtures/woocommerce-stand-in.php';

final class WooOrdersTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$this->configure(
			array(
				'triggers' => array(
					'posts'       => false,
					'woocommerce' => true,
				),
			)
		);
	}

	public function test_a_status_change_goes_to_the_private_order_channel(): void {
		$order = new \PressRelay_Test_WC_Order( 501, 7 );
		$order->update_status( 'processing' );
		$rows = $this->outbox();
		$this->assertCount( 1, $rows );
		$this->assertSame( 'private-order-501', $rows[0]->channel );
		$this->assertSame( 'order-status-changed', $rows[0]->event );
		$this->assertSame(
			array(
				'order_id' => 501,
				'number'   => '#501',
				'from'     => 'pending',
				'to'       => 'processing',
				'label'    => 'Processing',
			),
			json_decode( $rows[0]->data, true )
		);
	}

	public function test_the_hook_with_its_documented_four_arguments(): void {
		do_action( 'woocommerce_order_status_changed', 77, 'processing', 'completed', new \PressRelay_Test_WC_Order( 77, 1, 'completed' ) );
		$this->assertSame( 'private-order-77', $this->outbox()[0]->channel );
		$this->assertSame( 'completed', json_decode( $this->outbox()[0]->data, true )['to'] );
	}

	public function test_without_woocommerce_the_trigger_is_not_registered(): void {
		add_filter( 'pressrelay_woocommerce_active', '__return_false' );
		Plugin::instance()->triggers()->register();
		$this->assertNull( Plugin::instance()->triggers()->get( 'woocommerce' ) );
		( new \PressRelay_Test_WC_Order( 9, 1 ) )->update_status( 'completed' );
		$this->assertSame( array(), $this->outbox() );
	}
}
