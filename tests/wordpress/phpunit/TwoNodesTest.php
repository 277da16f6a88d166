<?php
/**
 * Issue #16: one shop on two web nodes (setup.sh: two PHP-FPM pools behind two nginx vhosts, one WordPress
 * directory, one MariaDB database, a data directory per node) with the queue in the WordPress database. Shoppers
 * order on both nodes, both nodes' background sending runs, and every order reaches Visma exactly once with its
 * total.
 *
 * Three waves: orders placed on node a are sent by node b's drains alone, orders placed on node b by node a's
 * alone, then orders placed on both nodes at once are sent by both nodes' drains at once. With a queue per node
 * the first two waves are never sent (a node's drains cannot see the other node's orders, and node b's own queue
 * does not even hold the Visma secret), the checkouts' notes are missing from the shared {prefix}mlc_notes, and
 * the jobs from {prefix}mlc_jobs.
 *
 * Starts and ends on SQLite with no mlc_* table, as the other tests expect.
 *
 * @group e2e
 * @group needs-simulator
 * @group fn:ml_connector_move_queue
 * @group fn:ml_connector_enqueue
 * @group fn:ml_connector_drain
 * @group fn:ml_connector_jobs
 * @group fn:ml_connector_audit
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Core;
use MlConnector\QueueStorage;

final class TwoNodesTest extends TestCase {

	/** Orders per node and wave, placed all at once. */
	private const ORDERS_PER_NODE = 5;

	/** Drain requests per node per round, all at once (each pool has pm.max_children = 4, setup.sh). */
	private const DRAINS_PER_NODE = 3;

	/** Drain rounds a wave may take before the test gives up (one is enough when nothing fails). */
	private const MAX_ROUNDS = 15;

	/** @var list<string> */
	private array $set_aside = array();

	protected function setUp(): void {
		self::needs( 'ml_connector_move_queue', 'ml_connector_drain', 'ml_connector_jobs', 'ml_connector_audit' );
		$this->assertNotSame( '', (string) getenv( 'ML_WP_URL_B' ), 'ML_WP_URL_B: run.sh names node b' );
		self::queue_back_to_sqlite();
		self::drop_queue_tables();
		$this->set_aside = self::set_aside_queue_files();
	}

	protected function tearDown(): void {
		self::queue_back_to_sqlite();
		self::drop_queue_tables();
		foreach ( array_diff( self::set_aside_queue_files(), $this->set_aside ) as $file ) {
			wp_delete_file( $file );
		}
	}

	/** @return array<string,string> node => base URL. */
	private static function nodes(): array {
		return array(
			'a' => ML_TEST_URL,
			'b' => (string) getenv( 'ML_WP_URL_B' ),
		);
	}

	/**
	 * Requests sent all at once (curl_multi), answered in the order given.
	 *
	 * @param list<array{string,string,?array}> $requests URL, method, JSON body.
	 * @return list<array{status:int,json:array,body:string}>
	 */
	private static function all_at_once( array $requests ): array {
		$multi   = curl_multi_init();
		$handles = array();
		foreach ( $requests as [ $url, $method, $body ] ) {
			$curl = curl_init( $url );
			curl_setopt_array(
				$curl,
				array(
					CURLOPT_CUSTOMREQUEST  => $method,
					CURLOPT_RETURNTRANSFER => true,
					CURLOPT_TIMEOUT        => 120,
					CURLOPT_HTTPHEADER     => array( 'Content-Type: application/json' ),
					CURLOPT_POSTFIELDS     => null === $body ? '' : (string) wp_json_encode( $body ),
				)
			);
			curl_multi_add_handle( $multi, $curl );
			$handles[] = $curl;
		}
		do {
			$status = curl_multi_exec( $multi, $running );
			if ( $running > 0 ) {
				curl_multi_select( $multi, 1.0 );
			}
		} while ( $running > 0 && CURLM_OK === $status );
		$out = array();
		foreach ( $handles as $curl ) {
			$body    = (string) curl_multi_getcontent( $curl );
			$decoded = json_decode( $body, true );
			$out[]   = array(
				'status' => (int) curl_getinfo( $curl, CURLINFO_RESPONSE_CODE ),
				'json'   => is_array( $decoded ) ? $decoded : array(),
				'body'   => $body,
			);
			curl_multi_remove_handle( $multi, $curl );
			curl_close( $curl );
		}
		curl_multi_close( $multi );
		return $out;
	}

	/** GET /node on every node: node => {node, data_dir, storage}. */
	private static function node_info(): array {
		$urls = self::nodes();
		$info = array();
		foreach ( self::all_at_once( array_values( array_map( static fn( $url ) => array( $url . '/wp-json/ml-connector-test/v1/node', 'GET', null ), $urls ) ) ) as $i => $response ) {
			$node = array_keys( $urls )[ $i ];
			self::assertSame( 200, $response['status'], "node $node answers: " . $response['body'] );
			self::assertSame( $node, $response['json']['node'] ?? null, 'the vhost of node ' . $node . ' runs on its own pool' );
			$info[ $node ] = $response['json'];
		}
		return $info;
	}

	/** "IN (1,2,3)" for ids that are ints. */
	private static function in_ids( array $ids ): string {
		return 'IN (' . implode( ',', array_map( 'intval', $ids ) ) . ')';
	}

	/** Rows of the shared mlc_* tables, counted by MariaDB (what both nodes see). */
	private static function count_shared( string $table, string $where ): int {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM `' . QueueStorage::table_prefix() . $table . '` WHERE ' . $where ); // phpcs:ignore WordPress.DB.PreparedSQL
	}

	/** True when every order's job is done in the shared queue and no note of them waits. */
	private static function all_sent( array $order_ids ): bool {
		$in = self::in_ids( $order_ids );
		return count( $order_ids ) === self::count_shared( 'jobs', "kind = 'order' AND state = 'done' AND woo_id $in" )
			&& 0 === self::count_shared( 'notes', "kind = 'order' AND woo_id $in" );
	}

	/**
	 * One round of background sending: DRAINS_PER_NODE drains on each of $nodes, all at once.
	 *
	 * @param list<string> $nodes Nodes that drain.
	 * @return array<string,int> node => jobs it posted in this round.
	 */
	private static function drain_round( array $nodes ): array {
		$requests = array();
		$asked    = array();
		for ( $i = 0; $i < self::DRAINS_PER_NODE; $i++ ) {
			foreach ( $nodes as $node ) {
				$requests[] = array( self::nodes()[ $node ] . '/wp-json/ml-connector-test/v1/drain', 'POST', null );
				$asked[]    = $node;
			}
		}
		$posted = array_fill_keys( $nodes, 0 );
		foreach ( self::all_at_once( $requests ) as $i => $response ) {
			self::assertSame( 200, $response['status'], "drain on node {$asked[ $i ]}: " . $response['body'] );
			self::assertSame( $asked[ $i ], $response['json']['node'] ?? null );
			$posted[ $asked[ $i ] ] += (int) ( $response['json']['result']['posted'] ?? 0 );
		}
		return $posted;
	}

	/**
	 * ORDERS_PER_NODE checkouts on each of $nodes, all at once, with the loopback runner off.
	 *
	 * @param list<string> $nodes Nodes the shoppers use.
	 * @return array<int,array{string,string}> order id => [node, total].
	 */
	private static function place_orders( array $nodes, string $email, int $wave ): array {
		$skus     = array( 'BOK-SULT', 'UG-001', 'OPP-KINO', 'EL-HODE' );
		$requests = array();
		$asked    = array();
		for ( $i = 0; $i < self::ORDERS_PER_NODE; $i++ ) {
			foreach ( $nodes as $node ) {
				$requests[] = array(
					self::nodes()[ $node ] . '/wp-json/ml-connector-test/v1/checkout',
					'POST',
					array(
						'email'           => $email,
						'loopback_runner' => false,
						'shipping'        => 'flat_rate',
						// Different totals, so an invoice of another order would not match.
						'items'           => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 + $i + $wave ), array( 'sku' => $skus[ $i % count( $skus ) ], 'qty' => 1 ) ),
					),
				);
				$asked[]    = $node;
			}
		}
		$placed = array();
		foreach ( self::all_at_once( $requests ) as $i => $response ) {
			self::assertSame( 200, $response['status'], "checkout on node {$asked[ $i ]}: " . $response['body'] );
			$placed[ (int) $response['json']['order_id'] ] = array( $asked[ $i ], (string) $response['json']['total'] );
		}
		self::assertCount( count( $requests ), $placed, 'one order per checkout' );
		return $placed;
	}

	/** The simulator's documents (it keeps them across runs, so callers look up by key). */
	private static function visma_store(): array {
		$sim = (string) getenv( 'ML_SIM_URL' );
		self::assertNotSame( '', $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$body  = (string) wp_remote_retrieve_body( wp_remote_get( $sim . '/_simulator/state', array( 'timeout' => 10 ) ) );
		$store = json_decode( $body, true )['store'] ?? null;
		self::assertIsArray( $store, 'GET /_simulator/state answered' );
		return $store;
	}

	public function test_orders_placed_on_both_nodes_reach_visma_once_sent_by_both_nodes(): void {
		$before = self::node_info();
		$this->assertNotSame( $before['a']['data_dir'], $before['b']['data_dir'], 'each node has its own data directory' );
		$this->assertSame( array( QueueStorage::SQLITE, QueueStorage::SQLITE ), array( $before['a']['storage'], $before['b']['storage'] ) );

		// The move the queue screen's button and `wp ml-connector storage move` make, from node a (whose data
		// directory holds the SQLite queue: this process's).
		$moved = QueueStorage::move( QueueStorage::WORDPRESS );
		$this->assertIsArray( $moved, is_wp_error( $moved ) ? $moved->get_error_message() : '' );
		$after = self::node_info();
		$this->assertSame( array( QueueStorage::WORDPRESS, QueueStorage::WORDPRESS ), array( $after['a']['storage'], $after['b']['storage'] ), 'both nodes read the new storage' );

		// Shoppers, all as one guest (one Visma customer every drain needs). The orders' own loopback runners are
		// off, so each order waits for the drains below (and WP_HOME is node a's URL, so node b's runner would run
		// on node a, as behind a load balancer it would run on any node).
		$email  = 'two-nodes-' . strtolower( wp_generate_password( 8, false ) ) . '@example.test';
		$orders = array(); // order id => [node, total]
		$waves  = array(
			// wave => [nodes the shoppers use, nodes whose drains run]
			1 => array( array( 'a' ), array( 'b' ) ),
			2 => array( array( 'b' ), array( 'a' ) ),
			3 => array( array( 'a', 'b' ), array( 'a', 'b' ) ),
		);
		foreach ( $waves as $wave => [ $shop_on, $send_on ] ) {
			$placed = self::place_orders( $shop_on, $email, $wave );
			$ids    = array_keys( $placed );
			$where  = "kind = 'order' AND woo_id " . self::in_ids( $ids );
			$this->assertSame( count( $ids ), self::count_shared( 'notes', $where ), "wave $wave: every checkout noted its order in the shared queue" );
			$this->assertSame( 0, self::count_shared( 'jobs', $where ), "wave $wave: nothing is sent before the drains" );
			$posted = array_fill_keys( $send_on, 0 );
			for ( $round = 0; $round < self::MAX_ROUNDS && ! self::all_sent( $ids ); $round++ ) {
				foreach ( self::drain_round( $send_on ) as $node => $count ) {
					$posted[ $node ] += $count;
				}
			}
			$what = sprintf( 'wave %d, placed on %s, sent by %s', $wave, implode( '+', $shop_on ), implode( '+', $send_on ) );
			fwrite( STDERR, sprintf( "\ntwo nodes, %s: %d orders, %d rounds, posted %s\n", $what, count( $ids ), $round, (string) wp_json_encode( $posted ) ) );
			$this->assertTrue( self::all_sent( $ids ), "$what: every order's job is done" );
			// At least: a job an earlier test left due may be posted too. In the third wave either node may win
			// any job.
			$this->assertGreaterThanOrEqual( count( $ids ), array_sum( $posted ), "$what: the drains posted every order" );
			$orders += $placed;
		}
		// One more round on both nodes: nothing is sent again (checked below).
		self::drain_round( array( 'a', 'b' ) );
		$ids = array_keys( $orders );
		sort( $ids );

		global $wpdb;
		$prefix = QueueStorage::table_prefix();
		$per_order = $wpdb->get_results( "SELECT woo_id, COUNT(*) AS n FROM `{$prefix}jobs` WHERE kind = 'order' AND woo_id " . self::in_ids( $ids ) . ' GROUP BY woo_id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL
		$per_order = array_map( 'intval', array_column( (array) $per_order, 'n', 'woo_id' ) ) + array_fill_keys( $ids, 0 );
		ksort( $per_order );
		$this->assertSame( array_fill_keys( $ids, 1 ), $per_order, 'one job per order in the shared queue' );
		$store    = self::visma_store();
		$invoices = array();
		foreach ( (array) ( $store['invoices'] ?? array() ) as $invoice ) {
			$invoices[ (string) ( $invoice['externalReference'] ?? '' ) ][] = $invoice;
		}
		foreach ( $orders as $id => [ $node, $total ] ) {
			$job = self::jobs_for( 'order', $id )[0] ?? array();
			$this->assertSame( 'done', $job['state'] ?? null, "order $id (node $node): " . (string) ( $job['last_error'] ?? '' ) );
			$found = $invoices[ 'woo:default:' . $id ] ?? array();
			$this->assertCount( 1, $found, "order $id (node $node) is in Visma once" );
			$this->assertSame( $total, number_format( (float) $found[0]['amount'], 2, '.', '' ), "order $id: the invoice total is the order total" );
			$this->assertSame( $job['visma_number'], $found[0]['referenceNumber'], "order $id: the job names its invoice" );
			$actions = (array) $wpdb->get_col( $wpdb->prepare( "SELECT action FROM `{$prefix}audit` WHERE job_id = %d AND action IN ('posted', 'adopted', 'already_posted')", (int) $job['id'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL
			$this->assertSame( array( 'posted' ), $actions, "order $id: posted once, by one node" );
		}
		$customers = array_filter( (array) ( $store['customers'] ?? array() ), static fn( $c ) => ( $c['mainContact']['email'] ?? null ) === $email );
		$this->assertCount( 1, $customers, 'both nodes booked the one guest as one Visma customer' );

		$this->assertTrue( Core::configure() );
	}

	/**
	 * A shop that ran on two nodes with a SQLite file each before it moved the queue: node b's file holds jobs
	 * (its drain built them, and could not send them: its queue has no Visma secret) and notes of later
	 * checkouts. Node a moves its own queue into the WordPress database; node b's first drain then merges its file
	 * into the shared queue, and every one of its orders reaches Visma once. Before, those orders stayed in node
	 * b's file, unsent and unseen.
	 */
	public function test_a_node_that_kept_its_own_sqlite_queue_has_it_merged_and_sent_once(): void {
		$email = 'own-queue-' . strtolower( wp_generate_password( 8, false ) ) . '@example.test';
		$built = self::place_orders( array( 'b' ), $email, 4 );
		// Node b's drain turns the notes into jobs in its own file; sending fails there (no secret in its queue).
		$drained = self::all_at_once( array( array( self::nodes()['b'] . '/wp-json/ml-connector-test/v1/drain', 'POST', null ) ) )[0];
		$this->assertSame( 'b', $drained['json']['node'] ?? null, $drained['body'] );
		$noted  = self::place_orders( array( 'b' ), $email, 5 );
		$orders = $built + $noted;
		// What node b's file holds now (earlier runs may have left jobs in it: the suite never deletes it).
		$own = self::node_info()['b']['status'];
		$this->assertIsArray( $own );
		$unfinished = 0;
		foreach ( array( 'pending', 'running', 'stalled', 'failed' ) as $state ) {
			$unfinished += (int) ( $own['counts'][ $state ] ?? 0 );
		}
		$this->assertGreaterThanOrEqual( count( $built ), $unfinished, 'node b built its jobs: ' . wp_json_encode( $own ) );
		$this->assertGreaterThanOrEqual( count( $noted ), (int) $own['notes'] );

		$moved = QueueStorage::move( QueueStorage::WORDPRESS );
		$this->assertIsArray( $moved, is_wp_error( $moved ) ? $moved->get_error_message() : '' );
		$ids   = array_keys( $orders );
		$where = "kind = 'order' AND woo_id " . self::in_ids( $ids );
		$this->assertSame( 0, self::count_shared( 'jobs', $where ) + self::count_shared( 'notes', $where ), "node a's queue never had node b's orders" );
		// The audit's history comes along on every move (earlier tests' and runs' merges included).
		$merges_before = self::count_shared( 'audit', "action = 'merged'" );
		$info          = self::node_info();
		$this->assertSame( array( QueueStorage::WORDPRESS, QueueStorage::WORDPRESS ), array( $info['a']['storage'], $info['b']['storage'] ) );
		$this->assertNull( $info['a']['local'], 'node a moved its own file' );
		$this->assertSame( array( $unfinished, (int) $own['notes'] ), array( $info['b']['local']['unfinished'] ?? null, $info['b']['local']['notes'] ?? null ), 'node b reports what its own file holds: ' . wp_json_encode( $info['b'] ) . ' after its drain ' . $drained['body'] );

		for ( $round = 0; $round < self::MAX_ROUNDS && ! self::all_sent( $ids ); $round++ ) {
			self::drain_round( array( 'b' ) );
		}
		$this->assertTrue( self::all_sent( $ids ), "every order of node b's file was sent from the shared queue" );
		$this->assertNull( self::node_info()['b']['local'], "node b's file is merged" );
		// Another round on both nodes sends nothing again.
		self::drain_round( array( 'a', 'b' ) );

		global $wpdb;
		$prefix = QueueStorage::table_prefix();
		$merges = (array) $wpdb->get_col( "SELECT error FROM `{$prefix}audit` WHERE action = 'merged' ORDER BY id" ); // phpcs:ignore WordPress.DB.PreparedSQL
		$merges = array_slice( $merges, $merges_before );
		$this->assertCount( 1, $merges, 'merged once, though three drains ran on node b at once: ' . wp_json_encode( $merges ) );
		$this->assertStringContainsString( (string) self::node_info()['b']['data_dir'], (string) $merges[0] );
		$invoices = array();
		foreach ( (array) ( self::visma_store()['invoices'] ?? array() ) as $invoice ) {
			$invoices[ (string) ( $invoice['externalReference'] ?? '' ) ][] = $invoice;
		}
		foreach ( $orders as $id => [ $node, $total ] ) {
			$jobs = self::jobs_for( 'order', $id );
			$this->assertCount( 1, $jobs, "order $id: one job in the shared queue" );
			$this->assertSame( 'done', $jobs[0]['state'] ?? null, "order $id: " . (string) ( $jobs[0]['last_error'] ?? '' ) );
			$found = $invoices[ 'woo:default:' . $id ] ?? array();
			$this->assertCount( 1, $found, "order $id (node $node) is in Visma once" );
			$this->assertSame( $total, number_format( (float) $found[0]['amount'], 2, '.', '' ), "order $id: the invoice total is the order total" );
		}
		$this->assertTrue( Core::configure() );
	}
}
