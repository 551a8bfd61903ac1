<?php
/**
 * A throwaway WordPress for PressRelay's test suites: a private MariaDB server (or the one named by
 * PRESSRELAY_TEST_DB_*), a copy of Debian's WordPress (/usr/share/wordpress) with its own
 * wp-config.php, the plugin, and a headless install. Used by the PHPUnit bootstrap and, through
 * cli.php, by the Node end-to-end suite.
 *
 * @package PressRelay
 */

namespace PressRelayTestEnv;

mysqli_report( MYSQLI_REPORT_OFF );

/**
 * Thrown when a service cannot be started.
 */
class EnvironmentError extends \RuntimeException {
}

/**
 * A free TCP port on 127.0.0.1.
 */
function free_port(): int {
	$server = stream_socket_server( 'tcp://127.0.0.1:0', $errno, $errstr );
	if ( false === $server ) {
		throw new EnvironmentError( "no free port: $errstr" );
	}
	$name = (string) stream_socket_get_name( $server, false );
	fclose( $server );
	return (int) substr( (string) strrchr( $name, ':' ), 1 );
}

/**
 * Runs a command, throws with its output when it fails.
 *
 * @param string $command Shell command.
 */
function run( string $command ): string {
	exec( $command . ' 2>&1', $output, $code );
	$text = implode( "\n", $output );
	if ( 0 !== $code ) {
		throw new EnvironmentError( "command failed ($code): $command\n$text" );
	}
	return $text;
}

/**
 * Deletes a directory tree.
 *
 * @param string $dir Directory.
 */
function remove_tree( string $dir ): void {
	if ( '' !== $dir && is_dir( $dir ) && 0 === strpos( realpath( $dir ), realpath( sys_get_temp_dir() ) ) ) {
		exec( 'rm -rf ' . escapeshellarg( $dir ) );
	}
}

/**
 * Whether a process is alive.
 *
 * @param int $pid Process id.
 */
function alive( int $pid ): bool {
	if ( $pid <= 0 || ! file_exists( "/proc/$pid" ) ) {
		return false;
	}
	$stat = (string) @file_get_contents( "/proc/$pid/stat" );
	// A zombie (state Z) has exited.
	return 1 !== preg_match( '/^\d+ \(.*\) Z /', $stat );
}

/**
 * Starts a private MariaDB server in $dir (datadir, socket, log) on a free 127.0.0.1 port.
 *
 * @param string $dir Empty directory.
 * @return array{host:string,user:string,password:string,socket:string,pid:int,dir:string,started:bool}
 */
function start_mariadb( string $dir ): array {
	$mariadbd = is_executable( '/usr/sbin/mariadbd' ) ? '/usr/sbin/mariadbd' : '/usr/sbin/mysqld';
	if ( ! is_executable( $mariadbd ) || ! is_executable( '/usr/bin/mariadb-install-db' ) ) {
		throw new EnvironmentError( 'MariaDB is not installed (apt-get install mariadb-server), and PRESSRELAY_TEST_DB_HOST is not set.' );
	}
	$root = function_exists( 'posix_getuid' ) ? 0 === posix_getuid() : 'root' === get_current_user();
	$data = "$dir/data";
	$user = $root ? ' --user=mysql' : '';
	if ( $root ) {
		run( 'chown -R mysql:mysql ' . escapeshellarg( $dir ) );
	}
	run( '/usr/bin/mariadb-install-db --no-defaults' . $user . ' --datadir=' . escapeshellarg( $data ) . ' --auth-root-authentication-method=normal --skip-test-db' );
	$port   = free_port();
	$socket = "$dir/mysqld.sock";
	$pid    = (int) trim(
		run(
			'setsid ' . $mariadbd . ' --no-defaults' . $user . ' --datadir=' . escapeshellarg( $data ) . ' --socket=' . escapeshellarg( $socket ) .
			' --port=' . $port . ' --bind-address=127.0.0.1 --pid-file=' . escapeshellarg( "$dir/mysqld.pid" ) .
			' --skip-log-bin --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --max-connections=200' .
			' < /dev/null > ' . escapeshellarg( "$dir/mysqld.log" ) . ' 2>&1 & echo $!'
		)
	);
	$deadline = microtime( true ) + 30;
	while ( microtime( true ) < $deadline ) {
		$link = @mysqli_connect( 'localhost', 'root', '', '', 0, $socket );
		if ( $link ) {
			mysqli_query( $link, "CREATE USER IF NOT EXISTS 'wp'@'%' IDENTIFIED BY 'wp'" );
			mysqli_query( $link, "GRANT ALL PRIVILEGES ON *.* TO 'wp'@'%'" );
			mysqli_close( $link );
			return array(
				'host'     => "127.0.0.1:$port",
				'user'     => 'wp',
				'password' => 'wp',
				'socket'   => $socket,
				'pid'      => $pid,
				'dir'      => $dir,
				'started'  => true,
			);
		}
		if ( ! alive( $pid ) ) {
			break;
		}
		usleep( 100000 );
	}
	$log = (string) @file_get_contents( "$dir/mysqld.log" );
	stop_process( $pid );
	throw new EnvironmentError( "MariaDB did not start:\n$log" );
}

