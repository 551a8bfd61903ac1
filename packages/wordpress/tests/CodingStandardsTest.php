<?php
/**
 * The plugin stays clean under its PHPCS ruleset (phpcs.xml.dist).
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests;

final class CodingStandardsTest extends \PHPUnit\Framework\TestCase {

	public function test_phpcs_reports_nothing(): void {
		$root = dirname( __DIR__ );
		exec( 'command -v phpcs', $found, $missing );
		$this->assertSame( 0, $missing, 'phpcs is not installed (apt-get install php-codesniffer)' );
		exec( 'cd ' . escapeshellarg( $root ) . ' && phpcs -q --no-colors --report=full --standard=phpcs.xml.dist 2>&1', $output, $code );
		$this->assertSame( 0, $code, implode( "\n", $output ) );
	}
}
