<?php
/**
 * The month-end check the accountant asked for (issue #13): WooCommerce's orders and refunds of a month next to the
 * invoices and credit notes Visma holds for them — read back from Visma, never from our own records — with every
 * difference named by order and its cause. Rows feed the screen (Admin\ReconciliationPage) and the CSV.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Builds the rows of one month.
 */
final class Reconciliation {

	/** Columns of a row, in CSV order. */
	public const COLUMNS = array( 'kind', 'woo_id', 'order_id', 'date', 'currency', 'woo_total', 'woo_vat', 'visma_number', 'visma_total', 'visma_vat', 'result' );

	/**
	 * The month's rows and VAT per rate, or the reason Visma could not be read.
	 *
	 * @param string $month YYYY-MM.
	 * @return array{rows: list<array<string,string>>, woo_vat: array<string,string>, visma_vat: array<string,string>}|WP_Error
	 */
	public static function month( string $month ): array|WP_Error {
		if ( ! preg_match( '/^(\d{4})-(0[1-9]|1[0-2])$/', $month ) ) {
			return new WP_Error( 'ml_connector_input', __( 'The month must look like 2026-11.', 'ml-connector' ) );
		}
		$from = $month . '-01';
		$to   = gmdate( 'Y-m-t', (int) strtotime( $from . ' 00:00:00 UTC' ) );
		// An order of the month may be dated in Visma when it was paid, up to a month later.
		$docs = Core::visma_documents( $from, gmdate( 'Y-m-t', (int) strtotime( $from . ' 00:00:00 UTC +1 month' ) ) );
		if ( is_wp_error( $docs ) ) {
			return $docs;
		}
		$invoices = array();
		$notes    = array();
		foreach ( $docs as $doc ) {
			if ( 'credit_note' === ( $doc['type'] ?? '' ) ) {
				$notes[ (int) ( $doc['woo_refund_id'] ?? 0 ) ] = $doc;
			} else {
				$invoices[ (int) ( $doc['woo_order_id'] ?? 0 ) ] = $doc;
			}
		}
		$trigger   = (string) ( Integration::settings_document()['trigger'] ?? 'placed' );
		$rows      = array();
		$woo_vat   = array();
		$visma_vat = array();
		foreach ( self::order_ids( $from, $to ) as $id ) {
			// The order as the connector reads it: its REST v3 JSON (one canonical input).
			$order = RestPayload::order( $id );
			if ( is_wp_error( $order ) || ! OrderEvents::status_matches_trigger( (string) ( $order['status'] ?? '' ), $trigger ) ) {
				continue;
			}
			foreach ( (array) ( $order['tax_lines'] ?? array() ) as $tax ) {
				$label             = sprintf( '%s (%s %%)', (string) ( $tax['label'] ?? '' ), (string) ( $tax['rate_percent'] ?? '' ) );
				$woo_vat[ $label ] = ( $woo_vat[ $label ] ?? 0 ) + (float) ( $tax['tax_total'] ?? 0 ) + (float) ( $tax['shipping_tax_total'] ?? 0 );
			}
			$rows[] = self::row( 'order', $id, $id, $order, $invoices[ $id ] ?? null );
			unset( $invoices[ $id ] );
			foreach ( (array) ( $order['refunds'] ?? array() ) as $refund ) {
				$refund_id = (int) ( $refund['id'] ?? 0 );
				$rows[]    = self::row( 'refund', $refund_id, $id, array( 'total' => $refund['total'] ?? '0', 'currency' => $order['currency'] ?? '', 'date_created' => '' ), $notes[ $refund_id ] ?? null );
				unset( $notes[ $refund_id ] );
			}
		}
		// What Visma holds for this store in the month that no order of the month explains.
		foreach ( array_merge( array_values( $invoices ), array_values( $notes ) ) as $doc ) {
			if ( substr( (string) ( $doc['date'] ?? '' ), 0, 7 ) === $month ) {
				$rows[] = self::row( 'credit_note' === $doc['type'] ? 'refund' : 'order', (int) ( $doc['woo_refund_id'] ?? $doc['woo_order_id'] ), (int) $doc['woo_order_id'], null, $doc );
			}
		}
		foreach ( $docs as $doc ) {
			if ( substr( (string) ( $doc['date'] ?? '' ), 0, 7 ) !== $month ) {
				continue;
			}
			$sign = 'credit_note' === ( $doc['type'] ?? '' ) ? -1 : 1;
			foreach ( (array) ( $doc['vat_by_id'] ?? array() ) as $id => $minor ) {
				$visma_vat[ (string) $id ] = ( $visma_vat[ (string) $id ] ?? 0 ) + $sign * (int) $minor / 100;
			}
		}
		ksort( $woo_vat );
		ksort( $visma_vat );
		return array(
			'rows'      => $rows,
			'woo_vat'   => array_map( static fn( $v ) => number_format( (float) $v, 2, '.', '' ), $woo_vat ),
			'visma_vat' => array_map( static fn( $v ) => number_format( (float) $v, 2, '.', '' ), $visma_vat ),
		);
	}

