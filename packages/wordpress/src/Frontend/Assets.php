<?php
/**
 * Enqueues the PressRelay browser client with its public configuration.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Frontend;

use PressRelay\Http\Client;
use PressRelay\Outbox\Log;
use PressRelay\Settings;

/**
 * The client (assets/js/pressrelay.iife.js, built by packages/client) creates `window.pressRelay`
 * from `window.PressRelayConfig` and binds `data-pressrelay-*` elements. The config carries the
 * public key and URL only; the secret never leaves PHP. A REST nonce is added for logged-in users
 * only, so a cached page for visitors holds nothing user-specific. `wordpress` tells the client how to
 * poll WordPress's events route: always (no-server mode: no key, no URL, no WebSocket), only while the
 * realtime server cannot be reached (the fallback), or never (`push`).
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
		$mode   = $this->settings->mode();
		$config = array();
		if ( Settings::MODE_POLLING !== $mode ) {
			$config = array(
				'key'              => (string) $this->settings->get( 'key' ),
				'url'              => untrailingslashit( $this->settings->public_url() ),
				'authEndpoint'     => $auth,
				'userAuthEndpoint' => $auth,
			);
		}
		$visible             = 1000 * (int) $this->settings->get( 'poll_interval' );
		$config['wordpress'] = array(
			'eventsUrl'         => rest_url( 'pressrelay/v1/events' ),
			'mode'              => $mode,
			'intervalMs'        => $visible,
			'visibleIntervalMs' => $visible,
			'hiddenIntervalMs'  => max( $visible, 1000 * (int) $this->settings->get( 'poll_hidden_interval' ) ),
		);
		if ( $this->settings->polling_enabled() ) {
			// The log's head now: channels the page has no position for are read from here, so events
			// published after this page was rendered (or cached) are not missed.
			$config['wordpress']['since'] = Log::cursor();
		}
		if ( is_user_logged_in() ) {
			$config['auth'] = array( 'headers' => array( 'X-WP-Nonce' => wp_create_nonce( 'wp_rest' ) ) );
		}
		/**
		 * Filters the client configuration printed as `window.PressRelayConfig`. Never add secrets.
		 *
		 * @param array $config Key, URL, auth endpoints, the polling settings and (for logged-in users) the REST nonce.
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
	 * Enqueues the client when the bundle is there (without a realtime server, pages poll WordPress).
	 */
	public function enqueue(): void {
		/**
		 * Filters whether the client is loaded on this page (default: on every front-end page).
		 *
		 * @param bool $enqueue Whether to load the client.
		 */
		if ( ! self::bundle_exists() || ! apply_filters( 'pressrelay_enqueue_client', true ) ) {
			return;
		}
		$version = PRESSRELAY_VERSION . '.' . filemtime( dirname( PRESSRELAY_FILE ) . '/' . self::FILE );
		wp_enqueue_script( self::HANDLE, plugins_url( self::FILE, PRESSRELAY_FILE ), array(), $version, true );
		wp_add_inline_script( self::HANDLE, 'window.PressRelayConfig = ' . Client::json( $this->config() ) . ';', 'before' );
	}
}
