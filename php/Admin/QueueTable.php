<?php
/**
 * The queue as a WP_List_Table: one row per job, filter by state, search by WooCommerce id, a Replay row action
 * with a nonce bound to the job. Rows come from Core::jobs(); every cell is escaped here.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\Core;

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( \WP_List_Table::class ) ) {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Jobs table.
 */
class QueueTable extends \WP_List_Table {

	public const STATES   = array( 'pending', 'running', 'done', 'failed', 'dead' );
	private const PER_PAGE = 20;

	/**
	 * Error from the extension, shown instead of rows.
	 *
	 * @var \WP_Error|null
	 */
	public ?\WP_Error $error = null;

	/**
	 * Sets the table's names.
	 */
	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'ml_connector_job',
				'plural'   => 'ml_connector_jobs',
				'ajax'     => false,
			)
		);
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	public function get_columns() {
		return array(
			'id'              => __( 'Job', 'ml-connector' ),
			'kind'            => __( 'Kind', 'ml-connector' ),
			'woo_id'          => __( 'WooCommerce id', 'ml-connector' ),
			'state'           => __( 'State', 'ml-connector' ),
			'attempts'        => __( 'Attempts', 'ml-connector' ),
			'next_attempt_at' => __( 'Next attempt', 'ml-connector' ),
			'visma_number'    => __( 'Visma number', 'ml-connector' ),
			'last_error'      => __( 'Last error', 'ml-connector' ),
			'updated_at'      => __( 'Updated', 'ml-connector' ),
		);
	}

	/**
	 * Loads one page from the extension; filter values are sanitized on the way in.
	 */
	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'id' );
		$filter                = array(
			'page'     => max( 1, $this->get_pagenum() ),
			'per_page' => self::PER_PAGE,
		);
		$state = self::requested_state();
		if ( '' !== $state ) {
			$filter['state'] = $state;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only search.
		$search = isset( $_REQUEST['s'] ) ? absint( wp_unslash( $_REQUEST['s'] ) ) : 0;
		if ( $search > 0 ) {
			$filter['woo_id'] = $search;
		}
		$rows = Core::jobs( $filter );
		if ( is_wp_error( $rows ) ) {
			$this->error = $rows;
			$this->items = array();
			return;
		}
		$this->items = array_values( array_filter( $rows, 'is_array' ) );
		$status      = Core::status();
		$total       = 0;
		if ( is_array( $status ) && is_array( $status['counts'] ?? null ) ) {
			$total = '' !== $state ? (int) ( $status['counts'][ $state ] ?? 0 ) : (int) array_sum( array_map( 'intval', $status['counts'] ) );
		}
		$total = $search > 0 ? count( $this->items ) : max( $total, count( $this->items ) );
		$this->set_pagination_args(
			array(
				'total_items' => $total,
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/**
	 * The state filter links.
	 *
	 * @return array<string,string>
	 */
	protected function get_views() {
		$current = self::requested_state();
		$views   = array();
		$base    = admin_url( 'admin.php?page=' . QueuePage::SLUG );
		$labels  = array( '' => __( 'All', 'ml-connector' ) ) + array_combine( self::STATES, array_map( 'ucfirst', self::STATES ) );
		foreach ( $labels as $state => $label ) {
			$url                                 = '' === $state ? $base : add_query_arg( 'state', $state, $base );
			$views[ '' === $state ? 'all' : $state ] = sprintf(
				'<a href="%s"%s>%s</a>',
				esc_url( $url ),
				$current === $state ? ' class="current" aria-current="page"' : '',
				esc_html( $label )
			);
		}
		return $views;
	}

	/**
	 * Default cell: escaped text.
	 *
	 * @param array  $item        Row.
	 * @param string $column_name Column.
	 * @return string
	 */
	protected function column_default( $item, $column_name ) {
		$value = $item[ $column_name ] ?? '';
		return esc_html( is_scalar( $value ) ? (string) $value : '' );
	}

	/**
	 * The last error only while it still matters: a job that ended well keeps its history in the audit, not an old
	 * error on its row (issue #13 item 7).
	 *
	 * @param array $item Row.
	 * @return string
	 */
	protected function column_last_error( $item ) {
		return esc_html( self::error_text( (array) $item ) );
	}

	/**
	 * The error a row shows.
	 *
	 * @param array $item Row.
	 */
	public static function error_text( array $item ): string {
		$error = $item['last_error'] ?? '';
		return 'done' === ( $item['state'] ?? '' ) || ! is_scalar( $error ) ? '' : html_entity_decode( (string) $error, ENT_QUOTES, 'UTF-8' );
	}

	/**
	 * Job id with the Replay row action (failed/dead jobs), nonce bound to the job id.
	 *
	 * @param array $item Row.
	 * @return string
	 */
	protected function column_id( $item ) {
		$id      = (int) ( $item['id'] ?? 0 );
		$actions = array();
		if ( in_array( (string) ( $item['state'] ?? '' ), array( 'failed', 'dead' ), true ) ) {
			$actions['replay'] = sprintf(
				'<a href="%s" class="ml-connector-replay">%s</a>',
				esc_url( QueuePage::replay_url( $id ) ),
				esc_html__( 'Replay', 'ml-connector' )
			);
		}
		return esc_html( (string) $id ) . $this->row_actions( $actions );
	}

	/**
	 * WooCommerce id, linked to the order edit screen for orders.
	 *
	 * @param array $item Row.
	 * @return string
	 */
	protected function column_woo_id( $item ) {
		$id = (int) ( $item['woo_id'] ?? 0 );
		if ( 'order' === ( $item['kind'] ?? '' ) ) {
			$order = wc_get_order( $id );
			if ( $order instanceof \WC_Order && method_exists( $order, 'get_edit_order_url' ) ) {
				return sprintf( '<a href="%s">%s</a>', esc_url( $order->get_edit_order_url() ), esc_html( (string) $id ) );
			}
		}
		return esc_html( (string) $id );
	}

	/**
	 * The state requested in the URL, from the allow-list only.
	 */
	public static function requested_state(): string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only filter.
		$state = isset( $_REQUEST['state'] ) ? sanitize_key( wp_unslash( $_REQUEST['state'] ) ) : '';
		return in_array( $state, self::STATES, true ) ? $state : '';
	}
}
