<?php
/**
 * uninstall.php: options and scheduled actions go; the data directory goes only when the merchant ticked
 * "Also delete the queue, audit log and stored secret", and then only the files the plugin and extension create.
 * Runs uninstall.php in this process against a temporary data directory, then restores the site's settings.
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Integration;
use MlConnector\Scheduler;

final class UninstallTest extends TestCase {

	/** @var array<string,mixed> */
	private array $saved = array();

	private string $dir = '';

	protected function setUp(): void {
		$this->saved = (array) self::fresh_option( Integration::OPTION );
		$this->dir   = sys_get_temp_dir() . '/ml-connector-uninstall-' . getmypid();
		wp_mkdir_p( $this->dir );
		foreach ( array( 'ml-connector.sqlite', 'index.php', '.htaccess', 'merchant-notes.txt' ) as $file ) {
			file_put_contents( $this->dir . '/' . $file, 'x' );
		}
		add_filter( 'ml_connector_data_dir', array( $this, 'dir' ) );
	}

	protected function tearDown(): void {
		remove_filter( 'ml_connector_data_dir', array( $this, 'dir' ) );
		update_option( Integration::OPTION, $this->saved );
		Scheduler::reschedule();
		array_map( 'unlink', glob( $this->dir . '/{,.}[!.]*', GLOB_BRACE ) ?: array() );
		@rmdir( $this->dir ); // phpcs:ignore
	}

	public function dir(): string {
		return $this->dir;
	}

	private function uninstall( string $delete_data ): void {
		update_option( Integration::OPTION, array( 'delete_data_on_uninstall' => $delete_data ) + $this->saved );
		update_option( Scheduler::OPTION_LAST_SWEEP, time() );
		Scheduler::reschedule();
		$this->assertTrue( as_has_scheduled_action( Scheduler::HOOK_RECONCILE ) );
		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'ml-connector/plugin.php' );
		}
		include ML_CONNECTOR_DIR . '/uninstall.php';
		$this->assertFalse( self::fresh_option( Integration::OPTION ) );
		$this->assertFalse( self::fresh_option( Scheduler::OPTION_LAST_SWEEP ) );
		foreach ( array( Scheduler::HOOK_DRAIN_RECURRING, Scheduler::HOOK_RECONCILE, Scheduler::HOOK_DRAIN ) as $hook ) {
			$this->assertFalse( as_has_scheduled_action( $hook ), $hook );
		}
		$this->assertFalse( wp_next_scheduled( Scheduler::HOOK_CRON_DRAIN ) );
	}

	public function test_keeps_the_data_unless_asked(): void {
		$this->uninstall( 'no' );
		$this->assertFileExists( $this->dir . '/ml-connector.sqlite' );
	}

	public function test_deletes_only_its_own_files_when_asked(): void {
		$this->uninstall( 'yes' );
		$this->assertFileDoesNotExist( $this->dir . '/ml-connector.sqlite' );
		$this->assertFileDoesNotExist( $this->dir . '/.htaccess' );
		$this->assertFileExists( $this->dir . '/merchant-notes.txt', "a file the plugin did not create stays" );
	}
}