/**
 * SIGTERM, then wait up to 30 s (SIGKILL after that).
 *
 * @param int $pid Process id.
 */
function stop_process( int $pid ): void {
	if ( ! alive( $pid ) ) {
		return;
	}
	posix_kill( $pid, 15 );
	$deadline = microtime( true ) + 30;
	while ( alive( $pid ) && microtime( true ) < $deadline ) {
		usleep( 50000 );
	}
	if ( alive( $pid ) ) {
		posix_kill( $pid, 9 );
	}
}

/**
 * Opens a mysqli link to the database server.
 *
 * @param array<string,mixed> $db Database server.
 * @return \mysqli
 */
function connect( array $db ) {
	$parts = explode( ':', (string) $db['host'], 2 );
	$host  = $parts[0];
	$port  = 0;
	$sock  = null;
	if ( isset( $parts[1] ) ) {
		if ( ctype_digit( $parts[1] ) ) {
			$port = (int) $parts[1];
		} else {
			$sock = $parts[1];
		}
	}
	$link = @mysqli_connect( $host, (string) $db['user'], (string) $db['password'], '', $port, $sock );
	if ( ! $link ) {
		throw new EnvironmentError( 'cannot connect to the database server ' . $db['host'] . ': ' . mysqli_connect_error() );
	}
	return $link;
}

/**
 * The database server: PRESSRELAY_TEST_DB_HOST/_USER/_PASSWORD when set, else a private MariaDB.
 *
 * @param string $dir Directory for a private server.
 * @return array<string,mixed>
 */
function database_server( string $dir ): array {
	$host = getenv( 'PRESSRELAY_TEST_DB_HOST' );
	if ( is_string( $host ) && '' !== $host ) {
		return array(
			'host'     => $host,
			'user'     => (string) ( getenv( 'PRESSRELAY_TEST_DB_USER' ) ?: 'root' ),
			'password' => (string) ( getenv( 'PRESSRELAY_TEST_DB_PASSWORD' ) ?: '' ),
			'pid'      => 0,
			'dir'      => '',
			'started'  => false,
		);
	}
	mkdir( $dir, 0755, true );
	return start_mariadb( $dir );
}

/**
 * Sets up a WordPress.
 *
 * Options: plugin_dir (required: the plugin folder), plugin_mode ('symlink' or 'copy'),
 * constants (extra wp-config.php constants), mu_plugins (files to copy into mu-plugins),
 * port (0: pick one), activate (bool, default true).
 *
 * @param array<string,mixed> $options Options.
 * @return array<string,mixed> State: root, wp_dir, url, port, db, db_name.
 */
