<?php
declare(strict_types=1);

namespace PressRelay\Tests;

final class SmokeTest extends TestCase {
	public function test_plugin_is_active_and_table_exists(): void {
		$this->assertTrue( is_plugin_active( 'pressrelay/pressrelay.php' ) );
		$this->assertTrue( \PressRelay\Outbox\Schema::exists() );
	}
}
