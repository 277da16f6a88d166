<?php
/**
 * The "Visma" column on the order list, for the HPOS screen (woocommerce_page_wc-orders) and the legacy posts
 * screen (edit-shop_order): the sync state and the Visma number from Core::order_state(). Output is escaped here.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\Core;

defined( 'ABSPATH' ) || exit;

/**
 * Order list column.
 */
final class OrderColumn {

	public const COLUMN = 'ml_connector';

	/**
	 * Adds the column after the status column (or at the end).
	 *
	 * @param mixed $columns Column id => label.
	 * @return array
	 */
	public static function filter_columns( mixed $columns ): array {
		$columns = is_array( $columns ) ? $columns : array();
		$result  = array();
		foreach ( $columns as $key => $label ) {
			$result[ $key ] = $label;
			if ( 'order_status' === $key ) {
				$result[ self::COLUMN ] = __( 'Visma', 'ml-connector' );
			}
		}
		if ( ! isset( $result[ self::COLUMN ] ) ) {
			$result[ self::COLUMN ] = __( 'Visma', 'ml-connector' );
		}
		return $result;
	}

	/**
	 * HPOS list: ( string $column_name, WC_Order $order ).
	 *
	 * @param mixed $column_name Column id.
	 * @param mixed $order       The order.
	 */
	public static function action_manage_woocommerce_page_wc_orders_custom_column( mixed $column_name, mixed $order ): void {
		if ( self::COLUMN === $column_name && $order instanceof \WC_Order ) {
			self::render( (int) $order->get_id() );
		}
	}

	/**
	 * Legacy list: ( string $column, int $post_id ).
	 *
	 * @param mixed $column  Column id.
	 * @param mixed $post_id Order id.
	 */
	public static function action_manage_shop_order_posts_custom_column( mixed $column, mixed $post_id ): void {
		if ( self::COLUMN === $column && is_numeric( $post_id ) ) {
			self::render( (int) $post_id );
		}
	}

	/**
	 * One cell.
	 *
	 * @param int $order_id Order id.
	 */
	public static function render( int $order_id ): void {
		$state = Core::order_state( $order_id );
		if ( is_wp_error( $state ) ) {
			echo '<span class="ml-connector-state ml-connector-state-unknown" title="' . esc_attr( $state->get_error_message() ) . '">?</span>';
			return;
		}
		$name  = (string) ( $state['state'] ?? 'none' );
		$label = self::label( $name );
		$title = (string) ( $state['last_error'] ?? '' );
		printf(
			'<mark class="order-status ml-connector-state ml-connector-state-%1$s" title="%2$s"><span>%3$s</span></mark>',
			esc_attr( sanitize_html_class( $name ) ),
			esc_attr( $title ),
			esc_html( $label )
		);
		if ( ! empty( $state['visma_number'] ) ) {
			echo ' <span class="ml-connector-number">' . esc_html( (string) $state['visma_number'] ) . '</span>';
		}
	}

	/**
	 * Human label of a state.
	 *
	 * @param string $state none|pending|running|done|failed|dead.
	 */
	public static function label( string $state ): string {
		return match ( $state ) {
			'none'    => __( 'Not queued', 'ml-connector' ),
			'pending' => __( 'Queued', 'ml-connector' ),
			'running' => __( 'Sending', 'ml-connector' ),
			'done'    => __( 'In Visma', 'ml-connector' ),
			'failed'  => __( 'Failed', 'ml-connector' ),
			'dead'    => __( 'Gave up', 'ml-connector' ),
			default   => $state,
		};
	}
}
