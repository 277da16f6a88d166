<?php
/**
 * Loads the test site's WordPress (from setup.sh) into the PHPUnit process, so tests can call the plugin and the
 * stand-in directly and also drive the same site over HTTP through nginx (Http.php).
 */

declare(strict_types=1);

$state = getenv( 'ML_WP_STATE' ) ?: dirname( __DIR__, 3 ) . '/target/wordpress';
$url   = getenv( 'ML_WP_URL' ) ?: 'http://127.0.0.1:8391';
if ( ! is_file( $state . '/wordpress/wp-load.php' ) ) {
	fwrite( STDERR, "No test site in $state: run tests/wordpress/setup.sh first.\n" );
	exit( 2 );
}
define( 'ML_TEST_URL', $url );
define( 'ML_TEST_STATE', $state );
define( 'ML_TEST_EXT_KIND', getenv( 'ML_EXT_KIND' ) ?: 'real' );
if ( ! extension_loaded( 'ml_connector' ) ) {
	fwrite( STDERR, "The ml_connector extension is not loaded: run ./build.sh (as root) first.\n" );
	exit( 2 );
}
$parts                  = parse_url( $url );
$_SERVER['HTTP_HOST']   = $parts['host'] . ':' . $parts['port'];
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
require $state . '/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once __DIR__ . '/Http.php';
require_once __DIR__ . '/TestCase.php';
// Orders placed inside this process end their "request" in TestCase::end_request(): no loopback runner from here,
// so a test's own drains see its jobs (requests served by the site start it; OrderEventsTest checks that).
add_filter( 'ml_connector_loopback_runner', '__return_false' );
// Every run starts connected to the Nordlys company, whatever an earlier run left in the settings.
MlConnector\Tests\TestCase::use_test_company();
