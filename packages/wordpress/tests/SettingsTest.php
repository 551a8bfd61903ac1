<?php
/**
 * Settings: defaults, constants, malformed stored values.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests;

use PressRelay\Settings;

final class SettingsTest extends TestCase {

	public function test_defaults_and_configuration(): void {
		$settings = new Settings();
		$this->assertFalse( $settings->is_configured() );
		$this->assertTrue( $settings->trigger_enabled( 'posts' ) );
		$this->assertFalse( $settings->trigger_enabled( 'meta' ) );
		$this->configure( array( 'public_url' => '' ) );
		$this->assertTrue( $settings->is_configured() );
		$this->assertSame( 'http://127.0.0.1:6001', $settings->public_url() );
		$this->assertFalse( $settings->is_locked( 'url' ) );
	}

	public function test_malformed_stored_values_are_dropped_not_fatal(): void {
		update_option(
			Settings::OPTION,
			array(
				'url'       => array( 'not', 'a', 'string' ),
				'triggers'  => 'yes',
				'meta_keys' => array( 'ok', array( 'nested' ), 5 ),
				'actions'   => array( 'junk', array( 'hook' => 'h' ), array( 'hook' => 'h', 'channel' => 'c', 'event' => 'e' ) ),
				'schedules' => array( array( 'name' => 'n', 'interval' => '300', 'channel' => 'c', 'event' => 'e' ), null ),
			)
		);
		$all = ( new Settings() )->all();
		$this->assertSame( '', $all['url'] );
		$this->assertTrue( $all['triggers']['posts'] );
		$this->assertSame( array( 'ok', '5' ), $all['meta_keys'] );
		$this->assertSame( array( array( 'hook' => 'h', 'channel' => 'c', 'event' => 'e' ) ), $all['actions'] );
		$this->assertSame( 300, $all['schedules'][0]['interval'] );
		$this->assertCount( 1, $all['schedules'] );
	}
}
