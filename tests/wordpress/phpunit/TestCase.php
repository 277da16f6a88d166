<?php
/**
 * Shared helpers: test users, orders created without the plugin's hooks (so one hook can be fired alone), job
 * lookups through ml_connector_jobs(), and needs() which names the extension function a test depends on.
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\OrderEvents;

/**
 * Base class.
 */
abstract class TestCase extends \PHPUnit\Framework\TestCase {

	/** The plugin's hook callbacks (php/Plugin.php), removed while a fixture is built. */
	private const PLUGIN_HOOKS = array(
		array( 'woocommerce_checkout_order_processed', 'action_woocommerce_checkout_order_processed', 20 ),
		array( 'woocommerce_store_api_checkout_order_processed', 'action_woocommerce_store_api_checkout_order_processed', 20 ),
		array( 'woocommerce_order_status_changed', 'action_woocommerce_order_status_changed', 20 ),
		array( 'woocommerce_new_order', 'action_woocommerce_new_order', 20 ),
		array( 'woocommerce_order_refunded', 'action_woocommerce_order_refunded', 20 ),
		array( 'woocommerce_created_customer', 'action_woocommerce_created_customer', 20 ),
		array( 'woocommerce_update_customer', 'action_woocommerce_update_customer', 20 ),
	);

	/** Fails (not skips) when the extension does not export a function the test relies on. */
	protected static function needs( string ...$functions ): void {
		foreach ( $functions as $function ) {
			if ( ! function_exists( $function ) ) {
				self::fail( "needs $function() from the ml_connector extension (PHP-API.md); build dist/ml_connector.so" );
			}
		}
	}

	/** The company run.sh seeds the simulator with (tests/fixtures/visma/seed-nordlys.json): every id differs
	 * from the simulator's default company, so a setting the plugin ignores sends an id this company refuses. */
	public const CLIENT = 'nordlys-client';
	public const SECRET = 'nordlys-secret';
	public const TENANT = 'nordlys-tenant';
	public const COMPANY = '7654321';

	/** The merchant's choices for that company, as the settings page saves them (option keys). */
	public const MAPPING = array(
		'customer_class'           => 'DOM',
		'customer_class_foreign'   => 'INT',
		'credit_terms'             => 'KONTANT',
		'branch'                   => '2',
		'account_sales'            => '3001',
		'account_class_reduced-rate' => '3011',
		'account_class_low-rate'   => '3021',
		'account_class_zero-rate'  => '3101',
		'account_sales_foreign'    => '3201',
		'account_shipping'         => '3701',
		'account_fee'              => '3711',
		'account_refund'           => '3091',
		'account_rounding'         => '3741',
		'vat_rate_1'               => 'H',
		'vat_rate_2'               => 'M',
		'vat_rate_3'               => 'L',
		'vat_rate_4'               => 'N',
		'vat_not_taxable'          => 'U',
		'vat_untaxed_domestic'     => 'U',
		'vat_export'               => 'E',
		'vat_reverse_charge'       => 'E',
		'vat_rounding'             => 'U',
		'payment_method_bacs'      => 'BANKOVF',
		'cash_account_bacs'        => '1921',
		'payment_method_cod'       => 'ETTERKRAV',
		'cash_account_cod'         => '1921',
		'subaccount_item_1'        => '11',
		'subaccount_item_2'        => '110',
		'subaccount_shipping_1'    => '11',
		'subaccount_shipping_2'    => '110',
		'subaccount_fee_1'         => '11',
		'subaccount_fee_2'         => '110',
		'subaccount_rounding_1'    => '01',
		'subaccount_rounding_2'    => '110',
		'currencies'               => 'NOK, SEK, EUR',
		// Issue #17: the modes a merchant switches to, with Nordlys ids (none is the simulator's default).
		'supplier_class'            => 'LEVUTL',
		'supplier_credit_terms'     => '10D',
		'supplier_payment_method'   => 'BANKOVF',
		'supplier_number_prefix'    => 'NLS',
		'sales_order_type'          => 'NO',
		'sales_order_shipping_item' => 'NL-FRAKT',
		'sales_order_fee_item'      => 'NL-GEBYR',
		'sales_order_rounding_item' => 'NL-AVRUND',
		'sales_order_fallback_item' => 'NL-VARE',
		'sales_order_warehouse'     => 'HOVED',
	);

