<?php
/**
 * Runs when the merchant deletes the plugin: removes the options and scheduled actions, and the queue, audit and
 * encrypted secret only when "Also delete the queue, audit log and stored secret" was ticked: the data directory's
 * files (with the SQLite copies earlier moves set aside) and the tables {base_prefix}mlc_* of a queue kept in the
 * WordPress database (issue #16).
 * Plain functions only: the plugin is not booted here and WooCommerce may already be inactive.
 *
 * @package MlConnector
 */

declare(strict_types=1);

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

$ml_connector_settings = get_option( 'ml_connector_settings', array() );
$ml_connector_delete   = is_array( $ml_connector_settings ) && 'yes' === ( $ml_connector_settings['delete_data_on_uninstall'] ?? 'no' );

/** The folder chosen on first use (php/Core.php data_dir()), read before the options go. */
$ml_connector_chosen = (string) get_option( 'ml_connector_data_dir', '' );
foreach ( array( 'ml_connector_runner_token', 'ml_connector_data_dir', 'ml_connector_pause_mailed', 'ml_connector_settings', 'ml_connector_scheduled_for', 'ml_connector_last_sweep', 'ml_connector_failure_digest', 'ml_connector_secret_version' ) as $ml_connector_option ) {
	delete_option( $ml_connector_option );
}

if ( function_exists( 'as_unschedule_all_actions' ) ) {
	foreach ( array( 'ml_connector_drain', 'ml_connector_drain_recurring', 'ml_connector_batch', 'ml_connector_reconcile', 'ml_connector_failure_mail' ) as $ml_connector_hook ) {
		as_unschedule_all_actions( $ml_connector_hook, array(), 'ml-connector' );
	}
}
wp_clear_scheduled_hook( 'ml_connector_cron_drain' );

if ( $ml_connector_delete ) {
	/** This filter is documented in php/Core.php */
	$ml_connector_dir = untrailingslashit( (string) apply_filters( 'ml_connector_data_dir', '' !== $ml_connector_chosen ? $ml_connector_chosen : WP_CONTENT_DIR . '/ml-connector-data' ) );
	// Only the files the plugin and the extension create; anything else the merchant put there stays. A move of
	// the queue sets the file it left aside as ml-connector.sqlite.moved-* (with its -wal/-shm), never deleting it.
	$ml_connector_files = array( 'ml-connector.sqlite', 'ml-connector.sqlite-wal', 'ml-connector.sqlite-shm', 'index.php', '.htaccess' );
	foreach ( glob( $ml_connector_dir . '/ml-connector.sqlite.moved-*' ) ?: array() as $ml_connector_moved ) {
		$ml_connector_files[] = basename( $ml_connector_moved );
	}
	foreach ( $ml_connector_files as $ml_connector_file ) {
		if ( is_file( $ml_connector_dir . '/' . $ml_connector_file ) ) {
			wp_delete_file( $ml_connector_dir . '/' . $ml_connector_file );
		}
	}
	if ( is_dir( $ml_connector_dir ) ) {
		@rmdir( $ml_connector_dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- fails harmlessly when not empty.
	}

	// The queue in the WordPress database (php/QueueStorage.php table_prefix()), whether it is there now or was
	// moved back: every {base_prefix}mlc_* table. DROP TABLE also drops the audit table's append-only triggers;
	// foreign key checks are off so the order of the drops does not matter.
	global $wpdb;
	$ml_connector_tables = (array) $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->base_prefix . 'mlc_' ) . '%' ) );
	if ( array() !== $ml_connector_tables ) {
		$wpdb->query( 'SET FOREIGN_KEY_CHECKS = 0' );
		foreach ( $ml_connector_tables as $ml_connector_table ) {
			$wpdb->query( 'DROP TABLE IF EXISTS `' . str_replace( '`', '``', (string) $ml_connector_table ) . '`' ); // phpcs:ignore WordPress.DB.PreparedSQL,WordPress.DB.DirectDatabaseQuery.SchemaChange -- names read from SHOW TABLES.
		}
		$wpdb->query( 'SET FOREIGN_KEY_CHECKS = 1' );
	}
}
