<?php
/**
 * End to end over HTTP through nginx + PHP-FPM: shoppers place orders (guest and registered, coupon, shipping, fees,
 * an account created at checkout), the shop refunds one, a customer registers, Action Scheduler's queue runs the
 * drain, and the documents reach Visma (the simulator's GET /_simulator/state when run.sh started it). Also times
 * the checkout request with and without the plugin (printed, not asserted).
 *
 * @group e2e
 * @group fn:ml_connector_enqueue
 * @group fn:ml_connector_drain
 */

declare(strict_types=1);

namespace MlConnector\Tests;

final class EndToEndTest extends TestCase {

	/** @var array{orders:int[],totals:string[],refund:int,refund_amount:string,customers:int[]}|null */
	private static ?array $placed = null;

	/** Places the orders once for the class. */
	private static function place_everything(): array {
		if ( null !== self::$placed ) {
			return self::$placed;
		}
		self::needs( 'ml_connector_enqueue', 'ml_connector_drain', 'ml_connector_jobs' );
		self::use_test_company();
		$customer = self::user_id( 'customer1' );
		$requests = array(
			'guest, coupon, shipping, fees'     => array( 'items' => array( array( 'sku' => 'UG-001', 'qty' => 1 ), array( 'sku' => 'MAT-KAFFE', 'qty' => 2 ) ), 'coupon' => 'rabatt10', 'shipping' => 'flat_rate', 'fees' => array( array( 'name' => 'Gebyr', 'amount' => '23.20', 'taxable' => true ), array( 'name' => 'Miljøgebyr', 'amount' => '15.00', 'taxable' => false ) ) ),
			'registered, bank transfer'         => array( 'customer_id' => $customer, 'payment_method' => 'bacs', 'items' => array( array( 'sku' => 'BOK-SULT', 'qty' => 1 ), array( 'sku' => 'OPP-KINO', 'qty' => 2 ) ) ),
			'store api, account at checkout'    => array( 'via' => 'store-api', 'create_account' => true, 'email' => 'e2e-' . wp_generate_password( 6, false ) . '@example.test', 'items' => array( array( 'sku' => 'TS-BASIC-M', 'qty' => 3 ) ), 'coupon' => 'frifrakt' ),
			'guest abroad, no tax'              => array( 'billing' => array( 'country' => 'SE', 'city' => 'Göteborg', 'postcode' => '41101' ), 'items' => array( array( 'sku' => 'EL-HODE', 'qty' => 1 ) ) ),
		);
		$orders = array();
		$totals = array();
		foreach ( $requests as $name => $request ) {
			$result = 'store-api' === ( $request['via'] ?? '' ) ? Http::store_api_checkout( $request ) : Http::api( 'POST', '/checkout', $request );
			self::assertSame( 200, $result['status'], $name . ': ' . wp_json_encode( $result['json'] ) );
			$orders[ $name ] = (int) $result['json']['order_id'];
			$placed_order    = wc_get_order( $orders[ $name ] );
			self::assertInstanceOf( \WC_Order::class, $placed_order );
			$totals[ $name ] = (string) $placed_order->get_total();
		}
		$refund = Http::api( 'POST', '/refund', array( 'order_id' => $orders['guest, coupon, shipping, fees'], 'full' => true, 'reason' => 'Returnert' ) );
		self::assertSame( 200, $refund['status'], wp_json_encode( $refund['json'] ) );
		$register = Http::api( 'POST', '/register', array( 'email' => 'e2e-reg-' . wp_generate_password( 6, false ) . '@example.test' ) );
		self::assertSame( 200, $register['status'] );
		for ( $i = 0; $i < 20; $i++ ) {
			Http::api( 'POST', '/run-actions' );
			if ( ! in_array( 'ml_connector_drain', array_column( (array) Http::api( 'GET', '/actions?status=pending' )['json'], 'hook' ), true ) ) {
				break;
			}
		}
		self::$placed = array(
			'orders'        => $orders,
			'totals'        => $totals,
			'refund'        => (int) $refund['json']['refund_id'],
			'refund_amount' => (string) $refund['json']['amount'],
			'customers' => array( (int) $register['json']['customer_id'] ),
		);
		return self::$placed;
	}

