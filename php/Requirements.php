<?php
/**
 * The requirements gate: PHP 8.2+, WooCommerce active, the ml_connector extension loaded with the version this
 * plugin was built for. When one fails, an admin notice says exactly what to do and nothing else runs.
 * Never throws and never calls an ml_connector_* function other than ml_connector_version().
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Checks what the plugin needs before any other class runs.
 */
final class Requirements {

	public const MIN_PHP = '8.2.0';

	/**
	 * The problems on this server, empty when all is well.
	 *
	 * @return list<string> Plain-text sentences, one per problem (escaped when printed).
	 */
	public static function problems(): array {
		$extension_version = null;
		// The exported functions are the contract (PHP-API.md), so they are what is checked, not the module name.
		if ( function_exists( 'ml_connector_version' ) ) {
			try {
				$extension_version = (string) \ml_connector_version();
			} catch ( \Throwable $e ) {
				$extension_version = '';
			}
		}
		return self::evaluate(
			PHP_VERSION,
			class_exists( 'WooCommerce' ) || function_exists( 'WC' ),
			$extension_version,
			ML_CONNECTOR_VERSION,
			php_ini_loaded_file() ? (string) php_ini_loaded_file() : '',
			PHP_SAPI
		);
	}

	/**
	 * Pure decision, so every branch is testable without changing the server.
	 *
	 * @param string      $php_version       PHP_VERSION.
	 * @param bool        $woocommerce       Whether WooCommerce is active.
	 * @param string|null $extension_version ml_connector_version(), null when the extension is not loaded.
	 * @param string      $expected_version  The plugin's version (they ship together).
	 * @param string      $ini_file          php_ini_loaded_file(), to name where the line goes.
	 * @param string      $sapi              PHP_SAPI, to name the service to restart.
	 * @return list<string>
	 */
	public static function evaluate( string $php_version, bool $woocommerce, ?string $extension_version, string $expected_version, string $ini_file, string $sapi ): array {
		$problems = array();
		if ( version_compare( $php_version, self::MIN_PHP, '<' ) ) {
			$problems[] = sprintf(
				/* translators: 1: required PHP version, 2: running PHP version */
				__( 'ml-connector needs PHP %1$s or newer; this site runs PHP %2$s. Ask your host to switch the site to PHP 8.2.', 'ml-connector' ),
				self::MIN_PHP,
				$php_version
			);
		}
		if ( ! $woocommerce ) {
			$problems[] = __( 'ml-connector needs WooCommerce. Install and activate WooCommerce under Plugins.', 'ml-connector' );
		}
		// Translated only when needed: this runs on plugins_loaded, and translating before init makes WordPress 6.7+
		// log "translation loading was triggered too early" on every request (issue #13 item 7, the real shop).
		if ( null === $extension_version ) {
			$restart    = self::restart_hint( $sapi, $php_version );
			$problems[] = sprintf(
				/* translators: 1: php.ini file path, 2: restart instruction */
				__( 'The ml_connector PHP extension is not loaded. Copy ml_connector.so into the directory shown by "php-config --extension-dir", add the line "extension=ml_connector" to %1$s (on Debian/Ubuntu: create /etc/php/8.2/mods-available/ml_connector.ini with that line and run "phpenmod ml_connector"), then %2$s.', 'ml-connector' ),
				'' !== $ini_file ? $ini_file : 'php.ini',
				$restart
			);
		} elseif ( $extension_version !== $expected_version ) {
			$restart    = self::restart_hint( $sapi, $php_version );
			$problems[] = sprintf(
				/* translators: 1: extension version, 2: plugin version, 3: restart instruction */
				__( 'The ml_connector PHP extension is version "%1$s" but this plugin needs version %2$s. Install the ml_connector.so from the same release as the plugin, then %3$s.', 'ml-connector' ),
				$extension_version,
				$expected_version,
				$restart
			);
		}
		return $problems;
	}

	/**
	 * Prints the notice on every admin screen for users who can act on it.
	 */
	public static function action_admin_notices(): void {
		if ( ! current_user_can( 'activate_plugins' ) && ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$problems = self::problems();
		if ( array() === $problems ) {
			return;
		}
		echo '<div class="notice notice-error" id="ml-connector-requirements"><p><strong>'
			. esc_html__( 'ml-connector is not running:', 'ml-connector' ) . '</strong></p><ul>';
		foreach ( $problems as $problem ) {
			echo '<li>' . esc_html( $problem ) . '</li>';
		}
		echo '</ul></div>';
	}

	/**
	 * What to restart so PHP reads the new ini line.
	 *
	 * @param string $sapi        PHP_SAPI.
	 * @param string $php_version PHP_VERSION.
	 */
	private static function restart_hint( string $sapi, string $php_version ): string {
		$minor = implode( '.', array_slice( explode( '.', $php_version ), 0, 2 ) );
		if ( 'fpm-fcgi' === $sapi ) {
			/* translators: %s: PHP minor version such as 8.2 */
			return sprintf( __( 'restart PHP-FPM (for example "systemctl restart php%s-fpm")', 'ml-connector' ), $minor );
		}
		if ( 'apache2handler' === $sapi ) {
			return __( 'restart Apache (for example "systemctl restart apache2")', 'ml-connector' );
		}
		return __( 'restart the PHP process that serves this site (PHP-FPM or the web server)', 'ml-connector' );
	}
}
