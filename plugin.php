<?php
/**
 * Plugin Name:       ml-connector for WooCommerce and Visma.net
 * Plugin URI:        https://github.com/ml-connector/ml-connector
 * Description:       Sends WooCommerce orders, refunds and customers to Visma.net ERP through the ml_connector PHP extension.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Requires Plugins:  woocommerce
 * WC requires at least: 8.0
 * Author:            ml-connector
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       ml-connector
 * Domain Path:       /languages
 *
 * The bootstrap only: constants, the autoloader and Plugin::boot(). Hooks live in php/Plugin.php,
 * calls into the extension in php/Core.php. No logic here.
 *
 * @package MlConnector
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

// The plugin and the ml_connector extension ship together; Requirements compares this with ml_connector_version().
define( 'ML_CONNECTOR_VERSION', '0.1.0' );
define( 'ML_CONNECTOR_FILE', __FILE__ );
define( 'ML_CONNECTOR_DIR', __DIR__ );

require_once __DIR__ . '/php/autoload.php';

// HPOS (custom_order_tables) compatibility is declared in Plugin::boot() on before_woocommerce_init with
// ML_CONNECTOR_FILE, so this file keeps no hooks (STYLE §6: Plugin.php is the one place with add_action).
\MlConnector\Plugin::boot();
