<?php
/**
 * Post status transitions.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Tests\TestCase;

final class PostStatusTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$this->configure( array( 'triggers' => array( 'posts' => true ) ) );
	}

	/**
	 * Events in the outbox as "channel event".
	 *
	 * @return string[]
	 */
	private function events(): array {
		return array_map(
			static function ( $row ) {
				return $row->channel . ' ' . $row->event;
			},
			$this->outbox()
		);
	}

	private function new_post( array $args = array() ): int {
		$author = self::factory_user();
		return (int) wp_insert_post(
			array_merge(
				array(
					'post_title'   => 'Hello & "world"',
					'post_content' => '<!-- wp:paragraph --><p>Some <b>bold</b> text [gallery] here.</p><!-- /wp:paragraph -->',
					'post_status'  => 'publish',
					'post_author'  => $author,
				),
				$args
			),
			true
		);
	}

	private static function factory_user(): int {
		$id = username_exists( 'author1' );
		return $id ? (int) $id : (int) wp_insert_user(
			array(
				'user_login'   => 'author1',
				'user_pass'    => wp_generate_password(),
				'display_name' => 'Ada Author',
				'role'         => 'author',
			)
		);
	}

	public function test_publishing_a_post_publishes_to_posts_and_its_own_channel(): void {
		$id = $this->new_post();
		$this->assertSame( array( 'posts post-published', "post-$id post-published" ), $this->events() );
		$data = json_decode( $this->outbox()[0]->data, true );
		$this->assertSame( $id, $data['id'] );
		$this->assertSame( 'post', $data['type'] );
		$this->assertSame( 'Hello & “world”', $data['title'], 'the title as the site shows it, as plain text' );
		$this->assertSame( get_permalink( $id ), $data['url'] );
		$this->assertSame( 'Some bold text here.', $data['excerpt'] );
		$this->assertSame( 'Ada Author', $data['author'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/', $data['date'] );
		$this->assertSame( $this->outbox()[0]->group_key, $this->outbox()[1]->group_key, 'one publish call' );
	}

	public function test_updating_a_published_post_publishes_post_updated(): void {
		$id = $this->new_post();
		wp_update_post(
			array(
				'ID'         => $id,
				'post_title' => 'New title',
			)
		);
		$events = $this->events();
		$this->assertSame( array( 'posts post-updated', "post-$id post-updated" ), array_slice( $events, 2 ) );
		$this->assertSame( 'New title', json_decode( $this->outbox()[2]->data, true )['title'] );
	}

	public function test_an_identical_second_save_in_one_request_publishes_once(): void {
		$id = $this->new_post();
		wp_update_post( array( 'ID' => $id ) );
		$post = get_post( $id );
		do_action( 'wp_after_insert_post', $id, $post, true, $post );
		$this->assertCount( 4, $this->outbox() );
	}

	public function test_drafts_pending_private_future_and_password_protected_posts_publish_nothing(): void {
		$this->new_post( array( 'post_status' => 'draft' ) );
		$this->new_post( array( 'post_status' => 'pending' ) );
		$this->new_post( array( 'post_status' => 'private' ) );
		$this->new_post(
			array(
				'post_status' => 'future',
				'post_date'   => gmdate( 'Y-m-d H:i:s', time() + DAY_IN_SECONDS ),
			)
		);
		$this->new_post( array( 'post_password' => 'secret' ) );
		$this->assertSame( array(), $this->events() );
	}

	public function test_updating_a_draft_publishes_nothing(): void {
		$id = $this->new_post( array( 'post_status' => 'draft' ) );
		wp_update_post(
			array(
				'ID'           => $id,
				'post_content' => 'still a draft',
			)
		);
		$this->assertSame( array(), $this->events() );
	}

	public function test_unpublishing_sends_only_the_id(): void {
		$id = $this->new_post();
		wp_update_post(
			array(
				'ID'          => $id,
				'post_status' => 'draft',
			)
		);
		$this->assertSame( array( 'posts post-unpublished', "post-$id post-unpublished" ), array_slice( $this->events(), 2 ) );
		$this->assertSame(
			array(
				'id'     => $id,
				'type'   => 'post',
				'status' => 'draft',
			),
			json_decode( $this->outbox()[2]->data, true )
		);
	}

	public function test_making_a_post_private_or_password_protected_unpublishes_it(): void {
		$a = $this->new_post();
		$b = $this->new_post();
		wp_update_post(
			array(
				'ID'          => $a,
				'post_status' => 'private',
			)
		);
		wp_update_post(
			array(
				'ID'            => $b,
				'post_password' => 'pw',
			)
		);
		$events = array_slice( $this->events(), 4 );
		$this->assertSame( array( 'posts post-unpublished', "post-$a post-unpublished", 'posts post-unpublished', "post-$b post-unpublished" ), $events );
		foreach ( array_slice( $this->outbox(), 4 ) as $row ) {
			$this->assertArrayNotHasKey( 'title', json_decode( $row->data, true ) );
		}
	}

	public function test_trashing_publishes_post_trashed_and_deleting_for_good_unpublishes(): void {
		$a = $this->new_post();
		wp_trash_post( $a );
		$this->assertSame( array( 'posts post-trashed', "post-$a post-trashed" ), array_slice( $this->events(), 2 ) );

		$b = $this->new_post();
		wp_delete_post( $b, true );
		$this->assertSame( array( 'posts post-unpublished', "post-$b post-unpublished" ), array_slice( $this->events(), 6 ) );
	}

	public function test_revisions_and_autosaves_publish_nothing(): void {
		$id = $this->new_post();
		$count = count( $this->outbox() );
		$post  = get_post( $id, ARRAY_A );
		_wp_put_post_revision( $post, true );
		_wp_put_post_revision( $post );
		$this->assertCount( $count, $this->outbox() );
	}

	public function test_scheduled_post_published_by_cron_is_announced(): void {
		$id = $this->new_post(
			array(
				'post_status' => 'future',
				'post_date'   => gmdate( 'Y-m-d H:i:s', time() + HOUR_IN_SECONDS ),
			)
		);
		wp_publish_post( $id );
		$this->assertSame( array( 'posts post-published', "post-$id post-published" ), $this->events() );
	}

	public function test_non_public_post_types_publish_nothing(): void {
		register_post_type( 'pressrelay_hidden', array( 'public' => false ) );
		$this->new_post( array( 'post_type' => 'pressrelay_hidden' ) );
		$this->new_post( array( 'post_type' => 'page' ) );
		$this->assertSame( 'post-published', $this->outbox()[0]->event );
		$this->assertCount( 2, $this->outbox(), 'only the page' );
		unregister_post_type( 'pressrelay_hidden' );
	}

	public function test_switched_off_trigger_publishes_nothing(): void {
		$this->configure( array( 'triggers' => array( 'posts' => false ) ) );
		$this->new_post();
		$this->assertSame( array(), $this->events() );
	}

	public function test_register_and_unregister_are_symmetric(): void {
		$trigger = new \PressRelay\Triggers\PostStatus( new \PressRelay\Triggers\Emitter() );
		$trigger->register();
		$this->assertSame( 10, has_action( 'wp_after_insert_post', array( $trigger, 'on_after_insert_post' ) ) );
		$trigger->unregister();
		$this->assertFalse( has_action( 'wp_after_insert_post', array( $trigger, 'on_after_insert_post' ) ) );
		$this->assertFalse( has_action( 'before_delete_post', array( $trigger, 'on_before_delete_post' ) ) );
	}
}
