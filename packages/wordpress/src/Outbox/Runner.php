<?php
/**
 * Decides when the flusher runs: after the response is sent, in a loopback request, or in WP-Cron.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Outbox;

use PressRelay\Polling\Presence;
use PressRelay\Settings;

/**
 * A request that published something flushes at `shutdown`:
 * - PHP-FPM (and LiteSpeed): finish the response first (fastcgi_finish_request), then flush here;
 * - other web servers (mod_php, php -S): post a fire-and-forget loopback request to the flush route
 *   (see Loopback), so the page never waits;
 * - WP-CLI and WP-Cron requests: flush inline (no browser waits).
 * WP-Cron flushes every minute and at the time the next retry is due: it retries failures and
 * catches anything a lost loopback missed. The `pressrelay_flush_strategy` filter picks a strategy
 * ('auto', 'finish-request', 'loopback', 'inline', 'cron'). In no-server mode nothing is sent: rows
 * are only logged for polling pages. Every hour, sent and logged rows older than the retention
 * window and expired presence members are deleted.
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
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Whether this request already hooked a flush at shutdown.
	 *
	 * @var bool
	 */
	private $pending = false;

	/**
	 * Constructor.
	 *
	 * @param Flusher       $flusher  Flusher.
	 * @param Store         $store    Store.
	 * @param Settings|null $settings Settings.
	 */
	public function __construct( Flusher $flusher, Store $store, ?Settings $settings = null ) {
		$this->flusher  = $flusher;
		$this->store    = $store;
		$this->settings = $settings ? $settings : new Settings();
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
	 * Schedules the recurring flush and the hourly purge when missing (a daily purge of an earlier
	 * version is replaced).
	 */
	public function ensure_scheduled(): void {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, self::SCHEDULE, self::CRON_HOOK );
		}
		if ( wp_next_scheduled( self::PURGE_HOOK ) && 'hourly' !== wp_get_schedule( self::PURGE_HOOK ) ) {
			wp_clear_scheduled_hook( self::PURGE_HOOK );
		}
		if ( ! wp_next_scheduled( self::PURGE_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'hourly', self::PURGE_HOOK );
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
		if ( $this->pending || ! $this->settings->sends_to_server() ) {
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
				$this->flush_now( self::SHUTDOWN_BUDGET );
				break;
			case 'inline':
				$this->flush_now( self::SHUTDOWN_BUDGET );
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
		if ( ! $this->settings->sends_to_server() ) {
			return array(
				'sent'   => 0,
				'retry'  => 0,
				'failed' => 0,
				'locked' => false,
			);
		}
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
	 * Hourly purge of sent and logged rows past the retention window, and of expired presence members.
	 */
	public function purge(): void {
		$this->store->purge_sent( $this->settings->retention() );
		( new Presence() )->prune( time() );
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
	 * Posts a fire-and-forget request to the flush route and returns at once.
	 */
	public function spawn_loopback(): void {
		/**
		 * Filters the URL of the loopback flush request (for sites whose public URL does not reach
		 * this server from itself).
		 *
		 * @param string $url Flush route URL.
		 */
		$url = (string) apply_filters( 'pressrelay_loopback_url', rest_url( 'pressrelay/v1/flush' ) );
		/**
		 * Filters extra headers of the loopback flush request (e.g. Authorization on a site behind HTTP auth).
		 *
		 * @param array  $headers Header name => value.
		 * @param string $url     Flush route URL.
		 */
		$headers = (array) apply_filters( 'pressrelay_loopback_headers', array(), $url );
		$result  = Loopback::post( $url, array( 'token' => self::token() ), $headers );
		if ( is_wp_error( $result ) ) {
			$this->schedule_retry( time() );
		}
	}
}
