<?php
/**
 * The settings form's fields: one per key SettingsDocument reads. Selects marked 'lookup' get their options from
 * the merchant's Visma company when the page is shown (Integration::fill_lookup_options), so every id the
 * documents carry is one the company has (issue #14).
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\SettingsDocument;

defined( 'ABSPATH' ) || exit;

/**
 * Field definitions for WC_Settings_API.
 */
final class SettingsFields {

	/**
	 * Every field, in page order.
	 *
	 * @param array<string,string> $segments Subaccount segments known from the last lookup, id => description.
	 * @return array<string,array<string,mixed>>
	 */
	public static function all( array $segments ): array {
		return self::connection() + self::documents() + self::customers() + self::accounts() + self::vat() + self::payments() + self::subaccounts( $segments ) + self::queue() + array(
			'delete_data_on_uninstall' => array(
				'title'   => __( 'On uninstall', 'ml-connector' ),
				'type'    => 'checkbox',
				'label'   => __( 'Also delete the queue, audit log and stored secret', 'ml-connector' ),
				'default' => 'no',
			),
		);
	}

	/**
	 * A select whose options come from the lookups.
	 *
	 * @param string $title  Label.
	 * @param string $lookup Key in ml_connector_lookups().
	 * @param string $help   Description.
	 * @return array<string,mixed>
	 */
	public static function lookup( string $title, string $lookup, string $help = '' ): array {
		return array(
			'title'       => $title,
			'type'        => 'select',
			'options'     => array( '' => __( '— not set —', 'ml-connector' ) ),
			'lookup'      => $lookup,
			'description' => $help,
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function title( string $key, string $title, string $description = '' ): array {
		return array(
			$key => array(
				'title'       => $title,
				'type'        => 'title',
				'description' => $description,
			),
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function connection(): array {
		$default = __( 'Leave empty for the default.', 'ml-connector' );
		return self::title( 'connection_title', __( 'Connection', 'ml-connector' ) ) + array(
			'mode'                       => array(
				'title'   => __( 'Mode', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'simulator' => __( 'Built-in Visma.net simulator (try it out)', 'ml-connector' ),
					'visma'     => __( 'Visma.net', 'ml-connector' ),
				),
			),
			'simulator_url'              => array(
				'title'       => __( 'Simulator URL', 'ml-connector' ),
				'placeholder' => 'http://127.0.0.1:8765',
				'description' => __( 'Simulator mode only; it never uses the Visma ids, URLs or secret below.', 'ml-connector' ),
			),
			'visma_client_id'            => array( 'title' => __( 'Client ID', 'ml-connector' ) ),
			'visma_client_secret'        => array(
				'title' => __( 'Client secret', 'ml-connector' ),
				'type'  => 'password',
			),
			'clear_secret'               => array(
				'title'   => __( 'Clear the secret', 'ml-connector' ),
				'type'    => 'checkbox',
				'label'   => __( 'Delete the saved client secret when saving', 'ml-connector' ),
				'default' => 'no',
			),
			'visma_tenant_id'            => array( 'title' => __( 'Tenant ID (company tenant)', 'ml-connector' ) ),
			'visma_company_id'           => array( 'title' => __( 'Company ID', 'ml-connector' ) ),
			'visma_token_url'            => array(
				'title'       => __( 'Token URL', 'ml-connector' ),
				'placeholder' => 'https://connect.visma.com/connect/token',
				'description' => $default,
			),
			'visma_api_base_url'         => array(
				'title'       => __( 'API base URL', 'ml-connector' ),
				'placeholder' => 'https://api.finance.visma.net',
				'description' => $default,
			),
			'visma_salesorders_base_url' => array(
				'title'       => __( 'Sales orders API base URL', 'ml-connector' ),
				'placeholder' => 'https://salesorder.visma.net',
				'description' => $default,
			),
			'visma_scopes'               => array(
				'title'       => __( 'Scopes', 'ml-connector' ),
				'description' => $default,
			),
			'visma_salesorder_scopes'    => array(
				'title'       => __( 'Sales order scopes', 'ml-connector' ),
				'description' => __( 'Requested only in sales order mode. Leave empty for the default.', 'ml-connector' ),
			),
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function documents(): array {
		return self::title( 'documents_title', __( 'Documents', 'ml-connector' ) ) + array(
			'store_id'         => array(
				'title'       => __( 'Store ID', 'ml-connector' ),
				'description' => __( 'Part of every document key (woo:STORE:ORDER). Change it only before the first sync.', 'ml-connector' ),
			),
			'business_model'   => self::choice(
				__( 'Business model', 'ml-connector' ),
				array(
					'customers' => __( 'Sell to customers (Accounts Receivable)', 'ml-connector' ),
					'suppliers' => __( 'Buy from suppliers (Accounts Payable)', 'ml-connector' ),
				)
			),
			'document_type'    => self::choice(
				__( 'Document type', 'ml-connector' ),
				array(
					'invoice'     => __( 'Customer invoice', 'ml-connector' ),
					'sales_order' => __( 'Sales order', 'ml-connector' ),
				)
			),
			'trigger'          => self::choice(
				__( 'Send orders when', 'ml-connector' ),
				array(
					'placed'     => __( 'the order is placed', 'ml-connector' ),
					'processing' => __( 'the order is processing (paid)', 'ml-connector' ),
					'completed'  => __( 'the order is completed', 'ml-connector' ),
				)
			),
			'release'          => self::choice(
				__( 'Invoices and credit notes', 'ml-connector' ),
				array(
					'auto' => __( 'Release them', 'ml-connector' ),
					'hold' => __( 'Leave them on hold for review (payments wait until released)', 'ml-connector' ),
				)
			),
			'post_payments'    => array(
				'title' => __( 'Payments', 'ml-connector' ),
				'type'  => 'checkbox',
				'label' => __( 'Post a customer payment when WooCommerce marks an order paid', 'ml-connector' ),
			),
			'on_cancel'        => self::choice(
				__( 'An invoiced order is cancelled', 'ml-connector' ),
				array(
					'credit' => __( 'Credit the invoice', 'ml-connector' ),
					'report' => __( 'Only report it', 'ml-connector' ),
				)
			),
			'currencies'       => array(
				'title'       => __( 'Currencies', 'ml-connector' ),
				'placeholder' => SettingsDocument::shop_currency(),
				'description' => __( 'Comma-separated codes orders may be in. Empty: the shop currency.', 'ml-connector' ),
			),
			'sync_timing'      => self::choice(
				__( 'Sync timing', 'ml-connector' ),
				array(
					'per_order' => __( 'Per order (within a minute)', 'ml-connector' ),
					'hourly'    => __( 'Hourly batch', 'ml-connector' ),
					'daily'     => __( 'Daily batch', 'ml-connector' ),
				)
			),
			'sync_daily_at'    => array(
				'title'       => __( 'Daily batch at (HH:MM, site time)', 'ml-connector' ),
				'placeholder' => '02:00',
			),
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function customers(): array {
		return self::title( 'customers_title', __( 'Customers', 'ml-connector' ), __( 'Lists are read live from your Visma.net company. Save the connection first.', 'ml-connector' ) ) + array(
			'customer_class'         => self::lookup( __( 'Customer class', 'ml-connector' ), 'customer_classes' ),
			'customer_class_foreign' => self::lookup( __( 'Customer class, other countries', 'ml-connector' ), 'customer_classes' ),
			'credit_terms'           => self::lookup( __( 'Credit terms', 'ml-connector' ), 'credit_terms' ),
			'branch'                 => self::lookup( __( 'Branch', 'ml-connector' ), 'branches' ),
		) + self::title( 'suppliers_title', __( 'Suppliers', 'ml-connector' ), __( 'Used when the business model is "Buy from suppliers". Visma keeps customers and suppliers in one series of numbers, so suppliers get a prefix of their own.', 'ml-connector' ) ) + array(
			'supplier_class'          => self::lookup( __( 'Supplier class', 'ml-connector' ), 'supplier_classes' ),
			'supplier_credit_terms'   => self::lookup( __( 'Supplier credit terms', 'ml-connector' ), 'credit_terms' ),
			'supplier_payment_method' => self::lookup( __( 'Supplier payment method', 'ml-connector' ), 'payment_methods' ),
			'supplier_number_prefix'  => array(
				'title'       => __( 'Supplier number prefix', 'ml-connector' ),
				'placeholder' => 'S',
				'description' => __( 'A supplier\'s number is this prefix and the WooCommerce customer id.', 'ml-connector' ),
			),
		) + self::title( 'sales_orders_title', __( 'Sales orders', 'ml-connector' ), __( 'Used when the document type is "Sales order". Products use their SKU as the inventory item.', 'ml-connector' ) ) + array(
			'sales_order_type'          => self::lookup( __( 'Sales order type', 'ml-connector' ), 'order_types' ),
			'sales_order_shipping_item' => self::lookup( __( 'Item for shipping', 'ml-connector' ), 'inventory_items' ),
			'sales_order_fee_item'      => self::lookup( __( 'Item for fees', 'ml-connector' ), 'inventory_items' ),
			'sales_order_rounding_item' => self::lookup( __( 'Item for rounding', 'ml-connector' ), 'inventory_items' ),
			'sales_order_fallback_item' => self::lookup( __( 'Item for products without SKU', 'ml-connector' ), 'inventory_items', __( 'Not set: a product without SKU fails its order, naming this setting.', 'ml-connector' ) ),
			'sales_order_warehouse'     => self::lookup( __( 'Warehouse', 'ml-connector' ), 'warehouses', __( 'Not set: each item\'s default warehouse.', 'ml-connector' ) ),
			'sales_order_payments'      => self::choice(
				__( 'Payments of paid orders', 'ml-connector' ),
				array(
					'apply_to_order' => __( 'Reserve the payment for the sales order (Visma carries it to the invoice)', 'ml-connector' ),
					'none'           => __( 'None: record payments when invoicing in Visma', 'ml-connector' ),
				)
			),
			'sales_order_refunds'       => self::choice(
				__( 'Refunds', 'ml-connector' ),
				array(
					'credit_note'  => __( 'Credit note (paid out when the order was paid)', 'ml-connector' ),
					'return_order' => __( 'Return order of the refunded lines (Visma credits when the return is invoiced)', 'ml-connector' ),
				)
			),
			'sales_order_return_type'   => self::lookup( __( 'Return order type', 'ml-connector' ), 'order_types', __( 'Used when refunds are return orders, e.g. RC.', 'ml-connector' ) ),
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function accounts(): array {
		$fields = self::title( 'accounts_title', __( 'Accounts', 'ml-connector' ) ) + array(
			'account_sales' => self::lookup( __( 'Sales', 'ml-connector' ), 'accounts' ),
		);
		foreach ( SettingsDocument::tax_class_slugs() as $slug ) {
			/* translators: %s: WooCommerce tax class slug */
			$fields[ 'account_class_' . $slug ] = self::lookup( sprintf( __( 'Sales, tax class "%s"', 'ml-connector' ), $slug ), 'accounts', __( 'Not set: the sales account.', 'ml-connector' ) );
		}
		return $fields + array(
			'account_sales_foreign' => self::lookup( __( 'Sales, other countries', 'ml-connector' ), 'accounts' ),
			'account_shipping'      => self::lookup( __( 'Shipping', 'ml-connector' ), 'accounts' ),
			'account_fee'           => self::lookup( __( 'Fees', 'ml-connector' ), 'accounts' ),
			'account_refund'        => self::lookup( __( 'Amount-only refunds', 'ml-connector' ), 'accounts', __( 'Not set: the sales account.', 'ml-connector' ) ),
			'account_rounding'      => self::lookup( __( 'Rounding', 'ml-connector' ), 'accounts', __( 'Not set: a rounding difference fails the order.', 'ml-connector' ) ),
		);
	}

	/** @return array<string,array<string,mixed>> */
	private static function vat(): array {
		$fields = self::title( 'vat_title', __( 'VAT', 'ml-connector' ) );
		foreach ( SettingsDocument::shop_tax_rates() as $id => $label ) {
			/* translators: %s: WooCommerce tax rate, e.g. "MVA (25 %, NO, standard)" */
			$fields[ 'vat_rate_' . $id ] = self::lookup( sprintf( __( 'Tax rate %s', 'ml-connector' ), $label ), 'vat_categories' );
		}
		$untaxed = array(
			'not_taxable'      => __( 'Lines WooCommerce does not tax', 'ml-connector' ),
			'untaxed_domestic' => __( 'Taxable lines saved without tax', 'ml-connector' ),
			'export'           => __( 'Untaxed lines to other countries (export)', 'ml-connector' ),
			'reverse_charge'   => __( 'EU business buyer with a VAT number (reverse charge)', 'ml-connector' ),
			'rounding'         => __( 'Rounding line (a 0 % category)', 'ml-connector' ),
		);
		foreach ( SettingsDocument::UNTAXED as $key ) {
			$fields[ 'vat_' . $key ] = self::lookup( $untaxed[ $key ], 'vat_categories' );
		}
		$fields['vat_amount_only_refunds'] = self::choice(
			__( 'Refunds of an amount without lines', 'ml-connector' ),
			array(
				'split' => __( 'VAT split over the order\'s rates (a price reduction)', 'ml-connector' ),
				'none'  => __( 'No VAT, on the refund account (compensation)', 'ml-connector' ),
			)
		);
		return $fields;
	}

	/** @return array<string,array<string,mixed>> */
	private static function payments(): array {
		$fields = self::title( 'payments_title', __( 'Payments', 'ml-connector' ) );
		foreach ( SettingsDocument::gateways() as $id => $title ) {
			/* translators: %s: payment gateway title */
			$fields[ 'payment_method_' . $id ] = self::lookup( sprintf( __( 'Payment method for "%s"', 'ml-connector' ), $title ), 'payment_methods' );
			/* translators: %s: payment gateway title */
			$fields[ 'cash_account_' . $id ] = self::lookup( sprintf( __( 'Cash account for "%s"', 'ml-connector' ), $title ), 'cash_accounts' );
		}
		return $fields;
	}

	/**
	 * One select per line type and segment (known from the last lookup, so they are saved too).
	 *
	 * @param array<string,string> $segments Segment id => description.
	 * @return array<string,array<string,mixed>>
	 */
	private static function subaccounts( array $segments ): array {
		$fields = self::title( 'subaccounts_title', __( 'Subaccounts', 'ml-connector' ) );
		$kinds  = array(
			'item'     => __( 'Products', 'ml-connector' ),
			'shipping' => __( 'Shipping', 'ml-connector' ),
			'fee'      => __( 'Fees', 'ml-connector' ),
			'rounding' => __( 'Rounding', 'ml-connector' ),
		);
		foreach ( $kinds as $kind => $label ) {
			foreach ( $segments as $segment => $description ) {
				$field            = self::lookup(
					/* translators: 1: line type, 2: segment id, 3: segment description */
					sprintf( __( '%1$s: segment %2$s (%3$s)', 'ml-connector' ), $label, $segment, $description ),
					'subaccount_segments'
				);
				$field['segment'] = (string) $segment;
				$fields[ 'subaccount_' . $kind . '_' . sanitize_key( (string) $segment ) ] = $field;
			}
		}
		return $fields;
	}

	/**
	 * Issue #16: where the queue lives, shown read-only (Integration::generate_ml_connector_storage_html). A move
	 * changes it, never a save (Integration::validate_storage_field keeps the stored value).
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private static function queue(): array {
		return self::title( 'queue_title', __( 'Queue', 'ml-connector' ) ) + array(
			'storage' => array(
				'title'       => __( 'Queue storage', 'ml-connector' ),
				'type'        => 'ml_connector_storage',
				'description' => __( 'A shop on several web servers keeps the queue in the WordPress database, so every server queues into the same tables. Changing it moves the queue (every job, the audit and the id map) on the ml-connector queue screen or with "wp ml-connector storage move".', 'ml-connector' ),
			),
		);
	}

	/**
	 * A select with fixed choices.
	 *
	 * @param string               $title   Label.
	 * @param array<string,string> $options Choices.
	 * @return array<string,mixed>
	 */
	private static function choice( string $title, array $options ): array {
		return array(
			'title'   => $title,
			'type'    => 'select',
			'options' => $options,
		);
	}
}
