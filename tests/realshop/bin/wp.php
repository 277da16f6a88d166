<?php
/**
 * One step of the real-shop suite inside real WordPress + WooCommerce (no WP-CLI on Debian 12): run as the web
 * user, `php wp.php SITE_ROOT HOST STEP [JSON]`, one process per step (WooCommerce registers some things only on
 * the next request). Prints one JSON line. Uses only WordPress's and WooCommerce's public PHP APIs, the way a
 * merchant's shop is set up (../shared/reference/woocommerce/REAL-SHOP-NOTES.md); never shipped.
 *
 * @package MlConnectorTests
 */

declare(strict_types=1);

[ , $root, $host, $step ] = $argv + array( '', '', '', '' );
$arg                       = json_decode( $argv[4] ?? '{}', true );
if ( ! is_array( $arg ) ) {
	fwrite( STDERR, "wp.php: the argument of $step is not JSON: " . ( $argv[4] ?? '' ) . "\n" );
	exit( 1 );
}
$_SERVER['HTTP_HOST']      = $host;
$_SERVER['REQUEST_URI']    = '/';
if ( 'install' === $step ) {
	define( 'WP_INSTALLING', true );
}
require $root . '/wp-load.php';

/** Prints the result and ends the step. */
function done( mixed $result ): never {
	echo wp_json_encode( $result ), "\n";
	exit( 0 );
}

/** Ends the step as failed. */
function fail( string $message ): never {
	fwrite( STDERR, "wp.php: $message\n" );
	exit( 1 );
}

