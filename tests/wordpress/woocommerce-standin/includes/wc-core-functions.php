<?php
/**
 * Functions ml-connector calls, each mirroring the WooCommerce function it names:
 * includes/wc-order-functions.php (wc_get_order, wc_get_orders, wc_create_refund, wc_get_order_statuses),
 * includes/wc-user-functions.php (wc_create_new_customer), includes/admin/wc-admin-functions.php
 * (wc_get_page_screen_id), includes/wc-core-functions.php (wc_get_logger, get_woocommerce_currency), includes/class-wc-tax.php
 * (WC_Tax::get_tax_class_slugs), includes/class-wc-payment-gateways.php, includes/class-wc-integrations.php.
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/** "12.30" → 1230; the stand-in's checkout math is integer cents. */
function wc_standin_cents( $amount ): int {
	$amount = trim( (string) $amount );
	$neg    = str_starts_with( $amount, '-' );
	$parts  = explode( '.', ltrim( $amount, '-' ) . '.' );
	$cents  = (int) $parts[0] * 100 + (int) substr( str_pad( $parts[1], 2, '0' ), 0, 2 );
	return $neg ? -$cents : $cents;
}

/** 1230 → "12.30". */
function wc_standin_money( int $cents ): string {
	return ( $cents < 0 ? '-' : '' ) . intdiv( abs( $cents ), 100 ) . '.' . str_pad( (string) ( abs( $cents ) % 100 ), 2, '0', STR_PAD_LEFT );
}

/**
 * Mirrors get_woocommerce_currency(): the shop currency option (the real shop's NOK), through the
 * woocommerce_currency filter that currency switchers hook.
 */
function get_woocommerce_currency(): string {
	return (string) apply_filters( 'woocommerce_currency', get_option( 'woocommerce_currency', 'NOK' ) );
}

/**
 * Mirrors wc_get_order(): WC_Order or WC_Order_Refund by id, false when missing.
 *
 * @param mixed $the_order Id or object.
 */
function wc_get_order( $the_order = false ) {
	if ( $the_order instanceof WC_Abstract_Order ) {
		return $the_order;
	}
	global $wpdb;
	$id   = is_numeric( $the_order ) ? (int) $the_order : 0;
	$type = $id > 0 ? $wpdb->get_var( $wpdb->prepare( "SELECT type FROM {$wpdb->prefix}wc_standin_orders WHERE id = %d", $id ) ) : null;
	if ( 'shop_order' === $type ) {
		return new WC_Order( $id );
	}
	if ( 'shop_order_refund' === $type ) {
		return new WC_Order_Refund( $id );
	}
	return false;
}

/**
 * Mirrors wc_get_orders() / WC_Order_Query for the arguments ml-connector uses: type, status, parent, limit, page,
 * paginate, return (ids|objects), orderby (ID|date), order, date_created ("A...B" dates), date_modified (">=ts").
 *
 * @param array $args Query.
 * @return array|object
 */
