<?php
/**
 * Settings form validation: clear messages, nothing dropped silently.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Admin;

use PressRelay\Admin\SettingsSanitizer;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class SettingsSanitizerTest extends TestCase {

	private function previous(): array {
		return array_merge( Settings::defaults(), self::APP );
	}

	public function test_valid_input(): void {
		$sanitizer = new SettingsSanitizer();
		$out       = $sanitizer->sanitize(
			array(
				'url'        => ' https://rt.example.com/realtime/ ',
				'public_url' => '',
				'app_id'     => 'app-1',
				'key'        => 'key_1',
				'secret'     => 'new-secret',
				'triggers'   => array(
					'posts' => '1',
					'meta'  => '1',
				),
				'meta_keys'  => "seats_left\n\n# a comment\nprice\nseats_left",
				'actions'    => "shop_stock_changed stock stock-changed\nother_hook | chan | ev",
				'schedules'  => 'visitors 300 stats visitors-count',
			),
			$this->previous()
		);
		$this->assertSame( array(), $sanitizer->errors() );
		$this->assertSame( 'https://rt.example.com/realtime', $out['url'] );
		$this->assertSame( 'new-secret', $out['secret'] );
		$this->assertSame(
			array(
				'posts'       => true,
				'comments'    => false,
				'meta'        => true,
				'woocommerce' => false,
				'schedules'   => false,
				'actions'     => false,
			),
			$out['triggers']
		);
		$this->assertSame( array( 'seats_left', 'price' ), $out['meta_keys'] );
		$this->assertSame(
			array(
				array(
					'hook'    => 'shop_stock_changed',
					'channel' => 'stock',
					'event'   => 'stock-changed',
				),
				array(
					'hook'    => 'other_hook',
					'channel' => 'chan',
					'event'   => 'ev',
				),
			),
			$out['actions']
		);
		$this->assertSame(
			array(
				array(
					'name'     => 'visitors',
					'interval' => 300,
					'channel'  => 'stats',
					'event'    => 'visitors-count',
				),
			),
			$out['schedules']
		);
	}

	public function test_sanitizing_twice_changes_nothing(): void {
		$sanitizer = new SettingsSanitizer();
		$once      = $sanitizer->sanitize(
			array(
				'meta_keys' => "seats_left\nprice",
				'actions'   => 'shop_stock_changed stock stock-changed',
				'schedules' => 'visitors 300 stats visitors-count',
				'triggers'  => array( 'meta' => '1' ),
			),
			$this->previous()
		);
		$twice     = $sanitizer->sanitize( $once, $this->previous() );
		$this->assertSame( array(), $sanitizer->errors() );
		$this->assertSame( $once, $twice );
	}

	public function test_delivery_mode_intervals_and_retention_are_validated(): void {
		$sanitizer = new SettingsSanitizer();
		$clean     = $sanitizer->sanitize(
			array(
				'mode'                 => 'polling',
				'poll_interval'        => '3',
				'poll_hidden_interval' => '45',
				'retention_hours'      => '48',
			),
			$this->previous()
		);
		$this->assertSame( array(), $sanitizer->errors() );
		$this->assertSame( array( 'polling', 3, 45, 48 ), array( $clean['mode'], $clean['poll_interval'], $clean['poll_hidden_interval'], $clean['retention_hours'] ) );
		$bad = $sanitizer->sanitize(
			array(
				'mode'            => 'carrier-pigeon',
				'poll_interval'   => '0',
				'retention_hours' => 'a week',
			),
			$clean
		);
		$this->assertSame( array( 'polling', 3, 48 ), array( $bad['mode'], $bad['poll_interval'], $bad['retention_hours'] ) );
		$this->assertSame(
			array(
				'Unknown delivery mode "carrier-pigeon"; the previous mode was kept.',
				'Polling interval (visible page): "0" must be a whole number from 1 to 600; the previous value was kept.',
				'Event log retention: "a week" must be a whole number from 1 to 720; the previous value was kept.',
			),
			$sanitizer->errors()
		);
	}

	public function test_the_first_save_through_the_settings_api_keeps_the_lists(): void {
		delete_option( Settings::OPTION );
		$page = new \PressRelay\Admin\SettingsPage( new Settings(), new \PressRelay\Outbox\Store(), new \PressRelay\Http\Client( new Settings() ), \PressRelay\Plugin::instance()->runner() );
		$page->register_setting();
		update_option(
			Settings::OPTION,
			array(
				'meta_keys' => "seats_left\nprice",
				'actions'   => 'shop_stock_changed stock stock-changed',
			)
		);
		$saved = get_option( Settings::OPTION );
		$this->assertSame( array( 'seats_left', 'price' ), $saved['meta_keys'] );
		$this->assertSame( 'stock', $saved['actions'][0]['channel'] );
		unregister_setting( \PressRelay\Admin\SettingsPage::GROUP, Settings::OPTION );
	}

	public function test_an_empty_secret_keeps_the_saved_one(): void {
		$out = ( new SettingsSanitizer() )->sanitize( array( 'secret' => '' ), $this->previous() );
		$this->assertSame( 'test-secret', $out['secret'] );
	}

	public function test_invalid_values_keep_the_previous_ones_and_say_why(): void {
		$sanitizer = new SettingsSanitizer();
		$out       = $sanitizer->sanitize(
			array(
				'url'       => 'ftp://nope',
				'app_id'    => 'bad id!',
				'meta_keys' => "ok_key\nbad key",
				'actions'   => "only_two words\npressrelay_publish a b\nhook bad/channel ev",
				'schedules' => "x 10 c e\nBad 300 c e\nok 300 c e\nok 600 c e\nfour words only",
			),
			$this->previous()
		);
		$this->assertSame( 'http://127.0.0.1:6001', $out['url'] );
		$this->assertSame( 'test-app', $out['app_id'] );
		$this->assertSame( array( 'ok_key' ), $out['meta_keys'] );
		$this->assertSame( array(), $out['actions'] );
		$this->assertSame( array( 'ok' ), wp_list_pluck( $out['schedules'], 'name' ) );
		$errors = implode( "\n", $sanitizer->errors() );
		$this->assertCount( 10, $sanitizer->errors(), $errors );
		foreach ( array( 'ftp://nope', 'app id', 'line 2: "bad key"', 'line 1: "only_two words" must be: hook channel event', 'belongs to PressRelay', 'channel name is invalid', 'at least 60', 'only a-z', 'used twice', 'must be: name seconds channel event' ) as $expected ) {
			$this->assertStringContainsString( $expected, $errors );
		}
	}

	public function test_the_settings_api_reports_errors_as_admin_notices(): void {
		global $wp_settings_errors;
		$wp_settings_errors = array(); // phpcs:ignore -- reset for the test.
		wp_set_current_user( 1 );
		$page = new \PressRelay\Admin\SettingsPage( new Settings(), new \PressRelay\Outbox\Store(), new \PressRelay\Http\Client( new Settings() ), \PressRelay\Plugin::instance()->runner() );
		update_option( Settings::OPTION, $this->previous() );
		$out = $page->sanitize( array( 'url' => 'not a url' ) );
		$this->assertSame( 'http://127.0.0.1:6001', $out['url'] );
		$errors = get_settings_errors( Settings::OPTION );
		$this->assertSame( 'error', $errors[0]['type'] );
		$this->assertStringContainsString( 'not a url', $errors[0]['message'] );
	}
}
