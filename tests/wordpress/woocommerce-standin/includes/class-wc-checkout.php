<?php
/**
 * The two checkouts, with WooCommerce's hook order:
 * - classic: includes/class-wc-checkout.php::process_checkout() → process_customer() (wc_create_new_customer →
 *   woocommerce_created_customer; WC_Customer::save → woocommerce_update_customer) → create_order() (save:
 *   woocommerce_new_order, woocommerce_order_status_pending) → woocommerce_checkout_order_processed( $order_id,
 *   $posted_data, $order ) → process_order_payment() (cod: update_status processing; bacs: on-hold).
 * - Store API: src/StoreApi/Utilities/ProcessCheckoutTrait.php / Routes/V1/Checkout.php: the order exists as
 *   checkout-draft (no woocommerce_new_order under HPOS), process_customer(), status → pending (HPOS update fires
 *   woocommerce_new_order + woocommerce_order_status_changed( checkout-draft → pending )),
 *   woocommerce_store_api_checkout_order_processed( $order ), then payment.
 * Totals are computed in integer øre the way a prices-incl.-tax, round-per-line shop does (real/README.md);
 * only percent and free-shipping coupons are supported.
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Test checkout.
 */
final class WC_Standin_Checkout {

	/** Rate id => [class, percent, label], real/settings.json. */
	private const RATES = array(
		1 => array( '', 25, 'MVA 25%' ),
		2 => array( 'reduced-rate', 15, 'MVA 15%' ),
		3 => array( 'low-rate', 12, 'MVA 12%' ),
		4 => array( 'zero-rate', 0, 'MVA 0%' ),
	);

	/** Coupons of the real shop that the stand-in supports (real/coupons.json). */
	private const COUPONS = array(
		'rabatt10' => array( 'percent', 10, false ),
		'frifrakt' => array( 'free_shipping', 0, true ),
	);

	/**
	 * Places an order.
	 *
	 * @param array $req via (classic|store-api), customer_id, create_account, email, billing{}, items[{sku,qty}],
	 *                   coupon, shipping (flat_rate|free_shipping|none), fees[{name,amount,taxable}], payment_method,
	 *                   currency (the shopper's currency, as a currency switcher sets it through the
	 *                   woocommerce_currency filter; default the shop's NOK; prices are not converted).
	 * @return WC_Order|WP_Error
	 */
	public static function place( array $req ) {
		$via     = 'store-api' === ( $req['via'] ?? 'classic' ) ? 'store-api' : 'classic';
		$billing = wp_parse_args(
			(array) ( $req['billing'] ?? array() ),
			array(
				'first_name' => 'Kari',
				'last_name'  => 'Nordmann',
				'company'    => '',
				'address_1'  => 'Storgata 1',
				'address_2'  => '',
				'city'       => 'Oslo',
				'state'      => '',
				'postcode'   => '0155',
				'country'    => 'NO',
				'email'      => (string) ( $req['email'] ?? 'kari@example.test' ),
				'phone'      => '+47 12345678',
			)
		);
		$switcher = isset( $req['currency'] ) ? static fn() => strtoupper( sanitize_text_field( (string) $req['currency'] ) ) : null;
		if ( null !== $switcher ) {
			add_filter( 'woocommerce_currency', $switcher );
		}
		$props = self::totals( $req, $billing );
		if ( null !== $switcher ) {
			remove_filter( 'woocommerce_currency', $switcher );
		}
		if ( is_wp_error( $props ) ) {
			return $props;
		}
		$order = null;
		if ( 'store-api' === $via ) {
			// The checkout block created the draft when the shopper opened the checkout page.
			$order = new WC_Order( array( 'created_via' => 'store-api' ) );
			$order->set_status( 'checkout-draft' );
			$order->save();
		}
		$customer_id = self::process_customer( $req, $billing );
		if ( is_wp_error( $customer_id ) ) {
			return $customer_id;
		}
		$props += array(
			'customer_id'          => $customer_id,
			'billing'              => $billing,
			'shipping'             => array_diff_key( $billing, array( 'email' => 1 ) ),
			'payment_method'       => (string) ( $req['payment_method'] ?? 'cod' ),
			'payment_method_title' => 'bacs' === ( $req['payment_method'] ?? 'cod' ) ? 'Bankoverføring' : 'Betal ved levering',
			'created_via'          => 'store-api' === $via ? 'store-api' : 'checkout',
			'customer_ip_address'  => '127.0.0.1',
			'customer_user_agent'  => 'ml-connector-tests',
			'order_key'            => 'wc_order_' . wp_generate_password( 13, false ),
			'cart_hash'            => md5( wp_json_encode( $req['items'] ?? array() ) ),
		);
		if ( 'store-api' === $via ) {
			$order->set_props( $props );
			$order->set_status( 'pending' );
			$order->save();
			do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		} else {
			$order = new WC_Order( array() );
			$order->set_props( $props );
			do_action( 'woocommerce_checkout_create_order', $order, $req );
			$order->set_status( 'pending' );
			$order->save();
			do_action( 'woocommerce_checkout_order_created', $order );
			do_action( 'woocommerce_checkout_order_processed', $order->get_id(), $req, $order );
		}
		// Gateways: cod → processing (WC_Gateway_COD::process_payment), bacs → on-hold (WC_Gateway_BACS).
		if ( 'bacs' === $order->get_payment_method() ) {
			$order->update_status( 'on-hold', 'Awaiting BACS payment' );
		} else {
			$order->set_props( array( '_date_paid_ts' => time() ) );
			$order->update_status( 'processing', 'Payment to be made upon delivery.' );
		}
		return $order;
	}