	public function test_every_order_refund_and_customer_is_queued_and_sent(): void {
		$placed = self::place_everything();
		foreach ( $placed['orders'] as $name => $id ) {
			// One job, or two when the order was sent at once (loopback runner) and its refund changed its status:
			// every job done, all naming the same invoice (test_documents_are_in_the_visma_simulator counts them).
			$jobs = self::jobs_for( 'order', $id );
			$this->assertNotEmpty( $jobs, $name );
			$this->assertSame( array( 'done' ), array_values( array_unique( array_column( $jobs, 'state' ) ) ), $name . ': ' . (string) $jobs[0]['last_error'] );
			$this->assertCount( 1, array_unique( array_column( $jobs, 'visma_number' ) ), $name . ': one invoice' );
			$this->assertNotEmpty( $jobs[0]['visma_number'] );
			$notes = implode( "\n", array_column( (array) Http::api( 'GET', '/notes/' . $id )['json'], 'note' ) );
			$this->assertStringContainsString( 'ml-connector: order sent to Visma.net as ' . $jobs[0]['visma_number'], $notes );
		}
		$refund_jobs = self::jobs_for( 'refund', $placed['refund'] );
		$this->assertCount( 1, $refund_jobs );
		$this->assertSame( 'done', $refund_jobs[0]['state'], (string) $refund_jobs[0]['last_error'] );
		foreach ( $placed['customers'] as $id ) {
			$jobs = self::jobs_for( 'customer', $id );
			$this->assertCount( 1, $jobs );
			$this->assertSame( 'done', $jobs[0]['state'], (string) $jobs[0]['last_error'] );
			$this->assertNotEmpty( $jobs[0]['visma_number'] );
		}
	}

