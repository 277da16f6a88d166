<?php
/**
 * Mirrors includes/abstracts/abstract-wc-settings-api.php (WC_Settings_API) for the field types ml-connector
 * uses (title, text, password, select, checkbox) and includes/abstracts/abstract-wc-integration.php
 * (WC_Integration). Option key = plugin_id . id . '_settings'; field names = plugin_id . id . '_' . key;
 * get_field_value() tries validate_{key}_field, then validate_{type}_field; an Exception leaves that field out
 * and becomes an error (process_admin_options()).
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

/**
 * Mirrors WC_Settings_API.
 */
abstract class WC_Settings_API {

	/** @var string */
	public $plugin_id = 'woocommerce_';

	/** @var string */
	public $id = '';

	/** @var array */
	public $errors = array();

	/** @var array */
	public $settings = array();

	/** @var array */
	public $form_fields = array();

	/** @var array */
	protected $data = array();

	/** Mirrors get_form_fields(). */
	public function get_form_fields() {
		return apply_filters(
			'woocommerce_settings_api_form_fields_' . $this->id,
			array_map(
				static function ( $field ) {
					$field['default'] = $field['default'] ?? '';
					return $field;
				},
				$this->form_fields
			)
		);
	}

	/** Mirrors admin_options(). */
	public function admin_options() {
		echo '<table class="form-table">' . $this->generate_settings_html( $this->get_form_fields(), false ) . '</table>'; // phpcs:ignore
	}

	/** Mirrors init_form_fields(). */
	public function init_form_fields() {}

	/** Mirrors get_option_key(). */
	public function get_option_key() {
		return $this->plugin_id . $this->id . '_settings';
	}

	/** Mirrors get_field_type(). */
	public function get_field_type( $field ) {
		return empty( $field['type'] ) ? 'text' : $field['type'];
	}

	/** Mirrors get_field_key(). */
	public function get_field_key( $key ) {
		return $this->plugin_id . $this->id . '_' . $key;
	}

	/** Mirrors get_field_value(). */
	public function get_field_value( $key, $field, $post_data = array() ) {
		$type      = $this->get_field_type( $field );
		$post_data = empty( $post_data ) ? $_POST : $post_data; // phpcs:ignore
		$value     = $post_data[ $this->get_field_key( $key ) ] ?? null;
		if ( is_callable( array( $this, 'validate_' . $key . '_field' ) ) ) {
			return $this->{'validate_' . $key . '_field'}( $key, $value );
		}
		if ( is_callable( array( $this, 'validate_' . $type . '_field' ) ) ) {
			return $this->{'validate_' . $type . '_field'}( $key, $value );
		}
		return $this->validate_text_field( $key, $value );
	}

	/** Mirrors set_post_data(). */
	public function set_post_data( $data = array() ) {
		$this->data = $data;
	}

	/** Mirrors get_post_data(). */
	public function get_post_data() {
		return ! empty( $this->data ) && is_array( $this->data ) ? $this->data : $_POST; // phpcs:ignore
	}

	/** Mirrors process_admin_options(). */
	public function process_admin_options() {
		$this->init_settings();
		$post_data = $this->get_post_data();
		foreach ( $this->get_form_fields() as $key => $field ) {
			if ( 'title' !== $this->get_field_type( $field ) ) {
				try {
					$this->settings[ $key ] = $this->get_field_value( $key, $field, $post_data );
				} catch ( Exception $e ) {
					$this->add_error( $e->getMessage() );
				}
			}
		}
		$option_key = $this->get_option_key();
		do_action( 'woocommerce_update_option', array( 'id' => $option_key ) );
		return update_option( $option_key, apply_filters( 'woocommerce_settings_api_sanitized_fields_' . $this->id, $this->settings ), 'yes' );
	}

	/** Mirrors add_error(). */
	public function add_error( $error ) {
		$this->errors[] = $error;
	}

	/** Mirrors get_errors(). */
	public function get_errors() {
		return $this->errors;
	}

