<?php
/**
 * The settings page: rendering, capabilities, nonces, test event, retry.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Admin;

use PressRelay\Admin\SettingsPage;
use PressRelay\Http\Client;
use PressRelay\Outbox\Store;
use PressRelay\Plugin;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class SettingsPageTest extends TestCase {

	/**
	 * Page.
	 *
	 * @var SettingsPage
	 */
	private $page;

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		$this->page = new SettingsPage( new Settings(), Plugin::instance()->store(), new Client( new Settings() ), Plugin::instance()->runner() );
		add_filter(
			'wp_die_handler',
			static function () {
				return static function ( $message ) {
					throw new \RuntimeException( 'wp_die: ' . ( is_string( $message ) ? $message : 'error' ) );
				};
			}
		);
	}

	private function render(): string {
		ob_start();
		$this->page->render();
		return (string) ob_get_clean();
	}

	private function notice(): array {
		return (array) get_transient( 'pressrelay_notice_' . get_current_user_id() );
	}

	public function test_the_three_modes_are_offered_with_the_default_and_the_active_one(): void {
		wp_set_current_user( 1 );
		$html = $this->render();
		foreach ( array( 'Realtime server', 'No server (polling)', 'Realtime server with polling fallback' ) as $label ) {
			$this->assertStringContainsString( '/> ' . $label . '</label>', $html );
		}
		$this->assertStringContainsString( 'value="push-with-polling-fallback"  checked=\'checked\'', $html, 'the default with a server' );
		$this->assertStringContainsString( 'Active now: Realtime server with polling fallback.', $html );
		$this->assertStringContainsString( 'name="pressrelay_settings[poll_interval]" value="5"', $html );
		$this->assertStringContainsString( 'name="pressrelay_settings[poll_hidden_interval]" value="30"', $html );
		$this->assertStringContainsString( 'name="pressrelay_settings[retention_hours]" value="24"', $html );

		update_option( Settings::OPTION, array() );
		$html = $this->render();
		$this->assertStringContainsString( 'value="polling"  checked=\'checked\'', $html, 'the default without a server' );
		$this->assertStringContainsString( 'Active now: No server (polling).', $html );

		update_option( Settings::OPTION, array( 'mode' => 'push' ) );
		$this->assertStringContainsString( 'Active now: No server (polling). &quot;Realtime server&quot; needs the realtime server', $this->render() );
	}

	public function test_admins_see_the_form_and_never_the_secret(): void {
		wp_set_current_user( 1 );
		$html = $this->render();
		$this->assertStringContainsString( 'name="pressrelay_settings[url]" value="http://127.0.0.1:6001"', $html );
		$this->assertStringContainsString( 'name="pressrelay_settings[secret]" value=""', $html );
		$this->assertStringNotContainsString( 'test-secret', $html );
		$this->assertStringContainsString( "name='option_page' value='pressrelay'", $html, 'Settings API fields' );
		$this->assertMatchesRegularExpression( '/name="_wpnonce" value="[0-9a-f]{10}"/', $html );
		$this->assertStringContainsString( 'Send test event', $html );
		$this->assertStringContainsString( 'pressrelay/v1/webhook', $html );
		$this->assertStringContainsString( 'WP-Cron is disabled', $html, 'the test site sets DISABLE_WP_CRON' );
	}

	public function test_others_see_nothing(): void {
		$editor = (int) wp_insert_user(
			array(
				'user_login' => 'ed',
				'user_pass'  => 'x',
				'role'       => 'editor',
			)
		);
		wp_set_current_user( $editor );
		$this->assertSame( '', $this->render() );
		$this->expectExceptionMessage( 'wp_die' );
		$this->page->handle_test_event();
	}

	public function test_outbox_problems_are_listed_with_their_last_error(): void {
		wp_set_current_user( 1 );
		$store = Plugin::instance()->store();
		$id    = $store->insert( 'a', 'e', '1', '', 'g' );
		$store->mark_failed( array( $store->get( $id ) ), 'HTTP 413: <b>too large</b>' );
		$html = $this->render();
		$this->assertStringContainsString( 'Failed: 1', $html );
		$this->assertStringContainsString( 'HTTP 413: &lt;b&gt;too large&lt;/b&gt;', $html, 'escaped' );
		$this->assertStringContainsString( 'Retry failed events', $html );
	}

	public function test_send_test_event_reports_success(): void {
		wp_set_current_user( 1 );
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'pressrelay_test_event' );
		$this->page->handle_test_event();
		$this->assertSame( 'success', $this->notice()['type'] );
		$this->assertStringContainsString( 'HTTP 200', $this->notice()['message'] );
		$body = $this->sent_bodies()[0];
		$this->assertSame( 'test', $body['name'] );
		$this->assertSame( array( 'pressrelay-test' ), $body['channels'] );
	}

	public function test_send_test_event_reports_the_exact_error(): void {
		wp_set_current_user( 1 );
		$this->responder      = static function () {
			return self::http_response( 401, '{"error":"Invalid signature: expected HMAC SHA256 hex digest"}' );
		};
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'pressrelay_test_event' );
		$this->page->handle_test_event();
		$this->assertSame( 'error', $this->notice()['type'] );
		$this->assertSame( 'Test event failed: HTTP 401: Invalid signature: expected HMAC SHA256 hex digest', $this->notice()['message'] );

		$this->responder = static function () {
			return new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to 127.0.0.1 port 6001 after 0 ms: Connection refused' );
		};
		$this->page->handle_test_event();
		$this->assertSame( 'Test event failed: cURL error 7: Failed to connect to 127.0.0.1 port 6001 after 0 ms: Connection refused', $this->notice()['message'] );
	}

	public function test_send_test_event_needs_the_nonce(): void {
		wp_set_current_user( 1 );
		$_REQUEST['_wpnonce'] = 'forged';
		$this->expectExceptionMessage( 'wp_die' );
		$this->page->handle_test_event();
	}

	public function test_retry_failed_requeues_and_plans_a_flush(): void {
		wp_set_current_user( 1 );
		$store = Plugin::instance()->store();
		$id    = $store->insert( 'a', 'e', '1', '', 'g' );
		$store->mark_failed( array( $store->get( $id ) ), 'down' );
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'pressrelay_retry_failed' );
		$this->page->handle_retry_failed();
		$this->assertSame( Store::RETRY, $store->get( $id )->status );
		$this->assertStringContainsString( '1 event queued', $this->notice()['message'] );
		$this->assertNotFalse( has_action( 'shutdown', array( Plugin::instance()->runner(), 'on_shutdown' ) ) );
	}
}