	/**
	 * Mirrors WC_Checkout::process_customer(): creates the account when asked, then saves the customer's addresses
	 * (woocommerce_update_customer).
	 *
	 * @return int|WP_Error Customer id, 0 for a guest.
	 */
	private static function process_customer( array $req, array $billing ) {
		$customer_id = (int) ( $req['customer_id'] ?? 0 );
		if ( 0 === $customer_id && ! empty( $req['create_account'] ) ) {
			$customer_id = wc_create_new_customer( $billing['email'], (string) ( $req['username'] ?? '' ), '', array( 'first_name' => $billing['first_name'], 'last_name' => $billing['last_name'] ) );
			if ( is_wp_error( $customer_id ) ) {
				return $customer_id;
			}
		}
		if ( $customer_id > 0 ) {
			$customer = new WC_Customer( $customer_id );
			$customer->set_billing( $billing );
			$customer->set_shipping( array_diff_key( $billing, array( 'email' => 1 ) ) );
			$customer->save();
		}
		return $customer_id;
	}

	/**
	 * Line, shipping, fee, coupon and tax lines plus totals, REST-shaped.
	 *
	 * @return array|WP_Error
	 */
	private static function totals( array $req, array $billing ) {
		$catalog = self::catalog();
		$coupon  = strtolower( (string) ( $req['coupon'] ?? '' ) );
		if ( '' !== $coupon && ! isset( self::COUPONS[ $coupon ] ) ) {
			return new WP_Error( 'woocommerce_rest_cart_coupon_error', 'Coupon "' . $coupon . '" does not exist!' );
		}
		$taxable_country = 'NO' === $billing['country'];
		$percent         = '' !== $coupon && 'percent' === self::COUPONS[ $coupon ][0] ? self::COUPONS[ $coupon ][1] : 0;
		$item_id         = (int) get_option( 'wc_standin_item_seq', 1000 );
		$lines           = array();
		$rate_tax        = array();
		$sum             = array( 'sub_ex' => 0, 'sub_tax' => 0, 'ex' => 0, 'tax' => 0 );
		foreach ( (array) ( $req['items'] ?? array() ) as $item ) {
			$product = $catalog[ (string) ( $item['sku'] ?? '' ) ] ?? null;
			$qty     = max( 1, (int) ( $item['qty'] ?? 1 ) );
			if ( null === $product ) {
				return new WP_Error( 'woocommerce_rest_invalid_product', 'Unknown SKU ' . ( $item['sku'] ?? '' ) );
			}
			list( $rate_id, $rate ) = self::rate( $product['tax_class'] );
			$sub_incl               = wc_standin_cents( $product['price'] ) * $qty;
			$total_incl             = $sub_incl - intdiv( $sub_incl * $percent + 50, 100 );
			$sub_tax                = intdiv( $sub_incl * $rate * 2 + ( 100 + $rate ), ( 100 + $rate ) * 2 );
			$tax                    = intdiv( $total_incl * $rate * 2 + ( 100 + $rate ), ( 100 + $rate ) * 2 );
			$sub_ex                 = $sub_incl - $sub_tax;
			$ex                     = $total_incl - $tax;
			if ( ! $taxable_country ) {
				$sub_tax = 0;
				$tax     = 0;
			}
			$lines[]                 = array(
				'id'           => ++$item_id,
				'name'         => $product['name'],
				'product_id'   => $product['product_id'],
				'variation_id' => $product['variation_id'],
				'quantity'     => $qty,
				'tax_class'    => $product['tax_class'],
				'subtotal'     => wc_standin_money( $sub_ex ),
				'subtotal_tax' => wc_standin_money( $sub_tax ),
				'total'        => wc_standin_money( $ex ),
				'total_tax'    => wc_standin_money( $tax ),
				'taxes'        => $taxable_country ? array( array( 'id' => $rate_id, 'total' => wc_standin_money( $tax ), 'subtotal' => wc_standin_money( $sub_tax ) ) ) : array(),
				'meta_data'    => array(),
				'sku'          => $product['sku'],
				'price'        => round( $ex / 100 / $qty, 4 ),
				'image'        => array( 'id' => 0, 'src' => '' ),
				'parent_name'  => $product['parent_name'],
			);
			$rate_tax[ $rate_id ]    = ( $rate_tax[ $rate_id ] ?? 0 ) + $tax;
			$sum['sub_ex']          += $sub_ex;
			$sum['sub_tax']         += $sub_tax;
			$sum['ex']              += $ex;
			$sum['tax']             += $tax;
		}
		if ( array() === $lines ) {
			return new WP_Error( 'woocommerce_rest_cart_empty', 'Cannot create order from empty cart.' );
		}
		$ship_method = (string) ( $req['shipping'] ?? 'flat_rate' );
		if ( '' !== $coupon && self::COUPONS[ $coupon ][2] && 'flat_rate' === $ship_method ) {
			$ship_method = 'free_shipping';
		}
		$ship_ex        = 'flat_rate' === $ship_method ? 7920 : 0;
		$ship_tax       = $taxable_country ? intdiv( $ship_ex * 25 + 50, 100 ) : 0;
		$shipping_lines = 'none' === $ship_method ? array() : array(
			array(
				'id'           => ++$item_id,
				'method_title' => 'flat_rate' === $ship_method ? 'Sending med Posten' : 'Gratis frakt',
				'method_id'    => $ship_method,
				'instance_id'  => 'flat_rate' === $ship_method ? '1' : '2',
				'total'        => wc_standin_money( $ship_ex ),
				'total_tax'    => wc_standin_money( $ship_tax ),
				'taxes'        => $ship_tax > 0 ? array( array( 'id' => 1, 'total' => wc_standin_money( $ship_tax ), 'subtotal' => '' ) ) : array(),
				'tax_status'   => 'taxable',
				'meta_data'    => array(),
			),
		);
		$fee_lines = array();
		$fee_ex    = 0;
		$fee_tax   = 0;
		foreach ( (array) ( $req['fees'] ?? array() ) as $fee ) {
			$amount  = wc_standin_cents( $fee['amount'] ?? '0' );
			$taxable = ! empty( $fee['taxable'] ) && $taxable_country;
			$tax     = $taxable ? intdiv( abs( $amount ) * 25 + 50, 100 ) * ( $amount < 0 ? -1 : 1 ) : 0;
			$fee_lines[] = array(
				'id'         => ++$item_id,
				'name'       => (string) ( $fee['name'] ?? 'Gebyr' ),
				// A non-taxable fee is stored with tax_class "0" (real/README.md).
				'tax_class'  => $taxable ? '' : '0',
				'tax_status' => 'taxable',
				'amount'     => (string) ( $fee['amount'] ?? '0' ),
				'total'      => wc_standin_money( $amount ),
				'total_tax'  => wc_standin_money( $tax ),
				'taxes'      => $taxable ? array( array( 'id' => 1, 'total' => wc_standin_money( $tax ), 'subtotal' => '' ) ) : array(),
				'meta_data'  => array(),
			);
			$fee_ex     += $amount;
			$fee_tax    += $tax;
			$rate_tax[1] = ( $rate_tax[1] ?? 0 ) + $tax;
		}
		update_option( 'wc_standin_item_seq', $item_id + 1, false );
		$tax_lines = array();
		if ( $taxable_country ) {
			foreach ( $rate_tax as $rate_id => $tax ) {
				$tax_lines[] = array(
					'id'                 => ++$item_id,
					'rate_code'          => 'NO-' . self::RATES[ $rate_id ][2] . '-1',
					'rate_id'            => $rate_id,
					'label'              => self::RATES[ $rate_id ][2],
					'compound'           => false,
					'tax_total'          => wc_standin_money( $tax ),
					'shipping_tax_total' => wc_standin_money( 1 === $rate_id ? $ship_tax : 0 ),
					'rate_percent'       => self::RATES[ $rate_id ][1],
					'meta_data'          => array(),
				);
			}
			if ( $ship_tax > 0 && ! isset( $rate_tax[1] ) ) {
				$tax_lines[] = array( 'id' => ++$item_id, 'rate_code' => 'NO-MVA 25%-1', 'rate_id' => 1, 'label' => 'MVA 25%', 'compound' => false, 'tax_total' => '0.00', 'shipping_tax_total' => wc_standin_money( $ship_tax ), 'rate_percent' => 25, 'meta_data' => array() );
			}
		}
		$coupon_lines = array();
		if ( '' !== $coupon ) {
			$coupon_lines[] = array(
				'id'             => ++$item_id,
				'code'           => $coupon,
				'discount'       => wc_standin_money( $sum['sub_ex'] - $sum['ex'] ),
				'discount_tax'   => wc_standin_money( $sum['sub_tax'] - $sum['tax'] ),
				'meta_data'      => array(),
				'discount_type'  => self::COUPONS[ $coupon ][0] === 'percent' ? 'percent' : 'fixed_cart',
				'nominal_amount' => self::COUPONS[ $coupon ][1],
				'free_shipping'  => self::COUPONS[ $coupon ][2],
			);
		}
		update_option( 'wc_standin_item_seq', $item_id + 1, false );
		$cart_tax = $sum['tax'] + $fee_tax;
		return array(
			'currency'           => get_woocommerce_currency(),
			'prices_include_tax' => true,
			'discount_total'     => wc_standin_money( $sum['sub_ex'] - $sum['ex'] ),
			'discount_tax'       => wc_standin_money( $sum['sub_tax'] - $sum['tax'] ),
			'shipping_total'     => wc_standin_money( $ship_ex ),
			'shipping_tax'       => wc_standin_money( $ship_tax ),
			'cart_tax'           => wc_standin_money( $cart_tax ),
			'total'              => wc_standin_money( $sum['ex'] + $fee_ex + $ship_ex + $cart_tax + $ship_tax ),
			'total_tax'          => wc_standin_money( $cart_tax + $ship_tax ),
			'line_items'         => $lines,
			'shipping_lines'     => $shipping_lines,
			'fee_lines'          => $fee_lines,
			'coupon_lines'       => $coupon_lines,
			'tax_lines'          => $tax_lines,
		);
	}

