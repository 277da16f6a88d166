<?php
/**
 * The settings tab WooCommerce › Settings › Integration › ml-connector (WC_Integration + WC_Settings_API).
 * Stores everything in the option ml_connector_settings except the client secret, which goes to the extension
 * encrypted and is only ever shown as "saved". Selects for the mapping are filled from ml_connector_lookups().
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * The ml-connector integration.
 */
class Integration extends \WC_Integration {

	/** Integration id; with plugin_id '' the option is ml_connector_settings and fields are ml_connector_<key>. */
	public const ID = 'ml_connector';

	public const OPTION = 'ml_connector_settings';

	public const SECRET = 'visma_client_secret';

	/** Tax classes of a default WooCommerce shop ('' = standard); others come from WC_Tax when present. */
	private const DEFAULT_TAX_CLASSES = array( 'reduced-rate', 'low-rate', 'zero-rate' );

	/** Non-mapping defaults (PHP-API.md "Settings JSON"). Empty endpoints mean "the extension's default". */
	private const DEFAULTS = array(
		'mode'                       => 'simulator',
		'visma_client_id'            => '',
		'visma_tenant_id'            => '',
		'visma_company_id'           => '',
		'visma_token_url'            => '',
		'visma_api_base_url'         => '',
		'visma_salesorders_base_url' => '',
		'business_model'             => 'customers',
		'document_type'              => 'invoice',
		'trigger'                    => 'placed',
		'sync_timing'                => 'per_order',
		'sync_daily_at'              => '02:00',
		'store_id'                   => 'default',
	);

	/**
	 * Registers the form. WooCommerce instantiates integrations itself, so the save hook is added here as
	 * WC_Integration requires (the one add_action outside Plugin.php: it needs this instance).
	 */
	public function __construct() {
		$this->plugin_id          = '';
		$this->id                 = self::ID;
		$this->method_title       = __( 'ml-connector (Visma.net)', 'ml-connector' );
		$this->method_description = __( 'Sends orders, refunds and customers to Visma.net ERP. Choose the simulator to try it without a Visma account.', 'ml-connector' );
		$this->init_form_fields();
		$this->init_settings();
		add_action( 'woocommerce_update_options_integration_' . $this->id, array( $this, 'process_admin_options' ) );
	}

	/**
	 * Adds this class to WooCommerce's integrations.
	 *
	 * @param mixed $integrations Class names.
	 * @return array
	 */
	public static function filter_woocommerce_integrations( mixed $integrations ): array {
		$integrations   = is_array( $integrations ) ? $integrations : array();
		$integrations[] = self::class;
		return $integrations;
	}

	/**
	 * The settings document for ml_connector_configure(): contract keys at the top, the mapping in "mapping".
	 *
	 * @return array<string,mixed>
	 */
	public static function settings_document(): array {
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		$doc    = array();
		foreach ( self::DEFAULTS as $key => $default ) {
			$value = isset( $stored[ $key ] ) && is_scalar( $stored[ $key ] ) ? (string) $stored[ $key ] : $default;
			if ( '' === $value && str_ends_with( $key, '_url' ) ) {
				continue;
			}
			$doc[ $key ] = $value;
		}
		$mapping = array(
			'receivable_account' => (string) ( $stored['map_receivable_account'] ?? '' ),
			'shipping_account'   => (string) ( $stored['map_shipping_account'] ?? '' ),
			'fee_account'        => (string) ( $stored['map_fee_account'] ?? '' ),
			'rounding_account'   => (string) ( $stored['map_rounding_account'] ?? '' ),
			'tax_classes'        => array(),
			'payment_methods'    => array(),
			'subaccount'         => array(),
		);
		foreach ( $stored as $key => $value ) {
			if ( ! is_string( $key ) || ! is_scalar( $value ) || '' === (string) $value ) {
				continue;
			}
			if ( preg_match( '/^map_(account|vat)_(.+)$/', $key, $m ) ) {
				$field = 'account' === $m[1] ? 'sales_account' : 'vat_category';
				$mapping['tax_classes'][ $m[2] ][ $field ] = (string) $value;
			} elseif ( preg_match( '/^map_payment_(.+)$/', $key, $m ) ) {
				$mapping['payment_methods'][ $m[1] ] = (string) $value;
			} elseif ( preg_match( '/^map_segment_(.+)$/', $key, $m ) ) {
				$mapping['subaccount'][ $m[1] ] = (string) $value;
			}
		}
		$doc['mapping'] = $mapping;
		return $doc;
	}

