<?php
/**
 * The events route polled by pages without a realtime server: answers, ETag/304, one query, auth, presence.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Rest;

use PressRelay\Auth\ChannelAuthorizer;
use PressRelay\Outbox\Log;
use PressRelay\Polling\Presence;
use PressRelay\Rest\EventsController;
use PressRelay\Settings;
use PressRelay\Tests\TestCase;

final class EventsControllerTest extends TestCase {

	/**
	 * Users.
	 *
	 * @var array<string,int>
	 */
	private $users = array();

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'alice', 'bob' ) as $login ) {
			$this->users[ $login ] = (int) wp_insert_user(
				array(
					'user_login'   => $login,
					'user_pass'    => wp_generate_password(),
					'display_name' => ucfirst( $login ) . ' Example',
					'user_email'   => "$login@example.test",
					'role'         => 'subscriber',
				)
			);
		}
	}

	/**
	 * GETs the route.
	 *
	 * @param array<int,string>    $channels `c` values.
	 * @param array<string,string> $headers  Headers.
	 * @return \WP_REST_Response
	 */
	private function poll( array $channels, array $headers = array() ) {
		$request = new \WP_REST_Request( 'GET', '/pressrelay/v1/events' );
		$request->set_query_params( array( 'c' => $channels ) );
		foreach ( $headers as $name => $value ) {
			$request->set_header( $name, $value );
		}
		return rest_get_server()->dispatch( $request );
	}

	/**
	 * Decoded answer of a 200.
	 *
	 * @param \WP_REST_Response $response Response.
	 * @return array<string,mixed>
	 */
	private static function body( $response ): array {
		return json_decode( (string) wp_json_encode( $response->get_data() ), true );
	}

	public function test_without_a_server_a_poll_returns_new_events_with_their_positions(): void {
		pressrelay_publish( array( 'posts', 'post-1' ), 'post-published', array( 'title' => 'One' ) );
		$epoch    = Log::epoch();
		$response = $this->poll( array( "posts:$epoch:0", 'post-1' ) );
		$this->assertSame( 200, $response->get_status() );
		$body = self::body( $response );
		$this->assertSame( $epoch, $body['epoch'] );
		$this->assertSame(
			array(
				'position'  => "$epoch:1",
				'events'    => array(
					array(
						'event'   => 'post-published',
						'channel' => 'posts',
						'data'    => '{"title":"One"}',
						'id'      => "$epoch:1",
					),
				),
				'recovered' => true,
				'more'      => false,
			),
			$body['channels']['posts']
		);
		$this->assertSame(
			array(
				'position' => "$epoch:1",
				'events'   => array(),
			),
			$body['channels']['post-1'],
			'no position: live from the head'
		);
		$this->assertMatchesRegularExpression( '/^"[0-9a-f]{32}"$/', $response->get_headers()['ETag'] );
		$this->assertSame( 'no-cache', $response->get_headers()['Cache-Control'] );
	}

	public function test_an_unchanged_state_answers_304_without_a_body_and_a_new_event_changes_the_etag(): void {
		pressrelay_publish( 'posts', 'e', 1 );
		$epoch = Log::epoch();
		$first = $this->poll( array( "posts:$epoch:0" ) );
		$etag  = $first->get_headers()['ETag'];
		$this->assertCount( 1, self::body( $first )['channels']['posts']['events'] );

		$same = $this->poll( array( "posts:$epoch:1" ), array( 'If-None-Match' => $etag ) );
		$this->assertSame( 304, $same->get_status() );
		$this->assertNull( $same->get_data() );
		$this->assertSame( $etag, $same->get_headers()['ETag'] );
		$controller = new EventsController( new Settings(), new ChannelAuthorizer(), new Log(), new Presence() );
		$this->assertTrue( $controller->serve_not_modified( false, $same ), 'the 304 goes out with no body' );
		$this->assertFalse( $controller->serve_not_modified( false, $first ), 'a 200 is printed as usual' );
		$this->assertNotFalse( has_filter( 'rest_pre_serve_request' ) );
		$this->assertSame( 304, $this->poll( array( "posts:$epoch:1" ), array( 'If-None-Match' => 'W/' . $etag ) )->get_status(), 'weak form' );

		// Behind the state the ETag names: never a 304, the events come.
		$behind = $this->poll( array( "posts:$epoch:0" ), array( 'If-None-Match' => $etag ) );
		$this->assertSame( 200, $behind->get_status() );

		pressrelay_publish( 'posts', 'e', 2 );
		$changed = $this->poll( array( "posts:$epoch:1" ), array( 'If-None-Match' => $etag ) );
		$this->assertSame( 200, $changed->get_status() );
		$this->assertNotSame( $etag, $changed->get_headers()['ETag'] );
		$this->assertSame( array( '2' ), array_column( self::body( $changed )['channels']['posts']['events'], 'data' ) );
		$this->assertSame( 304, $this->poll( array( "posts:$epoch:2" ), array( 'If-None-Match' => $changed->get_headers()['ETag'] ) )->get_status() );
		// Another channel set is another state.
		$this->assertSame( 200, $this->poll( array( "posts:$epoch:2", 'other' ), array( 'If-None-Match' => $changed->get_headers()['ETag'] ) )->get_status() );
	}

	public function test_a_poll_costs_one_database_query_with_or_without_news(): void {
		global $wpdb;
		pressrelay_publish( array( 'a', 'b', 'c' ), 'e', 1 );
		$epoch = Log::epoch();
		$this->poll( array( "a:$epoch:0" ) ); // Warm WordPress's own caches (options, routes).
		$count = function ( array $channels, array $headers = array() ) use ( $wpdb ) {
			$before   = $wpdb->num_queries;
			$response = $this->poll( $channels, $headers );
			return array( $wpdb->num_queries - $before, $response );
		};
		list( $queries, $response ) = $count( array( "a:$epoch:0", "b:$epoch:0", "c:$epoch:1", 'd' ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 1, $queries, 'with new events' );
		list( $queries, $response ) = $count( array( "a:$epoch:1", "b:$epoch:1", "c:$epoch:1", 'd' ), array( 'If-None-Match' => $response->get_headers()['ETag'] ) );
		$this->assertSame( 304, $response->get_status() );
		$this->assertSame( 1, $queries, 'nothing new' );
	}

	public function test_private_channels_follow_the_auth_routes_rules_and_filter(): void {
		$alice   = 'private-user-' . $this->users['alice'];
		$refused = self::body( $this->poll( array( $alice, 'posts' ) ) );
		$this->assertSame(
			array(
				'code'    => 'pressrelay_forbidden',
				'message' => 'Log in to join private and presence channels.',
				'status'  => 403,
			),
			$refused['channels'][ $alice ]['error']
		);
		$this->assertArrayHasKey( 'position', $refused['channels']['posts'], 'the public channel is still served' );

		wp_set_current_user( $this->users['bob'] );
		$this->assertSame( 'You may not join this channel.', self::body( $this->poll( array( $alice ) ) )['channels'][ $alice ]['error']['message'] );
		wp_set_current_user( $this->users['alice'] );
		pressrelay_publish( $alice, 'note', array( 'text' => 'hi' ) );
		$mine = $this->poll( array( $alice . ':' . Log::epoch() . ':0' ) );
		$this->assertSame( array( '{"text":"hi"}' ), array_column( self::body( $mine )['channels'][ $alice ]['events'], 'data' ) );
		$this->assertSame( 'private, no-cache', $mine->get_headers()['Cache-Control'] );

		add_filter(
			'pressrelay_authorize_channel',
			static function ( $allowed, $channel, $user, $socket_id ) {
				return 'private-editors' === $channel && '' === $socket_id ? true : $allowed;
			},
			10,
			4
		);
		$this->assertArrayHasKey( 'position', self::body( $this->poll( array( 'private-editors' ) ) )['channels']['private-editors'] );
		$this->assertSame( 400, self::body( $this->poll( array( 'private-encrypted-x' ) ) )['channels']['private-encrypted-x']['error']['status'] );
	}

	public function test_presence_lists_polling_members_until_their_entry_expires(): void {
		wp_set_current_user( $this->users['alice'] );
		$first = self::body( $this->poll( array( 'presence-lobby' ) ) )['channels']['presence-lobby'];
		$this->assertSame( (string) $this->users['alice'], $first['user_id'] );
		$this->assertSame( 1, $first['presence']['count'] );
		$this->assertSame( 'Alice Example', $first['presence']['hash'][ (string) $this->users['alice'] ]['name'] );

		wp_set_current_user( $this->users['bob'] );
		$etag = $this->poll( array( 'presence-lobby' ) )->get_headers()['ETag'];
		$both = self::body( $this->poll( array( 'presence-lobby' ) ) )['channels']['presence-lobby']['presence'];
		$this->assertSame( array( (string) $this->users['alice'], (string) $this->users['bob'] ), $both['ids'] );
		$this->assertSame( 304, $this->poll( array( 'presence-lobby' ), array( 'If-None-Match' => $etag ) )->get_status(), 'same members: nothing new' );

		// Alice stops polling: once her entry expires she leaves the list, and the ETag changes.
		( new Presence() )->touch( 'presence-lobby', (string) $this->users['alice'], array(), time() - 1 );
		$after = $this->poll( array( 'presence-lobby' ), array( 'If-None-Match' => $etag ) );
		$this->assertSame( 200, $after->get_status() );
		$this->assertSame( array( (string) $this->users['bob'] ), self::body( $after )['channels']['presence-lobby']['presence']['ids'] );
		$this->assertSame( 1, ( new Presence() )->prune( time() ) );

		wp_set_current_user( 0 );
		$this->assertSame( 403, self::body( $this->poll( array( 'presence-lobby' ) ) )['channels']['presence-lobby']['error']['status'] );
	}

	public function test_the_member_expiry_follows_the_hidden_interval(): void {
		$this->configure( array( 'poll_hidden_interval' => 40 ) );
		$this->assertSame( 95, ( new Settings() )->presence_ttl() );
	}

	public function test_bad_requests_and_push_only_mode_are_refused_clearly(): void {
		$this->assertSame( 400, $this->poll( array() )->get_status() );
		$this->assertSame( 400, $this->poll( array( 'bad channel' ) )->get_status() );
		$this->assertSame( 400, $this->poll( array_map( 'strval', range( 1, 101 ) ) )->get_status() );
		$this->assertSame( 'invalid_position', self::body( $this->poll( array( 'a:nonsense' ) ) )['channels']['a']['reason'] );
		$this->configure( array( 'mode' => Settings::MODE_PUSH ) );
		$response = $this->poll( array( 'a' ) );
		$this->assertSame( 404, $response->get_status() );
		$this->assertSame( 'pressrelay_polling_disabled', $response->get_data()['code'] );
	}
}
