<?php
/**
 * Custom action hooks mapped to channels.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Tests\TestCase;
use PressRelay\Triggers\CustomActions;

final class CustomActionsTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$this->configure(
			array(
				'triggers' => array(
					'posts'   => false,
					'actions' => true,
				),
				'actions'  => array(
					array(
						'hook'    => 'shop_stock_changed',
						'channel' => 'stock',
						'event'   => 'stock-changed',
					),
					array(
						'hook'    => 'shop_stock_changed',
						'channel' => 'admin-stock',
						'event'   => 'changed',
					),
					array(
						'hook'    => 'some_filter',
						'channel' => 'filtered',
						'event'   => 'seen',
					),
				),
			)
		);
	}

	public function test_a_mapped_action_publishes_its_arguments_to_each_mapping(): void {
		$post = get_post( (int) wp_insert_post( array( 'post_title' => 'P' ) ) );
		do_action( 'shop_stock_changed', 'sku-1', 3, $post, array( 'a' => new \stdClass() ) );
		$rows = $this->outbox();
		$this->assertSame( array( 'stock', 'admin-stock' ), wp_list_pluck( $rows, 'channel' ) );
		$this->assertSame( array( 'stock-changed', 'changed' ), wp_list_pluck( $rows, 'event' ) );
		$this->assertSame(
			array(
				'hook' => 'shop_stock_changed',
				'args' => array( 'sku-1', 3, array( 'id' => $post->ID ), array( 'a' => null ) ),
			),
			json_decode( $rows[0]->data, true )
		);
	}

	public function test_the_payload_filter_can_replace_the_data(): void {
		add_filter(
			'pressrelay_action_payload',
			static function ( $data, $hook, $args, $mapping ) {
				return 'stock' === $mapping['channel'] ? array( 'left' => $args[1] ) : null;
			},
			10,
			4
		);
		do_action( 'shop_stock_changed', 'sku-1', 3 );
		$this->assertCount( 1, $this->outbox() );
		$this->assertSame( '{"left":3}', $this->outbox()[0]->data );
	}

	public function test_mapping_a_filter_does_not_change_its_value(): void {
		$this->assertSame( 'value', apply_filters( 'some_filter', 'value', 2 ) );
		$this->assertSame( 'filtered', $this->outbox()[0]->channel );
	}

	public function test_plugin_hooks_cannot_be_mapped(): void {
		$this->assertFalse( CustomActions::is_valid_hook( 'pressrelay_publish' ) );
		$this->assertFalse( CustomActions::is_valid_hook( 'bad hook' ) );
		$this->assertTrue( CustomActions::is_valid_hook( 'woocommerce_product_set_stock' ) );
	}

	public function test_unregister_removes_every_callback(): void {
		$trigger = \PressRelay\Plugin::instance()->triggers()->get( 'actions' );
		$this->assertInstanceOf( CustomActions::class, $trigger );
		$trigger->unregister();
		$this->assertFalse( has_action( 'shop_stock_changed', array( $trigger, 'on_action' ) ) );
		$this->assertFalse( has_action( 'some_filter', array( $trigger, 'on_action' ) ) );
	}
}
