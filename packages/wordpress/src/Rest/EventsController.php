<?php
/**
 * REST route that serves the event log to pages polling WordPress (no-server mode and fallback).
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Rest;

use PressRelay\Auth\ChannelAuthorizer;
use PressRelay\Http\Client;
use PressRelay\Outbox\Log;
use PressRelay\Polling\Presence;
use PressRelay\Settings;

/**
 * `GET /wp-json/pressrelay/v1/events?c[]=posts:Xk2f9aQ1bZ0c:41&c[]=post-42&since=Xk2f9aQ1bZ0c:880` (or
 * `?rest_route=` without pretty permalinks): each `c` is a channel, with `:{position}` when the page has
 * one; `since` is the cursor printed in the page (Log::cursor()), used for channels without a position.
 * The answer:
 *
 *     {"epoch":"Xk2f9aQ1bZ0c","channels":{
 *       "posts":{"position":"Xk2f9aQ1bZ0c:43","recovered":true,"more":false,"events":[
 *         {"event":"post-published","channel":"posts","data":"{…}","id":"Xk2f9aQ1bZ0c:42"}, …]},
 *       "post-42":{"position":"Xk2f9aQ1bZ0c:7","events":[]},
 *       "presence-lobby":{…,"presence":{"count":2,"ids":["1","3"],"hash":{"1":{…},"3":{…}}},"user_id":"3"},
 *       "private-user-9":{"error":{"code":"pressrelay_forbidden","message":"…","status":403}}}}
 *
 * The ETag names the state the answer leaves the page in (each channel's position, refusals and
 * presence members); `If-None-Match` with it gets `304` and no body while nothing changed. Private and
 * presence channels are authorized for the logged-in user (cookie + REST nonce) by the same rules and
 * filter as the auth route. A presence poll lists its user for Settings::presence_ttl() seconds.
 */
final class EventsController {

	const MAX_CHANNELS = 100;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Channel rules.
	 *
	 * @var ChannelAuthorizer
	 */
	private $authorizer;

	/**
	 * Event log.
	 *
	 * @var Log
	 */
	private $log;

	/**
	 * Presence members.
	 *
	 * @var Presence
	 */
	private $presence;

	/**
	 * Constructor.
	 *
	 * @param Settings          $settings   Settings.
	 * @param ChannelAuthorizer $authorizer Rules.
	 * @param Log               $log        Event log.
	 * @param Presence          $presence   Presence members.
	 */
	public function __construct( Settings $settings, ChannelAuthorizer $authorizer, Log $log, Presence $presence ) {
		$this->settings   = $settings;
		$this->authorizer = $authorizer;
		$this->log        = $log;
		$this->presence   = $presence;
	}

	/**
	 * Hooks the route.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		add_filter( 'rest_pre_serve_request', array( $this, 'serve_not_modified' ), 10, 2 );
		add_filter( 'rest_allowed_cors_headers', array( $this, 'filter_allowed_cors_headers' ) );
		add_filter( 'rest_exposed_cors_headers', array( $this, 'filter_exposed_cors_headers' ) );
	}

	/**
	 * Lets pages on another origin (a CDN copy of the site) send If-None-Match.
	 *
	 * @param array<int,string> $headers Allowed request headers.
	 * @return array<int,string>
	 */
	public function filter_allowed_cors_headers( $headers ) {
		$headers   = (array) $headers;
		$headers[] = 'If-None-Match';
		return array_values( array_unique( $headers ) );
	}

	/**
	 * Lets pages on another origin read the ETag.
	 *
	 * @param array<int,string> $headers Exposed response headers.
	 * @return array<int,string>
	 */
	public function filter_exposed_cors_headers( $headers ) {
		$headers   = (array) $headers;
		$headers[] = 'ETag';
		return array_values( array_unique( $headers ) );
	}

