<?php
/**
 * What every trigger implements.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Triggers;

/**
 * A trigger collects events from WordPress hooks and hands them to pressrelay_publish(). It adds
 * its hooks in register() and removes the same named callbacks in unregister().
 */
interface Trigger {

	/**
	 * Adds the trigger's hooks.
	 */
	public function register(): void;

	/**
	 * Removes the trigger's hooks.
	 */
	public function unregister(): void;
}