	/**
	 * The shop's orders created in the month.
	 *
	 * @param string $from YYYY-MM-DD.
	 * @param string $to   YYYY-MM-DD.
	 * @return list<int>
	 */
	private static function order_ids( string $from, string $to ): array {
		$found = wc_get_orders(
			array(
				'type'         => 'shop_order',
				'limit'        => -1,
				'date_created' => $from . '...' . $to,
				'orderby'      => 'ID',
				'order'        => 'ASC',
				'return'       => 'ids',
			)
		);
		return array_map( 'intval', is_array( $found ) ? $found : array() );
	}

	/**
	 * One row: WooCommerce's side, Visma's side, and what differs. Refunds are negative on both sides.
	 *
	 * @param string     $kind     order|refund.
	 * @param int        $woo_id   Order or refund id.
	 * @param int        $order_id The order.
	 * @param array|null $woo      The REST JSON (a refund: total and currency), null when only Visma has it.
	 * @param array|null $doc      The Visma document, null when Visma has none.
	 * @return array<string,string>
	 */
	private static function row( string $kind, int $woo_id, int $order_id, ?array $woo, ?array $doc ): array {
		$money     = static fn( $v ): string => number_format( (float) $v, 2, '.', '' );
		$sign      = 'refund' === $kind ? -1 : 1;
		$woo_total = null === $woo ? '' : $money( $woo['total'] ?? 0 );
		$woo_vat   = null === $woo || 'refund' === $kind ? '' : $money( $woo['total_tax'] ?? 0 );
		$v_total   = null === $doc ? '' : $money( $sign * (int) $doc['amount_minor'] / 100 );
		$v_vat     = null === $doc || 'refund' === $kind ? '' : $money( (int) $doc['vat_minor'] / 100 );
		if ( null === $woo ) {
			$result = __( 'in Visma, not a WooCommerce order of this month', 'ml-connector' );
		} elseif ( null === $doc ) {
			$state = 'order' === $kind ? Core::order_state( $order_id ) : null;
			$why   = is_array( $state ) ? trim( $state['state'] . ' ' . (string) ( $state['last_error'] ?? '' ) ) : '';
			/* translators: %s: the queue state and its last error, e.g. "failed currency "USD" is not configured" */
			$result = '' === $why ? __( 'not in Visma', 'ml-connector' ) : sprintf( __( 'not in Visma: %s', 'ml-connector' ), $why );
		} elseif ( $woo_total !== $v_total ) {
			/* translators: 1: WooCommerce total, 2: Visma total */
			$result = sprintf( __( 'total differs: WooCommerce %1$s, Visma %2$s', 'ml-connector' ), $woo_total, $v_total );
		} elseif ( $woo_vat !== $v_vat ) {
			/* translators: 1: WooCommerce VAT, 2: Visma VAT */
			$result = sprintf( __( 'VAT differs: WooCommerce %1$s, Visma %2$s', 'ml-connector' ), $woo_vat, $v_vat );
			if ( 'sales_order' === ( $doc['type'] ?? '' ) ) {
				// Issue #17: SalesOrders v3 takes no VAT amounts, so Visma rounds a sales order's VAT its own way.
				$result .= ' ' . __( '(a sales order: Visma computes its VAT; correct it on the invoice made from the order)', 'ml-connector' );
			}
		} else {
			$result = __( 'matches', 'ml-connector' );
		}
		return array(
			'kind'         => $kind,
			'woo_id'       => (string) $woo_id,
			'order_id'     => (string) $order_id,
			'date'         => substr( (string) ( null === $doc ? ( $woo['date_created'] ?? '' ) : $doc['date'] ), 0, 10 ),
			'currency'     => (string) ( null === $woo ? ( $doc['currency'] ?? '' ) : ( $woo['currency'] ?? '' ) ),
			'woo_total'    => $woo_total,
			'woo_vat'      => $woo_vat,
			'visma_number' => null === $doc ? '' : (string) $doc['visma_number'],
			'visma_total'  => $v_total,
			'visma_vat'    => $v_vat,
			'result'       => $result,
		);
	}
}