	/**
	 * Removes the hooks.
	 */
	public function unregister(): void {
		remove_action( 'rest_api_init', array( $this, 'register_routes' ) );
		remove_filter( 'rest_pre_serve_request', array( $this, 'serve_not_modified' ), 10 );
		remove_filter( 'rest_allowed_cors_headers', array( $this, 'filter_allowed_cors_headers' ) );
		remove_filter( 'rest_exposed_cors_headers', array( $this, 'filter_exposed_cors_headers' ) );
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			AuthController::ROUTE_NAMESPACE,
			'/events',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'handle' ),
				// Public: anyone may read public channels; private and presence channels are checked one by one.
				'permission_callback' => '__return_true',
				'args'                => array(
					'c'         => array(
						'type'     => 'array',
						'items'    => array( 'type' => 'string' ),
						'required' => true,
					),
					'socket_id' => array(
						'type'    => 'string',
						'default' => '',
					),
					'since'     => array(
						'type'    => 'string',
						'default' => '',
					),
				),
			)
		);
	}

	/**
	 * Sends a 304 without a body (the REST server would print `null`).
	 *
	 * @param bool  $served Whether the request was served already.
	 * @param mixed $result Response.
	 * @return bool
	 */
	public function serve_not_modified( $served, $result ) {
		if ( ! $served && $result instanceof \WP_REST_Response && 304 === $result->get_status() && null === $result->get_data() ) {
			return true;
		}
		return $served;
	}

	/**
	 * Answers a poll.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function handle( \WP_REST_Request $request ) {
		if ( ! $this->settings->polling_enabled() ) {
			return new \WP_Error( 'pressrelay_polling_disabled', __( 'Polling is switched off: this site delivers events through its realtime server only.', 'pressrelay' ), array( 'status' => 404 ) );
		}
		$wanted = $this->parse( $request->get_param( 'c' ) );
		if ( is_wp_error( $wanted ) ) {
			return $wanted;
		}
		$socket_id = (string) $request->get_param( 'socket_id' );
		if ( '' !== $socket_id && 1 !== preg_match( '/^\d+\.\d+$/', $socket_id ) ) {
			return new \WP_Error( 'pressrelay_invalid_socket_id', __( 'Invalid socket_id.', 'pressrelay' ), array( 'status' => 400 ) );
		}

		$user      = wp_get_current_user();
		$refused   = array();
		$positions = array();
		foreach ( $wanted as $channel => $position ) {
			$error = $this->refusal( $channel, $user );
			if ( $error ) {
				$refused[ $channel ] = $error;
			} else {
				$positions[ $channel ] = $position;
			}
		}
		$since   = (string) $request->get_param( 'since' );
		$answers = $positions ? $this->log->read( $positions, $socket_id, '' === $since ? null : $since ) : array();

		$channels = array();
		$state    = array( Log::epoch() );
		$news     = false;
		$now      = time();
		foreach ( array_keys( $wanted ) as $channel ) {
			if ( isset( $refused[ $channel ] ) ) {
				$channels[ $channel ] = array( 'error' => $refused[ $channel ] );
				$state[]              = array( $channel, $refused[ $channel ]['code'] );
				continue;
			}
			$answer = $answers[ $channel ];
			$news   = $news || $answer['events'] || false === ( $answer['recovered'] ?? true );
			$entry  = array( $channel, $answer['position'], $answer['reason'] ?? '' );
			if ( 0 === strpos( $channel, 'presence-' ) ) {
				$member = ChannelAuthorizer::member( $user );
				$this->presence->touch( $channel, $member['user_id'], $member['user_info'], $now + $this->settings->presence_ttl() );
				$members             = $this->presence->members( $channel, $now );
				$answer['presence']  = array(
					'count' => count( $members ),
					'ids'   => array_map( 'strval', array_keys( $members ) ),
					'hash'  => (object) $members,
				);
				$answer['user_id']   = $member['user_id'];
				$entry[]             = md5( (string) Client::json( $members ) );
			}
			$channels[ $channel ] = $answer;
			$state[]              = $entry;
		}

		$etag    = '"' . md5( (string) Client::json( $state ) ) . '"';
		$private = is_user_logged_in() || count( $positions ) !== count( array_filter( array_keys( $positions ), array( self::class, 'is_public' ) ) );
		$headers = array(
			'ETag'          => $etag,
			'Cache-Control' => ( $private ? 'private, ' : '' ) . 'no-cache',
		);
		if ( ! $news && self::matches( (string) $request->get_header( 'if_none_match' ), $etag ) ) {
			return new \WP_REST_Response( null, 304, $headers );
		}
		return new \WP_REST_Response(
			array(
				'epoch'    => Log::epoch(),
				'channels' => (object) $channels,
			),
			200,
			$headers
		);
	}

	/**
	 * Parses the `c` parameters: `name` or `name:epoch:serial` (channel names never contain `:`).
	 *
	 * @param mixed $list Values.
	 * @return array<string,string|null>|\WP_Error Channel => position or null.
	 */
	private function parse( $list ) {
		if ( ! is_array( $list ) || ! $list || count( $list ) > self::MAX_CHANNELS ) {
			/* translators: %d: maximum number of channels. */
			return new \WP_Error( 'pressrelay_invalid_channels', sprintf( __( 'Give 1 to %d channels as c[]=name or c[]=name:position.', 'pressrelay' ), self::MAX_CHANNELS ), array( 'status' => 400 ) );
		}
		$wanted = array();
		foreach ( $list as $item ) {
			$item     = (string) $item;
			$colon    = strpos( $item, ':' );
			$channel  = false === $colon ? $item : substr( $item, 0, $colon );
			$position = false === $colon ? null : substr( $item, $colon + 1 );
			if ( ! \PressRelay\Channels::is_valid( $channel ) || '#' === $channel[0] ) {
				/* translators: %s: channel name. */
				return new \WP_Error( 'pressrelay_invalid_channel', sprintf( __( 'Invalid channel name "%s".', 'pressrelay' ), $channel ), array( 'status' => 400 ) );
			}
			$wanted[ $channel ] = $position;
		}
		return $wanted;
	}

	/**
	 * Why the current user may not poll a channel, or null.
	 *
	 * @param string   $channel Channel.
	 * @param \WP_User $user    User.
	 * @return array{code:string,message:string,status:int}|null
	 */
	private function refusal( string $channel, \WP_User $user ): ?array {
		if ( 0 === strpos( $channel, 'private-encrypted-' ) ) {
			$error = new \WP_Error( 'pressrelay_unsupported_channel', __( 'Encrypted channels are not supported.', 'pressrelay' ), array( 'status' => 400 ) );
		} elseif ( self::is_public( $channel ) ) {
			return null;
		} else {
			$error = $this->authorizer->check( $channel, $user, '' );
			if ( true === $error ) {
				return null;
			}
		}
		$data = $error->get_error_data();
		return array(
			'code'    => (string) $error->get_error_code(),
			'message' => $error->get_error_message(),
			'status'  => is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 403,
		);
	}

	/**
	 * Whether a channel needs no authorization.
	 *
	 * @param string $channel Channel.
	 */
	public static function is_public( string $channel ): bool {
		return 0 !== strpos( $channel, 'private-' ) && 0 !== strpos( $channel, 'presence-' );
	}

	/**
	 * Whether an If-None-Match header names the ETag (weak or strong, one of a list, or `*`).
	 *
	 * @param string $header Header value.
	 * @param string $etag   ETag.
	 */
	private static function matches( string $header, string $etag ): bool {
		foreach ( explode( ',', $header ) as $candidate ) {
			$candidate = trim( $candidate );
			if ( '*' === $candidate || preg_replace( '#^W/#', '', $candidate ) === $etag ) {
				return true;
			}
		}
		return false;
	}
}
