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

	/**
	 * Connects the plugin to the seeded demo company (COMMON.md) on the simulator run.sh started (ML_SIM_URL):
	 * the baseline every run starts from (bootstrap.php) and that tests changing the connection go back to.
	 */
	public static function use_demo_company(): void {
		$sim = (string) getenv( 'ML_SIM_URL' );
		self::assertNotSame( '', $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		$settings = array_merge(
			(array) self::fresh_option( \MlConnector\Integration::OPTION ),
			array(
				'mode'                       => 'simulator',
				'visma_client_id'            => 'demo-client',
				'visma_tenant_id'            => 'demo-tenant',
				'visma_company_id'           => '1234567',
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
		self::assertTrue( \MlConnector\Core::save_secret( 'visma_client_secret', 'demo-secret' ) );
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

	/** What the end of a web request does: the plugin enqueues what its hooks marked (OrderEvents, shutdown). */
	protected static function end_request(): void {
		OrderEvents::action_shutdown();
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
