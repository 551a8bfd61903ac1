<?php
/**
 * Approved comments, on insert or when approved later.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

use PressRelay\Channels;

/**
 * Publishes `comment-approved` to `post-{ID}` for approved comments on public posts. Unapproved,
 * spam and trashed comments publish nothing.
 */
final class Comments implements Trigger {

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
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'wp_insert_comment', array( $this, 'on_insert_comment' ), 10, 2 );
		add_action( 'transition_comment_status', array( $this, 'on_transition_comment_status' ), 10, 3 );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_action( 'wp_insert_comment', array( $this, 'on_insert_comment' ), 10 );
		remove_action( 'transition_comment_status', array( $this, 'on_transition_comment_status' ), 10 );
	}

	/**
	 * A new comment was stored.
	 *
	 * @param int         $comment_id Comment ID.
	 * @param \WP_Comment $comment    Comment.
	 */
	public function on_insert_comment( $comment_id, $comment ): void {
		if ( $comment instanceof \WP_Comment && '1' === (string) $comment->comment_approved ) {
			$this->emit( $comment );
		}
	}

	/**
	 * A comment's status changed.
	 *
	 * @param string      $new_status New status ('approved', 'unapproved', 'spam', 'trash').
	 * @param string      $old_status Old status.
	 * @param \WP_Comment $comment    Comment.
	 */
	public function on_transition_comment_status( $new_status, $old_status, $comment ): void {
		if ( 'approved' === $new_status && 'approved' !== $old_status && $comment instanceof \WP_Comment ) {
			$this->emit( get_comment( $comment->comment_ID ) );
		}
	}

	/**
	 * Publishes an approved comment if its post is public.
	 *
	 * @param \WP_Comment|null $comment Comment.
	 */
	private function emit( $comment ): void {
		if ( ! $comment instanceof \WP_Comment || '1' !== (string) $comment->comment_approved ) {
			return;
		}
		/**
		 * Filters the comment types that are published.
		 *
		 * @param string[] $types Default: 'comment' (and '' from older WordPress).
		 */
		$types = (array) apply_filters( 'pressrelay_comment_types', array( 'comment', '' ) );
		if ( ! in_array( (string) $comment->comment_type, $types, true ) ) {
			return;
		}
		$post = get_post( (int) $comment->comment_post_ID );
		if ( ! $post instanceof \WP_Post || ! PostStatus::is_public( $post ) ) {
			return;
		}
		/**
		 * Filters a comment event's data; return null to publish nothing.
		 *
		 * @param array|null  $data    Data.
		 * @param \WP_Comment $comment Comment.
		 */
		$data = apply_filters( 'pressrelay_comment_payload', self::payload( $comment ), $comment );
		if ( is_array( $data ) ) {
			$this->emitter->emit( array( Channels::post( (int) $post->ID ) ), 'comment-approved', $data );
		}
	}

	/**
	 * Public data of a comment: no e-mail, no IP address.
	 *
	 * @param \WP_Comment $comment Comment.
	 * @return array<string,mixed>
	 */
	public static function payload( \WP_Comment $comment ): array {
		return array(
			'id'      => (int) $comment->comment_ID,
			'post_id' => (int) $comment->comment_post_ID,
			'parent'  => (int) $comment->comment_parent,
			'author'  => PostStatus::plain( (string) $comment->comment_author ),
			'avatar'  => (string) get_avatar_url( $comment ),
			'content' => PostStatus::plain( (string) $comment->comment_content ),
			'date'    => (string) mysql2date( 'c', $comment->comment_date_gmt, false ),
			'url'     => (string) get_comment_link( $comment ),
		);
	}
}
