<?php
/**
 * Allow-listed post meta.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Tests\TestCase;

final class PostMetaTest extends TestCase {

	/**
	 * Published post.
	 *
	 * @var int
	 */
	private $post;

	protected function setUp(): void {
		parent::setUp();
		$this->configure(
			array(
				'triggers'  => array(
					'posts' => false,
					'meta'  => true,
				),
				'meta_keys' => array( 'seats_left', 'price' ),
			)
		);
		$this->post = (int) wp_insert_post(
			array(
				'post_title'  => 'Concert',
				'post_status' => 'publish',
			)
		);
	}

	/**
	 * Decoded data of the outbox rows.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	private function data(): array {
		return array_map(
			static function ( $row ) {
				return json_decode( $row->data, true );
			},
			$this->outbox()
		);
	}

	public function test_add_update_delete_publish_the_new_value_after_the_write(): void {
		$seen = array();
		add_action(
			'pressrelay_published',
			function () use ( &$seen ) {
				$seen[] = get_post_meta( $this->post, 'seats_left', true );
			}
		);
		add_post_meta( $this->post, 'seats_left', '12' );
		update_post_meta( $this->post, 'seats_left', '11' );
		delete_post_meta( $this->post, 'seats_left' );

		$this->assertSame( array( "post-{$this->post}" ), array_values( array_unique( wp_list_pluck( $this->outbox(), 'channel' ) ) ) );
		$this->assertSame( array( 'meta-updated' ), array_values( array_unique( wp_list_pluck( $this->outbox(), 'event' ) ) ) );
		$this->assertSame(
			array(
				array(
					'post_id' => $this->post,
					'key'     => 'seats_left',
					'value'   => '12',
					'action'  => 'added',
					'meta'    => array( 'seats_left' => '12' ),
				),
				array(
					'post_id' => $this->post,
					'key'     => 'seats_left',
					'value'   => '11',
					'action'  => 'updated',
					'meta'    => array( 'seats_left' => '11' ),
				),
				array(
					'post_id' => $this->post,
					'key'     => 'seats_left',
					'value'   => null,
					'action'  => 'deleted',
					'meta'    => array( 'seats_left' => null ),
				),
			),
			$this->data()
		);
		$this->assertSame( array( '12', '11', '' ), $seen, 'published after the database write' );
	}

	public function test_structured_values_are_sent_as_json(): void {
		update_post_meta(
			$this->post,
			'price',
			array(
				'amount'   => 9.5,
				'currency' => 'EUR',
			)
		);
		$this->assertSame(
			array(
				'amount'   => 9.5,
				'currency' => 'EUR',
			),
			$this->data()[0]['value']
		);
	}

	public function test_keys_not_on_the_allow_list_publish_nothing(): void {
		update_post_meta( $this->post, 'secret_note', 'x' );
		update_post_meta( $this->post, '_edit_lock', '1:1' );
		$this->assertSame( array(), $this->outbox() );
	}

	public function test_meta_of_drafts_publishes_nothing(): void {
		$draft = (int) wp_insert_post(
			array(
				'post_title'  => 'Draft',
				'post_status' => 'draft',
			)
		);
		update_post_meta( $draft, 'seats_left', '3' );
		$this->assertSame( array(), $this->outbox() );
	}

	public function test_an_empty_allow_list_registers_nothing(): void {
		$this->configure(
			array(
				'triggers'  => array( 'meta' => true ),
				'meta_keys' => array(),
			)
		);
		$this->assertNull( \PressRelay\Plugin::instance()->triggers()->get( 'meta' ) );
	}
}
