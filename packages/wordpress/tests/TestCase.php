<?php
/**
 * Base class: each test runs in a database transaction that is rolled back, with WordPress's hooks
 * restored afterwards and outgoing HTTP answered by the test.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests;

use PressRelay\Plugin;
use PressRelay\Settings;

/**
 * Shared set-up for PressRelay tests against the real WordPress loaded by the bootstrap.
 */
abstract class TestCase extends \PHPUnit\Framework\TestCase {

	const APP = array(
		'url'    => 'http://127.0.0.1:6001',
		'app_id' => 'test-app',
		'key'    => 'test-key',
		'secret' => 'test-secret',
	);

	/**
	 * HTTP requests WordPress made during the test: url and args.
	 *
	 * @var array<int,array{url:string,args:array<string,mixed>}>
	 */
	protected $requests = array();

	/**
	 * Answers outgoing HTTP requests: fn( string $url, array $args ) => array|\WP_Error.
	 *
	 * @var callable|null
	 */
	protected $responder = null;

	/**
	 * Hooks before the test.
	 *
	 * @var array<string,mixed>
	 */
	private $hooks = array();

	/**
	 * Starts a transaction, records hooks, answers HTTP with 200 {} unless the test says otherwise.
	 */
	protected function setUp(): void {
		global $wpdb;
		parent::setUp();
		Plugin::instance()->triggers()->unregister();
		Plugin::instance()->triggers()->emitter()->reset();
		Plugin::instance()->runner()->unregister();
		Plugin::instance()->runner()->register();
		$this->backup_hooks();
		$wpdb->query( 'SET autocommit = 0' );
		$wpdb->query( 'START TRANSACTION' );
		wp_cache_flush();
		wp_set_current_user( 0 );
		$this->requests  = array();
		$this->responder = null;
		add_filter( 'pre_http_request', array( $this, 'intercept_http' ), 10, 3 );
		add_filter( 'pressrelay_flush_strategy', array( $this, 'strategy_cron' ) );
		add_filter( 'wp_redirect', '__return_false' );
	}

	/**
	 * Rolls back and restores hooks.
	 */
	protected function tearDown(): void {
		global $wpdb;
		Plugin::instance()->triggers()->unregister();
		$wpdb->query( 'ROLLBACK' );
		$wpdb->query( 'SET autocommit = 1' );
		wp_cache_flush();
		$this->restore_hooks();
		wp_set_current_user( 0 );
		$_POST    = array();
		$_REQUEST = array();
		parent::tearDown();
	}

	/**
	 * Default flush strategy in tests: leave rows for an explicit flush.
	 */
	public function strategy_cron(): string {
		return 'cron';
	}

	/**
	 * Saves settings (connection defaults to the test app) and re-registers the triggers.
	 *
	 * @param array<string,mixed> $settings Settings over the test connection.
	 */
	protected function configure( array $settings = array() ): void {
		$all             = array_merge( Settings::defaults(), self::APP, $settings );
		$all['triggers'] = array_merge( Settings::defaults()['triggers'], isset( $settings['triggers'] ) ? $settings['triggers'] : array() );
		update_option( Settings::OPTION, $all );
		Plugin::instance()->triggers()->emitter()->reset();
		Plugin::instance()->triggers()->register();
	}

	/**
	 * The pre_http_request filter: records and answers.
	 *
	 * @param mixed               $pre  Previous value.
	 * @param array<string,mixed> $args Request arguments.
	 * @param string              $url  URL.
	 * @return array<string,mixed>|\WP_Error
	 */
	public function intercept_http( $pre, $args, $url ) {
		$this->requests[] = array(
			'url'  => (string) $url,
			'args' => (array) $args,
		);
		if ( $this->responder ) {
			return call_user_func( $this->responder, (string) $url, (array) $args );
		}
		return self::http_response( 200, '{}' );
	}

	/**
	 * A response array as WordPress's HTTP API returns it.
	 *
	 * @param int    $status Status.
	 * @param string $body   Body.
	 * @return array<string,mixed>
	 */
	public static function http_response( int $status, string $body ): array {
		return array(
			'headers'  => array(),
			'body'     => $body,
			'response' => array(
				'code'    => $status,
				'message' => get_status_header_desc( $status ),
			),
			'cookies'  => array(),
			'filename' => null,
		);
	}

	/**
	 * The outbox rows, oldest first.
	 *
	 * @return array<int,object>
	 */
	protected function outbox(): array {
		global $wpdb;
		$table = \PressRelay\Outbox\Schema::table();
		return $wpdb->get_results( "SELECT * FROM {$table} ORDER BY id" ); // phpcs:ignore
	}

	/**
	 * Decoded JSON bodies of the requests sent to the server.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	protected function sent_bodies(): array {
		$bodies = array();
		foreach ( $this->requests as $request ) {
			if ( false !== strpos( $request['url'], '/apps/' ) ) {
				$bodies[] = json_decode( (string) $request['args']['body'], true );
			}
		}
		return $bodies;
	}

	/**
	 * Copies the hook tables.
	 */
	private function backup_hooks(): void {
		$this->hooks = array();
		foreach ( array( 'wp_filter', 'wp_actions', 'wp_current_filter' ) as $global ) {
			$this->hooks[ $global ] = array();
			foreach ( (array) $GLOBALS[ $global ] as $name => $value ) {
				$this->hooks[ $global ][ $name ] = is_object( $value ) ? clone $value : $value;
			}
		}
	}

	/**
	 * Restores the hook tables.
	 */
	private function restore_hooks(): void {
		foreach ( $this->hooks as $global => $value ) {
			$GLOBALS[ $global ] = $value;
		}
	}
}
