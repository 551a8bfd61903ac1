<?php
/**
 * Post status transitions: published, updated, unpublished, trashed.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

use PressRelay\Channels;

/**
 * Publishes to `posts` and `post-{ID}` when a public post appears, changes or goes away. A post is
 * public when it is published, has no password and its type is viewable; drafts, private and
 * password-protected posts, revisions and autosaves publish nothing (their disappearing from
 * public view is announced with the ID only).
 */
final class PostStatus implements Trigger {

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
		add_action( 'wp_after_insert_post', array( $this, 'on_after_insert_post' ), 10, 4 );
		add_action( 'before_delete_post', array( $this, 'on_before_delete_post' ), 10, 1 );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_action( 'wp_after_insert_post', array( $this, 'on_after_insert_post' ), 10 );
		remove_action( 'before_delete_post', array( $this, 'on_before_delete_post' ), 10 );
	}

	/**
	 * Whether a post may be shown on public channels.
	 *
	 * @param \WP_Post $post Post.
	 */
	public static function is_public( \WP_Post $post ): bool {
		if ( 'publish' !== $post->post_status || '' !== (string) $post->post_password ) {
			return false;
		}
		if ( 'revision' === $post->post_type || wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) ) {
			return false;
		}
		return in_array( $post->post_type, self::post_types(), true );
	}

	/**
	 * Post types whose changes are published.
	 *
	 * @return string[]
	 */
	public static function post_types(): array {
		$types = array_values( array_filter( get_post_types( array( 'public' => true ) ), 'is_post_type_viewable' ) );
		$types = array_values( array_diff( $types, array( 'attachment' ) ) );
		/**
		 * Filters the post types whose status changes are published.
		 *
		 * @param string[] $types Public, viewable post types except attachments.
		 */
		return (array) apply_filters( 'pressrelay_post_types', $types );
	}

	/**
	 * After a post, its meta and terms were saved.
	 *
	 * @param int           $post_id     Post ID.
	 * @param \WP_Post      $post        Post after the save.
	 * @param bool          $update      Whether this was an update.
	 * @param \WP_Post|null $post_before Post before the save, null for new posts.
	 */
	public function on_after_insert_post( $post_id, $post, $update = false, $post_before = null ): void {
		if ( ! $post instanceof \WP_Post || ( defined( 'DOING_AUTOSAVE' ) && DOING_AUTOSAVE ) ) {
			return;
		}
		if ( wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) ) {
			return;
		}
		$was_public = $post_before instanceof \WP_Post && self::is_public( $post_before );
		$is_public  = self::is_public( $post );
		if ( $is_public ) {
			$this->emit( $post, $was_public ? 'post-updated' : 'post-published', self::payload( $post ) );
		} elseif ( $was_public ) {
			$this->emit( $post, 'trash' === $post->post_status ? 'post-trashed' : 'post-unpublished', self::removal_payload( $post ) );
		}
	}

	/**
	 * Before a post is deleted for good (without going through the trash).
	 *
	 * @param int $post_id Post ID.
	 */
	public function on_before_delete_post( $post_id ): void {
		$post = get_post( (int) $post_id );
		if ( $post instanceof \WP_Post && self::is_public( $post ) ) {
			$this->emit( $post, 'post-unpublished', self::removal_payload( $post ) );
		}
	}

	/**
	 * Publishes to the site-wide and the per-post channel.
	 *
	 * @param \WP_Post            $post  Post.
	 * @param string              $event Event.
	 * @param array<string,mixed> $data  Data.
	 */
	private function emit( \WP_Post $post, string $event, array $data ): void {
		/**
		 * Filters a post event's data; return null to publish nothing.
		 *
		 * @param array|null $data  Data.
		 * @param string     $event Event name.
		 * @param \WP_Post   $post  Post.
		 */
		$data = apply_filters( 'pressrelay_post_payload', $data, $event, $post );
		if ( is_array( $data ) ) {
			$this->emitter->emit( array( Channels::posts(), Channels::post( (int) $post->ID ) ), $event, $data );
		}
	}

	/**
	 * Data of a public post.
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,mixed>
	 */
	public static function payload( \WP_Post $post ): array {
		$author = get_userdata( (int) $post->post_author );
		return array(
			'id'       => (int) $post->ID,
			'type'     => (string) $post->post_type,
			'status'   => 'publish',
			'title'    => self::plain( get_the_title( $post ) ),
			'url'      => (string) get_permalink( $post ),
			'excerpt'  => self::excerpt( $post ),
			'author'   => $author ? (string) $author->display_name : '',
			'date'     => (string) mysql2date( 'c', $post->post_date_gmt, false ),
			'modified' => (string) mysql2date( 'c', $post->post_modified_gmt, false ),
		);
	}

	/**
	 * Data of a post that left public view: no content.
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,mixed>
	 */
	public static function removal_payload( \WP_Post $post ): array {
		return array(
			'id'     => (int) $post->ID,
			'type'   => (string) $post->post_type,
			'status' => (string) $post->post_status,
		);
	}

	/**
	 * Text without tags or entities.
	 *
	 * @param string $html HTML.
	 */
	public static function plain( string $html ): string {
		return html_entity_decode( wp_strip_all_tags( $html ), ENT_QUOTES, 'UTF-8' );
	}

	/**
	 * The excerpt, or the first 40 words of the content, as plain text.
	 *
	 * @param \WP_Post $post Post.
	 */
	private static function excerpt( \WP_Post $post ): string {
		$text = '' !== trim( (string) $post->post_excerpt ) ? (string) $post->post_excerpt : strip_shortcodes( excerpt_remove_blocks( (string) $post->post_content ) );
		return self::plain( wp_trim_words( $text, 40, '…' ) );
	}
}
