<?php
/**
 * TEST ONLY (never shipped): HTTP endpoints that drive the WooCommerce stand-in the way shoppers and shop
 * managers drive WooCommerce, so the end-to-end tests go through nginx + PHP-FPM like a real shop:
 * POST /wp-json/ml-connector-test/v1/checkout, /refund, /register, /run-actions, /plugin; GET /actions, /notes/{id}
 * (and /node, /drain from ml-connector-test-node.php).
 * Loads only when wp-config defines ML_CONNECTOR_TEST_SITE (tests/wordpress/setup.sh writes it).
 *
 * @package MlConnectorTests
 */

defined( 'ABSPATH' ) || exit;

if ( ! defined( 'ML_CONNECTOR_TEST_SITE' ) || ! ML_CONNECTOR_TEST_SITE ) {
	return;
}

// Mails are captured (no MTA on test machines) so the failure digest can be asserted: pre_wp_mail, WP 5.7+.
add_filter(
	'pre_wp_mail',
	static function ( $short, array $atts ) {
		$mails   = (array) get_option( 'ml_connector_test_mails', array() );
		$mails[] = array(
			'to'      => $atts['to'],
			'subject' => $atts['subject'],
			'message' => $atts['message'],
		);
		update_option( 'ml_connector_test_mails', $mails, false );
		return true;
	},
	10,
	2
);

add_action(
	'rest_api_init',
	static function (): void {
		$ns    = 'ml-connector-test/v1';
		$route = static function ( string $path, string $method, callable $callback ) use ( $ns ): void {
			register_rest_route(
				$ns,
				$path,
				array(
					'methods'             => $method,
					'callback'            => $callback,
					'permission_callback' => '__return_true',
				)
			);
		};
		$route(
			'/checkout',
			'POST',
			static function ( WP_REST_Request $request ) {
				$params = (array) $request->get_json_params();
				if ( 'store-api' === ( $params['via'] ?? '' ) ) {
					// A block checkout is a Store API request, where WooCommerce loads no wc/v3 routes: only the
					// real route (POST /wp-json/wc/store/v1/checkout) shows what the plugin meets there.
					return new WP_REST_Response( array( 'error' => 'POST /wp-json/wc/store/v1/checkout for a block checkout' ), 400 );
				}
				if ( ! empty( $params['customer_id'] ) ) {
					wp_set_current_user( (int) $params['customer_id'] );
				}
				if ( false === ( $params['loopback_runner'] ?? true ) ) {
					// A shop whose loopback requests are blocked: the order waits for the background sending
					// (TwoNodesTest then knows which node's drain sent it).
					add_filter( 'ml_connector_loopback_runner', '__return_false' );
				}
				$order = WC_Standin_Checkout::place( $params );
				if ( is_wp_error( $order ) ) {
					return new WP_REST_Response( array( 'error' => $order->get_error_message() ), 400 );
				}
				return array(
					'order_id'    => $order->get_id(),
					'status'      => $order->get_status(),
					'total'       => $order->get_total(),
					'customer_id' => $order->get_customer_id(),
				);
			}
		);
		$route(
			'/refund',
			'POST',
			static function ( WP_REST_Request $request ) {
				$p     = (array) $request->get_json_params();
				$order = wc_get_order( (int) ( $p['order_id'] ?? 0 ) );
				if ( ! $order instanceof WC_Order ) {
					return new WP_REST_Response( array( 'error' => 'no such order' ), 404 );
				}
				$args = array(
					'order_id' => $order->get_id(),
					'amount'   => (string) ( $p['amount'] ?? '' ),
					'reason'   => (string) ( $p['reason'] ?? '' ),
				);
				if ( ! empty( $p['full'] ) ) {
					// A whole-order refund: every line negated, with _refunded_item_id (real/README.md "Refunds").
					$negate = static function ( array $lines ): array {
						foreach ( $lines as &$line ) {
							foreach ( array( 'subtotal', 'subtotal_tax', 'total', 'total_tax' ) as $key ) {
								if ( isset( $line[ $key ] ) && '' !== $line[ $key ] ) {
									$line[ $key ] = wc_standin_money( -wc_standin_cents( $line[ $key ] ) );
								}
							}
							if ( isset( $line['quantity'] ) ) {
								$line['quantity'] = -$line['quantity'];
							}
							foreach ( $line['taxes'] ?? array() as $i => $tax ) {
								$line['taxes'][ $i ]['total'] = wc_standin_money( -wc_standin_cents( $tax['total'] ) );
							}
							$line['meta_data'] = array( array( 'id' => 0, 'key' => '_refunded_item_id', 'value' => (string) $line['id'], 'display_key' => '_refunded_item_id', 'display_value' => (string) $line['id'] ) );
						}
						return $lines;
					};
					$args['amount']         = $order->get_total();
					$args['line_items']     = $negate( $order->get_items( 'line_item' ) );
					$args['shipping_lines'] = $negate( $order->get_items( 'shipping' ) );
					$args['fee_lines']      = $negate( $order->get_items( 'fee' ) );
				}
				$refund = wc_create_refund( $args );
				if ( is_wp_error( $refund ) ) {
					return new WP_REST_Response( array( 'error' => $refund->get_error_message() ), 400 );
				}
				return array(
					'refund_id' => $refund->get_id(),
					'amount'    => $refund->get_amount(),
				);
			}
		);
		$route(
			'/register',
			'POST',
			static function ( WP_REST_Request $request ) {
				$p  = (array) $request->get_json_params();
				$id = wc_create_new_customer( (string) ( $p['email'] ?? '' ), (string) ( $p['username'] ?? '' ), (string) ( $p['password'] ?? '' ) );
				return is_wp_error( $id ) ? new WP_REST_Response( array( 'error' => $id->get_error_message() ), 400 ) : array( 'customer_id' => $id );
			}
		);
		$route(
			'/run-actions',
			'POST',
			static fn() => array( 'ran' => wc_standin_as_run_due( 50 ) )
		);
		$route(
			'/actions',
			'GET',
			static fn( WP_REST_Request $request ) => wc_standin_as_actions( (string) ( $request['status'] ?? 'pending' ) )
		);
		$route(
			'/notes/(?P<id>\d+)',
			'GET',
			static fn( WP_REST_Request $request ) => WC_Order::notes_of( (int) $request['id'] )
		);
		$route(
			'/plugin',
			'POST',
			static function ( WP_REST_Request $request ) {
				require_once ABSPATH . 'wp-admin/includes/plugin.php';
				$active = (bool) ( $request->get_json_params()['active'] ?? true );
				if ( $active ) {
					$result = activate_plugin( 'ml-connector/plugin.php' );
					if ( is_wp_error( $result ) ) {
						return new WP_REST_Response( array( 'error' => $result->get_error_message() ), 500 );
					}
				} else {
					deactivate_plugins( 'ml-connector/plugin.php' );
				}
				return array( 'active' => is_plugin_active( 'ml-connector/plugin.php' ) );
			}
		);
	}
);
