<?php
/**
 * Installs WordPress through its own wp_install() (Debian has no WP-CLI package), activates the WooCommerce
 * stand-in and ml-connector, creates the test users (administrator, shop manager, subscriber, customer) and
 * pretty permalinks for /wp-json. Idempotent. Usage: php install.php <wordpress dir> <site url>
 */

declare(strict_types=1);

[ , $wp_dir, $url ] = $argv + array( '', '', '' );
$parts              = parse_url( $url );
$_SERVER['HTTP_HOST']   = $parts['host'] . ':' . $parts['port'];
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
define( 'WP_INSTALLING', ! file_exists( $wp_dir . '/.ml-connector-installed' ) );
require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( ! is_blog_installed() ) {
	$result = wp_install( 'ml-connector test shop', 'admin', 'admin@example.test', false, '', 'admin-password' );
	echo "install: WordPress installed\n";
}
touch( $wp_dir . '/.ml-connector-installed' );
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'timezone_string', 'Europe/Oslo' );
// The real shop's WooCommerce › Settings › General (its store address is in Norway, prices in NOK).
update_option( 'woocommerce_default_country', 'NO:03' );
update_option( 'woocommerce_currency', 'NOK' );
flush_rewrite_rules( false );

foreach ( array( 'woocommerce/woocommerce.php', 'ml-connector/plugin.php' ) as $plugin ) {
	if ( ! is_plugin_active( $plugin ) ) {
		$error = activate_plugin( $plugin );
		if ( is_wp_error( $error ) ) {
			fwrite( STDERR, "install: cannot activate $plugin: " . $error->get_error_message() . "\n" );
			exit( 1 );
		}
		echo "install: activated $plugin\n";
	}
}
// A database kept from an earlier run already lists the plugins as active, but WP_INSTALLING skipped loading them.
if ( ! class_exists( 'WC_Standin_Install' ) ) {
	require_once WP_PLUGIN_DIR . '/woocommerce/woocommerce.php';
}
WC_Standin_Install::install();

$users = array(
	'manager'    => 'shop_manager',
	'subscriber' => 'subscriber',
	'customer1'  => 'customer',
);
foreach ( $users as $login => $role ) {
	if ( ! get_user_by( 'login', $login ) ) {
		wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => $login . '-password',
				'user_email' => $login . '@example.test',
				'role'       => $role,
				'first_name' => ucfirst( $login ),
				'last_name'  => 'Test',
			)
		);
	}
}
echo "install: done\n";
