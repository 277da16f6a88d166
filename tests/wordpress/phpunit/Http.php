<?php
/**
 * A small HTTP client for the tests (curl): requests to the nginx test site as a given WordPress user, with the
 * cookies and nonces WordPress would give that user's browser.
 */

declare(strict_types=1);

namespace MlConnector\Tests;

/**
 * HTTP helper.
 */
final class Http {

	/**
	 * Cookie header and the logged-in cookie value for a user (a real session token, so nonces match).
	 *
	 * @return array{cookie:string,logged_in:string}
	 */
	public static function session( int $user_id ): array {
		$expiration = time() + HOUR_IN_SECONDS;
		$token      = \WP_Session_Tokens::get_instance( $user_id )->create( $expiration );
		$auth       = wp_generate_auth_cookie( $user_id, $expiration, 'auth', $token );
		$logged_in  = wp_generate_auth_cookie( $user_id, $expiration, 'logged_in', $token );
		return array(
			'cookie'    => AUTH_COOKIE . '=' . rawurlencode( $auth ) . '; ' . LOGGED_IN_COOKIE . '=' . rawurlencode( $logged_in ),
			'logged_in' => $logged_in,
		);
	}

	/**
	 * A nonce as WordPress creates it for that user's session.
	 */
	public static function nonce( int $user_id, array $session, string $action ): string {
		$previous                   = get_current_user_id();
		$_COOKIE[ LOGGED_IN_COOKIE ] = $session['logged_in'];
		wp_set_current_user( $user_id );
		$nonce = wp_create_nonce( $action );
		unset( $_COOKIE[ LOGGED_IN_COOKIE ] );
		wp_set_current_user( $previous );
		return $nonce;
	}

	/**
	 * One request; redirects are not followed.
	 *
	 * @param string            $method GET|POST.
	 * @param string            $path   Path and query, e.g. /wp-admin/admin.php?page=x.
	 * @param string            $cookie Cookie header or ''.
	 * @param array|string|null $body   Form fields, a JSON string, or null.
	 * @return array{status:int,location:string,body:string,ms:float}
	 */
	public static function request( string $method, string $path, string $cookie = '', array|string|null $body = null ): array {
		$curl    = curl_init( ML_TEST_URL . $path );
		$headers = array();
		if ( is_string( $body ) ) {
			$headers[] = 'Content-Type: application/json';
		}
		curl_setopt_array(
			$curl,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HEADER         => true,
				CURLOPT_FOLLOWLOCATION => false,
				CURLOPT_TIMEOUT        => 60,
				CURLOPT_HTTPHEADER     => $headers,
				CURLOPT_COOKIE         => $cookie,
			)
		);
		if ( null !== $body ) {
			curl_setopt( $curl, CURLOPT_POSTFIELDS, is_array( $body ) ? http_build_query( $body ) : $body );
		}
		$start    = hrtime( true );
		$response = (string) curl_exec( $curl );
		$ms       = ( hrtime( true ) - $start ) / 1e6;
		$status   = (int) curl_getinfo( $curl, CURLINFO_RESPONSE_CODE );
		$size     = (int) curl_getinfo( $curl, CURLINFO_HEADER_SIZE );
		curl_close( $curl );
		$head     = substr( $response, 0, $size );
		$location = preg_match( '/^Location:\s*(\S+)/mi', $head, $m ) ? $m[1] : '';
		return array(
			'status'   => $status,
			'location' => $location,
			'body'     => substr( $response, $size ),
			'ms'       => $ms,
		);
	}

	/**
	 * JSON call to the test endpoints (mu-plugins/ml-connector-test-endpoints.php).
	 */
	public static function api( string $method, string $route, ?array $body = null ): array {
		$response = self::request( $method, '/wp-json/ml-connector-test/v1' . $route, '', null === $body ? null : (string) wp_json_encode( $body ) );
		$decoded  = json_decode( $response['body'], true );
		return array(
			'status' => $response['status'],
			'json'   => is_array( $decoded ) ? $decoded : array(),
			'ms'     => $response['ms'],
		);
	}

	/** A block checkout: POST /wp-json/wc/store/v1/checkout (the stand-in's Store API route). */
	public static function store_api_checkout( array $body ): array {
		$response = self::request( 'POST', '/wp-json/wc/store/v1/checkout', '', (string) wp_json_encode( $body ) );
		$decoded  = json_decode( $response['body'], true );
		return array(
			'status' => $response['status'],
			'json'   => is_array( $decoded ) ? $decoded : array(),
			'ms'     => $response['ms'],
		);
	}
}