	/**
	 * The tax class slugs of the shop, with 'standard' for WooCommerce's '' class.
	 *
	 * @return list<string>
	 */
	public static function tax_class_slugs(): array {
		$slugs = class_exists( 'WC_Tax' ) && method_exists( 'WC_Tax', 'get_tax_class_slugs' ) ? \WC_Tax::get_tax_class_slugs() : self::DEFAULT_TAX_CLASSES;
		return array_merge( array( 'standard' ), array_values( array_map( 'strval', (array) $slugs ) ) );
	}

	/**
	 * The form. Mapping selects get their options in admin_options(), so no request but the settings page asks
	 * the extension (and through it Visma) for lookups.
	 */
	public function init_form_fields(): void {
		$fields = array(
			'connection_title'           => array(
				'title' => __( 'Connection', 'ml-connector' ),
				'type'  => 'title',
			),
			'mode'                       => array(
				'title'   => __( 'Mode', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'simulator' => __( 'Built-in Visma.net simulator (try it out)', 'ml-connector' ),
					'visma'     => __( 'Visma.net', 'ml-connector' ),
				),
				'default' => self::DEFAULTS['mode'],
			),
			'visma_client_id'            => array( 'title' => __( 'Client ID', 'ml-connector' ) ),
			self::SECRET                 => array(
				'title'       => __( 'Client secret', 'ml-connector' ),
				'type'        => 'password',
				'description' => __( 'Stored encrypted by the extension. Leave empty to keep the saved secret.', 'ml-connector' ),
			),
			'visma_tenant_id'            => array( 'title' => __( 'Tenant ID (company tenant)', 'ml-connector' ) ),
			'visma_company_id'           => array( 'title' => __( 'Company ID', 'ml-connector' ) ),
			'visma_token_url'            => array(
				'title'       => __( 'Token URL', 'ml-connector' ),
				'placeholder' => 'https://connect.visma.com/connect/token',
				'description' => __( 'Leave empty for the default.', 'ml-connector' ),
			),
			'visma_api_base_url'         => array(
				'title'       => __( 'API base URL', 'ml-connector' ),
				'placeholder' => 'https://api.finance.visma.net',
				'description' => __( 'Leave empty for the default.', 'ml-connector' ),
			),
			'visma_salesorders_base_url' => array(
				'title'       => __( 'Sales orders API base URL', 'ml-connector' ),
				'placeholder' => 'https://salesorder.visma.net',
				'description' => __( 'Leave empty for the default.', 'ml-connector' ),
			),
			'documents_title'            => array(
				'title' => __( 'Documents', 'ml-connector' ),
				'type'  => 'title',
			),
			'store_id'                   => array(
				'title'       => __( 'Store ID', 'ml-connector' ),
				'description' => __( 'Part of every document key (woo:STORE:ORDER). Change it only before the first sync.', 'ml-connector' ),
			),
			'business_model'             => array(
				'title'   => __( 'Business model', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'customers' => __( 'Sell to customers (Accounts Receivable)', 'ml-connector' ),
					'suppliers' => __( 'Buy from suppliers (Accounts Payable)', 'ml-connector' ),
				),
			),
			'document_type'              => array(
				'title'   => __( 'Document type', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'invoice'     => __( 'Customer invoice', 'ml-connector' ),
					'sales_order' => __( 'Sales order', 'ml-connector' ),
				),
			),
			'trigger'                    => array(
				'title'   => __( 'Send orders when', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'placed'     => __( 'the order is placed', 'ml-connector' ),
					'processing' => __( 'the order is processing (paid)', 'ml-connector' ),
					'completed'  => __( 'the order is completed', 'ml-connector' ),
				),
			),
			'sync_timing'                => array(
				'title'   => __( 'Sync timing', 'ml-connector' ),
				'type'    => 'select',
				'options' => array(
					'per_order' => __( 'Per order (within a minute)', 'ml-connector' ),
					'hourly'    => __( 'Hourly batch', 'ml-connector' ),
					'daily'     => __( 'Daily batch', 'ml-connector' ),
				),
			),
			'sync_daily_at'              => array(
				'title'       => __( 'Daily batch at (HH:MM, site time)', 'ml-connector' ),
				'placeholder' => '02:00',
			),
			'mapping_title'              => array(
				'title'       => __( 'Mapping', 'ml-connector' ),
				'type'        => 'title',
				'description' => __( 'Lists are read live from Visma.net (or the simulator). Save the connection first.', 'ml-connector' ),
			),
			'map_receivable_account'     => $this->lookup_field( __( 'Receivable account', 'ml-connector' ), 'accounts' ),
			'map_shipping_account'       => $this->lookup_field( __( 'Shipping income account', 'ml-connector' ), 'accounts' ),
			'map_fee_account'            => $this->lookup_field( __( 'Fee income account', 'ml-connector' ), 'accounts' ),
			'map_rounding_account'       => $this->lookup_field( __( 'Rounding account', 'ml-connector' ), 'accounts' ),
		);
		foreach ( self::tax_class_slugs() as $slug ) {
			/* translators: %s: WooCommerce tax class slug */
			$fields[ 'map_account_' . $slug ] = $this->lookup_field( sprintf( __( 'Sales account for tax class "%s"', 'ml-connector' ), $slug ), 'accounts' );
			/* translators: %s: WooCommerce tax class slug */
			$fields[ 'map_vat_' . $slug ] = $this->lookup_field( sprintf( __( 'VAT category for tax class "%s"', 'ml-connector' ), $slug ), 'vat_categories' );
		}
		foreach ( $this->gateways() as $gateway_id => $title ) {
			/* translators: %s: payment gateway title */
			$fields[ 'map_payment_' . $gateway_id ] = $this->lookup_field( sprintf( __( 'Payment method for "%s"', 'ml-connector' ), $title ), 'payment_methods' );
		}
		$fields['delete_data_on_uninstall'] = array(
			'title'   => __( 'On uninstall', 'ml-connector' ),
			'type'    => 'checkbox',
			'label'   => __( 'Also delete the queue, audit log and stored secret', 'ml-connector' ),
			'default' => 'no',
		);
		foreach ( self::DEFAULTS as $key => $default ) {
			if ( isset( $fields[ $key ] ) && ! isset( $fields[ $key ]['default'] ) ) {
				$fields[ $key ]['default'] = $default;
			}
		}
		$this->form_fields = $fields;
	}

