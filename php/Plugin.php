<?php
/**
 * The one place that adds actions and filters. Every callback is named after its hook and lives in the class
 * that owns the concern. Nothing here decides or computes anything.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

use MlConnector\Admin\OrderColumn;
use MlConnector\Admin\OrderMetaBox;
use MlConnector\Admin\QueuePage;

defined( 'ABSPATH' ) || exit;

/**
 * Wires WordPress and WooCommerce hooks to the plugin's classes.
 */
final class Plugin {

	/**
	 * Called once from plugin.php. Only the HPOS declaration and the requirements gate run before plugins_loaded.
	 */
	public static function boot(): void {
		add_action( 'before_woocommerce_init', array( self::class, 'action_before_woocommerce_init' ) );
		add_action( 'plugins_loaded', array( self::class, 'action_plugins_loaded' ) );
		// Set-up and tear-down are symmetric: Scheduler::action_init() schedules again after re-activation.
		register_deactivation_hook( ML_CONNECTOR_FILE, array( Scheduler::class, 'unschedule_all' ) );
	}

	/**
	 * Declares compatibility with HPOS (WC docs/features/high-performance-order-storage/recipe-book.md).
	 */
	public static function action_before_woocommerce_init(): void {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', ML_CONNECTOR_FILE, true );
		}
	}

	/**
	 * Checks the requirements; when one is missing only the admin notice is registered and nothing else runs.
	 */
	public static function action_plugins_loaded(): void {
		load_plugin_textdomain( 'ml-connector', false, dirname( plugin_basename( ML_CONNECTOR_FILE ) ) . '/languages' );

		if ( array() !== Requirements::problems() ) {
			add_action( 'admin_notices', array( Requirements::class, 'action_admin_notices' ) );
			return;
		}
		self::register();
	}

	/**
	 * Every hook of the running plugin. Tear-down lives in uninstall.php and Scheduler::unschedule_all().
	 */
	private static function register(): void {
		// Settings: WooCommerce › Settings › Integration › ml-connector.
		add_filter( 'woocommerce_integrations', array( Integration::class, 'filter_woocommerce_integrations' ) );
		// The loopback runner (Scheduler::kick): no user, authenticated by the runner token.
		add_action( 'wp_ajax_nopriv_' . Scheduler::AJAX_RUN, array( Scheduler::class, 'action_wp_ajax_ml_connector_run' ) );
		add_action( 'wp_ajax_' . Scheduler::AJAX_RUN, array( Scheduler::class, 'action_wp_ajax_ml_connector_run' ) );
		add_action( 'admin_post_ml_connector_test_connection', array( Integration::class, 'action_admin_post_ml_connector_test_connection' ) );

		// Order, refund and customer events → the REST v3 JSON → the queue (NOTES §3.1 signatures).
		add_action( 'woocommerce_checkout_order_processed', array( OrderEvents::class, 'action_woocommerce_checkout_order_processed' ), 20, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( OrderEvents::class, 'action_woocommerce_store_api_checkout_order_processed' ), 20, 1 );
		add_action( 'woocommerce_order_status_changed', array( OrderEvents::class, 'action_woocommerce_order_status_changed' ), 20, 4 );
		add_action( 'woocommerce_new_order', array( OrderEvents::class, 'action_woocommerce_new_order' ), 20, 2 );
		add_action( 'woocommerce_order_refunded', array( OrderEvents::class, 'action_woocommerce_order_refunded' ), 20, 2 );
		add_action( 'woocommerce_created_customer', array( OrderEvents::class, 'action_woocommerce_created_customer' ), 20, 3 );
		add_action( 'woocommerce_update_customer', array( OrderEvents::class, 'action_woocommerce_update_customer' ), 20, 2 );
		add_action( 'shutdown', array( OrderEvents::class, 'action_shutdown' ), 5 );

		// Background sending: Action Scheduler, WP-Cron fallback, reconciliation sweep, batched timing.
		add_action( 'init', array( Scheduler::class, 'action_init' ) );
		add_filter( 'cron_schedules', array( Scheduler::class, 'filter_cron_schedules' ) );
		add_action( Scheduler::HOOK_DRAIN, array( Scheduler::class, 'action_ml_connector_drain' ) );
		add_action( Scheduler::HOOK_DRAIN_RECURRING, array( Scheduler::class, 'action_ml_connector_drain' ) );
		add_action( Scheduler::HOOK_CRON_DRAIN, array( Scheduler::class, 'action_ml_connector_cron_drain' ) );
		add_action( Scheduler::HOOK_BATCH, array( Scheduler::class, 'action_ml_connector_batch' ) );
		add_action( Scheduler::HOOK_RECONCILE, array( Scheduler::class, 'action_ml_connector_reconcile' ) );
		add_action( Notifier::HOOK_FAILURE_MAIL, array( Notifier::class, 'action_ml_connector_failure_mail' ) );
		add_action( 'woocommerce_update_options_integration_' . Integration::ID, array( Scheduler::class, 'reschedule' ), 30 );

		// Admin screens.
		add_action( 'admin_menu', array( QueuePage::class, 'action_admin_menu' ) );
		add_action( 'admin_menu', array( Admin\ReconciliationPage::class, 'action_admin_menu' ) );
		add_action( 'admin_post_' . Admin\ReconciliationPage::CSV_ACTION, array( Admin\ReconciliationPage::class, 'action_admin_post_ml_connector_reconciliation_csv' ) );
		add_action( 'admin_post_ml_connector_replay', array( QueuePage::class, 'action_admin_post_ml_connector_replay' ) );
		add_action( 'admin_post_ml_connector_replay_failed', array( QueuePage::class, 'action_admin_post_ml_connector_replay_failed' ) );
		add_action( 'admin_post_ml_connector_move_queue', array( QueuePage::class, 'action_admin_post_ml_connector_move_queue' ) );
		add_action( 'admin_notices', array( Notifier::class, 'action_admin_notices' ) );
		add_action( 'admin_init', array( Core::class, 'action_admin_init' ) );
		add_action( 'admin_notices', array( Core::class, 'action_admin_notices' ) );
		add_filter( 'manage_woocommerce_page_wc-orders_columns', array( OrderColumn::class, 'filter_columns' ) );
		add_action( 'manage_woocommerce_page_wc-orders_custom_column', array( OrderColumn::class, 'action_manage_woocommerce_page_wc_orders_custom_column' ), 10, 2 );
		add_filter( 'manage_edit-shop_order_columns', array( OrderColumn::class, 'filter_columns' ) );
		add_action( 'manage_shop_order_posts_custom_column', array( OrderColumn::class, 'action_manage_shop_order_posts_custom_column' ), 10, 2 );
		add_action( 'add_meta_boxes', array( OrderMetaBox::class, 'action_add_meta_boxes' ) );
		add_action( 'admin_post_ml_connector_send_again', array( OrderMetaBox::class, 'action_admin_post_ml_connector_send_again' ) );
		add_filter( 'site_status_tests', array( SiteHealth::class, 'filter_site_status_tests' ) );

		if ( defined( 'WP_CLI' ) && WP_CLI && class_exists( \WP_CLI::class ) ) {
			\WP_CLI::add_command( 'ml-connector', Cli::class );
		}
	}
}
