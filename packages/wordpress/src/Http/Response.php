<?php
/**
 * The outcome of one HTTP API call.
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Http;

/**
 * Success, or an error that is either temporary (retry later) or permanent (the request itself is bad).
 */
final class Response {

	/**
	 * HTTP status, 0 when no response arrived.
	 *
	 * @var int
	 */
	public $status;

	/**
	 * Whether the server accepted the request.
	 *
	 * @var bool
	 */
	public $ok;

	/**
	 * Whether retrying the same request can never succeed (400, 413, 422).
	 *
	 * @var bool
	 */
	public $permanent;

	/**
	 * Human-readable error, '' on success.
	 *
	 * @var string
	 */
	public $error;

	/**
	 * Raw response body.
	 *
	 * @var string
	 */
	public $body;

	/**
	 * Constructor.
	 *
	 * @param int    $status    HTTP status (0: no response).
	 * @param string $error     Error text, '' on success.
	 * @param string $body      Raw body.
	 */
	public function __construct( int $status, string $error, string $body = '' ) {
		$this->status    = $status;
		$this->ok        = 200 === $status && '' === $error;
		$this->permanent = in_array( $status, array( 400, 413, 422 ), true );
		$this->error     = $error;
		$this->body      = $body;
	}
}
