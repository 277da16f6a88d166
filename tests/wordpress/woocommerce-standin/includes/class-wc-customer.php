<?php
/**
 * Mirrors includes/class-wc-customer.php (WC_Customer getters for the REST v3 customer) and
 * includes/data-stores/class-wc-customer-data-store.php (save(): woocommerce_new_customer on create,
 * woocommerce_update_customer( $id, $customer ) on update). Data lives in the WP user and user meta
 * billing_* / shipping_*, as in WooCommerce.
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Mirrors WC_Customer.
 */
class WC_Customer extends WC_Data {

	public const ADDRESS_FIELDS = array( 'first_name', 'last_name', 'company', 'address_1', 'address_2', 'city', 'postcode', 'country', 'state' );

	/** @var array<string,string> */
	private array $billing = array();

	/** @var array<string,string> */
	private array $shipping = array();

	/**
	 * Mirrors WC_Customer::__construct( $customer_id ): reads the user.
	 *
	 * @param int $customer_id User id.
	 */
	public function __construct( $customer_id = 0 ) {
		$this->id = (int) $customer_id;
		if ( $this->id > 0 ) {
			foreach ( array_merge( self::ADDRESS_FIELDS, array( 'email', 'phone' ) ) as $field ) {
				$this->billing[ $field ] = (string) get_user_meta( $this->id, 'billing_' . $field, true );
			}
			foreach ( array_merge( self::ADDRESS_FIELDS, array( 'phone' ) ) as $field ) {
				$this->shipping[ $field ] = (string) get_user_meta( $this->id, 'shipping_' . $field, true );
			}
		}
	}

	/** Mirrors get_email(). */
	public function get_email() {
		$user = get_userdata( $this->id );
		return $user ? $user->user_email : '';
	}

	/** Mirrors get_billing(). */
	public function get_billing() {
		return $this->billing;
	}

	/** Mirrors get_shipping(). */
	public function get_shipping() {
		return $this->shipping;
	}

	/** Mirrors set_billing_* setters (one generic setter here). */
	public function set_billing( array $address ): void {
		$this->billing = array_merge( $this->billing, array_map( 'strval', $address ) );
	}

	/** Mirrors set_shipping_* setters. */
	public function set_shipping( array $address ): void {
		$this->shipping = array_merge( $this->shipping, array_map( 'strval', $address ) );
	}

	/** Mirrors WC_Customer_Data_Store::update(): meta, last_update, then woocommerce_update_customer. */
	public function save() {
		foreach ( $this->billing as $key => $value ) {
			update_user_meta( $this->id, 'billing_' . $key, $value );
		}
		foreach ( $this->shipping as $key => $value ) {
			update_user_meta( $this->id, 'shipping_' . $key, $value );
		}
		update_user_meta( $this->id, 'last_update', time() );
		do_action( 'woocommerce_update_customer', $this->id, $this );
		return $this->id;
	}
}
