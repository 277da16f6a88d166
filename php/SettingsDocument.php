<?php
/**
 * The settings document ml_connector_configure() validates: the connection keys at the top and the complete
 * settings (the TOML file's shape, src/settings/example.toml) under "settings", built from the merchant's choices
 * in the option ml_connector_settings and the shop's own facts (base country, currency, tax rates, gateways).
 *
 * Issue #13/#14: nothing falls back to an example id. A choice that is not made is left out, so only the orders
 * that need it fail, naming the setting (for instance `accounts.shipping`).
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Builds the document from the stored option.
 */
final class SettingsDocument {

	/** Connection, scheduling and storage keys sent as they are (src/host/plugin_settings.rs PluginSettings). */
	public const CONTRACT = array(
		'mode'                       => 'simulator',
		'simulator_url'              => '',
		'visma_client_id'            => '',
		'visma_tenant_id'            => '',
		'visma_company_id'           => '',
		'visma_token_url'            => '',
		'visma_api_base_url'         => '',
		'visma_salesorders_base_url' => '',
		'visma_scopes'               => '',
		'visma_salesorder_scopes'    => '',
		'trigger'                    => 'placed',
		'sync_timing'                => 'per_order',
		'sync_daily_at'              => '02:00',
		// Issue #16: where the queue lives (QueueStorage); changed only by a move, never by the settings form.
		'storage'                    => QueueStorage::SQLITE,
		// A new value after every move, so each PHP-FPM worker opens the queue again (QueueStorage::move).
		'storage_version'            => '',
	);

	/** Line types with subaccount choices, as in settings `[subaccounts]`. */
	public const LINE_KINDS = array( 'item', 'shipping', 'fee', 'rounding' );

	/** Untaxed-line categories, as in settings `[vat]`. */
	public const UNTAXED = array( 'not_taxable', 'untaxed_domestic', 'export', 'reverse_charge', 'rounding' );

	/** EU member states (reverse charge applies to a buyer with a VAT number in one of them). */
	private const EU = array( 'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK' );

	/**
	 * The document for the stored option.
	 *
	 * @param array<string,mixed> $stored The option ml_connector_settings.
	 * @return array<string,mixed>
	 */
	public static function build( array $stored ): array {
		$get = static function ( string $key, string $default = '' ) use ( $stored ): string {
			$value = $stored[ $key ] ?? $default;
			return is_scalar( $value ) ? trim( (string) $value ) : $default;
		};
		$doc = array();
		foreach ( self::CONTRACT as $key => $default ) {
			$doc[ $key ] = $get( $key, $default );
		}
		$settings = array(
			'store_id'       => $get( 'store_id', 'default' ),
			'business_model' => $get( 'business_model', 'customers' ),
			'document_type'  => $get( 'document_type', 'invoice' ),
			'base_country'   => self::base_country(),
			'base_currency'  => $get( 'base_currency', self::shop_currency() ),
			'currencies'     => self::currencies( $get( 'currencies' ) ),
			'customer'       => (object) self::optional(
				array(
					'class_id'         => $get( 'customer_class' ),
					'foreign_class_id' => $get( 'customer_class_foreign' ),
					'credit_terms_id'  => $get( 'credit_terms' ),
				)
			),
			// Issue #17: suppliers get their own class, terms, payment method and number prefix.
			'supplier'       => array( 'number_prefix' => $get( 'supplier_number_prefix', 'S' ) ) + self::optional(
				array(
					'class_id'          => $get( 'supplier_class' ),
					'credit_terms_id'   => $get( 'supplier_credit_terms' ),
					'payment_method_id' => $get( 'supplier_payment_method' ),
				)
			),
			// Issue #17: every inventory id of a sales order is the merchant's own (read from the company).
			'sales_order'    => array(
				'order_type'        => $get( 'sales_order_type' ),
				'payments'          => 'none' === $get( 'sales_order_payments' ) ? 'none' : 'apply_to_order',
				'refunds'           => 'return_order' === $get( 'sales_order_refunds' ) ? 'return_order' : 'credit_note',
				'return_order_type' => $get( 'sales_order_return_type' ),
			) + self::optional(
				array(
					'shipping_item' => $get( 'sales_order_shipping_item' ),
					'fee_item'      => $get( 'sales_order_fee_item' ),
					'rounding_item' => $get( 'sales_order_rounding_item' ),
					'fallback_item' => $get( 'sales_order_fallback_item' ),
					'warehouse'     => $get( 'sales_order_warehouse' ),
				)
			),
			'accounts'       => self::accounts( $stored, $get ),
			'vat'            => self::vat( $stored, $get ),
			'payment_methods' => self::payment_methods( $stored ),
			'subaccounts'    => self::subaccounts( $stored ),
			'invoice'        => array(
				'post_payments' => 'no' !== $get( 'post_payments', 'yes' ),
				'leave_on_hold' => 'hold' === $get( 'release', 'auto' ),
				'on_cancel'     => 'report' === $get( 'on_cancel', 'credit' ) ? 'report' : 'credit',
			) + self::optional( array( 'branch_number' => $get( 'branch' ) ) ),
		);
		$doc['settings'] = $settings;
		return $doc;
	}

