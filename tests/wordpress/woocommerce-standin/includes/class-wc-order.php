<?php
/**
 * Mirrors includes/abstracts/abstract-wc-order.php (WC_Abstract_Order), includes/class-wc-order.php (WC_Order:
 * status, notes, save() + status_transition()), includes/class-wc-order-refund.php (WC_Order_Refund) and the
 * HPOS data store src/Internal/DataStores/Orders/OrdersTableDataStore.php (create(): no woocommerce_new_order
 * for drafts; update(): woocommerce_new_order when leaving a draft status, else woocommerce_update_order).
 * Props are kept under their REST v3 field names so the REST controller can print them.
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Mirrors WC_Abstract_Order: props shared by orders and refunds, plus a row in the stand-in table.
 */
abstract class WC_Abstract_Order extends WC_Data {

	/** Order type as in wc_get_order_types(): shop_order or shop_order_refund. */
	abstract public function get_type();

	/**
	 * Loads by id (mirrors the data store read()).
	 *
	 * @param int|array $order Id, or props for a new object.
	 */
	public function __construct( $order = 0 ) {
		if ( is_numeric( $order ) && $order > 0 ) {
			global $wpdb;
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}wc_standin_orders WHERE id = %d", $order ), ARRAY_A );
			if ( $row ) {
				$this->id        = (int) $row['id'];
				$stored          = json_decode( $row['data'], true );
				$this->data      = $stored['data'] ?? array();
				$this->meta_data = $stored['meta'] ?? array();
			}
		} elseif ( is_array( $order ) ) {
			$this->data = $order;
		}
	}

	/** Mirrors get_parent_id(). */
	public function get_parent_id() {
		return (int) ( $this->data['parent_id'] ?? 0 );
	}

	/** Mirrors get_status() (without the wc- prefix). */
	public function get_status() {
		return (string) ( $this->data['status'] ?? 'pending' );
	}

	/** Mirrors get_total(). */
	public function get_total() {
		return (string) ( $this->data['total'] ?? '0.00' );
	}

	/** Mirrors get_total_tax() (abstract-wc-order.php: the order's cart + shipping tax, as stored). */
	public function get_total_tax() {
		return (string) ( $this->data['total_tax'] ?? '0.00' );
	}

	/** Mirrors get_currency(). */
	public function get_currency() {
		return (string) ( $this->data['currency'] ?? 'NOK' );
	}

	/** Mirrors get_date_created() (timestamp here, WC_DateTime in WooCommerce). */
	public function get_date_created() {
		return (int) ( $this->data['_date_created_ts'] ?? 0 );
	}

	/** Mirrors get_date_modified(). */
	public function get_date_modified() {
		return (int) ( $this->data['_date_modified_ts'] ?? 0 );
	}

	/** Mirrors get_items( $type ) for line_item/shipping/fee/coupon/tax (arrays here, WC_Order_Item in WC). */
	public function get_items( $type = 'line_item' ) {
		$map = array(
			'line_item' => 'line_items',
			'shipping'  => 'shipping_lines',
			'fee'       => 'fee_lines',
			'coupon'    => 'coupon_lines',
			'tax'       => 'tax_lines',
		);
		return $this->data[ $map[ $type ] ?? $type ] ?? array();
	}

	/** Raw REST-shaped props for the stand-in REST controller. */
	public function get_rest_props(): array {
		return $this->data;
	}

	/** Mirrors set_props(). */
	public function set_props( array $props ): void {
		foreach ( $props as $key => $value ) {
			$this->data[ $key ] = $value;
		}
	}

	/** Mirrors set_status(); returns the transition like WC_Order::set_status(). */
	public function set_status( $new_status ) {
		$new_status = 'wc-' === substr( (string) $new_status, 0, 3 ) ? substr( (string) $new_status, 3 ) : (string) $new_status;
		$old        = $this->data['status'] ?? '';
		$this->data['status'] = $new_status;
		return array(
			'from' => $old,
			'to'   => $new_status,
		);
	}

	/** Writes the row; returns whether it was a create. */
	/**
	 * Mirrors WC_Data::save_meta_data() (abstracts/abstract-wc-data.php): writes the meta only; no order hooks and
	 * the modified date is left alone.
	 */
	public function save_meta_data() {
		global $wpdb;
		if ( $this->id > 0 ) {
			$wpdb->update( $wpdb->prefix . 'wc_standin_orders', array( 'data' => wp_json_encode( array( 'data' => $this->data, 'meta' => $this->meta_data ) ) ), array( 'id' => $this->id ) );
		}
	}

	protected function persist(): bool {
		global $wpdb;
		$now                            = time();
		$this->data['_date_modified_ts'] = $now;
		if ( empty( $this->data['_date_created_ts'] ) ) {
			$this->data['_date_created_ts'] = $now;
		}
		$row = array(
			'type'             => $this->get_type(),
			'parent_id'        => $this->get_parent_id(),
			'status'           => $this->get_status(),
			'customer_id'      => (int) ( $this->data['customer_id'] ?? 0 ),
			'date_created_gmt' => gmdate( 'Y-m-d H:i:s', (int) $this->data['_date_created_ts'] ),
			'date_updated_gmt' => gmdate( 'Y-m-d H:i:s', $now ),
			'data'             => wp_json_encode(
				array(
					'data' => $this->data,
					'meta' => $this->meta_data,
				)
			),
		);
		if ( $this->id > 0 ) {
			$wpdb->update( $wpdb->prefix . 'wc_standin_orders', $row, array( 'id' => $this->id ) );
			return false;
		}
		$wpdb->insert( $wpdb->prefix . 'wc_standin_orders', $row );
		$this->id = (int) $wpdb->insert_id;
		return true;
	}
}