function wc_get_orders( $args ) {
	global $wpdb;
	$table  = $wpdb->prefix . 'wc_standin_orders';
	$where  = array( '1=1' );
	$params = array();
	$type   = $args['type'] ?? 'shop_order';
	$where[] = 'type = %s';
	$params[] = is_array( $type ) ? reset( $type ) : $type;
	if ( ! empty( $args['status'] ) ) {
		$statuses = array_map( static fn( $s ) => preg_replace( '/^wc-/', '', (string) $s ), (array) $args['status'] );
		$where[]  = 'status IN (' . implode( ',', array_fill( 0, count( $statuses ), '%s' ) ) . ')';
		$params   = array_merge( $params, $statuses );
	}
	if ( isset( $args['parent'] ) ) {
		$where[]  = 'parent_id = %d';
		$params[] = (int) $args['parent'];
	}
	if ( ! empty( $args['date_created'] ) && preg_match( '/^(\d{4}-\d{2}-\d{2})\.\.\.(\d{4}-\d{2}-\d{2})$/', $args['date_created'], $m ) ) {
		// WC_Order_Query: dates in site time, whole days inclusive.
		$zone     = wp_timezone();
		$where[]  = 'date_created_gmt BETWEEN %s AND %s';
		$params[] = ( new DateTimeImmutable( $m[1] . ' 00:00:00', $zone ) )->setTimezone( new DateTimeZone( 'UTC' ) )->format( 'Y-m-d H:i:s' );
		$params[] = ( new DateTimeImmutable( $m[2] . ' 23:59:59', $zone ) )->setTimezone( new DateTimeZone( 'UTC' ) )->format( 'Y-m-d H:i:s' );
	}
	if ( ! empty( $args['date_modified'] ) && preg_match( '/^>=?(\d+)$/', (string) $args['date_modified'], $m ) ) {
		$where[]  = 'date_updated_gmt >= %s';
		$params[] = gmdate( 'Y-m-d H:i:s', (int) $m[1] );
	}
	$order   = 'DESC' === strtoupper( $args['order'] ?? 'DESC' ) ? 'DESC' : 'ASC';
	$orderby = 'date' === ( $args['orderby'] ?? 'date' ) ? "date_created_gmt $order, id $order" : "id $order";
	$limit   = (int) ( $args['limit'] ?? get_option( 'posts_per_page', 10 ) );
	$page    = max( 1, (int) ( $args['page'] ?? 1 ) );
	$sql     = "FROM $table WHERE " . implode( ' AND ', $where );
	$ids     = $wpdb->get_col( $wpdb->prepare( "SELECT id $sql ORDER BY $orderby" . ( $limit > 0 ? ' LIMIT ' . $limit . ' OFFSET ' . ( ( $page - 1 ) * $limit ) : '' ), $params ) );
	$ids     = array_map( 'intval', $ids );
	$result  = 'ids' === ( $args['return'] ?? 'objects' ) ? $ids : array_values( array_filter( array_map( 'wc_get_order', $ids ) ) );
	if ( ! empty( $args['paginate'] ) ) {
		$total = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) $sql", $params ) );
		return (object) array(
			'orders'        => $result,
			'total'         => $total,
			'max_num_pages' => $limit > 0 ? (int) ceil( $total / $limit ) : 1,
		);
	}
	return $result;
}

/** Mirrors wc_get_order_statuses(). */
function wc_get_order_statuses() {
	return array(
		'wc-pending'    => 'Pending payment',
		'wc-processing' => 'Processing',
		'wc-on-hold'    => 'On hold',
		'wc-completed'  => 'Completed',
		'wc-cancelled'  => 'Cancelled',
		'wc-refunded'   => 'Refunded',
		'wc-failed'     => 'Failed',
		'wc-checkout-draft' => 'Draft',
	);
}

/**
 * The refund's tax_lines as WooCommerce makes them: wc_create_refund() (includes/wc-order-functions.php) calls
 * $refund->update_taxes() (includes/abstracts/abstract-wc-order.php), which sums the refunded items' taxes per
 * rate (line and fee taxes into tax_total, shipping taxes into shipping_tax_total), rounded with
 * wc_round_tax_total(); the rate's code, label and percent come from the order's tax item.
 *
 * @param WC_Order $order Parent.
 * @param array    $args  Refund arguments with REST-shaped negative lines.
 * @return array<int,array<string,mixed>>
 */
function wc_standin_refund_tax_lines( $order, array $args ): array {
	$sums = array();
	foreach ( array( 'line_items' => 'tax_total', 'fee_lines' => 'tax_total', 'shipping_lines' => 'shipping_tax_total' ) as $lines => $field ) {
		foreach ( (array) ( $args[ $lines ] ?? array() ) as $line ) {
			foreach ( (array) ( $line['taxes'] ?? array() ) as $tax ) {
				$rate = (int) ( $tax['id'] ?? 0 );
				$sums[ $rate ][ $field ] = ( $sums[ $rate ][ $field ] ?? 0 ) + wc_standin_cents( (string) ( $tax['total'] ?? '0' ) );
			}
		}
	}
	$order_taxes = array();
	foreach ( (array) ( $order->get_rest_props()['tax_lines'] ?? array() ) as $tax ) {
		$order_taxes[ (int) $tax['rate_id'] ] = $tax;
	}
	$out = array();
	foreach ( $sums as $rate => $sum ) {
		$known = $order_taxes[ $rate ] ?? array();
		$out[] = array(
			'id'                 => 0,
			'rate_code'          => (string) ( $known['rate_code'] ?? '' ),
			'rate_id'            => $rate,
			'label'              => (string) ( $known['label'] ?? '' ),
			'compound'           => false,
			'tax_total'          => wc_standin_money( $sum['tax_total'] ?? 0 ),
			'shipping_tax_total' => wc_standin_money( $sum['shipping_tax_total'] ?? 0 ),
			'rate_percent'       => $known['rate_percent'] ?? 0,
			'meta_data'          => array(),
		);
	}
	return $out;
}