	/**
	 * Accounts: sales, per tax class (rules), abroad, shipping, fee, refund, rounding.
	 *
	 * @param array<string,mixed> $stored Option.
	 * @param callable            $get    Option reader.
	 * @return array<string,mixed>
	 */
	private static function accounts( array $stored, callable $get ): array {
		$accounts = array(
			'sales'    => $get( 'account_sales' ),
			'shipping' => $get( 'account_shipping' ),
			'fee'      => $get( 'account_fee' ),
			'rules'    => array(),
		) + self::optional(
			array(
				'sales_foreign' => $get( 'account_sales_foreign' ),
				'refund'        => $get( 'account_refund' ),
				'rounding'      => $get( 'account_rounding' ),
			)
		);
		foreach ( self::matching( $stored, '/^account_class_(.+)$/' ) as $slug => $account ) {
			$accounts['rules'][] = array(
				'tax_class' => $slug,
				'account'   => $account,
			);
		}
		return $accounts;
	}

	/**
	 * VAT: each WooCommerce tax rate's category, the untaxed-line categories, and the rate of every category chosen
	 * (read from Visma when the settings page lists them, option key vat_category_rates).
	 *
	 * @param array<string,mixed> $stored Option.
	 * @param callable            $get    Option reader.
	 * @return array<string,mixed>
	 */
	private static function vat( array $stored, callable $get ): array {
		$known      = is_array( $stored['vat_category_rates'] ?? null ) ? $stored['vat_category_rates'] : array();
		$categories = array();
		// A category whose rate is not known yet (the page has not read the company's categories) is left out;
		// reading them (Integration::refresh_lookups) completes the document. Orders needing it fail meanwhile.
		$chosen = static function ( string $category ) use ( $known, &$categories ): bool {
			if ( '' === $category || ! isset( $known[ $category ] ) || ! is_scalar( $known[ $category ] ) ) {
				return false;
			}
			$categories[ $category ] = (string) $known[ $category ];
			return true;
		};
		$vat = array(
			'rates'        => array(),
			'eu_countries' => self::EU,
		);
		foreach ( self::matching( $stored, '/^vat_rate_(\d+)$/' ) as $rate_id => $category ) {
			if ( $chosen( $category ) ) {
				$vat['rates'][] = array(
					'woo_rate_id' => (int) $rate_id,
					'category'    => $category,
				);
			}
		}
		foreach ( self::UNTAXED as $key ) {
			$category    = $get( 'vat_' . $key );
			$vat[ $key ] = $chosen( $category ) ? $category : '';
		}
		$vat['categories']          = (object) $categories;
		$vat['amount_only_refunds'] = 'none' === $get( 'vat_amount_only_refunds', 'split' ) ? 'none' : 'split';
		// The VAT id of each chosen category (read from Visma with the rates, option key vat_category_ids).
		$ids            = is_array( $stored['vat_category_ids'] ?? null ) ? $stored['vat_category_ids'] : array();
		$vat['vat_ids'] = (object) array_filter(
			array_intersect_key( $ids, $categories ),
			static fn( $id ): bool => is_string( $id ) && '' !== $id
		);
		return $vat;
	}

	/**
	 * Gateway => payment method and cash account; a half-made choice is sent so the extension names it.
	 *
	 * @param array<string,mixed> $stored Option.
	 * @return object
	 */
	private static function payment_methods( array $stored ): object {
		$methods = array();
		foreach ( self::matching( $stored, '/^payment_method_(.+)$/' ) + self::matching( $stored, '/^cash_account_(.+)$/' ) as $gateway => $unused ) {
			$methods[ $gateway ] = array(
				'payment_method_id' => trim( (string) ( $stored[ 'payment_method_' . $gateway ] ?? '' ) ),
				'cash_account'      => trim( (string) ( $stored[ 'cash_account_' . $gateway ] ?? '' ) ),
			);
		}
		return (object) $methods;
	}

	/**
	 * The non-empty option values whose key matches $pattern, keyed by the pattern's first group. The document
	 * is built from the option alone (no tax-rate or gateway queries), since every request configures with it.
	 *
	 * @param array<string,mixed> $stored  Option.
	 * @param string              $pattern Regex with one group.
	 * @return array<string,string>
	 */
	private static function matching( array $stored, string $pattern ): array {
		$out = array();
		foreach ( $stored as $key => $value ) {
			if ( is_string( $key ) && is_scalar( $value ) && '' !== trim( (string) $value ) && preg_match( $pattern, $key, $m ) ) {
				$out[ $m[1] ] = trim( (string) $value );
			}
		}
		ksort( $out );
		return $out;
	}

