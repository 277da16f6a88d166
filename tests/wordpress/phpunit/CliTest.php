<?php
/**
 * `wp ml-connector …` commands, driven directly (WP-CLI itself is not packaged in Debian; WpCliStub.php stands in
 * for its output functions): status, drain, replay, backfill --dry-run (paged, progress), map, reconcile.
 *
 * @group fn:ml_connector_status
 * @group fn:ml_connector_drain
 * @group fn:ml_connector_map_preview
 * @group fn:ml_connector_order_state
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Cli;

require_once __DIR__ . '/WpCliStub.php';

final class CliTest extends TestCase {

	private static function run_command( string $method, array $args = array(), array $assoc = array() ): array {
		\WP_CLI::$out = array();
		$error        = null;
		try {
			( new Cli() )->$method( $args, $assoc );
		} catch ( \WpCliExit $e ) {
			$error = $e->getMessage();
		}
		return array( \WP_CLI::$out, $error );
	}

	public function test_status_prints_every_state(): void {
		self::needs( 'ml_connector_status' );
		[ $out, $error ] = self::run_command( 'status' );
		$this->assertNull( $error );
		foreach ( array( 'pending', 'running', 'done', 'failed', 'dead' ) as $state ) {
			$this->assertMatchesRegularExpression( '/^' . $state . '\s+\d+$/m', implode( "\n", $out ) );
		}
	}

	/** The drain line's counts, which must come in the documented order (Cli::drain's docblock). */
	private static function drain_counts( string $line ): array {
		$keys = array( 'posted', 'adopted', 'already_posted', 'edited_after_posting', 'skipped', 'retry', 'failed', 'dead', 'lost_lease', 'remaining', 'stopped' );
		self::assertMatchesRegularExpression( '/^' . implode( ' ', array_map( static fn( $k ) => $k . '=\d+', $keys ) ) . '( \(|$)/', $line );
		preg_match_all( '/(\w+)=(\d+)/', $line, $m );
		return array_map( 'intval', array_combine( $m[1], $m[2] ) );
	}

	public function test_drain_reports_counts_in_the_documented_order(): void {
		self::needs( 'ml_connector_drain' );
		$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ) ) );
		self::end_request();
		[ $out, $error ] = self::run_command( 'drain', array(), array( 'limit' => 200 ) );
		$this->assertNull( $error, 'nothing failed' );
		$line = (string) end( $out );
		$this->assertStringStartsWith( 'Success: ', $line );
		$counts = self::drain_counts( substr( $line, strlen( 'Success: ' ) ) );
		$this->assertGreaterThanOrEqual( 1, $counts['posted'], 'the new order was posted' );
		$this->assertSame( 0, $counts['stopped'] );
		$this->assertSame( 'done', self::jobs_for( 'order', $order->get_id() )[0]['state'] );
	}

	public function test_drain_exits_with_an_error_when_a_job_fails(): void {
		self::needs( 'ml_connector_drain' );
		$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ), 'currency' => 'USD' ) );
		self::end_request();
		[ , $error ] = self::run_command( 'drain', array(), array( 'limit' => 200 ) );
		$this->assertNotNull( $error, 'a failed job makes the command exit 1' );
		$this->assertStringEndsWith( ' (see "wp ml-connector status" and the audit)', $error );
		$this->assertGreaterThanOrEqual( 1, self::drain_counts( $error )['failed'] );
		$this->assertSame( 'failed', self::jobs_for( 'order', $order->get_id() )[0]['state'] );
	}

	public function test_backfill_dry_run_counts_the_range_and_enqueues_nothing(): void {
		$today  = wp_date( 'Y-m-d' );
		$before = wc_get_orders( array( 'date_created' => $today . '...' . $today, 'limit' => -1, 'return' => 'ids' ) );
		$order  = self::quiet_order();
		[ $out, $error ] = self::run_command( 'backfill', array(), array( 'from' => $today, 'to' => $today, 'dry-run' => true, 'batch-size' => 7 ) );
		$this->assertNull( $error );
		$text = implode( "\n", $out );
		$this->assertStringContainsString( sprintf( '[dry run] %d orders of %d would be enqueued', count( $before ) + 1, count( $before ) + 1 ), $text );
		$this->assertSame( array(), self::jobs_for( 'order', $order->get_id() ), 'a dry run queues nothing' );
	}

	public function test_backfill_refuses_bad_dates(): void {
		[ , $error ] = self::run_command( 'backfill', array(), array( 'from' => '24.11.2026', 'to' => '2026-11-30' ) );
		$this->assertSame( '--from and --to must be dates like 2026-01-31.', $error );
	}

	public function test_map_prints_the_preview_of_the_order(): void {
		self::needs( 'ml_connector_map_preview' );
		$order           = self::quiet_order();
		[ $out, $error ] = self::run_command( 'map', array( (string) $order->get_id() ) );
		$this->assertNull( $error );
		$this->assertStringContainsString( 'woo:default:' . $order->get_id(), implode( "\n", $out ) );
	}

	public function test_reconcile_names_every_order_not_in_visma(): void {
		self::needs( 'ml_connector_order_state' );
		$order           = self::quiet_order();
		[ $out, $error ] = self::run_command( 'reconcile', array(), array( 'month' => wp_date( 'Y-m' ) ) );
		$this->assertNotNull( $error, 'an order not in Visma makes reconcile fail' );
		$this->assertMatchesRegularExpression( '/^' . $order->get_id() . '\tprocessing\t' . preg_quote( $order->get_total(), '/' ) . '\tnone\t/m', implode( "\n", $out ) );
	}

	/**
	 * @group fn:ml_connector_visma_totals
	 */
	public function test_reconcile_compares_with_the_amount_visma_holds(): void {
		self::needs( 'ml_connector_drain', 'ml_connector_visma_totals' );
		$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'BOK-SULT', 'qty' => 2 ) ) ) );
		self::end_request();
		self::run_command( 'drain', array(), array( 'limit' => 200 ) );
		$this->assertSame( 'done', self::jobs_for( 'order', $order->get_id() )[0]['state'] );

		$visma = \MlConnector\Core::visma_totals( $order->get_id() );
		$this->assertIsArray( $visma );
		$this->assertSame( Cli::minor( (string) $order->get_total() ), $visma['amount_minor'], 'Visma holds the WooCommerce total' );
		$this->assertMatchesRegularExpression( '/^\d+$/', (string) $visma['visma_number'] );

		// Other tests leave failed orders in this month, so only this order's absence from the list is checked.
		[ $out ] = self::run_command( 'reconcile', array(), array( 'month' => wp_date( 'Y-m' ) ) );
		$this->assertDoesNotMatchRegularExpression( '/^' . $order->get_id() . '\t/m', implode( "\n", $out ) );

		$none = \MlConnector\Core::visma_totals( 999999 );
		$this->assertIsArray( $none );
		$this->assertNull( $none['visma_number'] );
		$this->assertNull( $none['amount_minor'] );
	}

	public function test_minor_units_parse_without_floats(): void {
		$this->assertSame( 123456, Cli::minor( '1234.56' ) );
		$this->assertSame( 123450, Cli::minor( '1234.5' ) );
		$this->assertSame( -1000, Cli::minor( '-10' ) );
		$this->assertSame( 30, Cli::minor( '0.30' ) );
	}
}
