<?php
/**
 * Settings → PressRelay: connection, triggers, mappings, test event, outbox status.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Admin;

use PressRelay\Frontend\Assets;
use PressRelay\Http\Client;
use PressRelay\Outbox\Runner;
use PressRelay\Outbox\Store;
use PressRelay\Rest\WebhookController;
use PressRelay\Settings;
use PressRelay\Triggers\WooOrders;

/**
 * The admin screen. The form goes through the Settings API (options.php); the test event and the
 * retry button go through admin-post.php. Every action checks `manage_options` and a nonce.
 */
final class SettingsPage {

	const SLUG       = 'pressrelay';
	const CAPABILITY = 'manage_options';
	const GROUP      = 'pressrelay';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Store.
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
	 * Runner.
	 *
	 * @var Runner
	 */
	private $runner;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 * @param Store    $store    Store.
	 * @param Client   $client   Client.
	 * @param Runner   $runner   Runner.
	 */
	public function __construct( Settings $settings, Store $store, Client $client, Runner $runner ) {
		$this->settings = $settings;
		$this->store    = $store;
		$this->client   = $client;
		$this->runner   = $runner;
	}

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_init', array( $this, 'register_setting' ) );
		add_action( 'admin_post_pressrelay_test_event', array( $this, 'handle_test_event' ) );
		add_action( 'admin_post_pressrelay_retry_failed', array( $this, 'handle_retry_failed' ) );
		add_action( 'admin_notices', array( $this, 'render_global_notices' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( PRESSRELAY_FILE ), array( $this, 'filter_action_links' ) );
	}

	/**
	 * Adds Settings → PressRelay.
	 */
	public function add_page(): void {
		add_options_page( __( 'PressRelay', 'pressrelay' ), __( 'PressRelay', 'pressrelay' ), self::CAPABILITY, self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * The settings page URL.
	 */
	public static function url(): string {
		return admin_url( 'options-general.php?page=' . self::SLUG );
	}

	/**
	 * Adds a "Settings" link on the plugins screen.
	 *
	 * @param array<string> $links Links.
	 * @return array<string>
	 */
	public function filter_action_links( $links ) {
		array_unshift( $links, '<a href="' . esc_url( self::url() ) . '">' . esc_html__( 'Settings', 'pressrelay' ) . '</a>' );
		return $links;
	}

	/**
	 * Registers the option with its sanitizer.
	 */
	public function register_setting(): void {
		register_setting(
			self::GROUP,
			Settings::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( $this, 'sanitize' ),
				'show_in_rest'      => false,
			)
		);
	}

	/**
	 * Sanitize callback of the option.
	 *
	 * @param mixed $input Posted values.
	 * @return array<string,mixed>
	 */
	public function sanitize( $input ) {
		$previous  = get_option( Settings::OPTION, array() );
		$sanitizer = new SettingsSanitizer();
		$clean     = $sanitizer->sanitize( $input, is_array( $previous ) ? $previous : array() );
		foreach ( $sanitizer->errors() as $index => $error ) {
			add_settings_error( Settings::OPTION, 'pressrelay_' . $index, $error, 'error' );
		}
		return $clean;
	}

	/**
	 * Notices on every admin screen: not configured, or failed events.
	 */
	public function render_global_notices(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( $screen && 'settings_page_' . self::SLUG === $screen->id ) {
			return;
		}
		if ( ! $this->settings->is_configured() && $screen && in_array( $screen->id, array( 'plugins', 'dashboard' ), true ) ) {
			printf(
				'<div class="notice notice-info"><p>%s <a href="%s">%s</a></p></div>',
				esc_html__( 'PressRelay is not connected to a realtime server: pages poll WordPress for events (no-server mode). Set the server URL, app id, key and secret for push delivery.', 'pressrelay' ),
				esc_url( self::url() ),
				esc_html__( 'Settings', 'pressrelay' )
			);
		}
		if ( ! Assets::bundle_exists() ) {
			printf(
				'<div class="notice notice-error"><p>%s</p></div>',
				esc_html__( 'PressRelay: the browser client (assets/js/pressrelay.iife.js) is missing, so pages cannot update live. Install the plugin from its release zip, or run `npm run build:plugin`.', 'pressrelay' )
			);
		}
		$counts = $this->store->counts();
		if ( $counts[ Store::FAILED ] > 0 ) {
			printf(
				'<div class="notice notice-warning"><p>%s <a href="%s">%s</a></p></div>',
				esc_html(
					sprintf(
						/* translators: %d: number of events. */
						_n( 'PressRelay: %d event could not be delivered to the realtime server.', 'PressRelay: %d events could not be delivered to the realtime server.', $counts[ Store::FAILED ], 'pressrelay' ),
						$counts[ Store::FAILED ]
					)
				),
				esc_url( self::url() ),
				esc_html__( 'See the outbox', 'pressrelay' )
			);
		}
	}

	/**
	 * Sends a test event now and reports the outcome.
	 */
	public function handle_test_event(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You may not manage PressRelay.', 'pressrelay' ), 403 );
		}
		check_admin_referer( 'pressrelay_test_event' );
		$data     = (string) Client::json(
			array(
				'message' => 'Hello from ' . get_bloginfo( 'name' ),
				'time'    => gmdate( 'c' ),
			)
		);
		$response = $this->client->trigger( Client::event( 'test', $data, array( 'pressrelay-test' ) ) );
		$this->redirect_with_notice(
			$response->ok ? 'success' : 'error',
			$response->ok
				/* translators: %s: channel name. */
				? sprintf( __( 'Test event delivered: the server accepted "test" on channel "%s" (HTTP 200).', 'pressrelay' ), 'pressrelay-test' )
				/* translators: %s: error message. */
				: sprintf( __( 'Test event failed: %s', 'pressrelay' ), $response->error )
		);
	}

