<?php
/**
 * Decides when the flusher runs: after the response is sent, in a loopback request, or in WP-Cron.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

/**
 * A request that published something flushes at `shutdown`:
 * - PHP-FPM (and LiteSpeed): finish the response first (fastcgi_finish_request), then flush here;
 * - other web servers (mod_php, php -S): post a non-blocking loopback request to the flush route,
 *   as WordPress does to spawn WP-Cron, so the page never waits;
 * - WP-CLI and WP-Cron requests: flush inline (no browser waits).
 * WP-Cron flushes every minute and at the time the next retry is due: it retries failures and
 * catches anything a lost loopback missed. The `pressrelay_flush_strategy` filter picks a strategy
 * ('auto', 'finish-request', 'loopback', 'inline', 'cron').
 */
final class Runner {

	const CRON_HOOK       = 'pressrelay_flush';
	const RETRY_HOOK      = 'pressrelay_flush_retry';
	const PURGE_HOOK      = 'pressrelay_purge';
	const SCHEDULE        = 'pressrelay_minute';
	const TOKEN_OPTION    = 'pressrelay_flush_token';
	const SHUTDOWN_BUDGET = 8.0;
	const CRON_BUDGET     = 20.0;

	/**
	 * Flusher.
	 *
	 * @var Flusher
	 */
	private $flusher;

	/**
	 * Store.
	 *
	 * @var Store
	 */
	private $store;

	/**
	 * Whether this request already hooked a flush at shutdown.
	 *
	 * @var bool
	 */
	private $pending = false;

	/**
	 * Constructor.
	 *
	 * @param Flusher $flusher Flusher.
	 * @param Store   $store   Store.
	 */
	public function __construct( Flusher $flusher, Store $store ) {
		$this->flusher = $flusher;
		$this->store   = $store;
	}

	/**
	 * Hooks cron handlers.
	 */
	public function register(): void {
		add_filter( 'cron_schedules', array( $this, 'filter_cron_schedules' ) );
		add_action( self::CRON_HOOK, array( $this, 'run_from_cron' ) );
		add_action( self::RETRY_HOOK, array( $this, 'run_from_cron' ) );
		add_action( self::PURGE_HOOK, array( $this, 'purge' ) );
		add_action( 'init', array( $this, 'ensure_scheduled' ) );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_filter( 'cron_schedules', array( $this, 'filter_cron_schedules' ) );
		remove_action( self::CRON_HOOK, array( $this, 'run_from_cron' ) );
		remove_action( self::RETRY_HOOK, array( $this, 'run_from_cron' ) );
		remove_action( self::PURGE_HOOK, array( $this, 'purge' ) );
		remove_action( 'init', array( $this, 'ensure_scheduled' ) );
		remove_action( 'shutdown', array( $this, 'on_shutdown' ), 100 );
		$this->pending = false;
	}

