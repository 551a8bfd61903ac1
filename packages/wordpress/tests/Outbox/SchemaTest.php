<?php
/**
 * Table creation, upgrade and uninstall. DDL commits transactions, so this test restores the table itself.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Outbox;

use PressRelay\Outbox\Schema;
use PressRelay\Tests\TestCase;

final class SchemaTest extends TestCase {

	protected function setUp(): void {
		global $wpdb;
		parent::setUp();
		// DDL commits any open transaction: run without one and clean up by hand.
		$wpdb->query( 'COMMIT' );
		$wpdb->query( 'SET autocommit = 1' );
	}

	protected function tearDown(): void {
		parent::tearDown();
		foreach ( array( 'pressrelay_settings', 'pressrelay_webhook_log' ) as $option ) {
			delete_option( $option );
		}
		foreach ( array( 'pressrelay_flush', 'pressrelay_schedule' ) as $hook ) {
			wp_unschedule_hook( $hook );
		}
		Schema::install();
		update_option( 'pressrelay_flush_token', str_repeat( 'a', 40 ) );
	}

	public function test_the_table_has_the_event_log_columns_and_indexes(): void {
		global $wpdb;
		$table   = Schema::table();
		$columns = wp_list_pluck( $wpdb->get_results( "SHOW COLUMNS FROM {$table}" ), 'Field' ); // phpcs:ignore
		$this->assertSame( array( 'id', 'channel', 'serial', 'event', 'data', 'socket_id', 'group_key', 'status', 'attempts', 'next_attempt_at', 'last_error', 'created_at', 'sent_at' ), $columns );
		$indexes = array();
		foreach ( $wpdb->get_results( "SHOW INDEX FROM {$table}" ) as $index ) { // phpcs:ignore
			$indexes[ $index->Key_name ][] = $index->Column_name;
		}
		$this->assertSame( array( 'channel', 'serial' ), $indexes['channel_serial'] );
		$this->assertSame( array( 'status', 'next_attempt_at' ), $indexes['status_next'] );
		$this->assertSame( array( 'created_at' ), $indexes['created_at'] );
		$this->assertSame( (string) Schema::VERSION, (string) get_option( Schema::VERSION_OPTION ) );
	}

	public function test_an_older_schema_version_is_upgraded_on_load(): void {
		Schema::drop();
		$this->assertFalse( Schema::exists() );
		update_option( Schema::VERSION_OPTION, 0 );
		Schema::maybe_upgrade();
		$this->assertTrue( Schema::exists() );
	}

	public function test_a_recreated_log_gets_a_new_epoch_and_an_upgrade_keeps_it(): void {
		$epoch = \PressRelay\Outbox\Log::epoch();
		Schema::install();
		$this->assertSame( $epoch, \PressRelay\Outbox\Log::epoch(), 'an upgrade of an existing table keeps the positions valid' );
		Schema::drop();
		Schema::install();
		$this->assertNotSame( $epoch, \PressRelay\Outbox\Log::epoch(), 'a new table must not be read with old positions' );
		$this->assertTrue( Schema::exists() );
		global $wpdb;
		$this->assertSame( Schema::presence_table(), $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Schema::presence_table() ) ) );
	}

	public function test_uninstall_removes_table_options_and_cron_events(): void {
		update_option( 'pressrelay_settings', array( 'url' => 'x' ) );
		update_option( 'pressrelay_webhook_log', array( 'received' => 1 ) );
		wp_schedule_event( time() + 60, 'hourly', 'pressrelay_flush' );
		wp_schedule_event( time() + 60, 'hourly', 'pressrelay_schedule', array( 'x' ) );
		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'pressrelay/pressrelay.php' );
		}
		include dirname( __DIR__, 2 ) . '/uninstall.php';
		$this->assertFalse( Schema::exists() );
		foreach ( array( 'pressrelay_settings', 'pressrelay_webhook_log', 'pressrelay_flush_token', Schema::VERSION_OPTION ) as $option ) {
			$this->assertFalse( get_option( $option ), $option );
		}
		$this->assertFalse( wp_next_scheduled( 'pressrelay_flush' ) );
		$this->assertFalse( wp_next_scheduled( 'pressrelay_schedule', array( 'x' ) ) );
	}
}
