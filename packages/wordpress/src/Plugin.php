<?php
/**
 * Composition root: builds the parts once and hooks them into WordPress.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay;

use PressRelay\Admin\SettingsPage;
use PressRelay\Auth\ChannelAuthorizer;
use PressRelay\Frontend\Assets;
use PressRelay\Frontend\Block;
use PressRelay\Frontend\Shortcode;
use PressRelay\Http\Client;
use PressRelay\Outbox\Flusher;
use PressRelay\Outbox\Log;
use PressRelay\Outbox\Runner;
use PressRelay\Outbox\Schema;
use PressRelay\Outbox\Store;
use PressRelay\Polling\Presence;
use PressRelay\Rest\AuthController;
use PressRelay\Rest\EventsController;
use PressRelay\Rest\FlushController;
use PressRelay\Rest\WebhookController;
use PressRelay\Triggers\Registry;

/**
 * The plugin. Only this class knows every part.
 */
final class Plugin {

	/**
	 * The instance.
	 *
	 * @var Plugin|null
	 */
	private static $instance = null;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Outbox store.
	 *
	 * @var Store
	 */
	private $store;

	/**
	 * HTTP client.
	 *
	 * @var Client
	 */
	private $client;

	/**
	 * Outbox runner.
	 *
	 * @var Runner
	 */
	private $runner;

	/**
	 * Publisher.
	 *
	 * @var Publisher
	 */
	private $publisher;

	/**
	 * Triggers.
	 *
	 * @var Registry
	 */
	private $triggers;

	/**
	 * Whether boot() ran.
	 *
	 * @var bool
	 */
	private $booted = false;

	/**
	 * The instance.
	 */
	public static function instance(): Plugin {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Builds the parts.
	 */
	private function __construct() {
		$this->settings  = new Settings();
		$this->store     = new Store();
		$this->client    = new Client( $this->settings );
		$this->runner    = new Runner( new Flusher( $this->store, $this->client ), $this->store, $this->settings );
		$this->publisher = new Publisher( $this->store, $this->settings, $this->runner );
		$this->triggers  = new Registry( $this->settings );
	}

	/**
	 * Hooks everything in. Runs once.
	 */
	public function boot(): void {
		if ( $this->booted ) {
			return;
		}
		$this->booted = true;
		add_action( 'plugins_loaded', array( Schema::class, 'maybe_upgrade' ), 5 );
		add_action( 'plugins_loaded', array( $this->triggers, 'register' ), 20 );
		add_action( 'init', array( $this, 'load_textdomain' ) );
		add_action( 'pressrelay_publish', 'pressrelay_publish_action', 10, 4 );
		add_action( 'add_option_' . Settings::OPTION, array( $this->triggers, 'reschedule' ) );
		add_action( 'update_option_' . Settings::OPTION, array( $this->triggers, 'reschedule' ) );
		$this->runner->register();

		$authorizer = new ChannelAuthorizer();
		( new AuthController( $this->settings, $authorizer ) )->register();
		( new EventsController( $this->settings, $authorizer, new Log(), new Presence() ) )->register();
		( new WebhookController( $this->settings ) )->register();
		( new FlushController( $this->runner ) )->register();
		( new Assets( $this->settings ) )->register();
		( new Shortcode() )->register();
		( new Block() )->register();
		if ( is_admin() ) {
			( new SettingsPage( $this->settings, $this->store, $this->client, $this->runner ) )->register();
		}
	}

	/**
	 * Loads translations.
	 */
	public function load_textdomain(): void {
		load_plugin_textdomain( 'pressrelay', false, dirname( plugin_basename( PRESSRELAY_FILE ) ) . '/languages' );
	}

	/**
	 * Settings.
	 */
	public function settings(): Settings {
		return $this->settings;
	}

	/**
	 * Outbox store.
	 */
	public function store(): Store {
		return $this->store;
	}

	/**
	 * Outbox runner.
	 */
	public function runner(): Runner {
		return $this->runner;
	}

	/**
	 * HTTP client.
	 */
	public function client(): Client {
		return $this->client;
	}

	/**
	 * Publisher.
	 */
	public function publisher(): Publisher {
		return $this->publisher;
	}

	/**
	 * Trigger registry.
	 */
	public function triggers(): Registry {
		return $this->triggers;
	}

	/**
	 * Activation: create the table, the flush token and the cron events.
	 *
	 * @param bool $network_wide Whether activated for the whole network.
	 */
	public static function activate( $network_wide = false ): void {
		if ( is_multisite() && $network_wide ) {
			foreach ( get_sites(
				array(
					'fields' => 'ids',
					'number' => 1000,
				)
			) as $site_id ) {
				switch_to_blog( (int) $site_id );
				self::activate_site();
				restore_current_blog();
			}
			return;
		}
		self::activate_site();
	}

	/**
	 * Activation for the current site.
	 */
	private static function activate_site(): void {
		Schema::install();
		Runner::token();
		add_filter( 'cron_schedules', array( self::instance()->runner, 'filter_cron_schedules' ) );
		self::instance()->runner->ensure_scheduled();
		self::instance()->triggers->reschedule();
	}

	/**
	 * Deactivation: stop cron events; keep the data (uninstall removes it).
	 */
	public static function deactivate(): void {
		Runner::clear_scheduled();
		Triggers\Schedules::clear();
	}
}
