<?php
/**
 * Enqueues the PressRelay browser client with its public configuration.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Frontend;

use PressRelay\Http\Client;
use PressRelay\Settings;

/**
 * The client (assets/js/pressrelay.iife.js, built by packages/client) creates `window.pressRelay`
 * from `window.PressRelayConfig` and binds `data-pressrelay-*` elements. The config carries the
 * public key and URL only; the secret never leaves PHP. A REST nonce is added for logged-in users
 * only, so a cached page for visitors holds nothing user-specific.
 */
final class Assets {

	const HANDLE = 'pressrelay-client';
	const FILE   = 'assets/js/pressrelay.iife.js';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 */
	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * Hooks the enqueue.
	 */
	public function register(): void {
		add_action( 'wp_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * Removes the hook.
	 */
	public function unregister(): void {
		remove_action( 'wp_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * The configuration the browser gets.
	 *
	 * @return array<string,mixed>
	 */
	public function config(): array {
		$auth   = rest_url( 'pressrelay/v1/auth' );
		$config = array(
			'key'              => (string) $this->settings->get( 'key' ),
			'url'              => untrailingslashit( $this->settings->public_url() ),
			'authEndpoint'     => $auth,
			'userAuthEndpoint' => $auth,
		);
		if ( is_user_logged_in() ) {
			$config['auth'] = array( 'headers' => array( 'X-WP-Nonce' => wp_create_nonce( 'wp_rest' ) ) );
		}
		/**
		 * Filters the client configuration printed as `window.PressRelayConfig`. Never add secrets.
		 *
		 * @param array $config Key, URL, auth endpoints and (for logged-in users) the REST nonce.
		 */
		return (array) apply_filters( 'pressrelay_client_config', $config );
	}

	/**
	 * Whether the built client is in the plugin (a development checkout may lack it).
	 */
	public static function bundle_exists(): bool {
		return file_exists( dirname( PRESSRELAY_FILE ) . '/' . self::FILE );
	}

	/**
	 * Enqueues the client when the plugin is configured and the bundle is there.
	 */
	public function enqueue(): void {
		/**
		 * Filters whether the client is loaded on this page (default: on every front-end page).
		 *
		 * @param bool $enqueue Whether to load the client.
		 */
		if ( ! $this->settings->is_configured() || ! self::bundle_exists() || ! apply_filters( 'pressrelay_enqueue_client', true ) ) {
			return;
		}
		$version = PRESSRELAY_VERSION . '.' . filemtime( dirname( PRESSRELAY_FILE ) . '/' . self::FILE );
		wp_enqueue_script( self::HANDLE, plugins_url( self::FILE, PRESSRELAY_FILE ), array(), $version, true );
		wp_add_inline_script( self::HANDLE, 'window.PressRelayConfig = ' . Client::json( $this->config() ) . ';', 'before' );
	}
}
