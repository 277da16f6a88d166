<?php
/**
 * Plugin Name:       ML Connector for Visma.net
 * Description:       Sends WooCommerce orders and customers to Visma.net ERP, exactly once, through the ml_connector PHP extension.
 * Version:           0.1.0
 * Requires at least: 6.5
 * Requires PHP:      8.2
 * Requires Plugins:  woocommerce
 * Author:            ml-connector
 * License:           GPL-2.0-or-later
 * Text Domain:       ml-connector
 *
 * @package MlConnector
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

const ML_CONNECTOR_VERSION = '0.1.0';
const ML_CONNECTOR_FILE    = __FILE__;
define( 'ML_CONNECTOR_DIR', __DIR__ );

require_once __DIR__ . '/php/autoload.php';

// Without the extension nothing can run: say so to the people who can fix it, and stop quietly.
if ( ! extension_loaded( 'ml_connector' ) || ML_CONNECTOR_VERSION !== ml_connector_version() ) {
	add_action(
		'admin_notices',
		static function (): void {
			if ( ! current_user_can( 'activate_plugins' ) ) {
				return;
			}
			printf(
				'<div class="notice notice-error"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: %s: the extension version the plugin expects. */
						__( 'ML Connector needs the ml_connector PHP extension, version %s. Install it and restart PHP-FPM; see the README.', 'ml-connector' ),
						ML_CONNECTOR_VERSION
					)
				)
			);
		}
	);
	return;
}