	/**
	 * Segment values per line type, segment 1 first, up to the last chosen one (a gap is sent empty, so the
	 * extension names it instead of shifting the segments).
	 *
	 * @param array<string,mixed> $stored Option.
	 * @return array<string,mixed>
	 */
	private static function subaccounts( array $stored ): array {
		$out = array();
		foreach ( self::LINE_KINDS as $kind ) {
			$values = array();
			foreach ( self::matching( $stored, '/^subaccount_' . $kind . '_(\d+)$/' ) as $segment => $value ) {
				$values[ (int) $segment ] = $value;
			}
			$list = array();
			if ( $values ) {
				for ( $segment = 1; $segment <= max( array_keys( $values ) ); $segment++ ) {
					$list[] = $values[ $segment ] ?? '';
				}
			}
			$out[ $kind ] = $list;
		}
		return $out;
	}

	/**
	 * The currencies orders may be in: the merchant's list, else the shop's currency.
	 *
	 * @param string $list Comma-separated codes.
	 * @return list<string>
	 */
	private static function currencies( string $list ): array {
		$codes = array_values( array_filter( array_map( 'strtoupper', array_map( 'trim', explode( ',', $list ) ) ), 'strlen' ) );
		return $codes ? array_values( array_unique( $codes ) ) : array( self::shop_currency() );
	}

	/**
	 * Drops unchosen optional values (the settings treat an absent key as "not set").
	 *
	 * @param array<string,string> $values Values.
	 * @return array<string,string>
	 */
	private static function optional( array $values ): array {
		return array_filter( $values, static fn( string $v ): bool => '' !== $v );
	}

	/** The shop's country (WooCommerce › Settings › General), from wc_get_base_location(). */
	public static function base_country(): string {
		$location = function_exists( 'wc_get_base_location' ) ? (array) wc_get_base_location() : array();
		return strtoupper( (string) ( $location['country'] ?? '' ) );
	}

	/** The shop's currency option, without a currency switcher's filter. */
	public static function shop_currency(): string {
		return strtoupper( (string) get_option( 'woocommerce_currency', 'NOK' ) );
	}

	/**
	 * Tax class slugs of the shop besides the standard one.
	 *
	 * @return list<string>
	 */
	public static function tax_class_slugs(): array {
		$slugs = class_exists( 'WC_Tax' ) ? \WC_Tax::get_tax_class_slugs() : array();
		return array_values( array_map( 'strval', (array) $slugs ) );
	}

	/**
	 * The shop's tax rates, id => "name (rate %, country, class)", from WC_Tax::get_rates_for_tax_class().
	 *
	 * @return array<int,string>
	 */
	public static function shop_tax_rates(): array {
		$rates = array();
		if ( ! class_exists( 'WC_Tax' ) ) {
			return $rates;
		}
		foreach ( array_merge( array( '' ), self::tax_class_slugs() ) as $class ) {
			foreach ( (array) \WC_Tax::get_rates_for_tax_class( $class ) as $rate ) {
				$rate = (object) $rate;
				$id   = (int) ( $rate->tax_rate_id ?? 0 );
				if ( $id > 0 ) {
					$rates[ $id ] = sprintf(
						'%s (%s %%, %s, %s)',
						(string) ( $rate->tax_rate_name ?? '' ),
						(string) (float) ( $rate->tax_rate ?? 0 ),
						'' === (string) ( $rate->tax_rate_country ?? '' ) ? '*' : (string) $rate->tax_rate_country,
						'' === $class ? 'standard' : $class
					);
				}
			}
		}
		ksort( $rates );
		return $rates;
	}

	/**
	 * Enabled payment gateways of the shop, id => title (issue #13: disabled ones are not offered).
	 *
	 * @return array<string,string>
	 */
	public static function gateways(): array {
		$gateways = array();
		if ( function_exists( 'WC' ) && is_object( WC() ) && method_exists( WC(), 'payment_gateways' ) ) {
			foreach ( (array) WC()->payment_gateways()->payment_gateways() as $id => $gateway ) {
				if ( is_object( $gateway ) && isset( $gateway->enabled ) && 'yes' !== $gateway->enabled ) {
					continue;
				}
				$title                                    = is_object( $gateway ) && isset( $gateway->title ) ? (string) $gateway->title : (string) $id;
				$gateways[ sanitize_key( (string) $id ) ] = html_entity_decode( wp_strip_all_tags( $title ), ENT_QUOTES, 'UTF-8' );
			}
		}
		return $gateways;
	}
}