/**
 * Mirrors includes/class-wc-order.php.
 */
class WC_Order extends WC_Abstract_Order {

	/** Draft statuses, OrdersTableDataStore::create()/update() (and NOTES §3.2). */
	private const DRAFTS = array( 'auto-draft', 'draft', 'checkout-draft', 'new' );

	/** @var array|false Mirrors WC_Order::$status_transition. */
	protected $status_transition = false;

	/** Mirrors get_type(). */
	public function get_type() {
		return 'shop_order';
	}

	/** Mirrors get_customer_id(). */
	public function get_customer_id() {
		return (int) ( $this->data['customer_id'] ?? 0 );
	}

	/** Mirrors get_user_id(). */
	public function get_user_id() {
		return $this->get_customer_id();
	}

	/** Mirrors get_billing_email(). */
	public function get_billing_email() {
		return (string) ( $this->data['billing']['email'] ?? '' );
	}

	/** Mirrors get_payment_method(). */
	public function get_payment_method() {
		return (string) ( $this->data['payment_method'] ?? '' );
	}

	/** Mirrors get_order_number(). */
	public function get_order_number() {
		return (string) $this->id;
	}

	/** Mirrors get_edit_order_url() (HPOS: admin.php?page=wc-orders&action=edit&id=N). */
	public function get_edit_order_url() {
		return admin_url( 'admin.php?page=wc-orders&action=edit&id=' . $this->get_id() );
	}

	/** Mirrors get_refunds(). */
	public function get_refunds() {
		return wc_get_orders(
			array(
				'type'   => 'shop_order_refund',
				'parent' => $this->get_id(),
				'limit'  => -1,
			)
		);
	}

	/** Mirrors get_total_refunded(). */
	public function get_total_refunded() {
		$cents = 0;
		foreach ( $this->get_refunds() as $refund ) {
			$cents += wc_standin_cents( $refund->get_amount() );
		}
		return wc_standin_money( $cents );
	}

	/** Mirrors WC_Order::set_status(): records the transition for save(). */
	public function set_status( $new_status ) {
		$transition = parent::set_status( $new_status );
		if ( $transition['from'] !== $transition['to'] ) {
			$this->status_transition = array(
				'from' => $this->status_transition ? $this->status_transition['from'] : $transition['from'],
				'to'   => $transition['to'],
			);
		}
		return $transition;
	}

	/** Mirrors update_status(): set, note, save. */
	public function update_status( $new_status, $note = '', $manual = false ) {
		$this->set_status( $new_status );
		if ( '' !== $note ) {
			$this->add_order_note( $note );
		}
		$this->save();
		return true;
	}

