<?php
/**
 * Channel and user auth for pusher-js and the PressRelay client.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Rest;

use PressRelay\Http\Signer;
use PressRelay\Tests\TestCase;

require_once dirname( __DIR__ ) . '/fixtures/woocommerce-stand-in.php';

final class AuthControllerTest extends TestCase {

	/**
	 * Users.
	 *
	 * @var array<string,int>
	 */
	private $users = array();

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		foreach ( array( 'alice' => 'subscriber', 'bob' => 'subscriber', 'manager' => 'editor' ) as $login => $role ) {
			$this->users[ $login ] = (int) wp_insert_user(
				array(
					'user_login'   => $login,
					'user_pass'    => wp_generate_password(),
					'display_name' => ucfirst( $login ) . ' Example',
					'user_email'   => "$login@example.test",
					'role'         => $role,
				)
			);
		}
		get_userdata( $this->users['manager'] )->add_cap( 'manage_woocommerce' );
	}

	/**
	 * POSTs to the auth route as pusher-js does (form fields).
	 *
	 * @param array<string,string> $fields Fields.
	 * @return \WP_REST_Response
	 */
	private function auth( array $fields ) {
		$request = new \WP_REST_Request( 'POST', '/pressrelay/v1/auth' );
		$request->set_header( 'Content-Type', 'application/x-www-form-urlencoded' );
		$request->set_body_params( $fields );
		return rest_get_server()->dispatch( $request );
	}

	private function as_user( string $login ): void {
		wp_set_current_user( $this->users[ $login ] );
	}

	private function signer(): Signer {
		return new Signer( 'test-key', 'test-secret' );
	}

	public function test_logged_out_visitors_are_refused_with_403(): void {
		$response = $this->auth(
			array(
				'socket_id'    => '1.1',
				'channel_name' => 'presence-lobby',
			)
		);
		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( 'pressrelay_forbidden', $response->get_data()['code'] );
	}

	public function test_a_user_may_join_their_own_private_channel_only(): void {
		$this->as_user( 'alice' );
		$channel  = 'private-user-' . $this->users['alice'];
		$response = $this->auth(
			array(
				'socket_id'    => '123.456',
				'channel_name' => $channel,
			)
		);
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( array( 'auth' => $this->signer()->channel_auth( '123.456', $channel ) ), $response->get_data() );

		$other = $this->auth(
			array(
				'socket_id'    => '123.456',
				'channel_name' => 'private-user-' . $this->users['bob'],
			)
		);
		$this->assertSame( 403, $other->get_status() );
	}

	public function test_presence_channels_carry_user_info_and_sign_the_exact_channel_data(): void {
		$this->as_user( 'bob' );
		$response = $this->auth(
			array(
				'socket_id'    => '9.9',
				'channel_name' => 'presence-lobby',
			)
		);
		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( $this->signer()->channel_auth( '9.9', 'presence-lobby', $data['channel_data'] ), $data['auth'] );
		$member = json_decode( $data['channel_data'], true );
		$this->assertSame( (string) $this->users['bob'], $member['user_id'] );
		$this->assertSame( 'Bob Example', $member['user_info']['name'] );
		$this->assertStringStartsWith( 'http', $member['user_info']['avatar'] );
		$this->assertStringNotContainsString( 'bob@example.test', $data['channel_data'] );
	}

	public function test_user_signin_without_a_channel(): void {
		$this->as_user( 'alice' );
		$data = $this->auth( array( 'socket_id' => '5.6' ) )->get_data();
		$this->assertSame( $this->signer()->user_auth( '5.6', $data['user_data'] ), $data['auth'] );
		$user = json_decode( $data['user_data'], true );
		$this->assertSame( (string) $this->users['alice'], $user['id'], 'pusher-js requires a string id' );
		$this->assertSame( 'Alice Example', $user['user_info']['name'] );
	}

	/**
	 * Channels nobody gets by default.
	 *
	 * @return array<string,array{0:string}>
	 */
	public function refused_channels(): array {
		return array(
			'public channel'    => array( 'posts' ),
			'encrypted channel' => array( 'private-encrypted-x' ),
			'other private'     => array( 'private-admin' ),
			'user id prefix'    => array( 'private-user-1x' ),
		);
	}

	/**
	 * Everything else is refused.
	 *
	 * @dataProvider refused_channels
	 *
	 * @param string $channel Channel.
	 */
	public function test_everything_else_is_refused( string $channel ): void {
		$this->as_user( 'manager' );
		$this->assertSame(
			403,
			$this->auth(
				array(
					'socket_id'    => '1.2',
					'channel_name' => $channel,
				)
			)->get_status()
		);
	}

	public function test_bad_input_gets_400(): void {
		$this->as_user( 'alice' );
		foreach ( array(
			array(
				'socket_id'    => 'abc',
				'channel_name' => 'presence-a',
			),
			array(
				'socket_id'    => '1.2',
				'channel_name' => 'presence a/b',
			),
			array( 'channel_name' => 'presence-a' ),
			array(
				'socket_id'    => '1.2',
				'channel_name' => '#server-to-user-1',
			),
		) as $fields ) {
			$response = $this->auth( $fields );
			$this->assertSame( 400, $response->get_status(), wp_json_encode( $fields ) );
			$this->assertArrayHasKey( 'message', $response->get_data() );
		}
	}

	public function test_order_channels_for_the_customer_and_shop_managers(): void {
		new \PressRelay_Test_WC_Order( 900, $this->users['alice'] );
		$fields = array(
			'socket_id'    => '1.2',
			'channel_name' => 'private-order-900',
		);
		$this->as_user( 'alice' );
		$this->assertSame( 200, $this->auth( $fields )->get_status() );
		$this->as_user( 'bob' );
		$this->assertSame( 403, $this->auth( $fields )->get_status() );
		$this->as_user( 'manager' );
		$this->assertSame( 200, $this->auth( $fields )->get_status() );
		$fields['channel_name'] = 'private-order-901';
		$this->assertSame( 403, $this->auth( $fields )->get_status(), 'no such order' );

		add_filter( 'pressrelay_woocommerce_active', '__return_false' );
		$this->as_user( 'alice' );
		$fields['channel_name'] = 'private-order-900';
		$this->assertSame( 403, $this->auth( $fields )->get_status(), 'WooCommerce inactive' );
	}

	public function test_the_filter_extends_and_restricts_the_rules(): void {
		add_filter(
			'pressrelay_authorize_channel',
			static function ( $allowed, $channel, $user ) {
				if ( 'private-editors' === $channel ) {
					return user_can( $user, 'edit_others_posts' );
				}
				if ( 'presence-vip' === $channel ) {
					return false;
				}
				return $allowed;
			},
			10,
			3
		);
		$this->as_user( 'manager' );
		$this->assertSame(
			200,
			$this->auth(
				array(
					'socket_id'    => '1.2',
					'channel_name' => 'private-editors',
				)
			)->get_status()
		);
		$this->assertSame(
			403,
			$this->auth(
				array(
					'socket_id'    => '1.2',
					'channel_name' => 'presence-vip',
				)
			)->get_status()
		);
		$this->as_user( 'alice' );
		$this->assertSame(
			403,
			$this->auth(
				array(
					'socket_id'    => '1.2',
					'channel_name' => 'private-editors',
				)
			)->get_status()
		);
	}

	public function test_unconfigured_plugin_answers_503(): void {
		update_option( \PressRelay\Settings::OPTION, array() );
		$this->as_user( 'alice' );
		$this->assertSame(
			503,
			$this->auth(
				array(
					'socket_id'    => '1.2',
					'channel_name' => 'presence-a',
				)
			)->get_status()
		);
	}
}
