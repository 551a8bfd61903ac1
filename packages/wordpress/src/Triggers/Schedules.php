<?php
/**
 * Scheduled events: every N seconds, ask a filter for data and publish it when there is some.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

/**
 * Each schedule (name, interval, channel, event) is a WP-Cron event `pressrelay_schedule` with the
 * schedule's name as argument. When it runs, the filter `pressrelay_schedule_{name}` computes the
 * data; null publishes nothing.
 */
final class Schedules implements Trigger {

	const HOOK = 'pressrelay_schedule';

	const MIN_INTERVAL = 60;

	/**
	 * Emitter.
	 *
	 * @var Emitter
	 */
	private $emitter;

	/**
	 * Schedules by name.
	 *
	 * @var array<string,array{name:string,interval:int,channel:string,event:string}>
	 */
	private $schedules = array();

	/**
	 * Constructor.
	 *
	 * @param Emitter                                                             $emitter   Emitter.
	 * @param array<int,array{name:string,interval:int,channel:string,event:string}> $schedules Schedules.
	 */
	public function __construct( Emitter $emitter, array $schedules ) {
		$this->emitter = $emitter;
		foreach ( $schedules as $schedule ) {
			$this->schedules[ $schedule['name'] ] = $schedule;
		}
	}

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_filter( 'cron_schedules', array( $this, 'filter_cron_schedules' ) );
		add_action( self::HOOK, array( $this, 'run' ), 10, 1 );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_filter( 'cron_schedules', array( $this, 'filter_cron_schedules' ) );
		remove_action( self::HOOK, array( $this, 'run' ), 10 );
	}

	/**
	 * WP-Cron recurrence name for an interval.
	 *
	 * @param int $interval Seconds.
	 */
	public static function recurrence( int $interval ): string {
		return 'pressrelay_every_' . $interval;
	}

	/**
	 * Adds one recurrence per interval in use.
	 *
	 * @param array<string,array<string,mixed>> $schedules WP-Cron schedules.
	 * @return array<string,array<string,mixed>>
	 */
	public function filter_cron_schedules( $schedules ) {
		foreach ( $this->schedules as $schedule ) {
			$schedules[ self::recurrence( $schedule['interval'] ) ] = array(
				'interval' => $schedule['interval'],
				/* translators: %d: interval in seconds. */
				'display'  => sprintf( __( 'Every %d seconds (PressRelay)', 'pressrelay' ), $schedule['interval'] ),
			);
		}
		return $schedules;
	}

	/**
	 * Clears every scheduled run.
	 */
	public static function clear(): void {
		wp_unschedule_hook( self::HOOK );
	}

	/**
	 * Replaces the WP-Cron events with one per schedule.
	 */
	public function reschedule(): void {
		self::clear();
		foreach ( $this->schedules as $schedule ) {
			wp_schedule_event( time() + $schedule['interval'], self::recurrence( $schedule['interval'] ), self::HOOK, array( $schedule['name'] ) );
		}
	}

	/**
	 * Runs one schedule: asks its filter for data and publishes the result.
	 *
	 * @param string $name Schedule name.
	 * @return int|false|null Row id, false on failure, null when nothing was published.
	 */
	public function run( $name ) {
		$name = (string) $name;
		if ( ! isset( $this->schedules[ $name ] ) ) {
			return null;
		}
		$schedule = $this->schedules[ $name ];
		/**
		 * Computes the data of a scheduled event. Return null to publish nothing this time.
		 *
		 * @param mixed $data     Null.
		 * @param array $schedule The schedule: name, interval, channel, event.
		 */
		$data = apply_filters( "pressrelay_schedule_{$name}", null, $schedule );
		if ( null === $data ) {
			return null;
		}
		return $this->emitter->emit( array( $schedule['channel'] ), $schedule['event'], is_array( $data ) ? $data : array( 'value' => $data ) );
	}
}