/**
 * Mirrors wc_create_refund(): woocommerce_create_refund before the save, partially/fully refunded (fully sets the
 * parent to "refunded"), the parent's save, then woocommerce_refund_created and woocommerce_order_refunded.
 *
 * @param array $args order_id, amount, reason, line_items (REST-shaped negative lines), shipping_lines, fee_lines, tax_lines.
 * @return WC_Order_Refund|WP_Error
 */
function wc_create_refund( $args = array() ) {
	$order = wc_get_order( (int) ( $args['order_id'] ?? 0 ) );
	if ( ! $order instanceof WC_Order ) {
		return new WP_Error( 'error', 'Invalid order ID.' );
	}
	$remaining = wc_standin_cents( $order->get_total() ) - wc_standin_cents( $order->get_total_refunded() );
	$amount    = wc_standin_cents( $args['amount'] ?? '0' );
	if ( $amount <= 0 || $amount > $remaining ) {
		return new WP_Error( 'error', 'Invalid refund amount.' );
	}
	$refund = new WC_Order_Refund(
		array(
			'parent_id'        => $order->get_id(),
			'amount'           => wc_standin_money( $amount ),
			'reason'           => (string) ( $args['reason'] ?? '' ),
			'refunded_by'      => get_current_user_id(),
			'refunded_payment' => false,
			'currency'         => $order->get_currency(),
			'line_items'       => $args['line_items'] ?? array(),
			'shipping_lines'   => $args['shipping_lines'] ?? array(),
			'tax_lines'        => $args['tax_lines'] ?? wc_standin_refund_tax_lines( $order, $args ),
			'fee_lines'        => $args['fee_lines'] ?? array(),
		)
	);
	do_action( 'woocommerce_create_refund', $refund, $args );
	$refund->save();
	if ( $remaining - $amount > 0 ) {
		do_action( 'woocommerce_order_partially_refunded', $order->get_id(), $refund->get_id() );
	} else {
		do_action( 'woocommerce_order_fully_refunded', $order->get_id(), $refund->get_id() );
		$order->update_status( 'refunded' );
	}
	$order->save();
	do_action( 'woocommerce_refund_created', $refund->get_id(), $args );
	do_action( 'woocommerce_order_refunded', $order->get_id(), $refund->get_id() );
	return $refund;
}

/**
 * Mirrors wc_create_new_customer( $email, $username, $password, $args ): wp_insert_user() with role customer,
 * then woocommerce_created_customer( $customer_id, $new_customer_data, $password_generated ).
 *
 * @return int|WP_Error
 */
function wc_create_new_customer( $email, $username = '', $password = '', $args = array() ) {
	if ( empty( $email ) || ! is_email( $email ) ) {
		return new WP_Error( 'registration-error-invalid-email', 'Please provide a valid email address.' );
	}
	if ( email_exists( $email ) ) {
		return new WP_Error( 'registration-error-email-exists', 'An account is already registered with your email address.' );
	}
	$username           = '' !== $username ? sanitize_user( $username ) : sanitize_user( current( explode( '@', $email ) ) . wp_rand( 10, 99 ) );
	$password_generated = '' === $password;
	$password           = $password_generated ? wp_generate_password() : $password;
	$new_customer_data  = array_merge(
		$args,
		array(
			'user_login' => $username,
			'user_pass'  => $password,
			'user_email' => $email,
			'role'       => 'customer',
		)
	);
	$customer_id = wp_insert_user( $new_customer_data );
	if ( is_wp_error( $customer_id ) ) {
		return $customer_id;
	}
	do_action( 'woocommerce_created_customer', $customer_id, $new_customer_data, $password_generated );
	return $customer_id;
}

/** Mirrors wc_get_page_screen_id( 'shop-order' ) with HPOS on. */
function wc_get_page_screen_id( $for ) {
	return 'shop-order' === $for ? 'woocommerce_page_wc-orders' : $for;
}

/** Mirrors wc_get_logger() (WC_Logger): warning/info/error to the PHP error log. */
function wc_get_logger() {
	return new class() {
		public function log( $level, $message, $context = array() ) {
			error_log( sprintf( '[wc-standin %s %s] %s', $level, $context['source'] ?? '', $message ) ); // phpcs:ignore
		}
		public function __call( $name, $args ) {
			$this->log( $name, $args[0] ?? '', $args[1] ?? array() );
		}
	};
}

/** Mirrors includes/class-wc-tax.php: the shop's tax classes (the real shop's, settings.json). */
class WC_Tax {
	/** Mirrors WC_Tax::get_tax_class_slugs(). */
	public static function get_tax_class_slugs() {
		return array( 'reduced-rate', 'low-rate', 'zero-rate' );
	}