	/**
	 * Saves the form. WooCommerce checked its 'woocommerce-settings' nonce before calling; the capability and the
	 * nonce are checked again here so no other path can save (STYLE §6).
	 *
	 * @return bool
	 */
	public function process_admin_options() {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return false;
		}
		if ( empty( $this->data ) ) {
			$nonce = isset( $_POST['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_POST['_wpnonce'] ) ) : '';
			if ( ! wp_verify_nonce( $nonce, 'woocommerce-settings' ) ) {
				return false;
			}
		}
		return parent::process_admin_options();
	}

	/**
	 * The secret goes to the extension and never into the option; an empty field keeps the saved one.
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value.
	 * @return string Always ''.
	 * @throws \Exception When the extension refused it (WooCommerce shows the message and skips the field).
	 */
	public function validate_visma_client_secret_field( $key, $value ) {
		$secret = is_string( $value ) ? trim( wp_unslash( $value ) ) : '';
		if ( '' !== $secret ) {
			$saved = Core::save_secret( self::SECRET, $secret );
			if ( is_wp_error( $saved ) ) {
				throw new \Exception( esc_html( $saved->get_error_message() ) );
			}
		}
		return '';
	}

	/**
	 * Selects accept only their listed options (an allow-list; WC_Settings_API only sanitizes). Mapping selects
	 * get their options from Visma when the page is shown, so on save they take any sanitized id.
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value.
	 * @return string
	 * @throws \Exception When the value is not one of the options.
	 */
	public function validate_select_field( $key, $value ) {
		$value = is_string( $value ) ? sanitize_text_field( wp_unslash( $value ) ) : '';
		$field = $this->form_fields[ $key ] ?? array();
		if ( ! empty( $field['lookup'] ) || str_starts_with( (string) $key, 'map_' ) ) {
			return $value;
		}
		if ( ! array_key_exists( $value, (array) ( $field['options'] ?? array() ) ) ) {
			throw new \Exception(
				esc_html(
					sprintf(
						/* translators: 1: field title, 2: rejected value */
						__( '%1$s: "%2$s" is not one of the choices; the previous value is kept.', 'ml-connector' ),
						(string) ( $field['title'] ?? $key ),
						$value
					)
				)
			);
		}
		return $value;
	}

	/**
	 * Daily time must be HH:MM.
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value.
	 * @return string
	 * @throws \Exception When it is not a time.
	 */
	public function validate_sync_daily_at_field( $key, $value ) {
		$time = is_string( $value ) ? sanitize_text_field( wp_unslash( $value ) ) : '';
		if ( '' === $time ) {
			return self::DEFAULTS['sync_daily_at'];
		}
		if ( ! preg_match( '/^([01]\d|2[0-3]):[0-5]\d$/', $time ) ) {
			throw new \Exception( esc_html__( 'Daily batch time must look like 02:00.', 'ml-connector' ) );
		}
		return $time;
	}

	/**
	 * Prints the form with live lookups, the secret state and the Test connection button.
	 */
	public function admin_options() {
		$this->fill_lookup_options();
		// WooCommerce saves on wp_loaded of this same request, so this instance still holds the save's errors.
		$this->display_errors();
		$this->form_fields[ self::SECRET ]['description'] = Core::has_secret( self::SECRET )
			? __( 'A secret is saved (not shown). Type a new one to replace it.', 'ml-connector' )
			: __( 'No secret saved yet.', 'ml-connector' );
		parent::admin_options();
		TestConnection::render_button_and_result();
	}

	/**
	 * Admin-post handler of the Test connection button.
	 */
	public static function action_admin_post_ml_connector_test_connection(): void {
		TestConnection::handle();
	}

	/**
	 * A mapping select; options come later from the lookups.
	 *
	 * @param string $title  Label.
	 * @param string $lookup Key in ml_connector_lookups().
	 * @return array
	 */
	private function lookup_field( string $title, string $lookup ): array {
		return array(
			'title'   => $title,
			'type'    => 'select',
			'options' => array( '' => __( '— not set —', 'ml-connector' ) ),
			'lookup'  => $lookup,
		);
	}

	/**
	 * Fills every lookup select; when the lookups fail the selects become text inputs and the reason is shown.
	 */
	private function fill_lookup_options(): void {
		$lookups = Core::lookups();
		if ( is_wp_error( $lookups ) ) {
			$this->add_error(
				sprintf(
					/* translators: %s: error message */
					__( 'Could not read the lists from Visma.net: %s. Type the ids by hand or use Test connection.', 'ml-connector' ),
					esc_html( $lookups->get_error_message() )
				)
			);
		}
		foreach ( $this->form_fields as $key => $field ) {
			if ( empty( $field['lookup'] ) ) {
				continue;
			}
			if ( is_wp_error( $lookups ) ) {
				$this->form_fields[ $key ]['type'] = 'text';
				continue;
			}
			$options = array( '' => __( '— not set —', 'ml-connector' ) );
			foreach ( (array) ( $lookups[ $field['lookup'] ] ?? array() ) as $row ) {
				list( $id, $label ) = self::pair( $row );
				if ( '' !== $id ) {
					$options[ $id ] = '' === $label ? $id : $id . ' — ' . $label;
				}
			}
			$current = (string) $this->get_option( $key );
			if ( '' !== $current && ! isset( $options[ $current ] ) ) {
				/* translators: %s: a saved id that Visma no longer lists */
				$options[ $current ] = sprintf( __( '%s (not found in Visma.net)', 'ml-connector' ), $current );
			}
			$this->form_fields[ $key ]['options'] = $options;
		}
		if ( ! is_wp_error( $lookups ) ) {
			$this->add_segment_fields( (array) ( $lookups['subaccount_segments'] ?? array() ) );
		}
	}

	/**
	 * One select per subaccount segment.
	 *
	 * @param array $segments [[segment_id, description, values => [[id, description]]]].
	 */
	private function add_segment_fields( array $segments ): void {
		$segment_fields = array();
		foreach ( $segments as $segment ) {
			list( $segment_id, $description ) = self::pair( $segment );
			if ( '' === $segment_id || ! is_array( $segment ) ) {
				continue;
			}
			$options = array( '' => __( '— not set —', 'ml-connector' ) );
			foreach ( (array) ( $segment['values'] ?? $segment[2] ?? array() ) as $row ) {
				list( $id, $label ) = self::pair( $row );
				if ( '' !== $id ) {
					$options[ $id ] = $id . ' — ' . $label;
				}
			}
			$segment_fields[ 'map_segment_' . sanitize_key( $segment_id ) ] = array(
				/* translators: 1: segment id, 2: segment description */
				'title'   => sprintf( __( 'Subaccount segment %1$s (%2$s)', 'ml-connector' ), $segment_id, $description ),
				'type'    => 'select',
				'options' => $options,
			);
		}
		// Before the uninstall checkbox, with the other mapping fields.
		$position          = (int) array_search( 'delete_data_on_uninstall', array_keys( $this->form_fields ), true );
		$this->form_fields = array_slice( $this->form_fields, 0, $position, true ) + $segment_fields + array_slice( $this->form_fields, $position, null, true );
	}

	/**
	 * Id and description from a lookup row, whether it is a list [id, description] or has those keys.
	 *
	 * @param mixed $row Row.
	 * @return array{0:string,1:string}
	 */
	private static function pair( mixed $row ): array {
		if ( ! is_array( $row ) ) {
			return array( is_scalar( $row ) ? (string) $row : '', '' );
		}
		$id    = $row['id'] ?? $row['segment_id'] ?? $row[0] ?? '';
		$label = $row['description'] ?? $row[1] ?? '';
		return array( is_scalar( $id ) ? (string) $id : '', is_scalar( $label ) ? (string) $label : '' );
	}

	/**
	 * Payment gateways of the shop, id => title.
	 *
	 * @return array<string,string>
	 */
	private function gateways(): array {
		$gateways = array();
		if ( function_exists( 'WC' ) && is_object( WC() ) && method_exists( WC(), 'payment_gateways' ) ) {
			foreach ( (array) WC()->payment_gateways()->payment_gateways() as $id => $gateway ) {
				$gateways[ sanitize_key( (string) $id ) ] = is_object( $gateway ) && isset( $gateway->title ) ? (string) $gateway->title : (string) $id;
			}
		}
		return $gateways;
	}
}