	/**
	 * Issue #17: in sales-order mode a placed order becomes one SalesOrders v3 order of the merchant's type, with
	 * the ordered quantities, the chosen items for shipping and the chosen warehouse (Nordlys ids throughout).
	 *
	 * @group needs-simulator
	 */
	public function test_sales_order_mode_sends_a_sales_order_of_the_chosen_type_items_and_quantities(): void {
		$sim = getenv( 'ML_SIM_URL' );
		$this->assertNotEmpty( $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$stored                  = (array) get_option( \MlConnector\Integration::OPTION );
		$stored['document_type'] = 'sales_order';
		update_option( \MlConnector\Integration::OPTION, $stored );
		try {
			$this->assertTrue( \MlConnector\Core::configure() );
			$order = self::quiet_order();
			do_action( 'woocommerce_new_order', $order->get_id(), $order );
			$jobs = self::drain_until_sent( $order->get_id() );
			$this->assertSame( 'done', $jobs[0]['state'] ?? null, (string) wp_json_encode( $jobs ) );
			$body  = (string) wp_remote_retrieve_body( wp_remote_get( $sim . '/_simulator/state', array( 'timeout' => 10 ) ) );
			$store = json_decode( $body, true )['store'] ?? array();
			$found = array_values( array_filter( (array) ( $store['salesOrders'] ?? $store['sales_orders'] ?? array() ), static fn( $so ) => ( $so['customer']['refNo'] ?? null ) === 'woo:default:' . $order->get_id() ) );
			$this->assertCount( 1, $found, 'one sales order' );
			$so = $found[0];
			$this->assertSame( 'NO', $so['type'] );
			$this->assertSame( number_format( (float) $order->get_total(), 2, '.', '' ), number_format( (float) $so['totals']['orderTotal'], 2, '.', '' ) );
			$lines = array_column( (array) $so['_lines'], null, 'inventoryId' );
			$this->assertSame( 2.0, (float) $lines['MAT-KAFFE']['quantity'], 'the ordered quantity' );
			$this->assertSame( 'HOVED', $lines['MAT-KAFFE']['warehouseId'] );
			$this->assertArrayHasKey( 'NL-FRAKT', $lines, 'shipping on the chosen item' );
			$this->assertSame( $so['type'] . ' ' . $so['orderId'], $jobs[0]['visma_number'] );
		} finally {
			$stored['document_type'] = 'invoice';
			update_option( \MlConnector\Integration::OPTION, $stored );
			$this->assertTrue( \MlConnector\Core::configure() );
		}
	}

	/**
	 * @group needs-simulator
	 */
	public function test_documents_are_in_the_visma_simulator(): void {
		$sim = getenv( 'ML_SIM_URL' );
		$this->assertNotEmpty( $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$placed = self::place_everything();
		$body   = (string) wp_remote_retrieve_body( wp_remote_get( $sim . '/_simulator/state', array( 'timeout' => 10 ) ) );
		$store  = json_decode( $body, true )['store'] ?? null;
		$this->assertIsArray( $store, 'GET /_simulator/state answered with the stored documents' );
		// The simulator keeps documents in its state file across runs: look each key up, it must occur once.
		$find = static fn( string $list, string $field, string $value ): array => array_values( array_filter( (array) ( $store[ $list ] ?? array() ), static fn( $doc ) => ( $doc[ $field ] ?? null ) === $value ) );
		foreach ( $placed['orders'] as $name => $id ) {
			$invoices = $find( 'invoices', 'externalReference', 'woo:default:' . $id );
			$this->assertCount( 1, $invoices, $name . ': one invoice per order' );
			$this->assertSame( 'woo:default:' . $id, $invoices[0]['customerRefNumber'], $name );
			$this->assertSame( $placed['totals'][ $name ], number_format( (float) $invoices[0]['amount'], 2, '.', '' ), $name . ': the invoice total is the order total' );
			$this->assertSame( self::jobs_for( 'order', $id )[0]['visma_number'], $invoices[0]['referenceNumber'], $name . ': the job names the invoice' );
			// Issue #14: WooCommerce's VAT goes as tax detail lines (the VAT ids read from the company), so
			// Visma's VAT is the order's total tax to the øre, not Visma's own rounding of it.
			$order = wc_get_order( $id );
			$this->assertSame( number_format( (float) $order->get_total_tax(), 2, '.', '' ), number_format( (float) $invoices[0]['vatTotal'], 2, '.', '' ), $name . ': the invoice VAT is WooCommerce\'s total tax' );
		}
		$notes = $find( 'creditNotes', 'externalReference', 'woo:default:refund:' . $placed['refund'] );
		$this->assertCount( 1, $notes, 'one credit note for the refund' );
		$this->assertSame( $placed['refund_amount'], number_format( (float) $notes[0]['amount'], 2, '.', '' ), 'the credit note is the refunded amount' );
		$this->assertSame( self::jobs_for( 'refund', $placed['refund'] )[0]['visma_number'], $notes[0]['referenceNumber'] );
		foreach ( $placed['customers'] as $id ) {
			$number = (string) self::jobs_for( 'customer', $id )[0]['visma_number'];
			$this->assertCount( 1, $find( 'customers', 'number', $number ), "registered customer $id is Visma customer $number" );
		}
	}

	public function test_checkout_timing_with_and_without_the_plugin_is_reported(): void {
		$request = array( 'items' => array( array( 'sku' => 'MAT-BRUNOST', 'qty' => 1 ) ), 'shipping' => 'flat_rate' );
		$time    = static function () use ( $request ): array {
			$ms = array();
			for ( $i = 0; $i < 7; $i++ ) {
				$result = Http::api( 'POST', '/checkout', $request );
				self::assertSame( 200, $result['status'] );
				$ms[] = $result['ms'];
			}
			sort( $ms );
			return $ms;
		};
		$with = $time();
		// The checkouts started loopback runners: let them finish before the plugin goes (a drain that ends after
		// the deactivation may still schedule its follow-up).
		for ( $i = 0; $i < 80; $i++ ) {
			$status = \MlConnector\Core::status();
			if ( is_array( $status ) && 0 === (int) ( $status['counts']['running'] ?? 0 ) && 0 === (int) ( $status['notes'] ?? 0 ) ) {
				break;
			}
			usleep( 250000 );
		}
		try {
			$this->assertFalse( Http::api( 'POST', '/plugin', array( 'active' => false ) )['json']['active'] );
			$pending = array_column( (array) Http::api( 'GET', '/actions?status=pending' )['json'], 'hook' );
			$this->assertSame( array(), array_values( preg_grep( '/^ml_connector_/', $pending ) ), 'deactivation unschedules every action' );
			$without = $time();
		} finally {
			$this->assertTrue( Http::api( 'POST', '/plugin', array( 'active' => true ) )['json']['active'] );
		}
		Http::request( 'GET', '/wp-login.php' );
		$pending = array_column( (array) Http::api( 'GET', '/actions?status=pending' )['json'], 'hook' );
		$this->assertContains( 'ml_connector_drain_recurring', $pending, 'the next request after re-activation schedules again' );
		fwrite( STDERR, sprintf( "\ncheckout request (median of 7, %s extension): with plugin %.1f ms, without %.1f ms\n", ML_TEST_EXT_KIND, $with[3], $without[3] ) );
		$this->assertCount( 7, $without );
	}
}