	/**
	 * Mirrors WC_Order::save(): data store create/update (with its hooks), then status_transition().
	 */
	public function save() {
		$previous = null;
		if ( $this->id > 0 ) {
			$old      = new WC_Order( $this->id );
			$previous = $old->get_status();
		}
		$created = $this->persist();
		if ( $created ) {
			// OrdersTableDataStore::create(): no woocommerce_new_order for drafts.
			if ( ! in_array( $this->get_status(), self::DRAFTS, true ) ) {
				do_action( 'woocommerce_new_order', $this->get_id(), $this );
			}
		} elseif ( null !== $previous && in_array( $previous, self::DRAFTS, true ) && ! in_array( $this->get_status(), self::DRAFTS, true ) ) {
			// OrdersTableDataStore::update(): leaving a draft status counts as the order's creation.
			do_action( 'woocommerce_new_order', $this->get_id(), $this );
		} else {
			do_action( 'woocommerce_update_order', $this->get_id(), $this );
		}
		$this->status_transition();
		return $this->get_id();
	}

	/**
	 * Mirrors WC_Order::status_transition(): woocommerce_order_status_{to}, then (with a from) the note,
	 * woocommerce_order_status_{from}_to_{to}, woocommerce_order_status_changed and payment_status_changed.
	 */
	protected function status_transition() {
		$transition              = $this->status_transition;
		$this->status_transition = false;
		if ( ! $transition ) {
			return;
		}
		do_action( 'woocommerce_order_status_' . $transition['to'], $this->get_id(), $this );
		if ( ! empty( $transition['from'] ) ) {
			$this->add_order_note( sprintf( 'Order status changed from %1$s to %2$s.', $transition['from'], $transition['to'] ) );
			do_action( 'woocommerce_order_status_' . $transition['from'] . '_to_' . $transition['to'], $this->get_id(), $this );
			do_action( 'woocommerce_order_status_changed', $this->get_id(), $transition['from'], $transition['to'], $this );
			if ( in_array( $transition['from'], array( 'pending', 'failed' ), true ) && in_array( $transition['to'], array( 'processing', 'completed' ), true ) ) {
				do_action( 'woocommerce_order_payment_status_changed', $this->get_id(), $this );
			}
		}
	}

	/**
	 * Mirrors add_order_note() (WooCommerce stores notes as comments; an option list here).
	 *
	 * @param string $note Note text.
	 */
	public function add_order_note( $note, $is_customer_note = 0, $added_by_user = false ) {
		// Like WooCommerce (WC_Order::add_order_note): one comment row of type order_note per note, so notes added
		// by concurrent requests (a checkout and the background runner) are all kept.
		return (int) wp_insert_comment(
			array(
				'comment_post_ID'  => $this->get_id(),
				'comment_author'   => 'WooCommerce',
				'comment_content'  => (string) $note,
				'comment_agent'    => 'WooCommerce',
				'comment_type'     => 'order_note',
				'comment_approved' => 1,
			)
		);
	}

	/** The order's notes, oldest first (as wc_get_order_notes() reads the order_note comments). */
	public static function notes_of( int $order_id ): array {
		$out = array();
		foreach ( get_comments( array( 'post_id' => $order_id, 'type' => 'order_note', 'orderby' => 'comment_ID', 'order' => 'ASC' ) ) as $c ) {
			$out[] = array( 'order_id' => $order_id, 'note' => $c->comment_content );
		}
		return $out;
	}
}

/**
 * Mirrors includes/class-wc-order-refund.php.
 */
class WC_Order_Refund extends WC_Abstract_Order {

	/** Mirrors get_type(). */
	public function get_type() {
		return 'shop_order_refund';
	}

	/** Mirrors get_amount(). */
	public function get_amount() {
		return (string) ( $this->data['amount'] ?? '0.00' );
	}

	/** Mirrors get_reason(). */
	public function get_reason() {
		return (string) ( $this->data['reason'] ?? '' );
	}

	/** Mirrors get_status(): refunds are always "completed". */
	public function get_status() {
		return 'completed';
	}

	/** Mirrors save() (no hooks of its own here; wc_create_refund() fires them). */
	public function save() {
		$this->persist();
		return $this->get_id();
	}
}
