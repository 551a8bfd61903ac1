<?php
/**
 * Post meta changes for an allow-list of keys.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

use PressRelay\Channels;

/**
 * Publishes `meta-updated` to `post-{ID}` after an allow-listed meta key of a public post was
 * added, updated or deleted, with the new value (null after a delete).
 */
final class PostMeta implements Trigger {

	/**
	 * Emitter.
	 *
	 * @var Emitter
	 */
	private $emitter;

	/**
	 * Allowed meta keys.
	 *
	 * @var string[]
	 */
	private $keys;

	/**
	 * Constructor.
	 *
	 * @param Emitter  $emitter Emitter.
	 * @param string[] $keys    Allowed meta keys.
	 */
	public function __construct( Emitter $emitter, array $keys ) {
		$this->emitter = $emitter;
		$this->keys    = array_values( array_map( 'strval', $keys ) );
	}

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'added_post_meta', array( $this, 'on_added' ), 10, 4 );
		add_action( 'updated_post_meta', array( $this, 'on_updated' ), 10, 4 );
		add_action( 'deleted_post_meta', array( $this, 'on_deleted' ), 10, 4 );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_action( 'added_post_meta', array( $this, 'on_added' ), 10 );
		remove_action( 'updated_post_meta', array( $this, 'on_updated' ), 10 );
		remove_action( 'deleted_post_meta', array( $this, 'on_deleted' ), 10 );
	}

	/**
	 * After a meta row was added.
	 *
	 * @param int    $meta_id   Meta ID.
	 * @param int    $object_id Post ID.
	 * @param string $meta_key  Key.
	 * @param mixed  $value     New value.
	 */
	public function on_added( $meta_id, $object_id, $meta_key, $value ): void {
		$this->emit( (int) $object_id, (string) $meta_key, $value, 'added' );
	}

	/**
	 * After a meta row was updated.
	 *
	 * @param int    $meta_id   Meta ID.
	 * @param int    $object_id Post ID.
	 * @param string $meta_key  Key.
	 * @param mixed  $value     New value.
	 */
	public function on_updated( $meta_id, $object_id, $meta_key, $value ): void {
		$this->emit( (int) $object_id, (string) $meta_key, $value, 'updated' );
	}

	/**
	 * After meta rows were deleted.
	 *
	 * @param array<int> $meta_ids  Meta IDs.
	 * @param int        $object_id Post ID.
	 * @param string     $meta_key  Key.
	 * @param mixed      $value     Value the delete matched (not the new one).
	 */
	public function on_deleted( $meta_ids, $object_id, $meta_key, $value ): void {
		$this->emit( (int) $object_id, (string) $meta_key, null, 'deleted' );
	}

	/**
	 * Publishes when the key is allowed and the post public.
	 *
	 * @param int    $post_id Post ID.
	 * @param string $key     Meta key.
	 * @param mixed  $value   New value, null after a delete.
	 * @param string $action  One of 'added', 'updated', 'deleted'.
	 */
	private function emit( int $post_id, string $key, $value, string $action ): void {
		if ( ! in_array( $key, $this->keys, true ) ) {
			return;
		}
		$post = get_post( $post_id );
		if ( ! $post instanceof \WP_Post || ! PostStatus::is_public( $post ) ) {
			return;
		}
		$data = array(
			'post_id' => $post_id,
			'key'     => $key,
			'value'   => $value,
			'action'  => $action,
			'meta'    => array( $key => $value ),
		);
		/**
		 * Filters a meta event's data; return null to publish nothing.
		 *
		 * @param array|null $data    Data.
		 * @param int        $post_id Post ID.
		 * @param string     $key     Meta key.
		 */
		$data = apply_filters( 'pressrelay_meta_payload', $data, $post_id, $key );
		if ( is_array( $data ) ) {
			$this->emitter->emit( array( Channels::post( $post_id ) ), 'meta-updated', $data );
		}
	}
}