	/**
	 * Mirrors WC_Tax::get_rates_for_tax_class(): the rows of woocommerce_tax_rates of one class ('' = standard),
	 * keyed by tax_rate_id, as objects with the table's columns (tax_rate is a string like "25.0000"). The ids
	 * and rates are the real shop's (WC_Standin_Checkout::RATES).
	 *
	 * @param string $tax_class Tax class slug.
	 */
	public static function get_rates_for_tax_class( $tax_class ) {
		$rows = array();
		foreach ( WC_Standin_Checkout::rates() as $id => $rate ) {
			if ( $rate[0] === (string) $tax_class ) {
				$rows[ $id ] = (object) array(
					'tax_rate_id'       => (string) $id,
					'tax_rate_country'  => 'NO',
					'tax_rate_state'    => '',
					'tax_rate'          => number_format( (float) $rate[1], 4, '.', '' ),
					'tax_rate_name'     => $rate[2],
					'tax_rate_priority' => '1',
					'tax_rate_compound' => '0',
					'tax_rate_shipping' => '' === $rate[0] ? '1' : '0',
					'tax_rate_order'    => (string) ( $id - 1 ),
					'tax_rate_class'    => $rate[0],
				);
			}
		}
		return $rows;
	}
}

/**
 * Mirrors wc_rest_should_load_namespace() (includes/wc-rest-functions.php, WC 9.2+): while a request for one of
 * WooCommerce's own REST namespaces is served, only that namespace's routes are loaded; other requests (wp-admin,
 * cron, Action Scheduler, other namespaces) load every namespace.
 *
 * @param string $ns         Namespace, e.g. wc/v3.
 * @param string $rest_route The route served (default: the current request's).
 */
function wc_rest_should_load_namespace( string $ns, string $rest_route = '' ): bool {
	if ( '' === $rest_route ) {
		$rest_route = (string) ( $GLOBALS['wp']->query_vars['rest_route'] ?? '' );
	}
	if ( '' === $rest_route ) {
		return true;
	}
	$rest_route = trailingslashit( ltrim( $rest_route, '/' ) );
	$known      = array( 'wc/v1', 'wc/v2', 'wc/v3', 'wc-telemetry', 'wc-admin', 'wc-analytics', 'wc/store', 'wc/private' );
	foreach ( $known as $known_namespace ) {
		if ( str_starts_with( $rest_route, $known_namespace ) ) {
			return (bool) apply_filters( 'woocommerce_rest_should_load_namespace', str_starts_with( $rest_route, trailingslashit( $ns ) ), $ns, $rest_route, $known );
		}
	}
	return true;
}

/**
 * Mirrors wc_get_base_location() (includes/wc-core-functions.php): the woocommerce_default_country option
 * ("NO" or "NO:03") through the woocommerce_get_base_location filter, as country and state.
 */
function wc_get_base_location() {
	$default = (string) apply_filters( 'woocommerce_get_base_location', get_option( 'woocommerce_default_country', 'US:CA' ) );
	list( $country, $state ) = array_pad( explode( ':', $default ), 2, '' );
	return array(
		'country' => $country,
		'state'   => $state,
	);
}

/** Mirrors includes/class-wc-payment-gateways.php with the real shop's two gateways (bacs, cod). */
class WC_Payment_Gateways {
	/** Mirrors payment_gateways(): id => gateway object with ->id and ->title. */
	public function payment_gateways() {
		// Every registered gateway, enabled or not (WC_Payment_Gateway::$enabled is 'yes' or 'no'); cheque is
		// registered but disabled in a new shop, as in the real one.
		return array(
			'bacs'   => (object) array( 'id' => 'bacs', 'title' => 'Bankoverføring', 'enabled' => 'yes' ),
			'cheque' => (object) array( 'id' => 'cheque', 'title' => 'Sjekk', 'enabled' => 'no' ),
			'cod'    => (object) array( 'id' => 'cod', 'title' => 'Betal ved levering', 'enabled' => 'yes' ),
		);
	}
}

/** Mirrors includes/class-wc-integrations.php: instantiates the classes from woocommerce_integrations. */
class WC_Integrations {
	/** @var array<string,WC_Integration> */
	public $integrations = array();

	/** Mirrors __construct(). */
	public function __construct() {
		do_action( 'woocommerce_integrations_init' );
		foreach ( apply_filters( 'woocommerce_integrations', array() ) as $integration ) {
			$load                              = is_string( $integration ) ? new $integration() : $integration;
			$this->integrations[ $load->id ] = $load;
		}
	}

	/** Mirrors get_integrations(). */
	public function get_integrations() {
		return $this->integrations;
	}
}
