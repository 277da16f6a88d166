<?php
/**
 * Plugin Name: WooCommerce (ml-connector test stand-in)
 * Description: TEST ONLY, never shipped. Implements only what ml-connector touches, mirroring WooCommerce 9.9.
 * Version:     9.9.5
 * Requires PHP: 8.2
 *
 * Installed as wp-content/plugins/woocommerce/woocommerce.php so "Requires Plugins: woocommerce" resolves.
 * Every class and function cites the WooCommerce source file (woocommerce/woocommerce, plugins/woocommerce/…)
 * whose behaviour it mirrors. Orders live in one table (like HPOS: orders and refunds share one id sequence).
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

// Mirrors woocommerce.php: WC_PLUGIN_FILE and the version constant.
define( 'WC_PLUGIN_FILE', __FILE__ );
define( 'WC_VERSION', '9.9.5' );

require_once __DIR__ . '/includes/class-wc-data.php';
require_once __DIR__ . '/includes/class-wc-order.php';
require_once __DIR__ . '/includes/class-wc-customer.php';
require_once __DIR__ . '/includes/wc-core-functions.php';
require_once __DIR__ . '/includes/class-wc-settings-api.php';
require_once __DIR__ . '/includes/class-wc-rest-controllers.php';
require_once __DIR__ . '/includes/action-scheduler.php';
require_once __DIR__ . '/includes/class-features-util.php';
require_once __DIR__ . '/includes/class-wc-checkout.php';
require_once __DIR__ . '/includes/class-wc-admin.php';

/**
 * Mirrors includes/class-woocommerce.php (the main class): init on `init` priority 0 fires
 * before_woocommerce_init, loads integrations, then fires woocommerce_init.
 */
final class WooCommerce {

	/** @var WooCommerce|null */
	private static ?WooCommerce $instance = null;

	/** @var WC_Integrations|null Mirrors WooCommerce::$integrations. */
	public $integrations = null;

	/** @var WC_Payment_Gateways|null */
	private $gateways = null;

	/** Mirrors WooCommerce::instance(). */
	public static function instance(): self {
		if ( null === self::$instance ) {
			self::$instance = new self();
			add_action( 'init', array( self::$instance, 'init' ), 0 );
		}
		return self::$instance;
	}

	/** Mirrors WooCommerce::init(). */
	public function init(): void {
		do_action( 'before_woocommerce_init' );
		$this->integrations = new WC_Integrations();
		do_action( 'woocommerce_init' );
	}

	/** Mirrors WooCommerce::payment_gateways() (includes/class-wc-payment-gateways.php). */
	public function payment_gateways(): WC_Payment_Gateways {
		if ( null === $this->gateways ) {
			$this->gateways = new WC_Payment_Gateways();
		}
		return $this->gateways;
	}

	/** Mirrors WooCommerce::queue() returning WC_Action_Queue (includes/queue/class-wc-action-queue.php); unused here. */
	public function version(): string {
		return WC_VERSION;
	}
}

/**
 * Mirrors WC() in woocommerce.php.
 */
function WC(): WooCommerce { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName
	return WooCommerce::instance();
}

WC();

register_activation_hook( __FILE__, array( 'WC_Standin_Install', 'install' ) );
add_action( 'plugins_loaded', array( 'WC_Standin_Install', 'maybe_install' ), 0 );
add_action( 'rest_api_init', array( 'WC_REST_Standin_Controllers', 'register_routes' ) );
add_action( 'action_scheduler_run_queue', 'wc_standin_as_run_due' );
WC_Standin_Admin::hooks();
