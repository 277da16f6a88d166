<?php
/**
 * GET routes of REST v3 that ml-connector reads, mirroring
 * includes/rest-api/Controllers/Version3/class-wc-rest-orders-controller.php (+ Version2 get_formatted_item_data()),
 * …/Version3/class-wc-rest-order-refunds-controller.php and …/Version3/class-wc-rest-customers-controller.php.
 * Field names and order follow the real WooCommerce 9.9 captures (tests/fixtures/woocommerce/order-113.json,
 * refunds-118.json, customer-11.json); permissions mirror wc_rest_check_post_permissions( 'shop_order', 'read' )
 * and wc_rest_check_user_permissions( 'read' ) (includes/wc-rest-functions.php).
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * The three controllers in one class (test stand-in).
 */
final class WC_REST_Standin_Controllers {

	/**
	 * Mirrors register_routes() of the three controllers (GET only). Like WooCommerce 9.2+ (includes/rest-api/
	 * Server.php asks wc_rest_should_load_namespace() for each namespace), the wc/v3 routes are not registered
	 * while another WooCommerce namespace, such as the Store API's wc/store, is being served: an internal
	 * rest_do_request( '/wc/v3/orders/N' ) in a block checkout answers 404 rest_no_route.
	 */
	public static function register_routes(): void {
		register_rest_route(
			'wc/store/v1',
			'/checkout',
			array(
				'methods'             => 'POST',
				'callback'            => array( self::class, 'store_api_checkout' ),
				'permission_callback' => '__return_true',
			)
		);
		if ( ! wc_rest_should_load_namespace( 'wc/v3' ) ) {
			return;
		}
		register_rest_route(
			'wc/v3',
			'/orders/(?P<id>[\d]+)',
			array(
				'methods'             => 'GET',
				'callback'            => array( self::class, 'get_order' ),
				'permission_callback' => static fn() => current_user_can( 'read_private_shop_orders' ) ? true : new WP_Error( 'woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.', array( 'status' => rest_authorization_required_code() ) ),
			)
		);
		register_rest_route(
			'wc/v3',
			'/orders/(?P<order_id>[\d]+)/refunds/(?P<id>[\d]+)',
			array(
				'methods'             => 'GET',
				'callback'            => array( self::class, 'get_refund' ),
				'permission_callback' => static fn() => current_user_can( 'read_private_shop_orders' ) ? true : new WP_Error( 'woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.', array( 'status' => rest_authorization_required_code() ) ),
			)
		);
		register_rest_route(
			'wc/v3',
			'/customers/(?P<id>[\d]+)',
			array(
				'methods'             => 'GET',
				'callback'            => array( self::class, 'get_customer' ),
				'permission_callback' => static fn() => current_user_can( 'list_users' ) ? true : new WP_Error( 'woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.', array( 'status' => rest_authorization_required_code() ) ),
			)
		);
	}

	/**
	 * Mirrors the Store API's POST /wc/store/v1/checkout (src/StoreApi/Routes/V1/Checkout.php): places the order
	 * the block checkout way (WC_Standin_Checkout::place with via store-api) and answers order_id, status and
	 * customer_id as the real response does.
	 */
	public static function store_api_checkout( WP_REST_Request $request ) {
		$params = (array) $request->get_json_params();
		if ( ! empty( $params['customer_id'] ) ) {
			wp_set_current_user( (int) $params['customer_id'] );
		}
		$order = WC_Standin_Checkout::place( array( 'via' => 'store-api' ) + $params );
		if ( is_wp_error( $order ) ) {
			return new WP_Error( 'woocommerce_rest_checkout_process_payment_error', $order->get_error_message(), array( 'status' => 400 ) );
		}
		return array(
			'order_id'    => $order->get_id(),
			'status'      => $order->get_status(),
			'customer_id' => $order->get_customer_id(),
		);
	}

