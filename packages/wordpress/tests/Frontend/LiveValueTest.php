<?php
/**
 * Shortcode and block: a cache-safe baseline in an element the client updates.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Frontend;

use PressRelay\Tests\TestCase;

final class LiveValueTest extends TestCase {

	public function test_explicit_binding_with_content_as_baseline(): void {
		$this->assertSame(
			'<span class="pressrelay-live" data-pressrelay-channel="seats-A12" data-pressrelay-event="seats-changed" data-pressrelay-field="seats_left">12</span>',
			do_shortcode( '[pressrelay channel="seats-A12" event="seats-changed" field="seats_left"]12[/pressrelay]' )
		);
	}

	public function test_output_is_escaped(): void {
		$html = do_shortcode( '[pressrelay channel="a" event="e&quot;x" field="f" tag="script" class="x&quot; onclick=&quot;y"]<b>&lt;i&gt;</b>[/pressrelay]' );
		$this->assertStringStartsWith( '<span class="pressrelay-live', $html, 'unknown tags fall back to span' );
		$this->assertStringNotContainsString( '<b>', $html );
		$this->assertStringNotContainsString( 'onclick="', $html );
		$this->assertStringContainsString( 'data-pressrelay-event="e&quot;x"', $html );
	}

	public function test_meta_binding_shows_the_current_value(): void {
		$this->configure( array( 'meta_keys' => array( 'seats_left' ) ) );
		$post = (int) wp_insert_post(
			array(
				'post_title'  => 'Concert',
				'post_status' => 'publish',
			)
		);
		update_post_meta( $post, 'seats_left', '12' );
		$this->assertSame(
			'<strong class="pressrelay-live" data-pressrelay-channel="post-' . $post . '" data-pressrelay-event="meta-updated" data-pressrelay-field="meta.seats_left">12</strong>',
			do_shortcode( '[pressrelay meta="seats_left" post_id="' . $post . '" tag="strong"]' )
		);
	}

	public function test_meta_outside_the_allow_list_or_of_private_posts_is_never_shown(): void {
		$this->configure( array( 'meta_keys' => array( 'seats_left' ) ) );
		$public  = (int) wp_insert_post(
			array(
				'post_title'  => 'Public',
				'post_status' => 'publish',
			)
		);
		$private = (int) wp_insert_post(
			array(
				'post_title'  => 'Private',
				'post_status' => 'private',
			)
		);
		update_post_meta( $public, '_secret_note', 'hidden-1' );
		update_post_meta( $private, 'seats_left', 'hidden-2' );
		$html = do_shortcode( '[pressrelay meta="_secret_note" post_id="' . $public . '"][pressrelay meta="seats_left" post_id="' . $private . '"]' );
		$this->assertStringNotContainsString( 'hidden-1', $html );
		$this->assertStringNotContainsString( 'hidden-2', $html );
		$this->assertStringContainsString( '<!-- PressRelay live value:', $html );
	}

	public function test_latest_binding_shows_the_newest_public_post(): void {
		wp_insert_post(
			array(
				'post_title'  => 'Older',
				'post_status' => 'publish',
				'post_date'   => '2020-01-01 00:00:00',
			)
		);
		wp_insert_post(
			array(
				'post_title'  => 'Newest',
				'post_status' => 'publish',
			)
		);
		wp_insert_post(
			array(
				'post_title'  => 'Hidden',
				'post_status' => 'publish',
				'post_password' => 'pw',
				'post_date'   => gmdate( 'Y-m-d H:i:s', time() + 60 ),
			)
		);
		$this->assertSame(
			'<span class="pressrelay-live" data-pressrelay-channel="posts" data-pressrelay-event="post-published" data-pressrelay-field="title">Newest</span>',
			do_shortcode( '[pressrelay latest="title"]' )
		);
	}

	public function test_invalid_attributes_render_the_baseline_and_a_hint_for_editors(): void {
		$html = do_shortcode( '[pressrelay channel="bad channel" event="e" field="f"]7[/pressrelay]' );
		$this->assertStringContainsString( '<!-- PressRelay live value:', $html );
		$this->assertStringEndsWith( '-->7', $html );
		wp_set_current_user( 1 );
		$this->assertStringContainsString( 'class="pressrelay-error"', do_shortcode( '[pressrelay event="e" field="f"]' ) );
	}

	public function test_the_block_renders_like_the_shortcode(): void {
		$this->assertTrue( \WP_Block_Type_Registry::get_instance()->is_registered( 'pressrelay/live-value' ) );
		$html = do_blocks( '<!-- wp:pressrelay/live-value {"channel":"stock","event":"stock-changed","field":"left","baseline":"5"} /-->' );
		$this->assertSame( '<span class="pressrelay-live" data-pressrelay-channel="stock" data-pressrelay-event="stock-changed" data-pressrelay-field="left">5</span>', trim( $html ) );
	}
}
