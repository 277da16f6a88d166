<?php
/**
 * uninstall.php: options and scheduled actions go; the data directory goes only when the merchant ticked
 * "Also delete the queue, audit log and stored secret", and then only the files the plugin and extension create
 * (with the SQLite copies moves set aside) and the tables {base_prefix}mlc_* of a queue in the WordPress database
 * (issue #16). Runs uninstall.php in this process against a temporary data directory and stand-in mlc_* tables
 * (the site's queue stays in SQLite), then restores the site's settings.
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
		foreach ( array( 'ml-connector.sqlite', 'index.php', '.htaccess', 'merchant-notes.txt', self::MOVED, self::MOVED . '-wal' ) as $file ) {
			file_put_contents( $this->dir . '/' . $file, 'x' );
		}
		add_filter( 'ml_connector_data_dir', array( $this, 'dir' ) );
	}

	protected function tearDown(): void {
		global $wpdb;
		self::drop_queue_tables();
		$wpdb->query( 'DROP TABLE IF EXISTS `' . self::not_ours() . '`' ); // phpcs:ignore WordPress.DB.PreparedSQL
		remove_filter( 'ml_connector_data_dir', array( $this, 'dir' ) );
		update_option( Integration::OPTION, $this->saved );
		Scheduler::reschedule();
		array_map( 'unlink', glob( $this->dir . '/{,.}[!.]*', GLOB_BRACE ) ?: array() );
		@rmdir( $this->dir ); // phpcs:ignore
	}

	public function dir(): string {
		return $this->dir;
	}

	/** A SQLite file a move of the queue set aside (QueueStorage::move, StorageTest). */
	private const MOVED = 'ml-connector.sqlite.moved-20260101T000000Z';

	/** A merchant's table that `{base_prefix}mlc_%` would match if its underscores were not escaped. */
	private static function not_ours(): string {
		global $wpdb;
		return $wpdb->base_prefix . 'mlcxkeep';
	}

	/**
	 * Two mlc_* tables as a queue in the WordPress database has them (src/store/migrations/mysql/0001_init.sql):
	 * the audit with a foreign key to the jobs and its append-only trigger. Made here rather than by a move, so the
	 * site's own queue is never the one dropped.
	 */
	private static function queue_tables_in_wordpress(): void {
		global $wpdb;
		self::assertSame( array(), self::queue_tables(), 'the site\'s queue is in SQLite (no mlc_* table to lose)' );
		$jobs  = $wpdb->base_prefix . 'mlc_jobs';
		$audit = $wpdb->base_prefix . 'mlc_audit';
		foreach ( array(
			"CREATE TABLE `$jobs` (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB",
			"CREATE TABLE `$audit` (id BIGINT NOT NULL PRIMARY KEY, job_id BIGINT NULL, FOREIGN KEY (job_id) REFERENCES `$jobs` (id)) ENGINE=InnoDB",
			"CREATE TRIGGER `{$audit}_no_delete` BEFORE DELETE ON `$audit` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit rows are append-only'",
			"INSERT INTO `$jobs` VALUES (1)",
			"INSERT INTO `$audit` VALUES (1, 1)",
			'CREATE TABLE `' . self::not_ours() . '` (id INT) ENGINE=InnoDB',
		) as $sql ) {
			self::assertNotFalse( $wpdb->query( $sql ), $sql . ': ' . $wpdb->last_error ); // phpcs:ignore WordPress.DB.PreparedSQL
		}
		self::assertSame( array( $audit, $jobs ), self::queue_tables() );
	}

	/** Triggers of mlc_* tables left in the database. */
	private static function queue_triggers(): array {
		global $wpdb;
		return (array) $wpdb->get_col( $wpdb->prepare( 'SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE LIKE %s', $wpdb->esc_like( $wpdb->base_prefix . 'mlc_' ) . '%' ) );
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
		self::queue_tables_in_wordpress();
		$this->uninstall( 'no' );
		$this->assertFileExists( $this->dir . '/ml-connector.sqlite' );
		$this->assertFileExists( $this->dir . '/' . self::MOVED );
		$this->assertCount( 2, self::queue_tables(), 'the queue in the WordPress database stays' );
		$this->assertCount( 1, self::queue_triggers() );
	}

	public function test_deletes_only_its_own_files_when_asked(): void {
		$this->uninstall( 'yes' );
		$this->assertFileDoesNotExist( $this->dir . '/ml-connector.sqlite' );
		$this->assertFileDoesNotExist( $this->dir . '/.htaccess' );
		$this->assertFileDoesNotExist( $this->dir . '/' . self::MOVED, 'a copy a move set aside goes too' );
		$this->assertFileDoesNotExist( $this->dir . '/' . self::MOVED . '-wal' );
		$this->assertFileExists( $this->dir . '/merchant-notes.txt', "a file the plugin did not create stays" );
	}

	/** Issue #16: a queue in the WordPress database goes with the data: every mlc_* table and its triggers. */
	public function test_drops_the_queue_tables_in_the_wordpress_database_when_asked(): void {
		global $wpdb;
		self::queue_tables_in_wordpress();
		$this->uninstall( 'yes' );
		$this->assertSame( array(), self::queue_tables(), 'no mlc_* table is left' );
		$this->assertSame( array(), self::queue_triggers(), 'the audit\'s trigger went with its table' );
		$this->assertSame( self::not_ours(), $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', self::not_ours() ) ), 'a table mlc_% only matches unescaped stays' );
	}
}
