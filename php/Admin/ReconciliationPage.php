<?php
/**
 * WooCommerce › ml-connector reconciliation: pick a month, see WooCommerce's orders, refunds and VAT per rate next
 * to what Visma holds (read back from Visma), each difference named with its cause, and a CSV download. The page
 * only reads; the CSV download checks manage_woocommerce and its nonce like every admin action here.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\Reconciliation;

defined( 'ABSPATH' ) || exit;

/**
 * The reconciliation screen and its CSV handler.
 */
final class ReconciliationPage {

	public const SLUG       = 'ml-connector-reconciliation';
	public const CSV_ACTION = 'ml_connector_reconciliation_csv';

	/**
	 * Adds the submenu under WooCommerce.
	 */
	public static function action_admin_menu(): void {
		add_submenu_page(
			'woocommerce',
			__( 'ml-connector reconciliation', 'ml-connector' ),
			__( 'Visma reconciliation', 'ml-connector' ),
			'manage_woocommerce',
			self::SLUG,
			array( self::class, 'render' )
		);
	}

	/**
	 * The month asked for (YYYY-MM), this month by default.
	 */
	private static function month(): string {
		$month = isset( $_GET['month'] ) ? sanitize_text_field( wp_unslash( $_GET['month'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only view.
		return '' === $month ? wp_date( 'Y-m' ) : $month;
	}

	/**
	 * Prints the page.
	 */
	public static function render(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to see the reconciliation.', 'ml-connector' ), 403 );
		}
		$month  = self::month();
		$result = Reconciliation::month( $month );
		echo '<div class="wrap"><h1>' . esc_html__( 'Visma.net reconciliation', 'ml-connector' ) . '</h1>';
		echo '<form method="get"><input type="hidden" name="page" value="' . esc_attr( self::SLUG ) . '" />';
		echo '<label>' . esc_html__( 'Month', 'ml-connector' ) . ' <input type="month" name="month" value="' . esc_attr( $month ) . '" /></label> ';
		submit_button( __( 'Show', 'ml-connector' ), 'secondary', '', false );
		echo '</form>';
		if ( is_wp_error( $result ) ) {
			echo '<div class="notice notice-error inline" id="ml-connector-reconciliation-error"><p>' . esc_html( $result->get_error_message() ) . '</p></div></div>';
			return;
		}
		$csv = wp_nonce_url( admin_url( 'admin-post.php?action=' . self::CSV_ACTION . '&month=' . rawurlencode( $month ) ), self::CSV_ACTION );
		echo '<p><a class="button" id="ml-connector-reconciliation-csv" href="' . esc_url( $csv ) . '">' . esc_html__( 'Download CSV', 'ml-connector' ) . '</a></p>';
		$differences = count( array_filter( $result['rows'], static fn( $r ) => __( 'matches', 'ml-connector' ) !== $r['result'] ) );
		printf(
			'<p id="ml-connector-reconciliation-summary">%s</p>',
			esc_html(
				sprintf(
					/* translators: 1: number of rows, 2: number of differences */
					__( '%1$d documents, %2$d differences.', 'ml-connector' ),
					count( $result['rows'] ),
					$differences
				)
			)
		);
		self::vat_table( __( 'VAT per rate in WooCommerce', 'ml-connector' ), $result['woo_vat'], 'ml-connector-woo-vat' );
		self::vat_table( __( 'VAT per VAT id in Visma.net', 'ml-connector' ), $result['visma_vat'], 'ml-connector-visma-vat' );
		echo '<table class="widefat striped" id="ml-connector-reconciliation"><thead><tr>';
		foreach ( self::headings() as $heading ) {
			echo '<th>' . esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $result['rows'] as $row ) {
			$class = __( 'matches', 'ml-connector' ) === $row['result'] ? '' : ' class="ml-connector-difference"';
			echo '<tr' . $class . '>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a fixed attribute.
			foreach ( Reconciliation::COLUMNS as $column ) {
				echo '<td>' . esc_html( $row[ $column ] ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table></div>';
	}

	/**
	 * Downloads the month's rows as CSV (admin-post handler).
	 */
	public static function action_admin_post_ml_connector_reconciliation_csv(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to download the reconciliation.', 'ml-connector' ), 403 );
		}
		check_admin_referer( self::CSV_ACTION );
		$month  = self::month();
		$result = Reconciliation::month( $month );
		if ( is_wp_error( $result ) ) {
			wp_die( esc_html( $result->get_error_message() ), 400 );
		}
		nocache_headers();
		header( 'Content-Type: text/csv; charset=utf-8' );
		header( 'Content-Disposition: attachment; filename="ml-connector-reconciliation-' . $month . '.csv"' );
		$out = fopen( 'php://output', 'w' );
		fputcsv( $out, Reconciliation::COLUMNS );
		foreach ( $result['rows'] as $row ) {
			// A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
			fputcsv( $out, array_map( static fn( $v ) => preg_match( '/^[=+@]/', $v ) ? "'" . $v : $v, array_values( $row ) ) );
		}
		fclose( $out ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		exit;
	}

	/**
	 * Column headings, in Reconciliation::COLUMNS order.
	 *
	 * @return list<string>
	 */
	private static function headings(): array {
		return array(
			__( 'Type', 'ml-connector' ),
			__( 'WooCommerce id', 'ml-connector' ),
			__( 'Order', 'ml-connector' ),
			__( 'Date', 'ml-connector' ),
			__( 'Currency', 'ml-connector' ),
			__( 'WooCommerce total', 'ml-connector' ),
			__( 'WooCommerce VAT', 'ml-connector' ),
			__( 'Visma number', 'ml-connector' ),
			__( 'Visma total', 'ml-connector' ),
			__( 'Visma VAT', 'ml-connector' ),
			__( 'Result', 'ml-connector' ),
		);
	}

	/**
	 * A small table of VAT amounts.
	 *
	 * @param string               $title Caption.
	 * @param array<string,string> $rows  Label => amount.
	 * @param string               $id    HTML id.
	 */
	private static function vat_table( string $title, array $rows, string $id ): void {
		echo '<h2>' . esc_html( $title ) . '</h2><table class="widefat" id="' . esc_attr( $id ) . '" style="max-width:30em"><tbody>';
		foreach ( $rows as $label => $amount ) {
			echo '<tr><td>' . esc_html( (string) $label ) . '</td><td>' . esc_html( $amount ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}
}
