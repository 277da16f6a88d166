<?php
/**
 * The settings page's Test connection button: an admin-post action (capability + nonce) that calls
 * ml_connector_test_connection() through Core, keeps the result for the user for a minute and shows it.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Test connection: button, handler, result.
 */
final class TestConnection {

	public const ACTION = 'ml_connector_test_connection';

	/**
	 * Runs the test and redirects back to the settings page.
	 */
	public static function handle(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to test the ml-connector connection.', 'ml-connector' ), 403 );
		}
		check_admin_referer( self::ACTION );

		$result = Core::test_connection();
		$stored = is_wp_error( $result )
			? array(
				'ok'    => false,
				'error' => $result->get_error_message(),
			)
			: $result;
		set_transient( self::transient_key(), $stored, MINUTE_IN_SECONDS );
		wp_safe_redirect( self::settings_url() );
		exit;
	}

	/**
	 * The button (a nonce'd link: the settings page is already one form) and the last result.
	 */
	public static function render_button_and_result(): void {
		$url = wp_nonce_url( admin_url( 'admin-post.php?action=' . self::ACTION ), self::ACTION );
		echo '<p><a class="button" id="ml-connector-test-connection" href="' . esc_url( $url ) . '">'
			. esc_html__( 'Test connection', 'ml-connector' ) . '</a></p>';

		$result = get_transient( self::transient_key() );
		if ( ! is_array( $result ) ) {
			return;
		}
		delete_transient( self::transient_key() );
		if ( ! empty( $result['ok'] ) ) {
			$message = sprintf(
				/* translators: 1: company name, 2: number of GL accounts, 3: number of VAT categories */
				__( 'Connected to %1$s: %2$d accounts and %3$d VAT categories found.', 'ml-connector' ),
				is_scalar( $result['company'] ?? null ) ? (string) $result['company'] : '?',
				(int) ( $result['accounts'] ?? 0 ),
				(int) ( $result['vat_categories'] ?? 0 )
			);
			echo '<div class="notice notice-success inline" id="ml-connector-test-result"><p>' . esc_html( $message ) . '</p></div>';
			// Issue #14: every configured id the company does not have, with the setting that holds it.
			$unknown = array_filter( (array) ( $result['unknown_ids'] ?? array() ), 'is_array' );
			if ( $unknown ) {
				echo '<div class="notice notice-warning inline" id="ml-connector-unknown-ids"><p>'
					. esc_html__( 'These settings name ids your Visma.net company does not have; orders that need them will fail until you choose others:', 'ml-connector' )
					. '</p><ul>';
				foreach ( $unknown as $row ) {
					echo '<li>' . esc_html( (string) ( $row['message'] ?? '' ) ) . '</li>';
				}
				echo '</ul></div>';
			}
			return;
		}
		$message = sprintf(
			/* translators: %s: the reason the connection failed */
			__( 'Connection failed: %s', 'ml-connector' ),
			is_scalar( $result['error'] ?? null ) ? (string) $result['error'] : __( 'unknown error', 'ml-connector' )
		);
		echo '<div class="notice notice-error inline" id="ml-connector-test-result"><p>' . esc_html( $message ) . '</p></div>';
	}

	/**
	 * The settings tab of this integration.
	 */
	public static function settings_url(): string {
		return admin_url( 'admin.php?page=wc-settings&tab=integration&section=' . Integration::ID );
	}

	/**
	 * Per-user transient, so two managers do not see each other's results.
	 */
	private static function transient_key(): string {
		return 'ml_connector_test_' . get_current_user_id();
	}
}