	/**
	 * Adds the every-minute schedule.
	 *
	 * @param array<string,array<string,mixed>> $schedules Schedules.
	 * @return array<string,array<string,mixed>>
	 */
	public function filter_cron_schedules( $schedules ) {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => MINUTE_IN_SECONDS,
			'display'  => __( 'Every minute (PressRelay outbox)', 'pressrelay' ),
		);
		return $schedules;
	}

	/**
	 * Schedules the recurring flush and the daily purge when missing.
	 */
	public function ensure_scheduled(): void {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, self::SCHEDULE, self::CRON_HOOK );
		}
		if ( ! wp_next_scheduled( self::PURGE_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::PURGE_HOOK );
		}
	}

	/**
	 * Removes this plugin's cron events (deactivation).
	 */
	public static function clear_scheduled(): void {
		wp_clear_scheduled_hook( self::CRON_HOOK );
		wp_clear_scheduled_hook( self::RETRY_HOOK );
		wp_clear_scheduled_hook( self::PURGE_HOOK );
	}

	/**
	 * Called after a row was stored: flush once this request ends.
	 */
	public function on_enqueued(): void {
		if ( $this->pending ) {
			return;
		}
		$this->pending = true;
		// After wp_ob_end_flush_all (priority 1): the page's output is complete by then.
		add_action( 'shutdown', array( $this, 'on_shutdown' ), 100 );
	}

	/**
	 * The strategy this request uses.
	 */
	public function strategy(): string {
		$strategy = 'auto';
		/**
		 * Filters how a request that published events gets them sent.
		 *
		 * @param string $strategy 'auto', 'finish-request', 'loopback', 'inline' or 'cron'.
		 */
		$strategy = (string) apply_filters( 'pressrelay_flush_strategy', $strategy );
		if ( 'auto' !== $strategy ) {
			return $strategy;
		}
		if ( function_exists( 'fastcgi_finish_request' ) || function_exists( 'litespeed_finish_request' ) ) {
			return 'finish-request';
		}
		if ( 'cli' === PHP_SAPI || wp_doing_cron() ) {
			// No visitor waits on WP-CLI or on a WP-Cron request.
			return 'inline';
		}
		return 'loopback';
	}

	/**
	 * Shutdown handler of a request that published events.
	 */
	public function on_shutdown(): void {
		$this->pending = false;
		switch ( $this->strategy() ) {
			case 'finish-request':
				if ( function_exists( 'fastcgi_finish_request' ) ) {
					fastcgi_finish_request();
				} elseif ( function_exists( 'litespeed_finish_request' ) ) {
					litespeed_finish_request();
				}
				ignore_user_abort( true );
				$this->flush_now( self::SHUTDOWN_BUDGET, 2 );
				break;
			case 'inline':
				$this->flush_now( self::SHUTDOWN_BUDGET, 2 );
				break;
			case 'loopback':
				$this->spawn_loopback();
				break;
			default:
				$this->schedule_retry( time() );
		}
	}

	/**
	 * Flushes and plans the next retry.
	 *
	 * @param float $budget    Seconds.
	 * @param int   $lock_wait Seconds to wait for the lock.
	 * @return array{sent:int,retry:int,failed:int,locked:bool}
	 */
	public function flush_now( float $budget, int $lock_wait = 0 ): array {
		$stats = $this->flusher->flush( $budget, $lock_wait );
		$next  = $this->store->next_retry_time();
		if ( null !== $next ) {
			$this->schedule_retry( $next );
		}
		if ( $stats['locked'] ) {
			$this->schedule_retry( time() );
		}
		return $stats;
	}

	/**
	 * WP-Cron handler.
	 */
	public function run_from_cron(): void {
		$this->flush_now( self::CRON_BUDGET, 0 );
	}

	/**
	 * Daily purge of sent rows past the retention window.
	 */
	public function purge(): void {
		/**
		 * Filters how long sent events stay in the outbox.
		 *
		 * @param int $seconds Seconds (default one day).
		 */
		$this->store->purge_sent( max( 0, (int) apply_filters( 'pressrelay_retention', DAY_IN_SECONDS ) ) );
	}

	/**
	 * Plans a one-off flush (WP-Cron refuses a duplicate within ten minutes; the every-minute event
	 * covers that case).
	 *
	 * @param int $time Unix time.
	 */
	private function schedule_retry( int $time ): void {
		$next = wp_next_scheduled( self::RETRY_HOOK );
		if ( false === $next || $next > $time ) {
			if ( false !== $next ) {
				wp_unschedule_event( $next, self::RETRY_HOOK );
			}
			wp_schedule_single_event( $time, self::RETRY_HOOK );
		}
	}

	/**
	 * The secret that authorizes loopback flush requests.
	 */
	public static function token(): string {
		$token = get_option( self::TOKEN_OPTION );
		if ( ! is_string( $token ) || strlen( $token ) < 32 ) {
			$token = wp_generate_password( 40, false, false );
			update_option( self::TOKEN_OPTION, $token, true );
		}
		return $token;
	}

	/**
	 * Posts a non-blocking request to the flush route and returns at once.
	 */
	public function spawn_loopback(): void {
		$url = rest_url( 'pressrelay/v1/flush' );
		/**
		 * Filters the loopback flush request (for sites behind HTTP auth, for example).
		 *
		 * @param array  $args wp_remote_post() arguments.
		 * @param string $url  Flush URL.
		 */
		$args = apply_filters(
			'pressrelay_loopback_args',
			array(
				'timeout'   => 0.01,
				'blocking'  => false,
				/** This filter is documented in wp-includes/class-wp-http-streams.php */
				'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
				'body'      => array( 'token' => self::token() ),
			),
			$url
		);
		$result = wp_remote_post( $url, $args );
		if ( is_wp_error( $result ) ) {
			$this->schedule_retry( time() );
		}
	}
}
