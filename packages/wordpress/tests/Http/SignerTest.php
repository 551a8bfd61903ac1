<?php
/**
 * Signatures against the published test vectors (pusher-protocol.md §3, §4.1).
 *
 * @package PressRelay
 */

declare(strict_types=1);

namespace PressRelay\Tests\Http;

use PressRelay\Http\Signer;
use PressRelay\Tests\TestCase;

final class SignerTest extends TestCase {

	const KEY    = '278d425bdf160c739803';
	const SECRET = '7ad3773142a6692b25b8';

	public function test_http_api_signature_matches_the_documented_example(): void {
		$signer = new Signer( self::KEY, self::SECRET );
		$body   = '{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}';
		$this->assertSame( 'ec365a775a4cd0599faeb73354201b6f', md5( $body ) );
		$query = $signer->signed_query( 'POST', '/apps/3/events', $body, 1353088179 );
		$this->assertSame(
			'auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c',
			$query
		);
	}

	public function test_extra_parameters_are_lowercased_sorted_and_arrays_joined_with_commas(): void {
		$signer = new Signer( 'k', 's' );
		$query  = $signer->signed_query( 'get', '/apps/1/channels', '', 100, array( 'Info' => array( 'user_count', 'subscription_count' ), 'filter_by_prefix' => 'presence-' ) );
		$joined = 'auth_key=k&auth_timestamp=100&auth_version=1.0&filter_by_prefix=presence-&info=user_count,subscription_count';
		$this->assertSame( $joined . '&auth_signature=' . hash_hmac( 'sha256', "GET\n/apps/1/channels\n" . $joined, 's' ), $query );
		$this->assertStringNotContainsString( 'body_md5', $query, 'no body, no body_md5' );
	}

	public function test_private_channel_auth_vector(): void {
		$this->assertSame(
			self::KEY . ':58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4',
			( new Signer( self::KEY, self::SECRET ) )->channel_auth( '1234.1234', 'private-foobar' )
		);
	}

	public function test_presence_channel_auth_vector_signs_the_exact_channel_data(): void {
		$this->assertSame(
			self::KEY . ':31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80',
			( new Signer( self::KEY, self::SECRET ) )->channel_auth( '1234.1234', 'presence-foobar', '{"user_id":10,"user_info":{"name":"Mr. Channels"}}' )
		);
	}

	public function test_user_signin_vector(): void {
		$this->assertSame(
			self::KEY . ':4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba',
			( new Signer( self::KEY, self::SECRET ) )->user_auth( '1234.1234', '{"id":"12345"}' )
		);
	}

	public function test_webhook_verification(): void {
		$signer = new Signer( 'key', 'secret' );
		$body   = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}';
		$good   = hash_hmac( 'sha256', $body, 'secret' );
		$this->assertTrue( $signer->verify_webhook( $body, 'key', $good ) );
		$this->assertTrue( $signer->verify_webhook( $body, 'key', strtoupper( $good ) ), 'hex case does not matter' );
		$this->assertFalse( $signer->verify_webhook( $body . ' ', 'key', $good ), 'body changed' );
		$this->assertFalse( $signer->verify_webhook( $body, 'other-key', $good ), 'wrong key' );
		$this->assertFalse( $signer->verify_webhook( $body, 'key', '' ), 'no signature' );
		$this->assertFalse( ( new Signer( 'key', '' ) )->verify_webhook( $body, 'key', hash_hmac( 'sha256', $body, '' ) ), 'never valid without a secret' );
	}
}