	/**
	 * Connects the plugin in Visma mode to the simulator run.sh started (ML_SIM_URL, loopback HTTP is allowed for
	 * it) with the Nordlys company's credentials and ids: the baseline every run starts from (bootstrap.php) and
	 * that tests changing the connection go back to. The VAT rates and segments are read from the company the way
	 * the settings page does (Integration::refresh_lookups).
	 */
	public static function use_test_company(): void {
		$sim = (string) getenv( 'ML_SIM_URL' );
		self::assertNotSame( '', $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$settings = array_merge(
			(array) self::fresh_option( \MlConnector\Integration::OPTION ),
			self::MAPPING,
			array(
				'mode'                       => 'visma',
				'visma_client_id'            => self::CLIENT,
				'visma_tenant_id'            => self::TENANT,
				'visma_company_id'           => self::COMPANY,
				'visma_token_url'            => $sim . '/connect/token',
				'visma_api_base_url'         => $sim,
				'visma_salesorders_base_url' => $sim,
				'store_id'                   => 'default',
				'business_model'             => 'customers',
				'document_type'              => 'invoice',
				'trigger'                    => 'placed',
				'sync_timing'                => 'per_order',
			)
		);
		update_option( \MlConnector\Integration::OPTION, $settings );
		self::assertTrue( \MlConnector\Core::save_secret( 'visma_client_secret', self::SECRET ) );
		// What the merchant does after fixing a setting: Test connection, which also lifts a pause.
		$test = \MlConnector\Core::test_connection();
		self::assertTrue( is_array( $test ) && $test['ok'], (string) wp_json_encode( $test ) );
		$lookups = \MlConnector\Integration::refresh_lookups();
		self::assertIsArray( $lookups, is_wp_error( $lookups ) ? $lookups->get_error_message() : '' );
		self::assertTrue( \MlConnector\Core::configure() );
	}

	protected static function user_id( string $login ): int {
		$user = get_user_by( 'login', $login );
		self::assertNotFalse( $user, "test user $login exists (setup.sh)" );
		return (int) $user->ID;
	}

	/** Runs $build with the plugin's WooCommerce hooks removed, then puts them back. */
	protected static function without_plugin_hooks( callable $build ): mixed {
		foreach ( self::PLUGIN_HOOKS as [ $hook, $method, $priority ] ) {
			remove_action( $hook, array( OrderEvents::class, $method ), $priority );
		}
		try {
			return $build();
		} finally {
			foreach ( self::PLUGIN_HOOKS as [ $hook, $method, $priority ] ) {
				add_action( $hook, array( OrderEvents::class, $method ), $priority, 4 );
			}
		}
	}

	/** A placed order (classic checkout, cash on delivery → processing) built without the plugin seeing it. */
	protected static function quiet_order( array $request = array() ): \WC_Order {
		$order = self::without_plugin_hooks(
			static fn() => \WC_Standin_Checkout::place(
				$request + array(
					'items'    => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 2 ), array( 'sku' => 'BOK-SULT', 'qty' => 1 ) ),
					'shipping' => 'flat_rate',
				)
			)
		);
		self::assertInstanceOf( \WC_Order::class, $order );
		return $order;
	}

	/** An option as stored now (the site changes it over HTTP behind this process's caches). */
	protected static function fresh_option( string $name ): mixed {
		foreach ( array( $name, 'alloptions', 'notoptions' ) as $key ) {
			wp_cache_delete( $key, 'options' );
		}
		return get_option( $name );
	}

	/** What the end of a web request and then the background runner do: the shutdown notes what the hooks marked,
	 * then (after the response) the drain is scheduled, and the runner builds the REST JSON of the notes and
	 * enqueues it (OrderEvents). */
	protected static function end_request(): void {
		OrderEvents::action_shutdown();
		// What the shutdown registered to run after the response (the Action Scheduler fallback; no loopback from
		// this process, see bootstrap.php).
		\MlConnector\Scheduler::kick_after_response();
		OrderEvents::enqueue_notes();
	}

	/** Drains (other tests leave jobs behind) until this order's job has left the queue. */
	protected static function drain_until_sent( int $order_id ): array {
		$jobs = self::jobs_for( 'order', $order_id );
		for ( $i = 0; $i < 20 && isset( $jobs[0] ) && in_array( $jobs[0]['state'], array( 'pending', 'running' ), true ); $i++ ) {
			self::assertIsArray( \MlConnector\Core::drain( 200, 20000 ) );
			$jobs = self::jobs_for( 'order', $order_id );
		}
		return $jobs;
	}

	/** Issue #16: moves the queue back to SQLite when a test (or an earlier run) left it in the WordPress database. */
	protected static function queue_back_to_sqlite(): void {
		if ( \MlConnector\QueueStorage::WORDPRESS === \MlConnector\QueueStorage::current( true ) ) {
			$rows = \MlConnector\QueueStorage::move( \MlConnector\QueueStorage::SQLITE );
			self::assertIsArray( $rows, is_wp_error( $rows ) ? 'moving back to SQLite: ' . $rows->get_error_message() : '' );
		}
		self::assertTrue( \MlConnector\Core::configure() );
	}

	/** Drops {prefix}mlc_* (the audit's append-only triggers go with its table), as a move's destination must be empty. */
	protected static function drop_queue_tables(): void {
		global $wpdb;
		$wpdb->query( 'SET SESSION lock_wait_timeout = 20' );
		$wpdb->query( 'SET FOREIGN_KEY_CHECKS = 0' );
		foreach ( self::queue_tables() as $table ) {
			$wpdb->query( "DROP TABLE IF EXISTS `$table`" ); // phpcs:ignore WordPress.DB.PreparedSQL
		}
		$wpdb->query( 'SET FOREIGN_KEY_CHECKS = 1' );
		self::assertSame( array(), self::queue_tables(), 'no mlc_* table is left' );
	}

	/** @return list<string> The {prefix}mlc_* tables in the WordPress database. */
	protected static function queue_tables(): array {
		global $wpdb;
		return array_map( 'strval', (array) $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( \MlConnector\QueueStorage::table_prefix() ) . '%' ) ) );
	}

	/** @return list<string> SQLite files the moves back to SQLite set aside in this process's data directory. */
	protected static function set_aside_queue_files(): array {
		return glob( \MlConnector\Core::data_dir() . '/ml-connector.sqlite.moved-*' ) ?: array();
	}

	/** Jobs of one WooCommerce object. */
	protected static function jobs_for( string $kind, int $woo_id ): array {
		self::needs( 'ml_connector_jobs' );
		self::end_request();
		self::assertTrue( \MlConnector\Core::configure() );
		return ml_connector_jobs(
			array(
				'kind'     => $kind,
				'woo_id'   => $woo_id,
				'per_page' => 50,
			)
		);
	}
}