	/** The tax rates: id => [class, percent, name] (for WC_Tax::get_rates_for_tax_class). */
	public static function rates(): array {
		return self::RATES;
	}

	/** Rate id and percent of a tax class. */
	private static function rate( string $tax_class ): array {
		foreach ( self::RATES as $id => $rate ) {
			if ( $rate[0] === $tax_class ) {
				return array( $id, $rate[1] );
			}
		}
		return array( 1, 25 );
	}

	/** SKU => product facts from tests/fixtures/woocommerce/products.json (GET /wc/v3/products of the real shop). */
	private static function catalog(): array {
		static $catalog = null;
		if ( null === $catalog ) {
			$catalog  = array();
			$products = json_decode( (string) file_get_contents( dirname( __DIR__, 4 ) . '/tests/fixtures/woocommerce/products.json' ), true );
			foreach ( (array) $products as $p ) {
				$catalog[ $p['sku'] ] = array( 'sku' => $p['sku'], 'name' => $p['name'], 'price' => $p['price'], 'tax_class' => $p['tax_class'], 'product_id' => $p['id'], 'variation_id' => 0, 'parent_name' => null );
				foreach ( (array) ( $p['variations_full'] ?? array() ) as $v ) {
					$catalog[ $v['sku'] ] = array( 'sku' => $v['sku'], 'name' => $p['name'] . ' - ' . $v['sku'], 'price' => $v['price'], 'tax_class' => $v['tax_class'], 'product_id' => $p['id'], 'variation_id' => $v['id'], 'parent_name' => $p['name'] );
				}
			}
		}
		return $catalog;
	}
}
