<?php
/**
 * Issue #16: the queue moves between the SQLite file in the data directory and the WordPress database (tables
 * {base_prefix}mlc_* in MariaDB), with every row and its id: the option changes only after the move, sending goes
 * on from the new queue and posts each order once, the move back loses nothing, the button checks capability and
 * a nonce bound to the destination, the WP-CLI command moves, and a process still holding the old settings (a
 * second web server) retries its write on the new queue.
 *
 * Every test starts and ends on SQLite (the other tests assume it): setUp/tearDown move back when needed and drop
 * the mlc_* tables, since a move's destination must be empty.
 *
 * @group fn:ml_connector_move_queue
 * @group fn:ml_connector_enqueue
 * @group fn:ml_connector_drain
 * @group fn:ml_connector_jobs
 * @group fn:ml_connector_audit
 * @group fn:ml_connector_status
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Cli;
use MlConnector\Core;
use MlConnector\Integration;
use MlConnector\QueueStorage;
use MlConnector\RestPayload;
use MlConnector\SiteHealth;

require_once __DIR__ . '/WpCliStub.php';

final class StorageTest extends TestCase {

	/** Tables a queue in the WordPress database has at least (src/store/migrations/mysql/0001_init.sql). */
	private const TABLES = array( 'jobs', 'job_payloads', 'audit', 'id_map', 'credentials', 'queue_flags', 'notes' );

	/** @var list<string> SQLite files set aside by earlier moves back (kept; only this test's are removed). */
	private array $set_aside = array();

	protected function setUp(): void {
		self::needs( 'ml_connector_move_queue', 'ml_connector_jobs', 'ml_connector_audit', 'ml_connector_status' );
		self::queue_back_to_sqlite();
		self::drop_queue_tables();
		$this->set_aside = self::set_aside_queue_files();
		$this->assertSame( QueueStorage::SQLITE, QueueStorage::current( true ), 'every test starts on SQLite' );
		$this->assertTrue( Core::configure() );
	}

	protected function tearDown(): void {
		self::queue_back_to_sqlite();
		self::drop_queue_tables();
		// The copies the moves back of this test set aside (a move never deletes one; the test site would grow).
		foreach ( array_diff( self::set_aside_queue_files(), $this->set_aside ) as $file ) {
			wp_delete_file( $file );
		}
	}

	/** Rows of one mlc_* table, counted by the database itself. */
	private static function count_rows( string $table, string $where = '' ): int {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM `' . QueueStorage::table_prefix() . $table . '`' . $where ); // phpcs:ignore WordPress.DB.PreparedSQL
	}

	/** Every job of the queue the extension has open, by state (status counts; stalled is part of running). */
	private static function job_count(): int {
		$status = Core::status();
		self::assertIsArray( $status, is_wp_error( $status ) ? $status->get_error_message() : '' );
		return (int) array_sum( array_map( 'intval', (array) $status['counts'] ) );
	}

	/** The storage saved in the database, read past this process's option caches without refreshing them. */
	private static function stored_storage(): string {
		global $wpdb;
		$value = maybe_unserialize( (string) $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM $wpdb->options WHERE option_name = %s", Integration::OPTION ) ) );
		return is_array( $value ) ? (string) ( $value['storage'] ?? '' ) : '';
	}

	/** An order placed at the checkout and queued (its job pending: nothing drains in this process on its own). */
	private static function queued_order(): array {
		$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ) ) );
		self::assertInstanceOf( \WC_Order::class, $order );
		$jobs = self::jobs_for( 'order', $order->get_id() );
		self::assertCount( 1, $jobs );
		self::assertSame( 'pending', $jobs[0]['state'] );
		return array( $order, (int) $jobs[0]['id'] );
	}

	/** The invoices the simulator holds for one order (it keeps its documents across runs, so by key). */
	private static function invoices_in_visma( int $order_id ): array {
		$sim = (string) getenv( 'ML_SIM_URL' );
		self::assertNotSame( '', $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$body  = (string) wp_remote_retrieve_body( wp_remote_get( $sim . '/_simulator/state', array( 'timeout' => 10 ) ) );
		$store = json_decode( $body, true )['store'] ?? null;
		self::assertIsArray( $store, 'GET /_simulator/state answered' );
		return array_values( array_filter( (array) ( $store['invoices'] ?? array() ), static fn( $doc ) => ( $doc['externalReference'] ?? null ) === 'woo:default:' . $order_id ) );
	}

	/** The move button's POST as one user: nonce 'own' (bound to $to), 'other' (the other direction) or 'none'. */
	private static function post_move( string $login, string $to, string $nonce_kind ): array {
		$user    = '' === $login ? 0 : self::user_id( $login );
		$session = $user > 0 ? Http::session( $user ) : array( 'cookie' => '', 'logged_in' => '' );
		$body    = array( 'action' => 'ml_connector_move_queue', 'to' => $to );
		$other   = QueueStorage::WORDPRESS === $to ? QueueStorage::SQLITE : QueueStorage::WORDPRESS;
		if ( 'own' === $nonce_kind ) {
			$body['_wpnonce'] = Http::nonce( $user, $session, 'ml_connector_move_queue_' . $to );
		} elseif ( 'other' === $nonce_kind ) {
			$body['_wpnonce'] = Http::nonce( $user, $session, 'ml_connector_move_queue_' . $other );
		}
		return Http::request( 'POST', '/wp-admin/admin-post.php', $session['cookie'], $body );
	}

	private static function run_cli( array $args, array $assoc = array() ): array {
		\WP_CLI::$out = array();
		$error        = null;
		try {
			( new Cli() )->storage( $args, $assoc );
		} catch ( \WpCliExit $e ) {
			$error = $e->getMessage();
		}
		return array( implode( "\n", \WP_CLI::$out ), $error );
	}

	/**
	 * (a) A shop on SQLite moves to the WordPress database: the option says so only now, the mlc_* tables hold
	 * every job, the order's job and audit keep their ids, and the next drain posts the order, once.
	 *
	 * @group needs-simulator
	 */
	public function test_a_queue_moved_to_the_wordpress_database_keeps_every_job_and_sends_on(): void {
		[ $order, $job_id ] = self::queued_order();
		$audit              = ml_connector_audit( array( 'job_id' => $job_id, 'limit' => 100 ) );
		$this->assertNotEmpty( $audit, 'the enqueue was audited' );
		$jobs_before = self::job_count();
		$this->assertSame( array(), self::queue_tables(), 'nothing in the WordPress database before the move' );

		$rows = QueueStorage::move( QueueStorage::WORDPRESS );

		$this->assertIsArray( $rows, is_wp_error( $rows ) ? $rows->get_error_message() : '' );
		$this->assertSame( QueueStorage::WORDPRESS, self::stored_storage(), 'the option names the new storage' );
		$this->assertSame( QueueStorage::WORDPRESS, self::fresh_option( Integration::OPTION )['storage'] );
		$this->assertArrayNotHasKey( 'wordpress_db', self::fresh_option( Integration::OPTION ), 'the database login is never saved' );
		$this->assertStringNotContainsString( DB_PASSWORD, (string) maybe_serialize( self::fresh_option( Integration::OPTION ) ) );
		foreach ( self::TABLES as $table ) {
			$this->assertContains( QueueStorage::table_prefix() . $table, self::queue_tables() );
		}
		$this->assertSame( $jobs_before, $rows['jobs'], 'every job was copied' );
		$this->assertSame( $jobs_before, self::count_rows( 'jobs' ), 'the WordPress database holds every job' );
		$this->assertSame( $rows['audit'], self::count_rows( 'audit' ) );
		$this->assertSame( $jobs_before, self::job_count(), 'the extension now reads the WordPress database' );

		global $wpdb;
		$this->assertSame( 'pending', $wpdb->get_var( $wpdb->prepare( 'SELECT state FROM `' . QueueStorage::table_prefix() . 'jobs` WHERE id = %d AND woo_id = %d', $job_id, $order->get_id() ) ), 'the order\'s job kept its id and state' ); // phpcs:ignore WordPress.DB.PreparedSQL
		$this->assertSame( $audit, ml_connector_audit( array( 'job_id' => $job_id, 'limit' => 100 ) ), 'the order\'s audit is the same' );
		$this->assertSame( count( $audit ), self::count_rows( 'audit', $wpdb->prepare( ' WHERE job_id = %d', $job_id ) ) );

		$jobs = self::drain_until_sent( $order->get_id() );
		$this->assertCount( 1, $jobs );
		$this->assertSame( $job_id, (int) $jobs[0]['id'] );
		$this->assertSame( 'done', $jobs[0]['state'], (string) $jobs[0]['last_error'] );
		$this->assertSame( 'done', $wpdb->get_var( $wpdb->prepare( 'SELECT state FROM `' . QueueStorage::table_prefix() . 'jobs` WHERE id = %d', $job_id ) ), 'sent from the WordPress database' ); // phpcs:ignore WordPress.DB.PreparedSQL
		$invoices = self::invoices_in_visma( $order->get_id() );
		$this->assertCount( 1, $invoices, 'the order reached Visma once' );
		$this->assertSame( $jobs[0]['visma_number'], $invoices[0]['referenceNumber'] );
	}

	/**
	 * (b) Back to SQLite: every job and audit row comes back (the counts of both moves and of the WordPress
	 * tables agree), the old file is set aside, and the new file takes new orders.
	 */
	public function test_moving_back_to_sqlite_loses_nothing(): void {
		[ $order, $job_id ] = self::queued_order();
		$audit              = ml_connector_audit( array( 'job_id' => $job_id, 'limit' => 100 ) );
		$status_before      = Core::status();
		$there              = QueueStorage::move( QueueStorage::WORDPRESS );
		$this->assertIsArray( $there, is_wp_error( $there ) ? $there->get_error_message() : '' );
		$jobs_there  = self::count_rows( 'jobs' );
		$audit_there = self::count_rows( 'audit' );
		$set_aside   = self::set_aside_queue_files();

		$back = QueueStorage::move( QueueStorage::SQLITE );

		$this->assertIsArray( $back, is_wp_error( $back ) ? $back->get_error_message() : '' );
		$this->assertSame( QueueStorage::SQLITE, self::stored_storage() );
		$this->assertSame( array( $there['jobs'], $there['jobs'] ), array( $jobs_there, $back['jobs'] ), 'job counts: copied there, in the tables, copied back' );
		$this->assertSame( array( $there['audit'], $there['audit'] ), array( $audit_there, $back['audit'] ), 'audit counts: copied there, in the tables, copied back' );
		foreach ( array( 'job_payloads', 'id_map', 'credentials' ) as $table ) {
			$this->assertSame( $there[ $table ], $back[ $table ], $table );
		}
		$this->assertSame( $status_before['counts'], Core::status()['counts'], 'the same jobs in the same states' );
		$this->assertSame( $audit, ml_connector_audit( array( 'job_id' => $job_id, 'limit' => 100 ) ) );
		$this->assertCount( count( $set_aside ) + 1, self::set_aside_queue_files(), 'the file the queue left was set aside, not deleted' );
		$this->assertSame( $job_id, (int) self::jobs_for( 'order', $order->get_id() )[0]['id'] );
		self::queued_order(); // the new file takes writes
	}

	/** @return array<string,array{string,string,int,bool}> login, nonce kind, HTTP status, moves */
	public static function move_cases(): array {
		return array(
			'administrator'                              => array( 'admin', 'own', 302, true ),
			'shop manager'                               => array( 'manager', 'own', 302, true ),
			'subscriber with a nonce'                    => array( 'subscriber', 'own', 403, false ),
			'administrator without a nonce'              => array( 'admin', 'none', 403, false ),
			'administrator, nonce of the other direction' => array( 'admin', 'other', 403, false ),
			'logged out (no nopriv handler)'             => array( '', 'none', 400, false ),
		);
	}

	/**
	 * (c) The queue screen's button: manage_woocommerce and a nonce bound to the destination, or nothing moves.
	 *
	 * @dataProvider move_cases
	 */
	public function test_the_move_button_needs_capability_and_its_nonce( string $login, string $nonce_kind, int $status, bool $moves ): void {
		$jobs   = self::job_count();
		$result = self::post_move( $login, QueueStorage::WORDPRESS, $nonce_kind );
		$this->assertSame( $status, $result['status'] );
		$this->assertSame( $moves ? QueueStorage::WORDPRESS : QueueStorage::SQLITE, self::stored_storage() );
		if ( ! $moves ) {
			$this->assertSame( array(), self::queue_tables(), 'nothing was copied' );
			return;
		}
		$this->assertSame( $jobs, self::count_rows( 'jobs' ) );
		$this->assertStringContainsString( 'page=ml-connector', $result['location'] );
		$this->assertStringContainsString( 'ml_connector_moved=wordpress', $result['location'] );
		$this->assertStringContainsString( 'ml_connector_rows[jobs]=' . $jobs, rawurldecode( $result['location'] ) );
	}

	/**
	 * (c) What the manager sees: the queue screen names the storage and offers the move, the notice after a move
	 * lists the copied rows, a refused move says why, and the database login is never on the page.
	 */
	public function test_the_queue_screen_shows_the_storage_the_result_and_the_error(): void {
		$manager = self::user_id( 'manager' );
		$session = Http::session( $manager );
		$page    = Http::request( 'GET', '/wp-admin/admin.php?page=ml-connector', $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertStringContainsString( 'data-storage="sqlite"', $page['body'] );
		$this->assertStringContainsString( 'value="Move the queue to the WordPress database"', $page['body'] );
		$this->assertMatchesRegularExpression( '/name="to" value="wordpress"/', $page['body'] );

		$jobs  = self::job_count();
		$moved = self::post_move( 'manager', QueueStorage::WORDPRESS, 'own' );
		$this->assertSame( 302, $moved['status'] );
		$after = Http::request( 'GET', (string) wp_parse_url( $moved['location'], PHP_URL_PATH ) . '?' . (string) wp_parse_url( $moved['location'], PHP_URL_QUERY ), $session['cookie'] );
		$this->assertSame( 200, $after['status'] );
		$this->assertMatchesRegularExpression( '/<div class="notice notice-success" id="ml-connector-result"><p>The queue was moved to the WordPress database \(tables ' . preg_quote( QueueStorage::table_prefix(), '/' ) . '\*\)\. Rows copied: ([^<]*)\.<\/p>/', $after['body'] );
		preg_match( '/Rows copied: ([^<]*)\.<\/p>/', $after['body'], $copied );
		$this->assertMatchesRegularExpression( '/(^| )jobs=' . $jobs . '( |$)/', $copied[1] );
		$this->assertMatchesRegularExpression( '/(^| )audit=[1-9]\d*( |$)/', $copied[1] );
		$this->assertMatchesRegularExpression( '/(^| )id_map=\d+( |$)/', $copied[1] );
		$this->assertStringContainsString( 'data-storage="wordpress"', $after['body'] );
		$this->assertStringContainsString( 'value="Move the queue back to a SQLite file"', $after['body'] );

		// The same form again (its nonce still valid): the queue is already there.
		$again = self::post_move( 'manager', QueueStorage::WORDPRESS, 'own' );
		$this->assertSame( 302, $again['status'] );
		$error = Http::request( 'GET', (string) wp_parse_url( $again['location'], PHP_URL_PATH ) . '?' . (string) wp_parse_url( $again['location'], PHP_URL_QUERY ), $session['cookie'] );
		$this->assertStringContainsString( '<div class="notice notice-error" id="ml-connector-result"><p>The queue was not moved: The queue is already in the WordPress database', $error['body'] );
		foreach ( array( $page, $after, $error ) as $response ) {
			$this->assertStringNotContainsString( DB_PASSWORD, $response['body'] );
		}
		$this->assertSame( QueueStorage::WORDPRESS, self::stored_storage() );
	}

	/**
	 * The settings form shows the storage read-only; a save never changes it (a move does).
	 *
	 * @group fn:ml_connector_configure
	 */
	public function test_the_settings_form_shows_the_storage_and_a_save_keeps_it(): void {
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$path    = '/wp-admin/admin.php?page=wc-settings&tab=integration&section=ml_connector';
		$page    = Http::request( 'GET', $path, $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertMatchesRegularExpression( '/Queue storage<\/th>.*?id="ml_connector_storage" data-storage="sqlite"><strong>A SQLite file in the data directory/s', $page['body'] );
		$this->assertStringNotContainsString( 'name="ml_connector_storage"', $page['body'], 'no input: the form cannot change it' );

		$stored = (array) self::fresh_option( Integration::OPTION );
		$post   = array(
			'save'                 => 'Save changes',
			'_wpnonce'             => Http::nonce( $admin, $session, 'woocommerce-settings' ),
			'section'              => 'ml_connector',
			'ml_connector_storage' => QueueStorage::WORDPRESS,
		);
		foreach ( $stored as $key => $value ) {
			if ( is_scalar( $value ) && ! in_array( $key, array( 'delete_data_on_uninstall', 'clear_secret', 'storage' ), true ) ) {
				$post[ 'ml_connector_' . $key ] = (string) $value;
			}
		}
		Http::request( 'POST', $path, $session['cookie'], $post );
		$this->assertSame( QueueStorage::SQLITE, self::fresh_option( Integration::OPTION )['storage'] ?? QueueStorage::SQLITE, 'a posted storage is ignored' );
		$this->assertSame( array(), self::queue_tables() );

		$this->assertIsArray( QueueStorage::move( QueueStorage::WORDPRESS ) );
		$page = Http::request( 'GET', $path, $session['cookie'] );
		$this->assertMatchesRegularExpression( '/id="ml_connector_storage" data-storage="wordpress"><strong>The WordPress database \(tables ' . preg_quote( QueueStorage::table_prefix(), '/' ) . '\*\)/', $page['body'] );
		$this->assertStringNotContainsString( DB_PASSWORD, $page['body'] );
	}

	/**
	 * (d) `wp ml-connector storage` prints where the queue is; `storage move --to=…` moves it both ways.
	 */
	public function test_the_cli_command_shows_and_moves_the_storage(): void {
		[ $out, $error ] = self::run_cli( array() );
		$this->assertNull( $error );
		$this->assertSame( 'sqlite: a SQLite file in the data directory (' . Core::data_dir() . '/ml-connector.sqlite)', $out );

		[ , $error ] = self::run_cli( array( 'move' ), array( 'to' => 'postgres' ) );
		$this->assertSame( '--to must be wordpress or sqlite.', $error );
		[ , $error ] = self::run_cli( array( 'move' ), array( 'to' => 'sqlite' ) );
		$this->assertStringStartsWith( 'The queue is already in a SQLite file', (string) $error );

		$jobs            = self::job_count();
		[ $out, $error ] = self::run_cli( array( 'move' ), array( 'to' => 'wordpress' ) );
		$this->assertNull( $error );
		$this->assertMatchesRegularExpression( '/^Success: Moved the queue to the WordPress database \(tables ' . preg_quote( QueueStorage::table_prefix(), '/' ) . '\*\)\. Rows copied: .*\bjobs=' . $jobs . '\b/', $out );
		$this->assertSame( QueueStorage::WORDPRESS, self::stored_storage() );
		$this->assertSame( $jobs, self::count_rows( 'jobs' ) );
		[ $out ] = self::run_cli( array() );
		$this->assertSame( 'wordpress: the WordPress database (tables ' . QueueStorage::table_prefix() . '*)', $out );

		[ $out, $error ] = self::run_cli( array( 'move' ), array( 'to' => 'sqlite' ) );
		$this->assertNull( $error );
		$this->assertMatchesRegularExpression( '/^Success: Moved the queue to a SQLite file in the data directory .*\bjobs=' . $jobs . '\b/', $out );
		$this->assertSame( QueueStorage::SQLITE, self::stored_storage() );
		$this->assertSame( $jobs, self::job_count() );
	}

	/**
	 * (e) A second web server still configured for SQLite (this process: it read the settings and opened the
	 * file before the move) enqueues after another server moved the queue: the old queue refuses the write, and
	 * Core re-reads the settings and writes to the WordPress database instead.
	 */
	public function test_a_server_with_the_old_settings_retries_on_the_new_queue(): void {
		$order   = self::quiet_order();
		$payload = RestPayload::order( $order->get_id() );
		$this->assertIsArray( $payload );
		$this->assertTrue( Core::configure(), 'this process has the SQLite queue open' );

		$moved = self::post_move( 'admin', QueueStorage::WORDPRESS, 'own' ); // the other server (PHP-FPM)
		$this->assertSame( 302, $moved['status'] );
		$this->assertSame( QueueStorage::WORDPRESS, self::stored_storage() );
		$this->assertSame( QueueStorage::SQLITE, QueueStorage::current(), 'this process still has the old settings' );
		try {
			ml_connector_enqueue( 'order', (string) wp_json_encode( $payload ), 'hook' );
			$this->fail( 'the old queue must refuse the write' );
		} catch ( \MlConnector\Exception\StoreException $e ) {
			$this->assertStringContainsString( 'the queue was moved to', $e->getMessage() );
		}

		$result = Core::enqueue( 'order', $payload, 'hook' );

		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertSame( 'inserted', $result['outcome'] );
		global $wpdb;
		$this->assertSame( (string) $result['job_id'], $wpdb->get_var( $wpdb->prepare( 'SELECT id FROM `' . QueueStorage::table_prefix() . 'jobs` WHERE kind = %s AND woo_id = %d', 'order', $order->get_id() ) ), 'the job is in the WordPress database' ); // phpcs:ignore WordPress.DB.PreparedSQL
		$this->assertSame( QueueStorage::WORDPRESS, QueueStorage::current(), 'the retry read the current settings' );
		$this->assertSame( (int) $result['job_id'], (int) self::jobs_for( 'order', $order->get_id() )[0]['id'] );
	}

	/**
	 * Site Health: on SQLite the data directory check is about the file; in the WordPress database it says so.
	 */
	public function test_site_health_says_where_the_queue_is(): void {
		$sqlite = SiteHealth::test_data_dir();
		$this->assertSame( 'good', $sqlite['status'], $sqlite['description'] );
		$this->assertStringContainsString( 'data directory', $sqlite['label'] );
		$this->assertIsArray( QueueStorage::move( QueueStorage::WORDPRESS ) );
		$wordpress = SiteHealth::test_data_dir();
		$this->assertSame( 'good', $wordpress['status'], $wordpress['description'] );
		$this->assertSame( 'The ml-connector queue is in the WordPress database (tables ' . QueueStorage::table_prefix() . '*)', $wordpress['label'] );
		$this->assertStringContainsString( Core::data_dir(), $wordpress['description'] );
	}
}
