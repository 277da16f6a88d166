<?php
/**
 * Site Health: the four tests are registered and each reports the truth about the test site (nginx denies the
 * data directory, the extension answers, the queue moves); the data directory holds its deny files.
 *
 * @group fn:ml_connector_version
 * @group fn:ml_connector_status
 * @group fn:ml_connector_test_connection
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Core;
use MlConnector\SiteHealth;

final class SiteHealthTest extends TestCase {

	public function test_the_four_tests_are_registered(): void {
		$tests = apply_filters( 'site_status_tests', array( 'direct' => array(), 'async' => array() ) );
		foreach ( array( 'extension', 'data_dir', 'visma', 'queue' ) as $name ) {
			$this->assertArrayHasKey( 'ml_connector_' . $name, $tests['direct'] );
			$this->assertIsCallable( $tests['direct'][ 'ml_connector_' . $name ]['test'] );
		}
	}

	public function test_data_dir_has_deny_files_and_is_not_served(): void {
		$dir = Core::data_dir();
		$this->assertFileExists( $dir . '/index.php' );
		$this->assertStringContainsString( 'Require all denied', (string) file_get_contents( $dir . '/.htaccess' ) );
		$result = SiteHealth::test_data_dir();
		$this->assertSame( 'good', $result['status'], $result['description'] );
		$this->assertSame( 403, Http::request( 'GET', '/wp-content/ml-connector-data/index.php' )['status'], 'nginx denies the directory' );
	}

	public function test_extension_check_reports_the_version(): void {
		self::needs( 'ml_connector_version' );
		$result = SiteHealth::test_extension();
		$this->assertSame( 'good', $result['status'] );
		$this->assertStringContainsString( ML_CONNECTOR_VERSION, $result['label'] );
	}

	public function test_queue_check_is_good_when_nothing_waits_long(): void {
		self::needs( 'ml_connector_status' );
		$result = SiteHealth::test_queue();
		$this->assertContains( $result['status'], array( 'good', 'critical' ) );
		$status = Core::status();
		$this->assertIsArray( $status );
		$old = is_string( $status['oldest_pending_at'] ) && time() - (int) strtotime( $status['oldest_pending_at'] ) > HOUR_IN_SECONDS;
		$this->assertSame( $old ? 'critical' : 'good', $result['status'] );
	}

	public function test_visma_check_names_the_failure_reason(): void {
		self::needs( 'ml_connector_test_connection' );
		$result = SiteHealth::test_visma();
		$this->assertContains( $result['status'], array( 'good', 'critical' ) );
		if ( 'critical' === $result['status'] ) {
			$this->assertNotSame( '', $result['description'], 'a failure says why' );
		}
	}
}
