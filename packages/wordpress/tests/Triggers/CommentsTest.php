<?php
/**
 * Approved comments.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Tests\TestCase;

final class CommentsTest extends TestCase {

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
				'triggers' => array(
					'posts'    => false,
					'comments' => true,
				),
			)
		);
		$this->post = (int) wp_insert_post(
			array(
				'post_title'  => 'Commented',
				'post_status' => 'publish',
			)
		);
	}

	private function comment( array $args = array() ): int {
		return (int) wp_insert_comment(
			array_merge(
				array(
					'comment_post_ID'      => $this->post,
					'comment_author'       => 'Grace <b>H</b>',
					'comment_author_email' => 'grace@example.test',
					'comment_author_IP'    => '203.0.113.9',
					'comment_content'      => 'Nice <em>post</em>!',
					'comment_approved'     => 1,
				),
				$args
			)
		);
	}

	public function test_an_approved_comment_goes_to_the_posts_channel_without_private_data(): void {
		$id  = $this->comment();
		$row = $this->outbox()[0];
		$this->assertCount( 1, $this->outbox() );
		$this->assertSame( "post-{$this->post}", $row->channel );
		$this->assertSame( 'comment-approved', $row->event );
		$data = json_decode( $row->data, true );
		$this->assertSame( $id, $data['id'] );
		$this->assertSame( $this->post, $data['post_id'] );
		$this->assertSame( 'Grace H', $data['author'] );
		$this->assertSame( 'Nice post!', $data['content'] );
		$this->assertStringNotContainsString( 'grace@example.test', $row->data );
		$this->assertStringNotContainsString( '203.0.113.9', $row->data );
	}

	public function test_unapproved_and_spam_comments_publish_nothing(): void {
		$this->comment( array( 'comment_approved' => 0 ) );
		$this->comment( array( 'comment_approved' => 'spam' ) );
		$this->comment( array( 'comment_approved' => 'trash' ) );
		$this->assertSame( array(), $this->outbox() );
	}

	public function test_a_comment_approved_later_is_published_once(): void {
		$id = $this->comment( array( 'comment_approved' => 0 ) );
		$this->assertSame( array(), $this->outbox() );
		wp_set_comment_status( $id, 'approve' );
		$this->assertCount( 1, $this->outbox() );
		$this->assertSame( $id, json_decode( $this->outbox()[0]->data, true )['id'] );
		wp_set_comment_status( $id, 'hold' );
		wp_set_comment_status( $id, 'spam' );
		$this->assertCount( 1, $this->outbox() );
	}

	public function test_comments_on_non_public_posts_publish_nothing(): void {
		wp_update_post(
			array(
				'ID'            => $this->post,
				'post_password' => 'pw',
			)
		);
		$this->comment();
		$draft = (int) wp_insert_post(
			array(
				'post_title'  => 'Draft',
				'post_status' => 'draft',
			)
		);
		$this->comment( array( 'comment_post_ID' => $draft ) );
		$this->assertSame( array(), $this->outbox() );
	}

	public function test_pingbacks_are_not_comments(): void {
		$this->comment( array( 'comment_type' => 'pingback' ) );
		$this->assertSame( array(), $this->outbox() );
	}
}