	/** Mirrors WC_REST_Orders_Controller::get_item(). */
	public static function get_order( WP_REST_Request $request ) {
		$order = wc_get_order( (int) $request['id'] );
		if ( ! $order instanceof WC_Order ) {
			return new WP_Error( 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.', array( 'status' => 404 ) );
		}
		$response = rest_ensure_response( self::order_data( $order ) );
		$response->add_link( 'self', rest_url( 'wc/v3/orders/' . $order->get_id() ) );
		$response->add_link( 'collection', rest_url( 'wc/v3/orders' ) );
		if ( $order->get_customer_id() > 0 ) {
			$response->add_link( 'customer', rest_url( 'wc/v3/customers/' . $order->get_customer_id() ) );
		}
		return $response;
	}

	/** Mirrors WC_REST_Order_Refunds_Controller::get_item(). */
	public static function get_refund( WP_REST_Request $request ) {
		$refund = wc_get_order( (int) $request['id'] );
		if ( ! $refund instanceof WC_Order_Refund || $refund->get_parent_id() !== (int) $request['order_id'] ) {
			return new WP_Error( 'woocommerce_rest_invalid_shop_order_refund_id', 'Invalid ID.', array( 'status' => 404 ) );
		}
		$p        = $refund->get_rest_props();
		$data     = array(
			'id'               => $refund->get_id(),
			'date_created'     => self::local( $refund->get_date_created() ),
			'date_created_gmt' => self::gmt( $refund->get_date_created() ),
			'amount'           => $refund->get_amount(),
			'reason'           => $refund->get_reason(),
			'refunded_by'      => (int) ( $p['refunded_by'] ?? 0 ),
			'refunded_payment' => (bool) ( $p['refunded_payment'] ?? false ),
			'meta_data'        => self::meta( $refund ),
			'line_items'       => $p['line_items'] ?? array(),
			'shipping_lines'   => $p['shipping_lines'] ?? array(),
			'tax_lines'        => $p['tax_lines'] ?? array(),
			'fee_lines'        => $p['fee_lines'] ?? array(),
		);
		$response = rest_ensure_response( $data );
		$response->add_link( 'self', rest_url( 'wc/v3/orders/' . $refund->get_parent_id() . '/refunds/' . $refund->get_id() ) );
		$response->add_link( 'collection', rest_url( 'wc/v3/orders/' . $refund->get_parent_id() . '/refunds' ) );
		$response->add_link( 'up', rest_url( 'wc/v3/orders/' . $refund->get_parent_id() ) );
		return $response;
	}

	/** Mirrors WC_REST_Customers_Controller::get_item() / get_formatted_item_data(). */
	public static function get_customer( WP_REST_Request $request ) {
		$user = get_userdata( (int) $request['id'] );
		if ( ! $user ) {
			return new WP_Error( 'woocommerce_rest_invalid_id', 'Invalid resource ID.', array( 'status' => 404 ) );
		}
		$customer = new WC_Customer( $user->ID );
		$created  = strtotime( $user->user_registered . ' UTC' );
		$modified = (int) get_user_meta( $user->ID, 'last_update', true );
		$modified = $modified > 0 ? $modified : $created;
		$data     = array(
			'id'                 => $user->ID,
			'date_created'       => self::local( $created ),
			'date_created_gmt'   => self::gmt( $created ),
			'date_modified'      => self::local( $modified ),
			'date_modified_gmt'  => self::gmt( $modified ),
			'email'              => $user->user_email,
			'first_name'         => (string) $user->first_name,
			'last_name'          => (string) $user->last_name,
			'role'               => $user->roles[0] ?? '',
			'username'           => $user->user_login,
			'billing'            => self::address( $customer->get_billing(), true, true ),
			'shipping'           => self::address( $customer->get_shipping(), false, true ),
			'is_paying_customer' => (bool) get_user_meta( $user->ID, 'paying_customer', true ),
			'avatar_url'         => get_avatar_url( $user->ID ),
			'meta_data'          => array(),
		);
		$response = rest_ensure_response( $data );
		$response->add_link( 'self', rest_url( 'wc/v3/customers/' . $user->ID ) );
		$response->add_link( 'collection', rest_url( 'wc/v3/customers' ) );
		return $response;
	}

	/**
	 * Mirrors WC_REST_Orders_V2_Controller::get_formatted_item_data() + prepare_object_for_response().
	 *
	 * @param WC_Order $order Order.
	 */
	public static function order_data( WC_Order $order ): array {
		$p       = $order->get_rest_props();
		$refunds = array();
		foreach ( $order->get_refunds() as $refund ) {
			$refunds[] = array(
				'id'     => $refund->get_id(),
				'reason' => $refund->get_reason(),
				'total'  => '-' . $refund->get_amount(),
			);
		}
		$paid      = isset( $p['_date_paid_ts'] ) ? (int) $p['_date_paid_ts'] : null;
		$completed = isset( $p['_date_completed_ts'] ) ? (int) $p['_date_completed_ts'] : null;
		return array(
			'id'                   => $order->get_id(),
			'parent_id'            => 0,
			'status'               => $order->get_status(),
			'currency'             => $order->get_currency(),
			'version'              => WC_VERSION,
			'prices_include_tax'   => (bool) ( $p['prices_include_tax'] ?? true ),
			'date_created'         => self::local( $order->get_date_created() ),
			'date_modified'        => self::local( $order->get_date_modified() ),
			'discount_total'       => $p['discount_total'] ?? '0.00',
			'discount_tax'         => $p['discount_tax'] ?? '0.00',
			'shipping_total'       => $p['shipping_total'] ?? '0.00',
			'shipping_tax'         => $p['shipping_tax'] ?? '0.00',
			'cart_tax'             => $p['cart_tax'] ?? '0.00',
			'total'                => $order->get_total(),
			'total_tax'            => $p['total_tax'] ?? '0.00',
			'customer_id'          => $order->get_customer_id(),
			'order_key'            => $p['order_key'] ?? '',
			'billing'              => self::address( $p['billing'] ?? array(), true ),
			'shipping'             => self::address( $p['shipping'] ?? array(), false ),
			'payment_method'       => $order->get_payment_method(),
			'payment_method_title' => $p['payment_method_title'] ?? '',
			'transaction_id'       => $p['transaction_id'] ?? '',
			'customer_ip_address'  => $p['customer_ip_address'] ?? '',
			'customer_user_agent'  => $p['customer_user_agent'] ?? '',
			'created_via'          => $p['created_via'] ?? '',
			'customer_note'        => $p['customer_note'] ?? '',
			'date_completed'       => null === $completed ? null : self::local( $completed ),
			'date_paid'            => null === $paid ? null : self::local( $paid ),
			'cart_hash'            => $p['cart_hash'] ?? '',
			'number'               => (string) $order->get_id(),
			'meta_data'            => self::meta( $order ),
			'line_items'           => $p['line_items'] ?? array(),
			'tax_lines'            => $p['tax_lines'] ?? array(),
			'shipping_lines'       => $p['shipping_lines'] ?? array(),
			'fee_lines'            => $p['fee_lines'] ?? array(),
			'coupon_lines'         => $p['coupon_lines'] ?? array(),
			'refunds'              => $refunds,
			'payment_url'          => home_url( '/checkout/order-pay/' . $order->get_id() . '/?pay_for_order=true&key=' . ( $p['order_key'] ?? '' ) ),
			'is_editable'          => in_array( $order->get_status(), array( 'pending', 'on-hold', 'auto-draft' ), true ),
			'needs_payment'        => in_array( $order->get_status(), array( 'pending', 'failed' ), true ),
			'needs_processing'     => true,
			'date_created_gmt'     => self::gmt( $order->get_date_created() ),
			'date_modified_gmt'    => self::gmt( $order->get_date_modified() ),
			'date_completed_gmt'   => null === $completed ? null : self::gmt( $completed ),
			'date_paid_gmt'        => null === $paid ? null : self::gmt( $paid ),
			'currency_symbol'      => 'kr',
		);
	}

	/**
	 * Address block in WooCommerce's field order (billing has email + phone, shipping has phone); customers list
	 * postcode, country, state where orders list state, postcode, country (customer-11.json vs order-113.json).
	 */
	private static function address( array $a, bool $billing, bool $customer = false ): array {
		$out    = array();
		$fields = $customer
			? array( 'first_name', 'last_name', 'company', 'address_1', 'address_2', 'city', 'postcode', 'country', 'state' )
			: array( 'first_name', 'last_name', 'company', 'address_1', 'address_2', 'city', 'state', 'postcode', 'country' );
		foreach ( $fields as $field ) {
			$out[ $field ] = (string) ( $a[ $field ] ?? '' );
		}
		if ( $billing ) {
			$out['email'] = (string) ( $a['email'] ?? '' );
		}
		$out['phone'] = (string) ( $a['phone'] ?? '' );
		return $out;
	}

	/** Mirrors WC_REST_Orders_V2_Controller::get_meta_data() (protected keys with "_" are hidden). */
	private static function meta( WC_Data $object ): array {
		$out = array();
		foreach ( $object->get_meta_data() as $meta ) {
			$out[] = array(
				'id'    => $meta['id'],
				'key'   => $meta['key'],
				'value' => $meta['value'],
			);
		}
		return $out;
	}

	/** Mirrors wc_rest_prepare_date_response( $date, false ) in site time. */
	private static function local( int $ts ): string {
		return wp_date( 'Y-m-d\TH:i:s', $ts );
	}

	/** Mirrors wc_rest_prepare_date_response( $date ) in UTC. */
	private static function gmt( int $ts ): string {
		return gmdate( 'Y-m-d\TH:i:s', $ts );
	}
}