switch ( $step ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		if ( ! is_blog_installed() ) {
			wp_install( 'ml-connector real shop', 'admin', 'admin@example.test', false, '', 'Admin-2026!' );
		}
		update_option( 'permalink_structure', '/%postname%/' );
		flush_rewrite_rules( false );
		switch_theme( 'twentytwentyfive' );
		done( array( 'wp' => get_bloginfo( 'version' ) ) );

	case 'activate-woocommerce':
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		wp_set_current_user( 1 );
		$error = activate_plugin( 'woocommerce/woocommerce.php' );
		is_wp_error( $error ) && fail( $error->get_error_message() );
		done( array( 'active' => is_plugin_active( 'woocommerce/woocommerce.php' ) ) );

	case 'setup-woocommerce':
		wp_set_current_user( 1 );
		if ( '' === (string) get_option( 'woocommerce_version', '' ) ) {
			WC_Install::install();
		}
		// HPOS is off after a CLI install: create its tables and switch it on before the first order.
		wc_get_container()->get( Automattic\WooCommerce\Internal\DataStores\Orders\DataSynchronizer::class )->create_database_tables();
		update_option( 'woocommerce_custom_orders_table_data_sync_enabled', 'no' );
		update_option( 'woocommerce_custom_orders_table_enabled', 'yes' );
		// The Norwegian shop of the captures (tests/fixtures/woo/real): NOK, prices with VAT, 25/15/12/0 %.
		foreach ( array(
			'woocommerce_default_country'      => 'NO:03',
			'woocommerce_currency'             => 'NOK',
			'woocommerce_calc_taxes'           => 'yes',
			'woocommerce_prices_include_tax'   => 'yes',
			'woocommerce_tax_display_shop'     => 'incl',
			'woocommerce_tax_display_cart'     => 'incl',
			'woocommerce_tax_round_at_subtotal' => 'no',
			'woocommerce_coming_soon'          => 'no',
			'woocommerce_store_pages_only'     => 'no',
			'woocommerce_enable_guest_checkout' => 'yes',
			'woocommerce_enable_signup_and_login_from_checkout' => 'yes',
			'woocommerce_onboarding_profile'   => array( 'skipped' => true ),
			'woocommerce_bacs_settings'        => array( 'enabled' => 'yes', 'title' => 'Bankoverføring' ),
			'woocommerce_cod_settings'         => array( 'enabled' => 'yes', 'title' => 'Betal ved levering' ),
		) as $name => $value ) {
			update_option( $name, $value );
		}
		if ( ! in_array( 'low-rate', WC_Tax::get_tax_class_slugs(), true ) ) {
			WC_Tax::create_tax_class( 'Low rate', 'low-rate' );
		}
		$rates = array();
		foreach ( array( '' => array( '25.0000', 'MVA 25%' ), 'reduced-rate' => array( '15.0000', 'MVA 15%' ), 'low-rate' => array( '12.0000', 'MVA 12%' ), 'zero-rate' => array( '0.0000', 'MVA 0%' ) ) as $class => [ $rate, $name ] ) {
			$existing = WC_Tax::get_rates_for_tax_class( $class );
			$rates[ '' === $class ? 'standard' : $class ] = $existing ? (int) array_key_first( $existing ) : WC_Tax::_insert_tax_rate(
				array(
					'tax_rate_country'  => 'NO',
					'tax_rate'          => $rate,
					'tax_rate_name'     => $name,
					'tax_rate_priority' => 1,
					'tax_rate_compound' => 0,
					'tax_rate_shipping' => '' === $class ? 1 : 0,
					'tax_rate_order'    => 0,
					'tax_rate_class'    => $class,
				)
			);
		}
		if ( ! WC_Shipping_Zones::get_zones() ) {
			$zone = new WC_Shipping_Zone();
			$zone->set_zone_name( 'Norge' );
			$zone->add_location( 'NO', 'country' );
			$zone->save();
			$instance = $zone->add_shipping_method( 'flat_rate' );
			update_option( "woocommerce_flat_rate_{$instance}_settings", array( 'title' => 'Frakt', 'tax_status' => 'taxable', 'cost' => '79' ) );
		}
		if ( count( WC_Shipping_Zones::get_zones() ) < 2 ) {
			// Abroad: a zone for Sweden (no Swedish tax rates here, so export lines without VAT).
			$zone = new WC_Shipping_Zone();
			$zone->set_zone_name( 'Sverige' );
			$zone->add_location( 'SE', 'country' );
			$zone->save();
			$instance = $zone->add_shipping_method( 'flat_rate' );
			update_option( "woocommerce_flat_rate_{$instance}_settings", array( 'title' => 'Frakt utland', 'tax_status' => 'taxable', 'cost' => '199' ) );
		}
		if ( ! wc_get_coupon_id_by_code( 'rabatt10' ) ) {
			$coupon = new WC_Coupon();
			$coupon->set_props( array( 'code' => 'rabatt10', 'discount_type' => 'percent', 'amount' => '10' ) );
			$coupon->save();
		}
		// A classic (shortcode) checkout page beside the block checkout WooCommerce made.
		if ( ! get_page_by_path( 'kasse-klassisk' ) ) {
			wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_name' => 'kasse-klassisk', 'post_title' => 'Kasse (klassisk)', 'post_content' => '<!-- wp:shortcode -->[woocommerce_checkout]<!-- /wp:shortcode -->' ) );
		}
		$products = array();
		foreach ( array( array( 'BOK-1', 'Kokebok', '349', '' ), array( 'MAT-1', 'Kaffe 500 g', '119', 'reduced-rate' ), array( 'KINO-1', 'Kinobillett', '145', 'low-rate' ), array( 'AVIS-1', 'Avisabonnement', '199', 'zero-rate' ) ) as [ $sku, $name, $price, $class ] ) {
			$id = wc_get_product_id_by_sku( $sku );
			if ( ! $id ) {
				$product = new WC_Product_Simple();
				$product->set_props( array( 'name' => $name, 'sku' => $sku, 'regular_price' => $price, 'tax_class' => $class, 'status' => 'publish' ) );
				$id = $product->save();
			}
			$products[ $sku ] = $id;
		}
		done( array( 'rates' => $rates, 'products' => $products, 'hpos' => get_option( 'woocommerce_custom_orders_table_enabled' ) ) );

	case 'install-plugin':
		// The same code path as Plugins › Add New › Upload Plugin.
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
		wp_set_current_user( 1 );
		if ( ! file_exists( WP_PLUGIN_DIR . '/ml-connector/plugin.php' ) ) {
			$ok = ( new Plugin_Upgrader( new Automatic_Upgrader_Skin() ) )->install( $arg['zip'] );
			true === $ok || fail( 'plugin zip did not install' );
		}
		// Tax rate ids are the shop's own: the settings name them by class (vat_rate_@standard → vat_rate_1).
		$settings = array();
		foreach ( $arg['settings'] as $key => $value ) {
			$settings[ preg_replace_callback( '/^vat_rate_@(.+)$/', static fn( $m ) => 'vat_rate_' . (int) ( $arg['rates'][ $m[1] ] ?? 0 ), $key ) ] = $value;
		}
		update_option( 'ml_connector_settings', $settings );
		$error = activate_plugin( 'ml-connector/plugin.php' );
		is_wp_error( $error ) && fail( $error->get_error_message() );
		done( array( 'active' => is_plugin_active( 'ml-connector/plugin.php' ) ) );

	case 'connect':
		// What the merchant does on the settings page: save the secret, let the page read the company's lists.
		wp_set_current_user( 1 );
		$problems = MlConnector\Requirements::problems();
		$problems && fail( 'requirements: ' . wp_json_encode( $problems ) );
		$saved = MlConnector\Core::save_secret( 'visma_client_secret', $arg['secret'] );
		is_wp_error( $saved ) && fail( $saved->get_error_message() );
		$lookups = MlConnector\Integration::refresh_lookups();
		is_wp_error( $lookups ) && fail( $lookups->get_error_message() );
		$test = MlConnector\Core::test_connection();
		done( array( 'connection' => $test ) );

	case 'plugin':
		// The benchmark's A/B switch: the plugin active or not (deactivation also unschedules its actions).
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		wp_set_current_user( 1 );
		if ( $arg['active'] ) {
			$error = activate_plugin( 'ml-connector/plugin.php' );
			is_wp_error( $error ) && fail( $error->get_error_message() );
		} else {
			deactivate_plugins( 'ml-connector/plugin.php' );
		}
		done( array( 'active' => is_plugin_active( 'ml-connector/plugin.php' ) ) );

	case 'switch-company':
		// The merchant points the same store at another Visma company: new connection and mapping, new secret.
		wp_set_current_user( 1 );
		$settings = (array) get_option( 'ml_connector_settings', array() );
		foreach ( $arg['settings'] as $key => $value ) {
			$settings[ preg_replace_callback( '/^vat_rate_@(.+)$/', static fn( $m ) => 'vat_rate_' . (int) ( $arg['rates'][ $m[1] ] ?? 0 ), $key ) ] = $value;
		}
		update_option( 'ml_connector_settings', $settings );
		$saved = MlConnector\Core::save_secret( 'visma_client_secret', $arg['secret'] );
		is_wp_error( $saved ) && fail( $saved->get_error_message() );
		$lookups = MlConnector\Integration::refresh_lookups();
		is_wp_error( $lookups ) && fail( $lookups->get_error_message() );
		done( array( 'connection' => MlConnector\Core::test_connection() ) );

	case 'admin-order':
		// An order made in wp-admin (or through REST): woocommerce_new_order, then a status change.
		wp_set_current_user( 1 );
		$order = wc_create_order( array( 'created_via' => 'admin' ) );
		foreach ( $arg['items'] as $sku => $qty ) {
			$order->add_product( wc_get_product( wc_get_product_id_by_sku( $sku ) ), $qty );
		}
		$order->set_address( $arg['billing'], 'billing' );
		$order->set_address( $arg['billing'], 'shipping' );
		$order->set_payment_method( 'bacs' );
		$order->calculate_totals();
		$order->save();
		$order->update_status( 'processing', 'Betalt (test)' );
		done( array( 'order_id' => $order->get_id(), 'total' => $order->get_total() ) );

	case 'rest-order':
		// An order created through WooCommerce's own REST API (POST /wc/v3/orders, its controller, as a merchant's
		// ERP, app or importer does), paid: woocommerce_new_order and the REST insert hooks, no checkout.
		wp_set_current_user( 1 );
		$request = new WP_REST_Request( 'POST', '/wc/v3/orders' );
		$items   = array();
		foreach ( $arg['items'] as $sku => $qty ) {
			$items[] = array( 'product_id' => wc_get_product_id_by_sku( $sku ), 'quantity' => $qty );
		}
		$request->set_header( 'content-type', 'application/json' );
		$request->set_body(
			(string) wp_json_encode(
				array(
					'payment_method'       => 'bacs',
					'payment_method_title' => 'Bankoverføring',
					'set_paid'             => true,
					'billing'              => $arg['billing'],
					'shipping'             => $arg['billing'],
					'line_items'           => $items,
				)
			)
		);
		$response = rest_do_request( $request );
		$response->is_error() && fail( 'POST /wc/v3/orders: ' . wp_json_encode( $response->get_data() ) );
		done( array( 'order_id' => (int) ( $response->get_data()['id'] ?? 0 ), 'status' => $response->get_status() ) );

	case 'refund':
		wp_set_current_user( 1 );
		$order  = wc_get_order( (int) $arg['order_id'] );
		$refund = wc_create_refund( array( 'order_id' => $order->get_id(), 'amount' => $arg['amount'], 'reason' => 'Retur' ) );
		is_wp_error( $refund ) && fail( $refund->get_error_message() );
		done( array( 'refund_id' => $refund->get_id() ) );

	case 'options':
		// A merchant switching shop settings between orders (prices excluding tax, another currency).
		foreach ( $arg as $name => $value ) {
			update_option( $name, $value );
		}
		done( array_map( 'get_option', array_combine( array_keys( $arg ), array_keys( $arg ) ) ) );

	case 'order-total':
		done( array( 'total' => wc_get_order( (int) $arg['order_id'] )->get_total() ) );

	case 'mark-paid':
		// Bank transfer received later: on-hold → processing, date_paid set (issue #13 item 4).
		wp_set_current_user( 1 );
		$order = wc_get_order( (int) $arg['order_id'] );
		$order->payment_complete();
		done( array( 'status' => $order->get_status(), 'date_paid' => (string) $order->get_date_paid() ) );

	case 'edit-customer':
		// A customer changes their address in My account: woocommerce_update_customer.
		$customer = new WC_Customer( (int) $arg['customer_id'] );
		$customer->set_billing_address_1( 'Nygata 5' );
		$customer->set_billing_city( 'Trondheim' );
		$customer->set_billing_postcode( '7010' );
		$customer->save();
		done( array( 'customer_id' => $customer->get_id() ) );

	case 'complete':
		// Cash on delivery: WooCommerce leaves date_paid empty at checkout (the money comes with the parcel) and
		// sets it when the merchant completes the order (WC_Order::maybe_set_date_paid).
		wp_set_current_user( 1 );
		$order = wc_get_order( (int) $arg['order_id'] );
		$order->update_status( 'completed' );
		done( array( 'status' => $order->get_status(), 'date_paid' => (string) $order->get_date_paid() ) );

	case 'run-actions':
		// The background runner: Action Scheduler's queue, as WP-Cron would run it, until nothing of ours is due.
		$runs = 0;
		for ( $i = 0; $i < 30; $i++ ) {
			$due = as_get_scheduled_actions( array( 'group' => 'ml-connector', 'status' => ActionScheduler_Store::STATUS_PENDING, 'date' => gmdate( 'Y-m-d H:i:s', time() + 1 ), 'date_compare' => '<=', 'per_page' => 5 ), 'ids' );
			$due = array_diff( $due, as_get_scheduled_actions( array( 'hook' => 'ml_connector_reconcile', 'status' => ActionScheduler_Store::STATUS_PENDING ), 'ids' ) );
			if ( ! $due ) {
				break;
			}
			foreach ( $due as $id ) {
				ActionScheduler::runner()->process_action( $id, 'ml-connector real-shop suite' );
				++$runs;
			}
		}
		done( array( 'runs' => $runs ) );

	case 'job':
		$jobs = MlConnector\Core::jobs( array( 'kind' => $arg['kind'], 'woo_id' => (int) $arg['id'], 'per_page' => 1 ) );
		done( array( 'state' => is_array( $jobs ) && isset( $jobs[0] ) ? $jobs[0]['state'] : 'none', 'visma_number' => is_array( $jobs ) && isset( $jobs[0] ) ? (string) $jobs[0]['visma_number'] : '' ) );

	case 'company-customer':
		// In the second company: the order's invoice names a customer of that company with the shopper's e-mail.
		$state    = json_decode( (string) wp_remote_retrieve_body( wp_remote_get( $arg['sim'] . '/_simulator/state', array( 'timeout' => 20 ) ) ), true );
		$store    = (array) ( $state['store'] ?? array() );
		$invoices = array_values( array_filter( (array) ( $store['invoices'] ?? array() ), static fn( $i ) => str_ends_with( (string) ( $i['externalReference'] ?? '' ), ':' . $arg['order_id'] ) ) );
		$number   = (string) ( $invoices[0]['customer']['number'] ?? '' );
		$customer = array_values( array_filter( (array) ( $store['customers'] ?? array() ), static fn( $c ) => (string) ( $c['number'] ?? '' ) === $number ) );
		$email    = strtolower( (string) ( $customer[0]['mainContact']['email'] ?? $customer[0]['email'] ?? '' ) );
		$ok       = 1 === count( $invoices ) && '' !== $number && strtolower( $arg['email'] ) === $email;
		// Had the first company's number been reused, the fresh second company would refuse it (no invoice) or name
		// another customer (another e-mail).
		done( array( 'ok' => $ok, 'why' => sprintf( 'invoice customer %s, e-mail %s', $number, $email ) ) );

	case 'settings':
		// The merchant changes choices on the settings page (no new secret): merged into the stored option.
		wp_set_current_user( 1 );
		update_option( 'ml_connector_settings', array_merge( (array) get_option( 'ml_connector_settings', array() ), $arg ) );
		done( array( 'configured' => MlConnector\Core::configure() ) );

	case 'sales-order':
		// Issue #17: the order is one SalesOrders v3 order of the chosen type, with WooCommerce's total, the ordered
		// quantities, shipping on the chosen item, the chosen warehouse, and (paid) the payment reserved for it.
		$state  = json_decode( (string) wp_remote_retrieve_body( wp_remote_get( $arg['sim'] . '/_simulator/state', array( 'timeout' => 20 ) ) ), true );
		$store  = (array) ( $state['store'] ?? array() );
		$order  = wc_get_order( (int) $arg['order_id'] );
		$found  = array_values( array_filter( (array) ( $store['salesOrders'] ?? array() ), static fn( $so ) => ( $so['customer']['refNo'] ?? null ) === $arg['store_id'] . ':' . $arg['order_id'] ) );
		$so     = $found[0] ?? array();
		$lines  = (array) ( $so['_lines'] ?? array() );
		$sent   = array();
		foreach ( $lines as $l ) {
			$sent[ (string) ( $l['inventoryId'] ?? '' ) ] = ( $sent[ (string) ( $l['inventoryId'] ?? '' ) ] ?? 0 ) + (float) ( $l['quantity'] ?? 0 );
		}
		$ordered = array();
		foreach ( $order ? $order->get_items() : array() as $item ) {
			$sku             = (string) $item->get_product()->get_sku();
			$ordered[ $sku ] = ( $ordered[ $sku ] ?? 0 ) + (float) $item->get_quantity();
		}
		$warehouses = array_unique( array_map( static fn( $l ) => (string) ( $l['warehouseId'] ?? '' ), array_filter( $lines, static fn( $l ) => isset( $ordered[ $l['inventoryId'] ?? '' ] ) ) ) );
		$number     = (string) ( $so['orderId'] ?? '' );
		$reserved   = array_values( array_filter( (array) ( $store['payments'] ?? array() ), static fn( $p ) => ( $p['ordersToApply'][0]['orderNo'] ?? null ) === $number && '' !== $number ) );
		$paid       = $order && $order->is_paid();
		$problems   = array_filter(
			array(
				1 !== count( $found ) ? count( $found ) . ' sales orders' : '',
				'NO' !== ( $so['type'] ?? '' ) ? 'type ' . ( $so['type'] ?? '' ) : '',
				$order && number_format( (float) ( $so['totals']['orderTotal'] ?? -1 ), 2, '.', '' ) !== number_format( (float) $order->get_total(), 2, '.', '' ) ? 'total ' . ( $so['totals']['orderTotal'] ?? '' ) . ' vs ' . $order->get_total() : '',
				array_intersect_key( $sent, $ordered ) != $ordered ? 'quantities ' . wp_json_encode( $sent ) . ' vs ' . wp_json_encode( $ordered ) : '',
				! isset( $sent['NL-FRAKT'] ) ? 'no shipping line on NL-FRAKT' : '',
				array( 'HOVED' ) !== array_values( $warehouses ) ? 'warehouses ' . implode( ',', $warehouses ) : '',
				( $paid ? 1 : 0 ) !== count( $reserved ) ? count( $reserved ) . ' payments reserved (paid: ' . ( $paid ? 'yes' : 'no' ) . ')' : '',
			)
		);
		done( array( 'ok' => ! $problems, 'why' => $problems ? implode( '; ', $problems ) : "sales order NO $number" ) );

	case 'supplier':
		// Issue #17: a registered customer is one Visma supplier with the supplier choices, numbered with its prefix.
		$state    = json_decode( (string) wp_remote_retrieve_body( wp_remote_get( $arg['sim'] . '/_simulator/state', array( 'timeout' => 20 ) ) ), true );
		$number   = 'NLS' . (int) $arg['customer_id'];
		$found    = array_values( array_filter( (array) ( $state['store']['suppliers'] ?? array() ), static fn( $s ) => ( $s['number'] ?? null ) === $number ) );
		$s        = $found[0] ?? array();
		$got      = array( $s['supplierClass']['id'] ?? '', $s['creditTerms']['id'] ?? '', $s['paymentMethod']['id'] ?? '' );
		$jobs     = MlConnector\Core::jobs( array( 'kind' => 'customer', 'woo_id' => (int) $arg['customer_id'], 'per_page' => 1 ) );
		$job      = is_array( $jobs ) && isset( $jobs[0] ) ? $jobs[0] : array( 'state' => 'none' );
		$ok       = 1 === count( $found ) && array( 'LEVUTL', '10D', 'BANKOVF' ) === $got && 'done' === $job['state'] && $number === (string) $job['visma_number'];
		done( array( 'ok' => $ok, 'why' => sprintf( '%d suppliers %s, class/terms/method %s, job %s %s', count( $found ), $number, implode( '/', $got ), $job['state'], (string) ( $job['last_error'] ?? '' ) ) ) );

	case 'run-batch':
		// The hourly batch as Action Scheduler runs it at the full hour (run now instead of waiting for the hour).
		$ids = as_get_scheduled_actions( array( 'hook' => MlConnector\Scheduler::HOOK_BATCH, 'status' => ActionScheduler_Store::STATUS_PENDING, 'per_page' => 5 ), 'ids' );
		foreach ( $ids as $id ) {
			ActionScheduler::runner()->process_action( $id, 'ml-connector real-shop suite' );
		}
		done( array( 'batches' => count( $ids ) ) );

	case 'failure-mail':
		// What the hourly digest action does (Action Scheduler would run it within the hour).
		MlConnector\Notifier::action_ml_connector_failure_mail();
		done( array( 'sent' => true ) );

	case 'state':
		// What the merchant sees per object: the job's state and Visma number.
		$out = array();
		foreach ( $arg as $kind => $ids ) {
			foreach ( (array) $ids as $id ) {
				$jobs                   = MlConnector\Core::jobs( array( 'kind' => $kind, 'woo_id' => (int) $id, 'per_page' => 10 ) );
				$out[ "$kind:$id" ] = is_wp_error( $jobs ) ? array( 'error' => $jobs->get_error_message() ) : $jobs;
			}
		}
		$notes        = MlConnector\Core::notes( 100 );
		$out['notes'] = is_wp_error( $notes ) ? $notes->get_error_message() : count( $notes );
		done( $out );

	case 'check':
		// The suite's verdicts: each object's job and the document "Visma" (the seeded simulator) holds for it.
		$state = json_decode( (string) wp_remote_retrieve_body( wp_remote_get( $arg['sim'] . '/_simulator/state', array( 'timeout' => 20 ) ) ), true );
		$store = is_array( $state['store'] ?? null ) ? $state['store'] : array();
		$find  = static fn( string $list, string $field, string $value ): array => array_values( array_filter( (array) ( $store[ $list ] ?? array() ), static fn( $d ) => ( $d[ $field ] ?? null ) === $value ) );
		$verdicts = array_values( (array) ( $arg['extra'] ?? array() ) );
		$check    = static function ( string $name, bool $ok, string $why = '' ) use ( &$verdicts ): void {
			$verdicts[] = array( $name, $ok, $why );
		};
		$job = static function ( string $kind, int $id ): array {
			$jobs = MlConnector\Core::jobs( array( 'kind' => $kind, 'woo_id' => $id, 'per_page' => 10 ) );
			return is_array( $jobs ) && isset( $jobs[0] ) ? $jobs[0] : array( 'state' => 'none', 'last_error' => is_wp_error( $jobs ) ? $jobs->get_error_message() : 'no job' );
		};
		foreach ( $arg['orders'] as $name => $id ) {
			$order = wc_get_order( (int) $id );
			$j     = $job( 'order', (int) $id );
			$check( "$name: order $id is in Visma", 'done' === $j['state'] && ! empty( $j['visma_number'] ), $j['state'] . ' ' . ( $j['last_error'] ?? '' ) );
			$invoices = $find( 'invoices', 'externalReference', $arg['store_id'] . ':' . $id );
			$check( "$name: exactly one invoice", 1 === count( $invoices ), count( $invoices ) . ' invoices' );
			if ( 1 !== count( $invoices ) || ! $order ) {
				continue;
			}
			$invoice = $invoices[0];
			$check( "$name: invoice total equals the order total", number_format( (float) $invoice['amount'], 2, '.', '' ) === number_format( (float) $order->get_total(), 2, '.', '' ), $invoice['amount'] . ' vs ' . $order->get_total() );
			$check( "$name: invoice VAT equals WooCommerce's total_tax", number_format( (float) ( $invoice['vatTotal'] ?? -1 ), 2, '.', '' ) === number_format( (float) $order->get_total_tax(), 2, '.', '' ), ( $invoice['vatTotal'] ?? 'none' ) . ' vs ' . $order->get_total_tax() );
			$check( "$name: invoice is released", in_array( $invoice['status'] ?? '', array( 'Open', 'Closed' ), true ), (string) ( $invoice['status'] ?? '' ) );
			$accounts = array_unique( array_map( static fn( $l ) => (string) ( $l['account']['number'] ?? $l['accountNumber'] ?? '' ), (array) ( $invoice['invoiceLines'] ?? array() ) ) );
			$check( "$name: lines on the merchant's accounts", ! array_diff( $accounts, $arg['accounts'] ), implode( ',', $accounts ) );
		}
		foreach ( $arg['refunds'] as $refund_id ) {
			$j = $job( 'refund', (int) $refund_id );
			$check( "refund $refund_id is a credit note in Visma", 'done' === $j['state'] && 1 === count( $find( 'creditNotes', 'externalReference', $arg['store_id'] . ':refund:' . $refund_id ) ), $j['state'] . ' ' . ( $j['last_error'] ?? '' ) );
		}
		foreach ( $arg['customers'] as $customer_id ) {
			$j = $job( 'customer', (int) $customer_id );
			$check( "customer $customer_id is a Visma customer", 'done' === $j['state'] && 1 === count( $find( 'customers', 'number', (string) ( $j['visma_number'] ?? '' ) ) ), $j['state'] . ' ' . ( $j['last_error'] ?? '' ) );
		}
		foreach ( $arg['paid'] as $name => $id ) {
			$invoices = $find( 'invoices', 'externalReference', $arg['store_id'] . ':' . $id );
			$balance  = isset( $invoices[0] ) ? (float) ( $invoices[0]['balance'] ?? -1 ) : -1;
			$check( "$name: the payment is applied (balance 0)", 1 === count( $invoices ) && abs( $balance ) < 0.005, 'balance ' . $balance );
		}
		// The accountant's month-end check, read back from Visma: every order and refund of the month matches.
		$month = MlConnector\Reconciliation::month( wp_date( 'Y-m' ) );
		$elsewhere = array_map( 'strval', (array) ( $arg['elsewhere'] ?? array() ) ); // booked in another company
		$diffs     = is_array( $month ) ? array_filter( $month['rows'], static fn( $r ) => 'matches' !== $r['result'] && ! in_array( $r['order_id'], $elsewhere, true ) ) : array( 'error' );
		$check( 'the reconciliation of the month shows no difference', is_array( $month ) && $month['rows'] && ! $diffs, is_array( $month ) ? count( $month['rows'] ) . ' rows: ' . wp_json_encode( array_values( $diffs ) ) : $month->get_error_message() );
		// Issue #13 item 10: the queue (customers' names, addresses, e-mails) is not where a web server serves it.
		$dir    = MlConnector\Core::data_dir();
		$public = wp_remote_retrieve_response_code( wp_remote_get( content_url( '/ml-connector-data/ml-connector.sqlite' ) ) );
		$check( 'the queue database is not at a guessable URL', file_exists( $dir . '/ml-connector.sqlite' ) && WP_CONTENT_DIR . '/ml-connector-data' !== $dir && 200 !== (int) $public, "$dir, legacy URL HTTP $public" );
		// The plugin's own PHP notices in the shop's log (issue #13 item 7: "translation loaded too early").
		$log    = is_string( WP_DEBUG_LOG ) && is_readable( WP_DEBUG_LOG ) ? (string) file_get_contents( WP_DEBUG_LOG ) : '';
		$noisy  = preg_grep( '/PHP (Warning|Notice|Deprecated|Fatal error).*(ml-connector|MlConnector)/', explode( "\n", $log ) );
		$check( 'the plugin adds no PHP warning or notice to the shop\'s log', ! $noisy, (string) ( array_values( (array) $noisy )[0] ?? '' ) );
		$notes = MlConnector\Core::notes( 100 );
		$check( 'no note is left behind', is_array( $notes ) && ! $notes, is_array( $notes ) ? count( $notes ) . ' notes' : $notes->get_error_message() );
		done( $verdicts );

	default:
		fail( "unknown step $step" );
}