	/**
	 * Puts failed events back in the queue.
	 */
	public function handle_retry_failed(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You may not manage PressRelay.', 'pressrelay' ), 403 );
		}
		check_admin_referer( 'pressrelay_retry_failed' );
		$ids = null;
		if ( isset( $_POST['id'] ) ) {
			$ids = array( absint( wp_unslash( $_POST['id'] ) ) );
		}
		$count = $this->store->retry_failed( $ids );
		if ( $count > 0 ) {
			$this->runner->on_enqueued();
		}
		$this->redirect_with_notice(
			'success',
			/* translators: %d: number of events. */
			sprintf( _n( '%d event queued for another attempt.', '%d events queued for another attempt.', $count, 'pressrelay' ), $count )
		);
	}

	/**
	 * Stores a one-time notice for this user and goes back to the settings page.
	 *
	 * @param string $type    Either 'success' or 'error'.
	 * @param string $message Message.
	 */
	private function redirect_with_notice( string $type, string $message ): void {
		set_transient(
			'pressrelay_notice_' . get_current_user_id(),
			array(
				'type'    => $type,
				'message' => $message,
			),
			5 * MINUTE_IN_SECONDS
		);
		wp_safe_redirect( self::url() );
		if ( ! defined( 'PRESSRELAY_TESTING' ) ) {
			exit;
		}
	}

	/**
	 * The page.
	 */
	public function render(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$settings = $this->settings->all();
		$option   = Settings::OPTION;
		echo '<div class="wrap"><h1>' . esc_html__( 'PressRelay', 'pressrelay' ) . '</h1>';
		$this->render_notice();
		settings_errors( Settings::OPTION );
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			echo '<div class="notice notice-info inline"><p>' . esc_html__( 'WP-Cron is disabled on this site (DISABLE_WP_CRON). Failed events are retried only when a system cron job calls wp-cron.php, e.g. every minute: */1 * * * * curl -s https://your-site/wp-cron.php', 'pressrelay' ) . '</p></div>';
		}

		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
		settings_fields( self::GROUP );

		echo '<h2>' . esc_html__( 'Connection', 'pressrelay' ) . '</h2><table class="form-table" role="presentation">';
		$this->text_row( 'url', __( 'Server URL', 'pressrelay' ), __( 'Base URL WordPress uses to reach the PressRelay server, e.g. http://127.0.0.1:6001', 'pressrelay' ), $settings['url'], 'url' );
		$this->text_row( 'public_url', __( 'Public URL', 'pressrelay' ), __( 'URL browsers use, if different (e.g. https://realtime.example.com). Empty: the server URL.', 'pressrelay' ), $settings['public_url'], 'url' );
		$this->text_row( 'app_id', __( 'App id', 'pressrelay' ), '', $settings['app_id'], 'text' );
		$this->text_row( 'key', __( 'App key', 'pressrelay' ), __( 'Public: browsers get it.', 'pressrelay' ), $settings['key'], 'text' );
		$secret_help = '' !== $settings['secret'] ? __( 'A secret is saved. Leave empty to keep it. It is never sent to browsers.', 'pressrelay' ) : __( 'Never sent to browsers.', 'pressrelay' );
		$this->text_row( 'secret', __( 'App secret', 'pressrelay' ), $secret_help, '', 'password' );
		echo '</table>';
		$this->render_delivery( $settings );

		echo '<h2>' . esc_html__( 'Triggers', 'pressrelay' ) . '</h2><table class="form-table" role="presentation"><tr><th scope="row">' . esc_html__( 'Publish', 'pressrelay' ) . '</th><td><fieldset>';
		$labels = array(
			'posts'       => __( 'Posts published, updated, unpublished or trashed (channels posts and post-{ID})', 'pressrelay' ),
			'comments'    => __( 'Approved comments (channel post-{ID})', 'pressrelay' ),
			'meta'        => __( 'Post meta changes for the keys below (channel post-{ID})', 'pressrelay' ),
			'woocommerce' => WooOrders::woocommerce_active() ? __( 'WooCommerce order status changes (channel private-order-{ID})', 'pressrelay' ) : __( 'WooCommerce order status changes (WooCommerce is not active)', 'pressrelay' ),
			'schedules'   => __( 'Scheduled events below', 'pressrelay' ),
			'actions'     => __( 'Custom action hooks below', 'pressrelay' ),
		);
		foreach ( $labels as $trigger => $label ) {
			printf(
				'<label><input type="checkbox" name="%1$s[triggers][%2$s]" value="1" %3$s /> %4$s</label><br />',
				esc_attr( $option ),
				esc_attr( $trigger ),
				checked( ! empty( $settings['triggers'][ $trigger ] ), true, false ),
				esc_html( $label )
			);
		}
		echo '</fieldset></td></tr>';
		$this->textarea_row( 'meta_keys', __( 'Meta keys', 'pressrelay' ), __( 'One meta key per line. Only these keys are published, with their new value.', 'pressrelay' ), implode( "\n", $settings['meta_keys'] ) );
		$actions = array();
		foreach ( $settings['actions'] as $mapping ) {
			$actions[] = $mapping['hook'] . ' ' . $mapping['channel'] . ' ' . $mapping['event'];
		}
		$this->textarea_row( 'actions', __( 'Custom actions', 'pressrelay' ), __( 'One per line: hook channel event, e.g. "my_plugin_stock_changed stock stock-changed".', 'pressrelay' ), implode( "\n", $actions ) );
		$schedules = array();
		foreach ( $settings['schedules'] as $schedule ) {
			$schedules[] = $schedule['name'] . ' ' . $schedule['interval'] . ' ' . $schedule['channel'] . ' ' . $schedule['event'];
		}
		$this->textarea_row( 'schedules', __( 'Schedules', 'pressrelay' ), __( 'One per line: name seconds channel event, e.g. "visitors 300 stats visitors-count". The filter pressrelay_schedule_{name} returns the data; null publishes nothing.', 'pressrelay' ), implode( "\n", $schedules ) );
		echo '</table>';
		submit_button();
		echo '</form>';

		$this->render_tools();
		echo '</div>';
	}

	/**
	 * Delivery: the three modes, which one is active, polling intervals and the log's retention.
	 *
	 * @param array<string,mixed> $settings Settings.
	 */
	private function render_delivery( array $settings ): void {
		$option = Settings::OPTION;
		$labels = self::mode_labels();
		echo '<h2>' . esc_html__( 'Delivery', 'pressrelay' ) . '</h2>';
		echo '<p id="pressrelay-active-mode"><strong>' . esc_html( $this->active_mode_line() ) . '</strong></p>';
		echo '<table class="form-table" role="presentation"><tr><th scope="row">' . esc_html__( 'Mode', 'pressrelay' ) . '</th><td><fieldset>';
		$help = array(
			Settings::MODE_PUSH     => __( 'Pages receive events from the realtime server over WebSocket (or its SSE and long-polling fallbacks) within a second. WordPress answers no polls.', 'pressrelay' ),
			Settings::MODE_POLLING  => __( 'For hosts that cannot run the server: pages ask WordPress for new events every few seconds. Each poll is a small PHP request.', 'pressrelay' ),
			Settings::MODE_FALLBACK => __( 'Push, and while the realtime server cannot be reached, pages poll WordPress until it is back: no event is lost or repeated. The default when a server is configured.', 'pressrelay' ),
		);
		$chosen = $this->settings->chosen_mode();
		foreach ( array( Settings::MODE_FALLBACK, Settings::MODE_PUSH, Settings::MODE_POLLING ) as $mode ) {
			printf(
				'<label><input type="radio" name="%1$s[mode]" value="%2$s" %3$s /> %4$s</label><p class="description" style="margin:0 0 8px 24px">%5$s</p>',
				esc_attr( $option ),
				esc_attr( $mode ),
				checked( $chosen, $mode, false ),
				esc_html( $labels[ $mode ] ),
				esc_html( $help[ $mode ] )
			);
		}
		echo '</fieldset></td></tr>';
		$this->number_row( 'poll_interval', __( 'Polling interval, visible page', 'pressrelay' ), __( 'Seconds between polls while the page is visible (default 5). A page that becomes visible again polls at once.', 'pressrelay' ), (int) $settings['poll_interval'], Settings::POLL_INTERVAL_MIN, Settings::POLL_INTERVAL_MAX );
		$this->number_row( 'poll_hidden_interval', __( 'Polling interval, hidden page', 'pressrelay' ), __( 'Seconds between polls while the page is in a background tab (default 30).', 'pressrelay' ), (int) $settings['poll_hidden_interval'], Settings::POLL_INTERVAL_MIN, Settings::POLL_INTERVAL_MAX );
		$this->number_row( 'retention_hours', __( 'Event log retention', 'pressrelay' ), __( 'Hours sent events stay in the log (default 24): a polling page can catch up over this window. Unsent events are never deleted.', 'pressrelay' ), (int) $settings['retention_hours'], Settings::RETENTION_MIN, Settings::RETENTION_MAX );
		echo '</table>';
	}

	/**
	 * The names of the modes.
	 *
	 * @return array<string,string>
	 */
	public static function mode_labels(): array {
		return array(
			Settings::MODE_PUSH     => __( 'Realtime server', 'pressrelay' ),
			Settings::MODE_POLLING  => __( 'No server (polling)', 'pressrelay' ),
			Settings::MODE_FALLBACK => __( 'Realtime server with polling fallback', 'pressrelay' ),
		);
	}

	/**
	 * The sentence saying which mode is active right now, and why when it is not the chosen one.
	 */
	public function active_mode_line(): string {
		$labels = self::mode_labels();
		$mode   = $this->settings->mode();
		if ( $mode !== $this->settings->chosen_mode() ) {
			return sprintf(
				/* translators: 1: active mode, 2: chosen mode. */
				__( 'Active now: %1$s. "%2$s" needs the realtime server: set the server URL, app id, key and secret.', 'pressrelay' ),
				$labels[ $mode ],
				$labels[ $this->settings->chosen_mode() ]
			);
		}
		/* translators: %s: mode name. */
		return sprintf( __( 'Active now: %s.', 'pressrelay' ), $labels[ $mode ] );
	}

	/**
	 * A number input row.
	 *
	 * @param string $field Field.
	 * @param string $label Label.
	 * @param string $help  Help.
	 * @param int    $value Value.
	 * @param int    $min   Minimum.
	 * @param int    $max   Maximum.
	 */
	private function number_row( string $field, string $label, string $help, int $value, int $min, int $max ): void {
		printf(
			'<tr><th scope="row"><label for="pressrelay-%1$s">%2$s</label></th><td><input type="number" class="small-text" id="pressrelay-%1$s" name="%3$s" value="%4$d" min="%5$d" max="%6$d" step="1" /><p class="description">%7$s</p></td></tr>',
			esc_attr( $field ),
			esc_html( $label ),
			esc_attr( Settings::OPTION . '[' . $field . ']' ),
			(int) $value,
			(int) $min,
			(int) $max,
			esc_html( $help )
		);
	}

	/**
	 * Test button, outbox status and webhook status.
	 */
	private function render_tools(): void {
		echo '<h2>' . esc_html__( 'Test', 'pressrelay' ) . '</h2>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '"><input type="hidden" name="action" value="pressrelay_test_event" />';
		wp_nonce_field( 'pressrelay_test_event' );
		submit_button( __( 'Send test event', 'pressrelay' ), 'secondary', 'submit', false, $this->settings->is_configured() ? array() : array( 'disabled' => 'disabled' ) );
		echo ' <span class="description">' . esc_html__( 'Sends "test" to channel pressrelay-test right now and reports the server\'s answer.', 'pressrelay' ) . '</span></form>';

		$counts = $this->store->counts();
		echo '<h2>' . esc_html__( 'Outbox', 'pressrelay' ) . '</h2><p>';
		printf(
			/* translators: 1: pending, 2: waiting for retry, 3: failed, 4: sent, 5: logged for polling only. */
			esc_html__( 'Pending: %1$d · Waiting for retry: %2$d · Failed: %3$d · Sent: %4$d · Logged for polling (no server): %5$d', 'pressrelay' ),
			(int) $counts[ Store::PENDING ],
			(int) $counts[ Store::RETRY ],
			(int) $counts[ Store::FAILED ],
			(int) $counts[ Store::SENT ],
			(int) $counts[ Store::LOGGED ]
		);
		echo '</p>';
		$problems = $this->store->problems( 20 );
		if ( $problems ) {
			echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'ID', 'pressrelay' ) . '</th><th>' . esc_html__( 'Channel', 'pressrelay' ) . '</th><th>' . esc_html__( 'Event', 'pressrelay' ) . '</th><th>' . esc_html__( 'Status', 'pressrelay' ) . '</th><th>' . esc_html__( 'Attempts', 'pressrelay' ) . '</th><th>' . esc_html__( 'Next attempt (UTC)', 'pressrelay' ) . '</th><th>' . esc_html__( 'Last error', 'pressrelay' ) . '</th></tr></thead><tbody>';
			foreach ( $problems as $row ) {
				printf(
					'<tr><td>%d</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>',
					(int) $row->id,
					esc_html( (string) $row->channel ),
					esc_html( (string) $row->event ),
					esc_html( (string) $row->status ),
					(int) $row->attempts,
					esc_html( Store::FAILED === $row->status ? '—' : (string) $row->next_attempt_at ),
					esc_html( (string) $row->last_error )
				);
			}
			echo '</tbody></table>';
		}
		if ( $counts[ Store::FAILED ] > 0 ) {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '"><input type="hidden" name="action" value="pressrelay_retry_failed" />';
			wp_nonce_field( 'pressrelay_retry_failed' );
			submit_button( __( 'Retry failed events', 'pressrelay' ), 'secondary', 'submit', false );
			echo '</form>';
		}

		$log = get_option( WebhookController::LOG_OPTION, array() );
		echo '<h2>' . esc_html__( 'Webhooks', 'pressrelay' ) . '</h2><p>';
		printf(
			/* translators: %s: webhook URL. */
			esc_html__( 'Point the server\'s webhook URL (PRESSRELAY_WEBHOOK_URL) at %s', 'pressrelay' ),
			'<code>' . esc_html( rest_url( 'pressrelay/v1/webhook' ) ) . '</code>'
		);
		echo '<br />';
		if ( is_array( $log ) && ! empty( $log['last'] ) ) {
			printf(
				/* translators: 1: count, 2: time, 3: event names. */
				esc_html__( 'Verified webhooks received: %1$d, last at %2$s (%3$s).', 'pressrelay' ),
				(int) $log['received'],
				esc_html( wp_date( 'Y-m-d H:i:s', (int) $log['last'] ) ),
				esc_html( implode( ', ', (array) $log['events'] ) )
			);
		} else {
			esc_html_e( 'No verified webhook received yet.', 'pressrelay' );
		}
		echo '</p>';
	}

	/**
	 * The one-time notice left by an admin-post action.
	 */
	private function render_notice(): void {
		$key    = 'pressrelay_notice_' . get_current_user_id();
		$notice = get_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( $key );
		printf(
			'<div class="notice notice-%s is-dismissible"><p>%s</p></div>',
			'success' === $notice['type'] ? 'success' : 'error',
			esc_html( (string) $notice['message'] )
		);
	}

	/**
	 * A text input row; locked when wp-config.php defines the value.
	 *
	 * @param string $field Field.
	 * @param string $label Label.
	 * @param string $help  Help text.
	 * @param string $value Value.
	 * @param string $type  Input type.
	 */
	private function text_row( string $field, string $label, string $help, string $value, string $type ): void {
		$locked = $this->settings->is_locked( $field );
		$id     = 'pressrelay-' . $field;
		printf(
			'<tr><th scope="row"><label for="%1$s">%2$s</label></th><td><input type="%3$s" class="regular-text" id="%1$s" name="%4$s" value="%5$s" %6$s autocomplete="off" />',
			esc_attr( $id ),
			esc_html( $label ),
			esc_attr( $type ),
			esc_attr( $locked ? '' : Settings::OPTION . '[' . $field . ']' ),
			esc_attr( $locked && 'secret' === $field ? '' : $value ),
			$locked ? 'disabled="disabled"' : ''
		);
		if ( $locked ) {
			/* translators: %s: constant name. */
			$help = sprintf( __( 'Set by %s in wp-config.php.', 'pressrelay' ), Settings::CONSTANTS[ $field ] );
		}
		if ( '' !== $help ) {
			echo '<p class="description">' . esc_html( $help ) . '</p>';
		}
		echo '</td></tr>';
	}

	/**
	 * A textarea row.
	 *
	 * @param string $field Field.
	 * @param string $label Label.
	 * @param string $help  Help.
	 * @param string $value Value.
	 */
	private function textarea_row( string $field, string $label, string $help, string $value ): void {
		printf(
			'<tr><th scope="row"><label for="pressrelay-%1$s">%2$s</label></th><td><textarea class="large-text code" rows="4" id="pressrelay-%1$s" name="%3$s">%4$s</textarea><p class="description">%5$s</p></td></tr>',
			esc_attr( $field ),
			esc_html( $label ),
			esc_attr( Settings::OPTION . '[' . $field . ']' ),
			esc_textarea( $value ),
			esc_html( $help )
		);
	}
}
