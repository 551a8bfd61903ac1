<?php
/**
 * Scheduled events.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Triggers;

use PressRelay\Plugin;
use PressRelay\Triggers\Schedules;
use PressRelay\Tests\TestCase;

final class SchedulesTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$this->configure(
			array(
				'triggers'  => array(
					'posts'     => false,
					'schedules' => true,
				),
				'schedules' => array(
					array(
						'name'     => 'visitors',
						'interval' => 300,
						'channel'  => 'stats',
						'event'    => 'visitors-count',
					),
				),
			)
		);
	}

	public function test_saving_settings_schedules_one_wp_cron_event_per_schedule(): void {
		$next = wp_next_scheduled( Schedules::HOOK, array( 'visitors' ) );
		$this->assertNotFalse( $next );
		$this->assertSame( 'pressrelay_every_300', wp_get_schedule( Schedules::HOOK, array( 'visitors' ) ) );
		$this->assertSame( 300, wp_get_schedules()['pressrelay_every_300']['interval'] );
	}

	public function test_run_publishes_what_the_filter_returns_and_nothing_for_null(): void {
		do_action( Schedules::HOOK, 'visitors' );
		$this->assertSame( array(), $this->outbox(), 'no filter, nothing to publish' );

		add_filter(
			'pressrelay_schedule_visitors',
			static function ( $data, $schedule ) {
				return array(
					'count' => 42,
					'every' => $schedule['interval'],
				);
			},
			10,
			2
		);
		do_action( Schedules::HOOK, 'visitors' );
		$rows = $this->outbox();
		$this->assertSame( 'stats', $rows[0]->channel );
		$this->assertSame( 'visitors-count', $rows[0]->event );
		$this->assertSame( '{"count":42,"every":300}', $rows[0]->data );
	}

	public function test_a_scalar_result_is_wrapped(): void {
		add_filter(
			'pressrelay_schedule_visitors',
			static function () {
				return 17;
			}
		);
		do_action( Schedules::HOOK, 'visitors' );
		$this->assertSame( '{"value":17}', $this->outbox()[0]->data );
	}

	public function test_switching_the_trigger_off_clears_the_events(): void {
		$this->configure( array( 'triggers' => array( 'schedules' => false ) ) );
		Plugin::instance()->triggers()->reschedule();
		$this->assertFalse( wp_next_scheduled( Schedules::HOOK, array( 'visitors' ) ) );
	}
}
