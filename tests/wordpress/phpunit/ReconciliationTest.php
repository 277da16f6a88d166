<?php
/**
 * WooCommerce › Visma reconciliation (issue #13): a month's orders next to what Visma holds, read back from Visma,
 * each difference named with its cause; the CSV download; who may see it.
 *
 * @group fn:ml_connector_visma_documents
 * @group fn:ml_connector_drain
 */

declare(strict_types=1);

namespace MlConnector\Tests;

final class ReconciliationTest extends TestCase {

	private const PAGE = '/wp-admin/admin.php?page=ml-connector-reconciliation';

	public function test_the_month_lists_each_order_with_visma_and_names_the_differences(): void {
		self::needs( 'ml_connector_visma_documents' );
		$good = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'BOK-SULT', 'qty' => 1 ) ) ) );
		$bad  = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'BOK-SULT', 'qty' => 2 ) ), 'currency' => 'USD' ) );
		self::end_request();
		$sent = self::drain_until_sent( $good->get_id() );
		self::drain_until_sent( $bad->get_id() );
		$number = (string) $sent[0]['visma_number'];
		$this->assertNotSame( '', $number );

		$month = \MlConnector\Reconciliation::month( wp_date( 'Y-m' ) );
		$this->assertIsArray( $month );
		$rows = array_column( $month['rows'], null, 'woo_id' );
		$this->assertSame( $number, $rows[ (string) $good->get_id() ]['visma_number'] );
		$this->assertSame( 'matches', $rows[ (string) $good->get_id() ]['result'] );
		$this->assertSame( $rows[ (string) $good->get_id() ]['woo_total'], $rows[ (string) $good->get_id() ]['visma_total'] );
		$this->assertStringContainsString( 'not in Visma: failed', $rows[ (string) $bad->get_id() ]['result'] );
		$this->assertStringContainsString( 'currency "USD" is not configured', $rows[ (string) $bad->get_id() ]['result'] );
		$this->assertArrayHasKey( 'UTG25', $month['visma_vat'], 'Visma VAT per VAT id of the Nordlys company' );

		$admin   = self::user_id( 'manager' );
		$session = Http::session( $admin );
		$page    = Http::request( 'GET', self::PAGE . '&month=' . wp_date( 'Y-m' ), $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertMatchesRegularExpression( '#<td>' . $good->get_id() . '</td>.*?<td>' . preg_quote( $number, '#' ) . '</td>.*?<td>matches</td>#s', $page['body'] );
		$this->assertStringContainsString( 'class="ml-connector-difference"', $page['body'] );
		$csv = Http::request( 'GET', '/wp-admin/admin-post.php?action=ml_connector_reconciliation_csv&month=' . wp_date( 'Y-m' ) . '&_wpnonce=' . Http::nonce( $admin, $session, 'ml_connector_reconciliation_csv' ), $session['cookie'] );
		$this->assertSame( 200, $csv['status'] );
		$lines = array_map( 'str_getcsv', explode( "\n", trim( $csv['body'] ) ) );
		$this->assertSame( \MlConnector\Reconciliation::COLUMNS, $lines[0] );
		$this->assertContains( array( 'order', (string) $good->get_id(), (string) $good->get_id() ), array_map( static fn( $l ) => array_slice( $l, 0, 3 ), $lines ) );
	}

	/** Issue #17: in sales-order mode the month's order is reconciled against its sales order, read from Visma. */
	public function test_in_sales_order_mode_the_order_is_reconciled_against_its_sales_order(): void {
		self::needs( 'ml_connector_visma_documents' );
		$stored                  = (array) get_option( \MlConnector\Integration::OPTION );
		$stored['document_type'] = 'sales_order';
		update_option( \MlConnector\Integration::OPTION, $stored );
		try {
			$this->assertTrue( \MlConnector\Core::configure() );
			$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 3 ) ) ) );
			self::end_request();
			$sent = self::drain_until_sent( $order->get_id() );
			$this->assertSame( 'done', $sent[0]['state'] ?? null, (string) wp_json_encode( $sent ) );
			$month = \MlConnector\Reconciliation::month( wp_date( 'Y-m' ) );
			$this->assertIsArray( $month );
			$row = array_column( $month['rows'], null, 'woo_id' )[ (string) $order->get_id() ];
			$this->assertSame( (string) $sent[0]['visma_number'], $row['visma_number'], 'the sales order, e.g. "NO 000001"' );
			$this->assertStringStartsWith( 'NO ', $row['visma_number'] );
			$this->assertSame( $row['woo_total'], $row['visma_total'] );
		} finally {
			$stored['document_type'] = 'invoice';
			update_option( \MlConnector\Integration::OPTION, $stored );
			$this->assertTrue( \MlConnector\Core::configure() );
		}
	}

	public function test_only_shop_managers_see_it_and_the_csv_needs_its_nonce(): void {
		$subscriber = Http::session( self::user_id( 'subscriber' ) );
		$this->assertSame( 403, Http::request( 'GET', self::PAGE, $subscriber['cookie'] )['status'] );
		$manager = Http::session( self::user_id( 'manager' ) );
		$this->assertSame( 403, Http::request( 'GET', '/wp-admin/admin-post.php?action=ml_connector_reconciliation_csv&_wpnonce=bad', $manager['cookie'] )['status'] );
		$page = Http::request( 'GET', self::PAGE . '&month=2026-13', $manager['cookie'] );
		$this->assertStringContainsString( 'The month must look like 2026-11.', $page['body'] );
	}
}
