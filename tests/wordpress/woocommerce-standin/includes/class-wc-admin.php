<?php
/**
 * The admin screens ml-connector hooks into:
 * - menus of includes/admin/class-wc-admin-menus.php: top-level "woocommerce", "wc-orders" (HPOS list, edit
 *   screen) and "wc-settings" (capability manage_woocommerce);
 * - saving of WC_Admin_Menus::save_settings() on wp_loaded → WC_Admin_Settings::save()
 *   (includes/admin/class-wc-admin-settings.php: check_admin_referer( 'woocommerce-settings' ), then
 *   woocommerce_update_options_{tab}, and WC_Settings_Page::save() → woocommerce_update_options_{tab}_{section});
 * - the HPOS order list columns (src/Internal/Admin/Orders/ListTable.php: manage_{screen}_columns and
 *   manage_{screen}_custom_column( $column, $order )) and the edit screen's add_meta_boxes( $screen_id, $order )
 *   (src/Internal/Admin/Orders/Edit.php).
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Admin stand-in.
 */
final class WC_Standin_Admin {

	public const ORDERS_SCREEN = 'woocommerce_page_wc-orders';

	/** Registers the admin hooks. */
	public static function hooks(): void {
		add_action( 'admin_menu', array( self::class, 'admin_menu' ), 9 );
		add_action( 'wp_loaded', array( self::class, 'save_settings' ) );
	}

	/** Mirrors WC_Admin_Menus::admin_menu(), orders_menu(), settings_menu(). */
	public static function admin_menu(): void {
		add_menu_page( 'WooCommerce', 'WooCommerce', 'edit_others_shop_orders', 'woocommerce', array( self::class, 'orders_page' ), '', '55.5' );
		add_submenu_page( 'woocommerce', 'Orders', 'Orders', 'edit_others_shop_orders', 'wc-orders', array( self::class, 'orders_page' ) );
		add_submenu_page( 'woocommerce', 'WooCommerce settings', 'Settings', 'manage_woocommerce', 'wc-settings', array( self::class, 'settings_page' ) );
	}

	/** Mirrors WC_Admin_Menus::save_settings() + WC_Admin_Settings::save() for the integration tab. */
	public static function save_settings(): void {
		// phpcs:disable WordPress.Security.NonceVerification
		if ( ! is_admin() || ! isset( $_GET['page'] ) || 'wc-settings' !== $_GET['page'] || empty( $_POST['save'] ) ) {
			return;
		}
		$tab     = empty( $_GET['tab'] ) ? 'general' : sanitize_title( wp_unslash( $_GET['tab'] ) );
		$section = empty( $_REQUEST['section'] ) ? '' : sanitize_title( wp_unslash( $_REQUEST['section'] ) );
		// phpcs:enable
		check_admin_referer( 'woocommerce-settings' );
		do_action( 'woocommerce_settings_save_' . $tab );
		do_action( 'woocommerce_update_options_' . $tab );
		if ( '' !== $section ) {
			do_action( 'woocommerce_update_options_' . $tab . '_' . $section );
		}
		do_action( 'woocommerce_update_options' );
		do_action( 'woocommerce_settings_saved' );
	}

	/** Mirrors html-admin-settings.php for tab=integration: the form, nonce and the section's admin_options(). */
	public static function settings_page(): void {
		$section      = isset( $_GET['section'] ) ? sanitize_title( wp_unslash( $_GET['section'] ) ) : ''; // phpcs:ignore
		$integrations = WC()->integrations ? WC()->integrations->get_integrations() : array();
		echo '<div class="wrap woocommerce"><form method="post" id="mainform" action="" enctype="multipart/form-data">';
		if ( isset( $integrations[ $section ] ) ) {
			$integrations[ $section ]->admin_options();
		} else {
			foreach ( $integrations as $id => $integration ) {
				echo '<p><a href="' . esc_url( admin_url( 'admin.php?page=wc-settings&tab=integration&section=' . $id ) ) . '">' . esc_html( $integration->get_method_title() ) . '</a></p>';
			}
		}
		echo '<p class="submit"><button name="save" class="button-primary woocommerce-save-button" type="submit" value="Save changes">Save changes</button>';
		wp_nonce_field( 'woocommerce-settings' );
		echo '</p></form></div>';
	}

	/** Mirrors the HPOS orders page: the list (ListTable) or, with action=edit, the edit screen's meta boxes. */
	public static function orders_page(): void {
		// phpcs:disable WordPress.Security.NonceVerification
		if ( isset( $_GET['action'], $_GET['id'] ) && 'edit' === $_GET['action'] ) {
			$order = wc_get_order( absint( $_GET['id'] ) );
			if ( ! $order instanceof WC_Order ) {
				wp_die( 'Invalid order.' );
			}
			// Edit.php: add_meta_boxes( $screen_id, $order ), then the side boxes.
			do_action( 'add_meta_boxes', self::ORDERS_SCREEN, $order );
			do_action( 'add_meta_boxes_' . self::ORDERS_SCREEN, $order );
			echo '<div class="wrap"><h1>Edit order #' . esc_html( (string) $order->get_id() ) . '</h1><div id="postbox-container-1">';
			do_meta_boxes( self::ORDERS_SCREEN, 'side', $order );
			echo '</div></div>';
			return;
		}
		// phpcs:enable
		$columns = apply_filters(
			'manage_' . self::ORDERS_SCREEN . '_columns',
			array(
				'order_number' => 'Order',
				'order_date'   => 'Date',
				'order_status' => 'Status',
				'order_total'  => 'Total',
			)
		);
		echo '<div class="wrap"><h1>Orders</h1><table class="wp-list-table widefat fixed striped table-view-list orders"><thead><tr>';
		foreach ( $columns as $id => $label ) {
			echo '<th class="manage-column column-' . esc_attr( $id ) . '">' . esc_html( $label ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( wc_get_orders( array( 'limit' => 50, 'orderby' => 'ID', 'order' => 'DESC' ) ) as $order ) {
			echo '<tr id="order-' . esc_attr( (string) $order->get_id() ) . '">';
			foreach ( array_keys( $columns ) as $id ) {
				echo '<td class="column-' . esc_attr( $id ) . '">';
				if ( 'order_number' === $id ) {
					echo '<a href="' . esc_url( $order->get_edit_order_url() ) . '">#' . esc_html( (string) $order->get_id() ) . '</a>';
				} elseif ( 'order_status' === $id ) {
					echo esc_html( $order->get_status() );
				} elseif ( 'order_total' === $id ) {
					echo esc_html( $order->get_total() );
				} elseif ( 'order_date' === $id ) {
					echo esc_html( wp_date( 'Y-m-d H:i', $order->get_date_created() ) );
				} else {
					do_action( 'manage_' . self::ORDERS_SCREEN . '_custom_column', $id, $order );
				}
				echo '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table></div>';
	}
}