	/** Mirrors display_errors(). */
	public function display_errors() {
		if ( $this->get_errors() ) {
			echo '<div id="woocommerce_errors" class="error notice is-dismissible">';
			foreach ( $this->get_errors() as $error ) {
				echo '<p>' . wp_kses_post( $error ) . '</p>';
			}
			echo '</div>';
		}
	}

	/** Mirrors init_settings(). */
	public function init_settings() {
		$this->settings = get_option( $this->get_option_key(), null );
		if ( ! is_array( $this->settings ) ) {
			$form_fields    = $this->get_form_fields();
			$this->settings = array_merge( array_fill_keys( array_keys( $form_fields ), '' ), wp_list_pluck( $form_fields, 'default' ) );
		}
	}

	/** Mirrors get_option(). */
	public function get_option( $key, $empty_value = null ) {
		if ( empty( $this->settings ) ) {
			$this->init_settings();
		}
		if ( ! isset( $this->settings[ $key ] ) ) {
			$form_fields            = $this->get_form_fields();
			$this->settings[ $key ] = isset( $form_fields[ $key ] ) ? ( $form_fields[ $key ]['default'] ?? '' ) : '';
		}
		if ( ! is_null( $empty_value ) && '' === $this->settings[ $key ] ) {
			$this->settings[ $key ] = $empty_value;
		}
		return $this->settings[ $key ];
	}

	/** Mirrors generate_settings_html(). */
	public function generate_settings_html( $form_fields = array(), $echo = true ) {
		$form_fields = empty( $form_fields ) ? $this->get_form_fields() : $form_fields;
		$html        = '';
		foreach ( $form_fields as $k => $v ) {
			$type  = $this->get_field_type( $v );
			$html .= method_exists( $this, 'generate_' . $type . '_html' ) ? $this->{'generate_' . $type . '_html'}( $k, $v ) : $this->generate_text_html( $k, $v );
		}
		if ( ! $echo ) {
			return $html;
		}
		echo $html; // phpcs:ignore
	}

	/** Mirrors get_description_html(). */
	public function get_description_html( $data ) {
		return empty( $data['description'] ) ? '' : '<p class="description">' . wp_kses_post( $data['description'] ) . '</p>';
	}

	/** Mirrors generate_text_html() (also used for password with type=password). */
	public function generate_text_html( $key, $data ) {
		$field_key = $this->get_field_key( $key );
		$data      = wp_parse_args(
			$data,
			array(
				'title'       => '',
				'type'        => 'text',
				'placeholder' => '',
				'description' => '',
			)
		);
		return '<tr valign="top"><th scope="row" class="titledesc"><label for="' . esc_attr( $field_key ) . '">' . wp_kses_post( $data['title'] ) . '</label></th><td class="forminp"><fieldset>'
			. '<input class="input-text regular-input" type="' . esc_attr( $data['type'] ) . '" name="' . esc_attr( $field_key ) . '" id="' . esc_attr( $field_key ) . '" value="' . esc_attr( $this->get_option( $key ) ) . '" placeholder="' . esc_attr( $data['placeholder'] ) . '" />'
			. $this->get_description_html( $data ) . '</fieldset></td></tr>';
	}

	/** Mirrors generate_password_html(). */
	public function generate_password_html( $key, $data ) {
		$data['type'] = 'password';
		return $this->generate_text_html( $key, $data );
	}

	/** Mirrors generate_select_html(). */
	public function generate_select_html( $key, $data ) {
		$field_key = $this->get_field_key( $key );
		$options   = '';
		foreach ( (array) ( $data['options'] ?? array() ) as $option_key => $option_value ) {
			$options .= '<option value="' . esc_attr( (string) $option_key ) . '"' . selected( (string) $option_key, esc_attr( $this->get_option( $key ) ), false ) . '>' . esc_html( $option_value ) . '</option>';
		}
		return '<tr valign="top"><th scope="row" class="titledesc"><label for="' . esc_attr( $field_key ) . '">' . wp_kses_post( $data['title'] ?? '' ) . '</label></th><td class="forminp"><fieldset>'
			. '<select class="select" name="' . esc_attr( $field_key ) . '" id="' . esc_attr( $field_key ) . '">' . $options . '</select>'
			. $this->get_description_html( $data ) . '</fieldset></td></tr>';
	}

