<?php
/**
 * Command line for the Node suite:
 *   php cli.php up '{"plugin_dir":"...","plugin_mode":"copy","constants":{...},"mu_plugins":[...]}'
 *     prints the state as JSON on the last line of stdout;
 *   php cli.php down STATE_JSON_FILE
 *     drops the database, stops the MariaDB it started and deletes the files.
 *
 * @package PressRelay
 */

require __DIR__ . '/lib.php';

if ( 'cli' !== PHP_SAPI || $argc < 3 ) {
	fwrite( STDERR, "usage: php cli.php up OPTIONS_JSON | down STATE_FILE\n" );
	exit( 2 );
}
try {
	if ( 'up' === $argv[1] ) {
		$options = json_decode( $argv[2], true );
		if ( ! is_array( $options ) || empty( $options['plugin_dir'] ) ) {
			throw new PressRelayTestEnv\EnvironmentError( 'options must be a JSON object with plugin_dir' );
		}
		echo json_encode( PressRelayTestEnv\create( $options ) ), "\n";
		exit( 0 );
	}
	if ( 'down' === $argv[1] ) {
		$state = json_decode( (string) file_get_contents( $argv[2] ), true );
		PressRelayTestEnv\destroy( is_array( $state ) ? $state : array() );
		exit( 0 );
	}
} catch ( Throwable $e ) {
	fwrite( STDERR, $e->getMessage() . "\n" );
	exit( 1 );
}
fwrite( STDERR, "unknown command\n" );
exit( 2 );
