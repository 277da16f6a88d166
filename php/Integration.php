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

	/** The secret typed in this submit, saved after the option (see process_admin_options). */
	private string $typed_secret = '';

	/** Defaults of the keys the form does not fill from lookups. */
	private const DEFAULTS = array(
		'store_id'       => 'default',
		'business_model' => 'customers',
		'document_type'  => 'invoice',
		'release'        => 'auto',
		'post_payments'  => 'yes',
		'on_cancel'      => 'credit',
	) + SettingsDocument::CONTRACT;

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
	 * The settings document for ml_connector_configure() (SettingsDocument).
	 *
	 * @return array<string,mixed>
	 */
	public static function settings_document(): array {
		$stored = get_option( self::OPTION, array() );
		return SettingsDocument::build( is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Reads the company's lists and keeps what the settings document needs from them (the rate of each VAT
	 * category, the subaccount segments), then configures again with the completed document.
	 *
	 * @return array|\WP_Error The lookups.
	 */
	public static function refresh_lookups(): array|\WP_Error {
		$lookups = Core::lookups();
		if ( is_wp_error( $lookups ) ) {
			return $lookups;
		}
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		$rates  = array();
		$ids    = array();
		foreach ( (array) ( $lookups['vat_categories'] ?? array() ) as $category ) {
			if ( is_array( $category ) && isset( $category['id'], $category['rate'] ) && is_scalar( $category['rate'] ) ) {
				$rates[ (string) $category['id'] ] = (string) $category['rate'];
			}
			// A category with one VAT id gets WooCommerce's own VAT as tax detail lines (issue #14); with several,
			// which one a line's tax belongs to is not known, so Visma computes that category's VAT.
			$vat_ids = is_array( $category ) ? (array) ( $category['vat_ids'] ?? array() ) : array();
			if ( isset( $category['id'] ) && 1 === count( $vat_ids ) && is_scalar( reset( $vat_ids ) ) ) {
				$ids[ (string) $category['id'] ] = (string) reset( $vat_ids );
			}
		}
		$segments = array();
		foreach ( (array) ( $lookups['subaccount_segments'] ?? array() ) as $segment ) {
			list( $id, $description ) = self::pair( $segment );
			if ( '' !== $id && is_array( $segment ) ) {
				$segments[ $id ] = $description;
			}
		}
		if ( ( $stored['vat_category_rates'] ?? null ) !== $rates || ( $stored['vat_category_ids'] ?? null ) !== $ids || ( $stored['subaccount_segments'] ?? null ) !== $segments ) {
			$stored['vat_category_rates']  = $rates;
			$stored['vat_category_ids']    = $ids;
			$stored['subaccount_segments'] = $segments;
			update_option( self::OPTION, $stored );
			Core::configure();
		}
		return $lookups;
	}

	/**
	 * The form (Admin\SettingsFields). Lookup selects get their options in admin_options(), so no request but the
	 * settings page asks the extension (and through it Visma) for lists.
	 */
	public function init_form_fields(): void {
		$stored   = get_option( self::OPTION, array() );
		$segments = is_array( $stored ) && is_array( $stored['subaccount_segments'] ?? null ) ? $stored['subaccount_segments'] : array();
		$fields   = Admin\SettingsFields::all( $segments );
		$fields[ self::SECRET ]['description'] = __( 'Stored encrypted by the extension. Leave empty to keep the saved secret.', 'ml-connector' );
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
		$saved = parent::process_admin_options();
		// Issue #15: the secret is bound to the URLs it is saved for, so it is saved after the option that holds
		// them: a secret typed with a new token URL in one submit goes with that URL.
		if ( '' !== $this->typed_secret ) {
			$result             = Core::save_secret( self::SECRET, $this->typed_secret );
			$this->typed_secret = '';
			if ( is_wp_error( $result ) ) {
				\WC_Admin_Settings::add_error( $result->get_error_message() );
				return false;
			}
		}
		return $saved;
	}

	/**
	 * The secret goes to the extension and never into the option; an empty field keeps the saved one.
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value.
	 * @return string Always ''.
	 */
	public function validate_visma_client_secret_field( $key, $value ) {
		$secret = is_string( $value ) ? trim( wp_unslash( $value ) ) : '';
		// Saved once the option is (process_admin_options): the secret is bound to the URLs saved with it.
		$this->typed_secret = $secret;
		return '';
	}

	/**
	 * "Clear the secret" deletes the saved secret (issue #13: a saved secret could not be cleared); the box is never
	 * stored ticked. A secret typed in the same save wins (it is saved after the option, see process_admin_options).
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value.
	 * @return string Always 'no'.
	 * @throws \Exception When the extension refused.
	 */
	public function validate_clear_secret_field( $key, $value ) {
		$posted = $this->get_post_data();
		$typed  = trim( (string) ( $posted[ $this->get_field_key( self::SECRET ) ] ?? '' ) );
		if ( in_array( (string) $value, array( '1', 'yes', 'on' ), true ) && '' === $typed ) {
			$deleted = Core::delete_secret( self::SECRET );
			if ( is_wp_error( $deleted ) ) {
				throw new \Exception( esc_html( $deleted->get_error_message() ) );
			}
		}
		return 'no';
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
		if ( ! empty( $field['lookup'] ) ) {
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
	 * Issue #16: the storage is never taken from the form; only a move changes it (QueueStorage::move). The value
	 * is read past the caches, so a save does not undo a move another web server just made.
	 *
	 * @param string $key   Field key.
	 * @param mixed  $value Posted value (ignored).
	 * @return string sqlite|wordpress.
	 */
	public function validate_storage_field( $key, $value ) {
		return QueueStorage::current( true );
	}

	/**
	 * The "Queue storage" row: where the queue is now, and where to move it. No input, so nothing is posted.
	 *
	 * @param string $key  Field key.
	 * @param array  $data Field definition.
	 * @return string HTML.
	 */
	public function generate_ml_connector_storage_html( $key, $data ) {
		$field_key = $this->get_field_key( $key );
		$storage   = QueueStorage::current();
		$other     = QueueStorage::WORDPRESS === $storage ? __( 'Move the queue back to a SQLite file', 'ml-connector' ) : __( 'Move the queue to the WordPress database', 'ml-connector' );
		return '<tr valign="top"><th scope="row" class="titledesc">' . esc_html( (string) ( $data['title'] ?? '' ) ) . '</th><td class="forminp"><fieldset>'
			. '<p id="' . esc_attr( $field_key ) . '" data-storage="' . esc_attr( $storage ) . '"><strong>' . esc_html( ucfirst( QueueStorage::describe( $storage ) ) ) . '</strong></p>'
			. '<p><a href="' . esc_url( admin_url( 'admin.php?page=' . Admin\QueuePage::SLUG . '#ml-connector-storage' ) ) . '">' . esc_html( $other ) . '</a></p>'
			. $this->get_description_html( $data ) . '</fieldset></td></tr>';
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
	 * Fills every lookup select; when the lookups fail the selects become text inputs and the reason is shown.
	 */
	private function fill_lookup_options(): void {
		$lookups = self::refresh_lookups();
		if ( is_wp_error( $lookups ) ) {
			$this->add_error(
				sprintf(
					/* translators: %s: error message */
					__( 'Could not read the lists from Visma.net: %s. Type the ids by hand or use Test connection.', 'ml-connector' ),
					esc_html( $lookups->get_error_message() )
				)
			);
		}
		// The segments may have changed with this lookup: rebuild the fields from the refreshed option.
		$this->init_form_fields();
		foreach ( $this->form_fields as $key => $field ) {
			if ( empty( $field['lookup'] ) ) {
				continue;
			}
			if ( is_wp_error( $lookups ) ) {
				$this->form_fields[ $key ]['type'] = 'text';
				continue;
			}
			$options = array( '' => __( '— not set —', 'ml-connector' ) );
			foreach ( self::rows( $lookups, $field ) as $row ) {
				list( $id, $label ) = self::pair( $row );
				if ( '' !== $id ) {
					$rate            = is_array( $row ) && isset( $row['rate'] ) && is_scalar( $row['rate'] ) ? ' (' . $row['rate'] . ' %)' : '';
					$options[ $id ] = html_entity_decode( '' === $label ? $id : $id . ' — ' . $label, ENT_QUOTES, 'UTF-8' ) . $rate;
				}
			}
			$current = (string) $this->get_option( $key );
			if ( '' !== $current && ! isset( $options[ $current ] ) ) {
				/* translators: %s: a saved id that Visma no longer lists */
				$options[ $current ] = sprintf( __( '%s (not found in Visma.net)', 'ml-connector' ), $current );
			}
			$this->form_fields[ $key ]['options'] = $options;
		}
	}

	/**
	 * The lookup rows a select offers (a subaccount select: its segment's values).
	 *
	 * @param array $lookups Lookups.
	 * @param array $field   Field.
	 * @return array
	 */
	private static function rows( array $lookups, array $field ): array {
		if ( 'subaccount_segments' !== $field['lookup'] ) {
			return (array) ( $lookups[ $field['lookup'] ] ?? array() );
		}
		foreach ( (array) ( $lookups['subaccount_segments'] ?? array() ) as $segment ) {
			if ( is_array( $segment ) && (string) ( $segment['segment_id'] ?? '' ) === (string) ( $field['segment'] ?? '' ) ) {
				return (array) ( $segment['values'] ?? array() );
			}
		}
		return array();
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
}
