<?php
/**
 * The client is enqueued with the public configuration only.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Frontend;

use PressRelay\Frontend\Assets;
use PressRelay\Outbox\Log;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class AssetsTest extends TestCase {

	/**
	 * Whether this test wrote a stand-in bundle (a source checkout has none; the zip has the built one).
	 *
	 * @var bool
	 */
	private $wrote_bundle = false;

	private static function bundle(): string {
		return dirname( __DIR__, 2 ) . '/' . Assets::FILE;
	}

	protected function setUp(): void {
		parent::setUp();
		wp_dequeue_script( Assets::HANDLE );
		wp_deregister_script( Assets::HANDLE );
		if ( ! file_exists( self::bundle() ) ) {
			wp_mkdir_p( dirname( self::bundle() ) );
			file_put_contents( self::bundle(), '/* stand-in for the built client */' ); // phpcs:ignore -- test file.
			$this->wrote_bundle = true;
		}
	}

	protected function tearDown(): void {
		if ( $this->wrote_bundle ) {
			unlink( self::bundle() );
			$this->wrote_bundle = false;
		}
		parent::tearDown();
	}

	public function test_nothing_is_enqueued_without_the_bundle(): void {
		$this->configure();
		$this->assertTrue( Assets::bundle_exists() );
		if ( $this->wrote_bundle ) {
			unlink( self::bundle() );
			$this->wrote_bundle = false;
			( new Assets( new Settings() ) )->enqueue();
			$this->assertFalse( wp_script_is( Assets::HANDLE, 'enqueued' ) );
			$this->assertFalse( Assets::bundle_exists() );
		}
	}

	private function printed(): string {
		ob_start();
		wp_print_scripts( Assets::HANDLE );
		return (string) ob_get_clean();
	}

	public function test_visitors_get_key_url_and_auth_endpoint_but_no_nonce_and_no_secret(): void {
		$this->configure( array( 'public_url' => 'https://rt.example.com/' ) );
		( new Assets( new Settings() ) )->enqueue();
		$html = $this->printed();
		$auth = wp_json_encode( rest_url( 'pressrelay/v1/auth' ), JSON_UNESCAPED_SLASHES );
		$this->assertStringContainsString( 'window.PressRelayConfig = {"key":"test-key","url":"https://rt.example.com","authEndpoint":' . $auth . ',"userAuthEndpoint":' . $auth . ',"wordpress":{"eventsUrl":' . wp_json_encode( rest_url( 'pressrelay/v1/events' ), JSON_UNESCAPED_SLASHES ) . ',"mode":"push-with-polling-fallback","intervalMs":5000,"visibleIntervalMs":5000,"hiddenIntervalMs":30000,"since":"' . Log::cursor() . '"}};', $html );
		$this->assertMatchesRegularExpression( '#<script[^>]+src=[\'"][^\'"]+/assets/js/pressrelay\.iife\.js\?ver=[^\'"]+[\'"]#', $html );
		$this->assertLessThan( strpos( $html, 'pressrelay.iife.js' ), strpos( $html, 'PressRelayConfig' ), 'config before the bundle' );
		$this->assertStringNotContainsString( 'test-secret', $html );
		$this->assertStringNotContainsString( 'X-WP-Nonce', $html, 'a cached page for visitors holds nothing user-specific' );
	}

	public function test_logged_in_users_get_a_rest_nonce(): void {
		$this->configure();
		wp_set_current_user( 1 );
		$config = ( new Assets( new Settings() ) )->config();
		$this->assertSame( 1, wp_verify_nonce( $config['auth']['headers']['X-WP-Nonce'], 'wp_rest' ) );
		$this->assertSame( 'http://127.0.0.1:6001', $config['url'], 'defaults to the server URL' );
	}

	public function test_without_a_server_pages_poll_wordpress_with_no_key_and_no_url(): void {
		( new Assets( new Settings() ) )->enqueue();
		$this->assertTrue( wp_script_is( Assets::HANDLE, 'enqueued' ) );
		$config = ( new Assets( new Settings() ) )->config();
		$this->assertSame(
			array(
				'wordpress' => array(
					'eventsUrl'         => rest_url( 'pressrelay/v1/events' ),
					'mode'              => 'polling',
					'intervalMs'        => 5000,
					'visibleIntervalMs' => 5000,
					'hiddenIntervalMs'  => 30000,
					'since'             => Log::cursor(),
				),
			),
			$config
		);
	}

	public function test_the_chosen_mode_and_intervals_reach_the_page(): void {
		$this->configure(
			array(
				'mode'                 => 'push',
				'poll_interval'        => 2,
				'poll_hidden_interval' => 60,
			)
		);
		$config = ( new Assets( new Settings() ) )->config();
		$this->assertSame( 'push', $config['wordpress']['mode'] );
		$this->assertSame( 2000, $config['wordpress']['visibleIntervalMs'] );
		$this->assertSame( 60000, $config['wordpress']['hiddenIntervalMs'] );
		$this->assertSame( 'test-key', $config['key'] );
		$this->assertArrayNotHasKey( 'since', $config['wordpress'], 'no polling, no cursor' );
	}

	public function test_the_filter_keeps_the_client_off_a_page(): void {
		$this->configure();
		add_filter( 'pressrelay_enqueue_client', '__return_false' );
		( new Assets( new Settings() ) )->enqueue();
		$this->assertFalse( wp_script_is( Assets::HANDLE, 'enqueued' ) );
	}
}