	/** Mirrors generate_checkbox_html(). */
	public function generate_checkbox_html( $key, $data ) {
		$field_key = $this->get_field_key( $key );
		return '<tr valign="top"><th scope="row" class="titledesc">' . wp_kses_post( $data['title'] ?? '' ) . '</th><td class="forminp"><fieldset><label for="' . esc_attr( $field_key ) . '">'
			. '<input type="checkbox" name="' . esc_attr( $field_key ) . '" id="' . esc_attr( $field_key ) . '" value="1" ' . checked( $this->get_option( $key ), 'yes', false ) . ' /> ' . wp_kses_post( $data['label'] ?? '' ) . '</label>'
			. $this->get_description_html( $data ) . '</fieldset></td></tr>';
	}

	/** Mirrors generate_title_html(). */
	public function generate_title_html( $key, $data ) {
		return '</table><h3 class="wc-settings-sub-title" id="' . esc_attr( $this->get_field_key( $key ) ) . '">' . wp_kses_post( $data['title'] ?? '' ) . '</h3>'
			. ( empty( $data['description'] ) ? '' : wpautop( wp_kses_post( $data['description'] ) ) ) . '<table class="form-table">';
	}

	/** Mirrors validate_text_field(). */
	public function validate_text_field( $key, $value ) {
		$value = is_null( $value ) ? '' : $value;
		return wp_kses_post( trim( stripslashes( (string) $value ) ) );
	}

	/** Mirrors validate_password_field(). */
	public function validate_password_field( $key, $value ) {
		$value = is_null( $value ) ? '' : $value;
		return trim( stripslashes( (string) $value ) );
	}

	/** Mirrors validate_select_field(). */
	public function validate_select_field( $key, $value ) {
		$value = is_null( $value ) ? '' : $value;
		return wc_clean( stripslashes( (string) $value ) );
	}

	/** Mirrors validate_checkbox_field(). */
	public function validate_checkbox_field( $key, $value ) {
		return ! is_null( $value ) ? 'yes' : 'no';
	}
}

/**
 * Mirrors includes/abstracts/abstract-wc-integration.php.
 */
abstract class WC_Integration extends WC_Settings_API {

	/** @var string */
	public $enabled = 'yes';

	/** @var string */
	public $method_title = '';

	/** @var string */
	public $method_description = '';

	/** Mirrors get_method_title(). */
	public function get_method_title() {
		return apply_filters( 'woocommerce_integration_title', $this->method_title, $this );
	}

	/** Mirrors get_method_description(). */
	public function get_method_description() {
		return apply_filters( 'woocommerce_integration_description', $this->method_description, $this );
	}

	/** Mirrors admin_options(). */
	public function admin_options() {
		echo '<h2>' . esc_html( $this->get_method_title() ) . '</h2>';
		echo wp_kses_post( wpautop( $this->get_method_description() ) );
		echo '<div><input type="hidden" name="section" value="' . esc_attr( $this->id ) . '" /></div>';
		parent::admin_options();
	}

	/** Mirrors init_settings(). */
	public function init_settings() {
		parent::init_settings();
		$this->enabled = ! empty( $this->settings['enabled'] ) && 'yes' === $this->settings['enabled'] ? 'yes' : 'no';
	}
}

/** Mirrors wc_clean() in includes/wc-formatting-functions.php. */
function wc_clean( $var ) {
	return is_array( $var ) ? array_map( 'wc_clean', $var ) : ( is_scalar( $var ) ? sanitize_text_field( (string) $var ) : $var );
}
