<?php
/**
 * Builds the triggers switched on in the settings and registers them.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

use PressRelay\Settings;

/**
 * The trigger lifecycle: register() at plugins_loaded, unregister() and register() again when the
 * settings change.
 */
final class Registry {

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Emitter shared by the triggers.
	 *
	 * @var Emitter
	 */
	private $emitter;

	/**
	 * Registered triggers by id.
	 *
	 * @var array<string,Trigger>
	 */
	private $active = array();

	/**
	 * Constructor.
	 *
	 * @param Settings     $settings Settings.
	 * @param Emitter|null $emitter  Emitter.
	 */
	public function __construct( Settings $settings, ?Emitter $emitter = null ) {
		$this->settings = $settings;
		$this->emitter  = $emitter ? $emitter : new Emitter();
	}

	/**
	 * The shared emitter.
	 */
	public function emitter(): Emitter {
		return $this->emitter;
	}

	/**
	 * Builds the enabled triggers.
	 *
	 * @return array<string,Trigger>
	 */
	public function build(): array {
		$settings = $this->settings->all();
		$triggers = array();
		if ( $this->settings->trigger_enabled( 'posts' ) ) {
			$triggers['posts'] = new PostStatus( $this->emitter );
		}
		if ( $this->settings->trigger_enabled( 'comments' ) ) {
			$triggers['comments'] = new Comments( $this->emitter );
		}
		if ( $this->settings->trigger_enabled( 'meta' ) && $settings['meta_keys'] ) {
			$triggers['meta'] = new PostMeta( $this->emitter, $settings['meta_keys'] );
		}
		if ( $this->settings->trigger_enabled( 'woocommerce' ) && WooOrders::woocommerce_active() ) {
			$triggers['woocommerce'] = new WooOrders( $this->emitter );
		}
		if ( $this->settings->trigger_enabled( 'schedules' ) && $settings['schedules'] ) {
			$triggers['schedules'] = new Schedules( $this->emitter, $settings['schedules'] );
		}
		if ( $this->settings->trigger_enabled( 'actions' ) && $settings['actions'] ) {
			$triggers['actions'] = new CustomActions( $this->emitter, $settings['actions'] );
		}
		return $triggers;
	}

	/**
	 * Registers the enabled triggers (replacing any registered before).
	 */
	public function register(): void {
		$this->unregister();
		$this->active = $this->build();
		foreach ( $this->active as $trigger ) {
			$trigger->register();
		}
	}

	/**
	 * Unregisters every registered trigger.
	 */
	public function unregister(): void {
		foreach ( $this->active as $trigger ) {
			$trigger->unregister();
		}
		$this->active = array();
	}

	/**
	 * A registered trigger.
	 *
	 * @param string $id Trigger id.
	 */
	public function get( string $id ): ?Trigger {
		return isset( $this->active[ $id ] ) ? $this->active[ $id ] : null;
	}

	/**
	 * Re-creates the WP-Cron events of scheduled triggers after the settings changed.
	 */
	public function reschedule(): void {
		$this->register();
		$schedules = $this->get( 'schedules' );
		if ( $schedules instanceof Schedules ) {
			$schedules->reschedule();
		} else {
			Schedules::clear();
		}
	}
}
