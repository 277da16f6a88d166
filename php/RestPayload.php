<?php
/**
 * Builds the WooCommerce REST v3 JSON of an order, refund or customer exactly as a webhook does: an internal
 * rest_do_request() GET, then response_to_data( $response, false ), run as a user allowed to read it
 * (WC src/Utilities/RestApiUtil.php::get_endpoint_data(), WC_Webhook::build_payload(); NOTES §1.8).
 * No mapping here: the JSON goes to the extension unchanged.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * REST v3 payloads for the queue.
 */
final class RestPayload {

	/**
	 * GET /wc/v3/orders/{id}.
	 *
	 * @param int $order_id Order id.
	 * @return array|WP_Error
	 */
	public static function order( int $order_id ): array|WP_Error {
		return self::get( '/wc/v3/orders/' . $order_id );
	}

	/**
	 * The refund document the extension expects: {"order": …, "refund": …}.
	 *
	 * @param int $order_id  Parent order id.
	 * @param int $refund_id Refund id.
	 * @return array|WP_Error
	 */
	public static function refund( int $order_id, int $refund_id ): array|WP_Error {
		$order = self::order( $order_id );
		if ( is_wp_error( $order ) ) {
			return $order;
		}
		$refund = self::get( '/wc/v3/orders/' . $order_id . '/refunds/' . $refund_id );
		if ( is_wp_error( $refund ) ) {
			return $refund;
		}
		return array(
			'order'  => $order,
			'refund' => $refund,
		);
	}

	/**
	 * GET /wc/v3/customers/{id}.
	 *
	 * @param int $customer_id User id.
	 * @return array|WP_Error
	 */
	public static function customer( int $customer_id ): array|WP_Error {
		return self::get( '/wc/v3/customers/' . $customer_id );
	}

	/**
	 * Runs one internal GET as the REST user and restores the current user afterwards.
	 *
	 * @param string $route REST route.
	 * @return array|WP_Error
	 */
	private static function get( string $route ): array|WP_Error {
		$previous_user = get_current_user_id();
		$rest_user     = self::rest_user_id();
		if ( 0 === $rest_user ) {
			return new WP_Error( 'ml_connector_no_rest_user', __( 'No user with the manage_woocommerce capability exists to read orders through the REST API.', 'ml-connector' ) );
		}
		try {
			if ( $rest_user !== $previous_user ) {
				wp_set_current_user( $rest_user );
			}
			$response = rest_do_request( new \WP_REST_Request( 'GET', $route ) );
			$data     = rest_get_server()->response_to_data( $response, false );
		} finally {
			if ( $rest_user !== $previous_user ) {
				wp_set_current_user( $previous_user );
			}
		}
		if ( $response->is_error() || ! is_array( $data ) || ! isset( $data['id'] ) ) {
			$error = $response->as_error();
			return new WP_Error(
				'ml_connector_rest',
				sprintf(
					/* translators: 1: REST route, 2: HTTP status */
					__( 'WooCommerce REST %1$s answered HTTP %2$d.', 'ml-connector' ),
					$route,
					$response->get_status()
				),
				array( 'rest_code' => $error instanceof WP_Error ? $error->get_error_code() : '' )
			);
		}
		return $data;
	}

	/**
	 * The user whose view builds payloads (webhooks use their owner): filterable, else the first shop manager
	 * or administrator, cached for the request.
	 */
	private static function rest_user_id(): int {
		static $cached = null;
		if ( null === $cached ) {
			$ids    = get_users(
				array(
					'role__in' => array( 'administrator', 'shop_manager' ),
					'orderby'  => 'ID',
					'order'    => 'ASC',
					'number'   => 1,
					'fields'   => 'ID',
				)
			);
			$cached = isset( $ids[0] ) ? (int) $ids[0] : 0;
		}
		/**
		 * Filters the user id that reads orders/customers through the REST API for the queue.
		 *
		 * @param int $user_id Default: the first administrator or shop manager.
		 */
		return (int) apply_filters( 'ml_connector_rest_user_id', $cached );
	}
}
