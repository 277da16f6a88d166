<?php
/**
 * The "Visma.net" box on the order edit screen (HPOS and legacy): state, Visma number, the audit timeline of the
 * order and a Send again button (capability + nonce bound to the order). Orders only via wc_get_order().
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\Core;
use MlConnector\RestPayload;
use MlConnector\Scheduler;

defined( 'ABSPATH' ) || exit;

/**
 * Order meta box and its Send again handler.
 */
final class OrderMetaBox {

	/**
	 * Adds the box to whichever order screen is active.
	 */
	public static function action_add_meta_boxes(): void {
		$screen = function_exists( 'wc_get_page_screen_id' ) ? wc_get_page_screen_id( 'shop-order' ) : 'shop_order';
		add_meta_box( 'ml-connector', __( 'Visma.net', 'ml-connector' ), array( self::class, 'render' ), $screen, 'side', 'default' );
	}

	/**
	 * Prints the box. WooCommerce passes a WC_Order (HPOS) or a WP_Post (legacy).
	 *
	 * @param mixed $post_or_order The order or its post.
	 */
	public static function render( mixed $post_or_order ): void {
		$order = $post_or_order instanceof \WP_Post ? wc_get_order( $post_or_order->ID ) : $post_or_order;
		if ( ! $order instanceof \WC_Order ) {
			return;
		}
		$order_id = (int) $order->get_id();
		echo '<div id="ml-connector-box">';
		OrderColumn::render( $order_id );
		// Issue #15: only this order's rows (customer 117's rows are not order 117's).
		$audit = Core::audit(
			array(
				'kind'   => 'order',
				'woo_id' => $order_id,
				'limit'  => 20,
			)
		);
		if ( is_wp_error( $audit ) ) {
			echo '<p>' . esc_html( $audit->get_error_message() ) . '</p>';
		} elseif ( array() !== $audit ) {
			echo '<ol class="ml-connector-timeline">';
			foreach ( $audit as $row ) {
				if ( ! is_array( $row ) ) {
					continue;
				}
				$line = trim(
					sprintf(
						'%s %s %s %s',
						(string) ( $row['at'] ?? '' ),
						(string) ( $row['action'] ?? '' ),
						isset( $row['http_status'] ) ? 'HTTP ' . (string) $row['http_status'] : '',
						(string) ( $row['visma_number'] ?? $row['error'] ?? '' )
					)
				);
				echo '<li>' . esc_html( $line ) . '</li>';
			}
			echo '</ol>';
		}
		printf(
			'<p><a class="button" id="ml-connector-send-again" href="%s">%s</a></p></div>',
			esc_url( self::send_again_url( $order_id ) ),
			esc_html__( 'Send again', 'ml-connector' )
		);
	}

	/**
	 * Nonce'd URL of Send again for one order.
	 *
	 * @param int $order_id Order id.
	 */
	public static function send_again_url( int $order_id ): string {
		return wp_nonce_url( admin_url( 'admin-post.php?action=ml_connector_send_again&order=' . $order_id ), 'ml_connector_send_again_' . $order_id );
	}

	/**
	 * admin-post: enqueue the order's current JSON; if the queue says it is a duplicate, replay that job.
	 */
	public static function action_admin_post_ml_connector_send_again(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to send orders to Visma.net.', 'ml-connector' ), 403 );
		}
		$order_id = isset( $_REQUEST['order'] ) ? absint( wp_unslash( $_REQUEST['order'] ) ) : 0;
		check_admin_referer( 'ml_connector_send_again_' . $order_id );
		$order = wc_get_order( $order_id );
		if ( ! $order instanceof \WC_Order ) {
			wp_die( esc_html__( 'Order not found.', 'ml-connector' ), 404 );
		}
		$payload = RestPayload::order( $order_id );
		$result  = is_wp_error( $payload ) ? $payload : Core::enqueue( 'order', $payload, 'hook' );
		if ( is_array( $result ) && 'duplicate' === ( $result['outcome'] ?? '' ) ) {
			$result = Core::replay( (int) $result['job_id'] );
		}
		if ( is_wp_error( $result ) ) {
			$order->add_order_note(
				/* translators: %s: error */
				sprintf( __( 'ml-connector: Send again failed: %s', 'ml-connector' ), $result->get_error_message() )
			);
		}
		Scheduler::schedule_drain();
		wp_safe_redirect( $order->get_edit_order_url() );
		exit;
	}
}