function create( array $options ): array {
	$root = rtrim( sys_get_temp_dir(), '/' ) . '/pressrelay-wp-' . bin2hex( random_bytes( 4 ) );
	mkdir( $root, 0755, true );
	$state = array(
		'root'    => $root,
		'wp_dir'  => "$root/wordpress",
		'db'      => null,
		'db_name' => 'pressrelay_' . bin2hex( random_bytes( 4 ) ),
	);
	try {
		$state['db'] = database_server( "$root/mariadb" );
		$link        = connect( $state['db'] );
		mysqli_query( $link, 'CREATE DATABASE `' . $state['db_name'] . '` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' );
		mysqli_close( $link );

		$source = getenv( 'PRESSRELAY_WORDPRESS_DIR' ) ?: '/usr/share/wordpress';
		if ( ! is_file( "$source/wp-settings.php" ) ) {
			throw new EnvironmentError( "WordPress is not installed at $source (apt-get install wordpress)." );
		}
		run( 'cp -rL ' . escapeshellarg( $source ) . ' ' . escapeshellarg( $state['wp_dir'] ) );
		$port          = ! empty( $options['port'] ) ? (int) $options['port'] : free_port();
		$state['port'] = $port;
		$state['url']  = "http://127.0.0.1:$port";
		write_config( $state, isset( $options['constants'] ) ? (array) $options['constants'] : array() );

		$plugins = $state['wp_dir'] . '/wp-content/plugins';
		if ( 'copy' === ( $options['plugin_mode'] ?? 'symlink' ) ) {
			run( 'cp -r ' . escapeshellarg( (string) $options['plugin_dir'] ) . ' ' . escapeshellarg( "$plugins/pressrelay" ) );
		} else {
			symlink( realpath( (string) $options['plugin_dir'] ), "$plugins/pressrelay" );
		}
		if ( ! empty( $options['mu_plugins'] ) ) {
			mkdir( $state['wp_dir'] . '/wp-content/mu-plugins', 0755, true );
			foreach ( (array) $options['mu_plugins'] as $file ) {
				copy( (string) $file, $state['wp_dir'] . '/wp-content/mu-plugins/' . basename( (string) $file ) );
			}
		}
		run( 'php ' . escapeshellarg( __DIR__ . '/install.php' ) . ' ' . escapeshellarg( $state['wp_dir'] ) . ' ' . escapeshellarg( $state['url'] ) . ' ' . ( ( $options['activate'] ?? true ) ? '1' : '0' ) );
		file_put_contents( "$root/state.json", json_encode( $state ) );
		return $state;
	} catch ( \Throwable $e ) {
		destroy( $state );
		throw $e;
	}
}

/**
 * Writes wp-config.php.
 *
 * @param array<string,mixed> $state     State.
 * @param array<string,mixed> $constants Extra constants.
 */
function write_config( array $state, array $constants ): void {
	$db     = $state['db'];
	$values = array_merge(
		array(
			'DB_NAME'                => $state['db_name'],
			'DB_USER'                => $db['user'],
			'DB_PASSWORD'            => $db['password'],
			'DB_HOST'                => $db['host'],
			'DB_CHARSET'             => 'utf8mb4',
			'DB_COLLATE'             => '',
			'WP_HOME'                => $state['url'],
			'WP_SITEURL'             => $state['url'],
			'WP_DEBUG'               => true,
			'WP_DEBUG_DISPLAY'       => false,
			'WP_DEBUG_LOG'           => $state['root'] . '/debug.log',
			'WP_HTTP_BLOCK_EXTERNAL' => true,
			'AUTOMATIC_UPDATER_DISABLED' => true,
			'WP_AUTO_UPDATE_CORE'    => false,
			'FS_METHOD'              => 'direct',
			'WP_ENVIRONMENT_TYPE'    => 'local',
		),
		$constants
	);
	foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $salt ) {
		$values[ $salt ] = bin2hex( random_bytes( 32 ) );
	}
	$php = "<?php\n// Written by e2e/wordpress/env/lib.php for a test run.\n";
	foreach ( $values as $name => $value ) {
		$php .= 'if ( ! defined( ' . var_export( $name, true ) . ' ) ) { define( ' . var_export( $name, true ) . ', ' . var_export( $value, true ) . " ); }\n";
	}
	$php .= "\$table_prefix = 'wp_';\n\$GLOBALS['table_prefix'] = \$table_prefix;\n";
	$php .= "if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }\nrequire_once ABSPATH . 'wp-settings.php';\n";
	file_put_contents( $state['wp_dir'] . '/wp-config.php', $php );
}

/**
 * Drops the database, stops MariaDB if this run started it, deletes the files.
 *
 * @param array<string,mixed> $state State from create().
 */
function destroy( array $state ): void {
	if ( ! empty( $state['db'] ) ) {
		if ( empty( $state['db']['started'] ) ) {
			try {
				$link = connect( $state['db'] );
				mysqli_query( $link, 'DROP DATABASE IF EXISTS `' . $state['db_name'] . '`' );
				mysqli_close( $link );
			} catch ( \Throwable $e ) {
				fwrite( STDERR, 'could not drop the test database: ' . $e->getMessage() . "\n" );
			}
		} else {
			stop_process( (int) $state['db']['pid'] );
		}
	}
	if ( ! empty( $state['root'] ) && ! getenv( 'PRESSRELAY_KEEP_ENV' ) ) {
		remove_tree( (string) $state['root'] );
	}
}
