<?php
/**
 * Properties of the plugin's source: PHP 7.4 syntax, no page-cache purges, no secret in the browser bundle path.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests;

final class SourceTest extends \PHPUnit\Framework\TestCase {

	/**
	 * The plugin's shipped PHP files.
	 *
	 * @return string[]
	 */
	private static function files(): array {
		$root  = dirname( __DIR__ );
		$files = array( "$root/pressrelay.php", "$root/uninstall.php", "$root/blocks/live-value/index.asset.php" );
		foreach ( array( 'includes', 'src' ) as $dir ) {
			$iterator = new \RecursiveIteratorIterator( new \RecursiveDirectoryIterator( "$root/$dir", \FilesystemIterator::SKIP_DOTS ) );
			foreach ( $iterator as $file ) {
				if ( 'php' === $file->getExtension() ) {
					$files[] = $file->getPathname();
				}
			}
		}
		sort( $files );
		return $files;
	}

	public function test_every_file_is_valid_php(): void {
		foreach ( self::files() as $file ) {
			exec( 'php -l ' . escapeshellarg( $file ) . ' 2>&1', $output, $code );
			$this->assertSame( 0, $code, implode( "\n", $output ) );
		}
	}

	public function test_no_php_8_only_syntax_or_functions(): void {
		$php8_tokens = array( 'T_MATCH', 'T_NULLSAFE_OBJECT_OPERATOR', 'T_ATTRIBUTE', 'T_READONLY', 'T_ENUM', 'T_NAME_QUALIFIED' );
		$php8_funcs  = array( 'str_contains', 'str_starts_with', 'str_ends_with', 'array_is_list', 'get_debug_type', 'fdiv', 'get_resource_id' );
		$problems    = array();
		foreach ( self::files() as $file ) {
			$source = (string) file_get_contents( $file ); // phpcs:ignore Generic.PHP.ForbiddenFunctions -- local file.
			$tokens = token_get_all( $source );
			foreach ( $tokens as $index => $token ) {
				if ( ! is_array( $token ) ) {
					continue;
				}
				$name = token_name( $token[0] );
				if ( in_array( $name, $php8_tokens, true ) && ! ( 'T_NAME_QUALIFIED' === $name ) ) {
					$problems[] = basename( $file ) . ":{$token[2]} $name";
				}
				if ( T_STRING === $token[0] && in_array( strtolower( $token[1] ), $php8_funcs, true ) ) {
					$problems[] = basename( $file ) . ":{$token[2]} {$token[1]}()";
				}
				if ( T_STRING === $token[0] && in_array( strtolower( $token[1] ), array( 'mixed', 'never' ), true ) ) {
					$problems[] = basename( $file ) . ":{$token[2]} type {$token[1]}";
				}
			}
			// Union types in signatures, constructor promotion, named arguments, trailing commas in parameter lists.
			if ( preg_match_all( '/function\s*\w*\s*\(([^)]*)\)\s*(?::\s*([^\s{;]+))?/', $source, $matches, PREG_SET_ORDER ) ) {
				foreach ( $matches as $match ) {
					if ( preg_match( '/\b(public|private|protected)\s/', $match[1] ) ) {
						$problems[] = basename( $file ) . ': constructor promotion in ' . trim( $match[0] );
					}
					if ( preg_match( '/[\w\\\\]\|[\w\\\\]/', preg_replace( '#/\*.*?\*/#s', '', $match[1] ) ) || ( isset( $match[2] ) && false !== strpos( $match[2], '|' ) ) ) {
						$problems[] = basename( $file ) . ': union type in ' . trim( $match[0] );
					}
					if ( preg_match( '/,\s*$/', $match[1] ) ) {
						$problems[] = basename( $file ) . ': trailing comma in ' . trim( $match[0] );
					}
				}
			}
			if ( preg_match( '/\(\s*\w+\s*:\s*[\$\'"\w]/', preg_replace( array( '#//[^\n]*#', '#/\*.*?\*/#s', "#'[^']*'#", '#"[^"]*"#', '/\?[^:;]*:/' ), '', $source ) ) ) {
				$problems[] = basename( $file ) . ': named argument';
			}
		}
		$this->assertSame( array(), $problems );
	}

	public function test_every_translatable_string_uses_the_pressrelay_text_domain(): void {
		$functions = array( '__', '_e', '_x', '_n', '_nx', 'esc_html__', 'esc_html_e', 'esc_attr__', 'esc_attr_e' );
		$count     = 0;
		foreach ( self::files() as $file ) {
			$tokens = token_get_all( (string) file_get_contents( $file ) ); // phpcs:ignore Generic.PHP.ForbiddenFunctions -- local file.
			foreach ( $tokens as $index => $token ) {
				if ( ! is_array( $token ) || T_STRING !== $token[0] || ! in_array( $token[1], $functions, true ) ) {
					continue;
				}
				$depth = 0;
				$last  = null;
				$total = count( $tokens );
				for ( $i = $index + 1; $i < $total; $i++ ) {
					$t = $tokens[ $i ];
					if ( '(' === $t ) {
						++$depth;
					} elseif ( ')' === $t ) {
						--$depth;
						if ( 0 === $depth ) {
							break;
						}
					} elseif ( 1 === $depth && is_array( $t ) && T_CONSTANT_ENCAPSED_STRING === $t[0] ) {
						$last = $t[1];
					}
				}
				++$count;
				$this->assertSame( "'pressrelay'", $last, basename( $file ) . ':' . $token[2] . ' ' . $token[1] . '()' );
			}
		}
		$this->assertGreaterThan( 50, $count );
		$this->assertFileExists( dirname( __DIR__ ) . '/languages/pressrelay.pot' );
	}

	public function test_the_plugin_never_purges_caches(): void {
		$purges = array( 'wp_cache_flush', 'wp_cache_delete', 'clean_post_cache', 'rocket_clean', 'w3tc_flush', 'wpsc_delete', 'wp_cache_clear_cache', 'litespeed_purge', 'sg_cachepress_purge', 'wpfc_clear', 'cache_enabler', 'nginx_helper', 'breeze_clear', 'autoptimize', 'purge_cache', 'purge_all', 'purge_url', 'purge_post', 'purge_page', 'cache_purge', 'flush_cache', 'cache_flush' );
		foreach ( self::files() as $file ) {
			$source = strtolower( (string) file_get_contents( $file ) ); // phpcs:ignore Generic.PHP.ForbiddenFunctions -- local file.
			foreach ( $purges as $needle ) {
				$this->assertStringNotContainsString( $needle, $source, basename( $file ) . " mentions $needle" );
			}
		}
	}
}
