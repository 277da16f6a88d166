<?php
/**
 * Self-test of the WooCommerce stand-in: the hooks fire with WooCommerce's signatures and in its order for a classic
 * checkout, a Store API checkout, a refund and a registration (woocommerce-standin/includes/* cite the sources).
 * Independent of the extension.
 */

declare(strict_types=1);

namespace MlConnector\Tests;

final class StandinTest extends TestCase {

	private const WATCHED = array(
		'woocommerce_new_order', 'woocommerce_update_order', 'woocommerce_order_status_pending', 'woocommerce_order_status_processing',
		'woocommerce_order_status_checkout-draft', 'woocommerce_order_status_pending_to_processing', 'woocommerce_order_status_checkout-draft_to_pending',
		'woocommerce_order_status_changed', 'woocommerce_checkout_order_processed', 'woocommerce_store_api_checkout_order_processed',
		'woocommerce_create_refund', 'woocommerce_order_partially_refunded', 'woocommerce_order_fully_refunded', 'woocommerce_refund_created',
		'woocommerce_order_refunded', 'woocommerce_created_customer', 'woocommerce_update_customer', 'woocommerce_order_status_refunded',
		'woocommerce_order_status_processing_to_refunded',
	);

	/** Records hook names and their argument types while $run runs. */
	private static function record( callable $run ): array {
		$log      = array();
		$recorder = static function ( ...$args ) use ( &$log ) {
			$log[] = current_filter() . '(' . implode( ',', array_map( static fn( $a ) => is_object( $a ) ? get_class( $a ) : gettype( $a ), $args ) ) . ')';
			return $args[0] ?? null;
		};
		foreach ( self::WATCHED as $hook ) {
			add_action( $hook, $recorder, 1, 4 );
		}
		try {
			$run();
		} finally {
			foreach ( self::WATCHED as $hook ) {
				remove_action( $hook, $recorder, 1 );
			}
		}
		return $log;
	}

	public function test_classic_checkout_fires_woocommerce_hooks_in_order(): void {
		$log = self::record( static fn() => \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'UG-001', 'qty' => 1 ) ) ) ) );
		$this->assertSame(
			array(
				'woocommerce_new_order(integer,WC_Order)',
				'woocommerce_order_status_pending(integer,WC_Order)',
				'woocommerce_checkout_order_processed(integer,array,WC_Order)',
				'woocommerce_update_order(integer,WC_Order)',
				'woocommerce_order_status_processing(integer,WC_Order)',
				'woocommerce_order_status_pending_to_processing(integer,WC_Order)',
				'woocommerce_order_status_changed(integer,string,string,WC_Order)',
			),
			$log
		);
	}

	public function test_store_api_checkout_with_account_fires_woocommerce_hooks_in_order(): void {
		$log = self::record(
			static fn() => \WC_Standin_Checkout::place(
				array(
					'via'            => 'store-api',
					'create_account' => true,
					'email'          => 'standin-' . wp_generate_password( 6, false ) . '@example.test',
					'items'          => array( array( 'sku' => 'UG-001', 'qty' => 1 ) ),
				)
			)
		);
		$this->assertSame(
			array(
				'woocommerce_order_status_checkout-draft(integer,WC_Order)',
				'woocommerce_created_customer(integer,array,boolean)',
				'woocommerce_update_customer(integer,WC_Customer)',
				'woocommerce_new_order(integer,WC_Order)',
				'woocommerce_order_status_pending(integer,WC_Order)',
				'woocommerce_order_status_checkout-draft_to_pending(integer,WC_Order)',
				'woocommerce_order_status_changed(integer,string,string,WC_Order)',
				'woocommerce_store_api_checkout_order_processed(WC_Order)',
				'woocommerce_update_order(integer,WC_Order)',
				'woocommerce_order_status_processing(integer,WC_Order)',
				'woocommerce_order_status_pending_to_processing(integer,WC_Order)',
				'woocommerce_order_status_changed(integer,string,string,WC_Order)',
			),
			$log
		);
	}

	public function test_full_refund_fires_woocommerce_hooks_in_order(): void {
		$order = self::quiet_order();
		$log   = self::record(
			static fn() => wc_create_refund(
				array(
					'order_id' => $order->get_id(),
					'amount'   => $order->get_total(),
				)
			)
		);
		$this->assertSame(
			array(
				'woocommerce_create_refund(WC_Order_Refund,array)',
				'woocommerce_order_fully_refunded(integer,integer)',
				'woocommerce_update_order(integer,WC_Order)',
				'woocommerce_order_status_refunded(integer,WC_Order)',
				'woocommerce_order_status_processing_to_refunded(integer,WC_Order)',
				'woocommerce_order_status_changed(integer,string,string,WC_Order)',
				'woocommerce_update_order(integer,WC_Order)',
				'woocommerce_refund_created(integer,array)',
				'woocommerce_order_refunded(integer,integer)',
			),
			$log
		);
	}

	public function test_order_totals_add_up_to_the_cent(): void {
		$order = self::quiet_order(
			array(
				'items'  => array( array( 'sku' => 'UG-001', 'qty' => 1 ), array( 'sku' => 'MAT-KAFFE', 'qty' => 3 ), array( 'sku' => 'OPP-MUSEUM-V', 'qty' => 2 ) ),
				'coupon' => 'rabatt10',
				'fees'   => array( array( 'name' => 'Gebyr', 'amount' => '23.20', 'taxable' => true ), array( 'name' => 'Miljøgebyr', 'amount' => '15.00', 'taxable' => false ) ),
			)
		);
		$p     = $order->get_rest_props();
		$lines = 0;
		foreach ( array_merge( $p['line_items'], $p['fee_lines'], $p['shipping_lines'] ) as $line ) {
			$lines += wc_standin_cents( $line['total'] ) + wc_standin_cents( $line['total_tax'] );
		}
		$this->assertSame( wc_standin_cents( $p['total'] ), $lines );
		$this->assertSame( wc_standin_cents( $p['total_tax'] ), array_sum( array_map( static fn( $t ) => wc_standin_cents( $t['tax_total'] ) + wc_standin_cents( $t['shipping_tax_total'] ), $p['tax_lines'] ) ) );
	}

	/** WooCommerce 9.2+ loads only the served namespace of its own (includes/wc-rest-functions.php). */
	public function test_wc_v3_routes_are_not_loaded_while_the_store_api_is_served(): void {
		$this->assertFalse( wc_rest_should_load_namespace( 'wc/v3', 'wc/store/v1/checkout' ) );
		$this->assertTrue( wc_rest_should_load_namespace( 'wc/v3', '/wc/v3/orders/12' ) );
		$this->assertTrue( wc_rest_should_load_namespace( 'wc/v3', 'ml-connector-test/v1/checkout' ) );
		$this->assertTrue( wc_rest_should_load_namespace( 'wc/v3' ), 'not a REST request (cron, admin): every namespace' );
	}
}
