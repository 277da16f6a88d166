<?php
/**
 * Mirrors includes/abstracts/abstract-wc-data.php (WC_Data): id, meta data, save. And the install step of
 * includes/class-wc-install.php::create_roles() (shop_manager with manage_woocommerce) plus a table standing in
 * for the HPOS wc_orders table (src/Internal/DataStores/Orders/OrdersTableDataStore.php).
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Mirrors WC_Data: props, meta, get_id().
 */
abstract class WC_Data {

	/** @var int */
	protected $id = 0;

	/** @var array<string,mixed> Props in REST field names. */
	protected $data = array();

	/** @var array<int,array{id:int,key:string,value:mixed}> */
	protected $meta_data = array();

	/** Mirrors WC_Data::get_id(). */
	public function get_id() {
		return $this->id;
	}

	/** Mirrors WC_Data::get_meta( $key, $single ). */
	public function get_meta( $key = '', $single = true, $context = 'view' ) {
		$values = array();
		foreach ( $this->meta_data as $meta ) {
			if ( $meta['key'] === $key ) {
				$values[] = $meta['value'];
			}
		}
		if ( $single ) {
			return $values[0] ?? '';
		}
		return $values;
	}

	/** Mirrors WC_Data::update_meta_data(). */
	public function update_meta_data( $key, $value, $meta_id = 0 ) {
		foreach ( $this->meta_data as $i => $meta ) {
			if ( $meta['key'] === $key ) {
				$this->meta_data[ $i ]['value'] = $value;
				return;
			}
		}
		$this->add_meta_data( $key, $value );
	}

	/** Mirrors WC_Data::add_meta_data(). */
	public function add_meta_data( $key, $value, $unique = false ) {
		$this->meta_data[] = array(
			'id'    => (int) get_option( 'wc_standin_meta_seq', 100 ) + count( $this->meta_data ) + 1,
			'key'   => $key,
			'value' => $value,
		);
	}

	/** Mirrors WC_Data::get_meta_data(). */
	public function get_meta_data() {
		return $this->meta_data;
	}

	/** Mirrors WC_Data::get_data() (props only). */
	public function get_data() {
		return array( 'id' => $this->id ) + $this->data;
	}
}

/**
 * Install: roles/caps like includes/class-wc-install.php::create_roles()/get_core_capabilities(), and the table.
 */
final class WC_Standin_Install {

	/** Runs once per version. */
	public static function maybe_install(): void {
		if ( get_option( 'wc_standin_db_version' ) !== WC_VERSION ) {
			self::install();
		}
	}

	/** Mirrors WC_Install::install(): tables and roles. */
	public static function install(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$charset = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$wpdb->prefix}wc_standin_orders (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  type varchar(20) NOT NULL,
  parent_id bigint(20) unsigned NOT NULL DEFAULT 0,
  status varchar(20) NOT NULL,
  customer_id bigint(20) unsigned NOT NULL DEFAULT 0,
  date_created_gmt datetime NOT NULL,
  date_updated_gmt datetime NOT NULL,
  data longtext NOT NULL,
  PRIMARY KEY  (id),
  KEY type_status (type,status),
  KEY date_updated (date_updated_gmt)
) $charset;"
		);
		// Mirrors WC_Install::create_roles(): shop_manager, customer, and the core caps on administrator.
		$caps = array( 'manage_woocommerce', 'view_woocommerce_reports', 'edit_shop_orders', 'edit_others_shop_orders', 'read_private_shop_orders', 'read_shop_order', 'edit_shop_order' );
		if ( ! get_role( 'customer' ) ) {
			add_role( 'customer', 'Customer', array( 'read' => true ) );
		}
		if ( ! get_role( 'shop_manager' ) ) {
			add_role(
				'shop_manager',
				'Shop manager',
				array(
					'read'         => true,
					'list_users'   => true,
					'edit_users'   => true,
					'edit_posts'   => true,
					'upload_files' => true,
				)
			);
		}
		foreach ( array( 'administrator', 'shop_manager' ) as $role_name ) {
			$role = get_role( $role_name );
			foreach ( $caps as $cap ) {
				$role->add_cap( $cap );
			}
		}
		update_option( 'wc_standin_db_version', WC_VERSION );
	}
}
