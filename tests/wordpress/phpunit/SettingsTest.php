<?php
/**
 * WooCommerce › Settings › Integration › ml-connector over HTTP: who may save (role × nonce), the secret goes to
 * the extension and is never printed, selects come from the lookups, values are escaped, Test connection.
 *
 * @group fn:ml_connector_configure
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Integration;

final class SettingsTest extends TestCase {

	private const PAGE = '/wp-admin/admin.php?page=wc-settings&tab=integration&section=ml_connector';

	/** These tests save client ids, tenants and secrets the simulator refuses: later tests get the demo company back. */
	protected function tearDown(): void {
		self::use_test_company();
		parent::tearDown();
	}

	/** @return array<string,array{string,bool,bool}> login, valid nonce, expected to save */
	public static function save_cases(): array {
		return array(
			'administrator'          => array( 'admin', true, true ),
			'shop manager'           => array( 'manager', true, true ),
			'subscriber'             => array( 'subscriber', true, false ),
			'administrator bad nonce' => array( 'admin', false, false ),
			'shop manager bad nonce' => array( 'manager', false, false ),
		);
	}

	/**
	 * @dataProvider save_cases
	 */
	public function test_save_needs_manage_woocommerce_and_the_settings_nonce( string $login, bool $valid_nonce, bool $saves ): void {
		$user    = self::user_id( $login );
		$session = Http::session( $user );
		$marker  = 'client-' . $login . '-' . wp_generate_password( 6, false );
		$before  = self::fresh_option( Integration::OPTION );
		$nonce   = $valid_nonce ? Http::nonce( $user, $session, 'woocommerce-settings' ) : 'bad0nonce';
		$result  = Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( $nonce, array( 'visma_client_id' => $marker ) ) );
		$after = self::fresh_option( Integration::OPTION );
		if ( $saves ) {
			$this->assertSame( $marker, $after['visma_client_id'] ?? null, "$login saves (HTTP {$result['status']})" );
		} else {
			$this->assertSame( $before['visma_client_id'] ?? null, $after['visma_client_id'] ?? null, "$login must not save" );
			$this->assertNotSame( $marker, $after['visma_client_id'] ?? null );
		}
		if ( ! $valid_nonce ) {
			$this->assertSame( 403, $result['status'], 'check_admin_referer() dies with 403' );
		}
	}

	/**
	 * @group fn:ml_connector_save_secret
	 * @group fn:ml_connector_has_secret
	 */
	public function test_secret_goes_to_the_extension_and_is_never_printed(): void {
		self::needs( 'ml_connector_save_secret', 'ml_connector_has_secret' );
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$secret  = self::SECRET;
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'visma_client_id' => self::CLIENT, 'visma_client_secret' => $secret ) ) );
		$stored = (string) wp_json_encode( self::fresh_option( Integration::OPTION ) );
		$this->assertStringNotContainsString( $secret, $stored, 'the option never holds the secret' );
		$page = Http::request( 'GET', self::PAGE, $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertStringContainsString( 'A secret is saved', $page['body'] );
		$this->assertStringNotContainsString( $secret, $page['body'], 'the page never prints the secret' );
		$this->assertMatchesRegularExpression( '/name="ml_connector_visma_client_secret"[^>]*value=""/', $page['body'] );
	}

	/**
	 * @group fn:ml_connector_lookups
	 */
	public function test_mapping_selects_are_filled_from_the_lookups(): void {
		self::needs( 'ml_connector_lookups' );
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$page    = Http::request( 'GET', self::PAGE, $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		// Every choice lists the Nordlys company's own ids (none of them exists in the simulator's default company).
		foreach ( array(
			'account_sales'          => '3001',
			'account_shipping'       => '3701',
			'vat_rate_1'             => 'H',
			'vat_export'             => 'E',
			'payment_method_cod'     => 'ETTERKRAV',
			'cash_account_bacs'      => '1921',
			'customer_class'         => 'DOM',
			'supplier_class'         => 'LEVUTL',
			'credit_terms'           => '10D',
			'branch'                 => '2',
			'subaccount_item_1'      => '21',
			'subaccount_shipping_2'  => '210',
			'sales_order_type'       => 'NO',
			'supplier_payment_method' => 'BANKOVF',
			'sales_order_shipping_item' => 'NL-FRAKT',
			'sales_order_warehouse'  => 'HOVED',
		) as $field => $id ) {
			$this->assertMatchesRegularExpression( '/<select[^>]*name="ml_connector_' . preg_quote( $field, '/' ) . '"[^>]*>.*?<option value="' . $id . '"/s', $page['body'], $field );
		}
		// A saved choice the page cannot find in the company is shown as such, never silently dropped.
		$this->assertMatchesRegularExpression( '/<select[^>]*name="ml_connector_account_fee".*?selected[^>]*>3711 /s', $page['body'] );
	}

	/** Issue #13: only the sales account used to reach the documents; every choice must. */
	public function test_every_choice_reaches_the_settings_document(): void {
		$doc = Integration::settings_document()['settings'];
		$doc = json_decode( (string) wp_json_encode( $doc ), true );
		$this->assertSame( 'NO', $doc['base_country'], 'wc_get_base_location()' );
		$this->assertSame( array( 'NOK', 'SEK', 'EUR' ), $doc['currencies'] );
		$this->assertSame( array( 'class_id' => 'DOM', 'foreign_class_id' => 'INT', 'credit_terms_id' => 'KONTANT' ), $doc['customer'] );
		// Issue #17: suppliers and sales orders carry the merchant's own choices, none of the customer ones.
		$this->assertSame( array( 'number_prefix' => 'NLS', 'class_id' => 'LEVUTL', 'credit_terms_id' => '10D', 'payment_method_id' => 'BANKOVF' ), $doc['supplier'] );
		$this->assertSame(
			array(
				'order_type'        => 'NO',
				'payments'          => 'apply_to_order',
				'refunds'           => 'credit_note',
				'return_order_type' => '',
				'shipping_item' => 'NL-FRAKT',
				'fee_item'      => 'NL-GEBYR',
				'rounding_item' => 'NL-AVRUND',
				'fallback_item' => 'NL-VARE',
				'warehouse'     => 'HOVED',
			),
			$doc['sales_order']
		);
		$this->assertSame( '2', $doc['invoice']['branch_number'] );
		$this->assertSame( array( '3001', '3201', '3701', '3711', '3091', '3741' ), array( $doc['accounts']['sales'], $doc['accounts']['sales_foreign'], $doc['accounts']['shipping'], $doc['accounts']['fee'], $doc['accounts']['refund'], $doc['accounts']['rounding'] ) );
		$this->assertContains( array( 'tax_class' => 'reduced-rate', 'account' => '3011' ), $doc['accounts']['rules'] );
		$this->assertContains( array( 'woo_rate_id' => 2, 'category' => 'M' ), $doc['vat']['rates'] );
		$this->assertSame( array( 'E', 'U' ), array( $doc['vat']['export'], $doc['vat']['not_taxable'] ) );
		$this->assertSame( '25', (string) (float) $doc['vat']['categories']['H'], 'the category rate read from the company' );
		$this->assertSame( array( 'payment_method_id' => 'ETTERKRAV', 'cash_account' => '1921' ), $doc['payment_methods']['cod'] );
		$this->assertSame( array( '11', '110' ), $doc['subaccounts']['item'] );
		$this->assertSame( array( '01', '110' ), $doc['subaccounts']['rounding'] );
		// Issue #14: each chosen category's VAT id, read from the company, so Visma books WooCommerce's VAT.
		$this->assertSame( array( 'UTG25', 'UTG15', 'UTE' ), array( $doc['vat']['vat_ids']['H'], $doc['vat']['vat_ids']['M'], $doc['vat']['vat_ids']['U'] ) );
		$this->assertSame( 'split', $doc['vat']['amount_only_refunds'], 'the default' );
		$stored                            = (array) get_option( Integration::OPTION );
		$stored['vat_amount_only_refunds'] = 'none';
		update_option( Integration::OPTION, $stored );
		try {
			$doc = json_decode( (string) wp_json_encode( Integration::settings_document()['settings'] ), true );
			$this->assertSame( 'none', $doc['vat']['amount_only_refunds'] );
		} finally {
			$stored['vat_amount_only_refunds'] = 'split';
			update_option( Integration::OPTION, $stored );
		}
	}

	/**
	 * Issue #14: an account the merchant has not chosen is never an example id: the order fails naming the setting.
	 *
	 * @group fn:ml_connector_drain
	 */
	public function test_an_unchosen_account_fails_the_order_naming_the_setting(): void {
		update_option( Integration::OPTION, array( 'account_shipping' => '' ) + (array) self::fresh_option( Integration::OPTION ) );
		$this->assertTrue( \MlConnector\Core::configure() );
		$order = self::quiet_order( array( 'shipping' => 'flat_rate' ) );
		do_action( 'woocommerce_new_order', $order->get_id(), $order );
		$jobs = self::drain_until_sent( $order->get_id() );
		$this->assertSame( 'failed', $jobs[0]['state'] );
		$this->assertStringContainsString( 'accounts.shipping', (string) $jobs[0]['last_error'] );
	}

	/**
	 * Issue #13 item 3: a saved secret can be cleared.
	 *
	 * @group fn:ml_connector_delete_secret
	 */
	public function test_the_saved_secret_can_be_cleared(): void {
		self::needs( 'ml_connector_delete_secret' );
		$this->assertTrue( \MlConnector\Core::has_secret( 'visma_client_secret' ) );
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'clear_secret' => '1' ) ) );
		$this->assertFalse( \MlConnector\Core::has_secret( 'visma_client_secret' ) );
		$this->assertSame( 'no', self::fresh_option( Integration::OPTION )['clear_secret'] ?? 'no', 'the box is never stored ticked' );
		$page = Http::request( 'GET', self::PAGE, $session['cookie'] );
		$this->assertStringContainsString( 'No secret saved yet', $page['body'] );
	}

	/**
	 * Issue #14: Test connection names every configured id the company does not have, with its setting.
	 *
	 * @group fn:ml_connector_test_connection
	 */
	public function test_test_connection_names_ids_the_company_does_not_have(): void {
		update_option( Integration::OPTION, array( 'account_fee' => '3710', 'customer_class' => '1' ) + (array) self::fresh_option( Integration::OPTION ) );
		$report = \MlConnector\Core::test_connection();
		$this->assertIsArray( $report );
		$this->assertTrue( $report['ok'] );
		$this->assertSame( array( 'accounts.fee', 'customer.class_id' ), array_column( $report['unknown_ids'], 'setting' ) );
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		Http::request( 'GET', '/wp-admin/admin-post.php?action=ml_connector_test_connection&_wpnonce=' . Http::nonce( $admin, $session, 'ml_connector_test_connection' ), $session['cookie'] );
		$page = Http::request( 'GET', self::PAGE, $session['cookie'] );
		$this->assertStringContainsString( 'id="ml-connector-unknown-ids"', $page['body'] );
		$this->assertStringContainsString( 'setting `accounts.fee`: account &quot;3710&quot; is not in the Visma company', $page['body'] );
	}

	public function test_saved_values_are_escaped_in_the_form(): void {
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$evil    = 'x"><img src=x onerror=alert(1)>';
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'visma_tenant_id' => $evil ) ) );
		$page = Http::request( 'GET', self::PAGE, $session['cookie'] );
		$this->assertStringNotContainsString( 'onerror=alert(1)>', $page['body'] );
		$this->assertStringNotContainsString( '"><img', $page['body'] );
	}

	public function test_invalid_daily_time_is_refused_and_the_old_value_kept(): void {
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'sync_daily_at' => '03:30' ) ) );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'sync_daily_at' => '25:99' ) ) );
		$this->assertSame( '03:30', self::fresh_option( Integration::OPTION )['sync_daily_at'] );
	}

	public function test_a_select_accepts_only_its_choices(): void {
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'document_type' => 'sales_order' ) ) );
		$page = Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'document_type' => '<b>bogus</b>' ) ) );
		$this->assertSame( 'sales_order', self::fresh_option( Integration::OPTION )['document_type'] );
		$this->assertStringContainsString( 'is not one of the choices', $page['body'] );
		$this->assertStringNotContainsString( '<b>bogus</b>', $page['body'] );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'document_type' => 'invoice' ) ) );
	}

	/** @return array<string,array{string,string,int,string}> secret, login, expected status, expected text */
	public static function connection_cases(): array {
		return array(
			'good secret, admin'   => array( self::SECRET, 'admin', 302, 'Connected to' ),
			'bad secret, admin'    => array( 'wrong-secret', 'admin', 302, 'Connection failed:' ),
			'good secret, manager' => array( self::SECRET, 'manager', 302, 'Connected to' ),
			'subscriber'           => array( self::SECRET, 'subscriber', 403, '' ),
		);
	}

	/**
	 * @dataProvider connection_cases
	 * @group fn:ml_connector_test_connection
	 */
	public function test_test_connection_shows_the_company_or_the_reason( string $secret, string $login, int $status, string $text ): void {
		self::needs( 'ml_connector_test_connection', 'ml_connector_save_secret' );
		$admin         = self::user_id( 'admin' );
		$admin_session = Http::session( $admin );
		Http::request( 'POST', self::PAGE, $admin_session['cookie'], $this->form( Http::nonce( $admin, $admin_session, 'woocommerce-settings' ), array( 'mode' => 'visma', 'visma_client_id' => self::CLIENT, 'visma_tenant_id' => self::TENANT, 'visma_client_secret' => $secret ) + self::simulator_urls() ) );

		$user    = self::user_id( $login );
		$session = Http::session( $user );
		$url     = '/wp-admin/admin-post.php?action=ml_connector_test_connection&_wpnonce=' . Http::nonce( $user, $session, 'ml_connector_test_connection' );
		$result  = Http::request( 'GET', $url, $session['cookie'] );
		$this->assertSame( $status, $result['status'] );
		if ( 302 === $status ) {
			$this->assertStringContainsString( 'section=ml_connector', $result['location'] );
			$page = Http::request( 'GET', self::PAGE, $session['cookie'] );
			$this->assertStringContainsString( $text, $page['body'] );
		}
	}

	/**
	 * The extension keeps its Visma client per process: a secret saved by another PHP-FPM worker must still be the
	 * one this process uses next (the settings document carries a marker that changes with the secret).
	 *
	 * @group fn:ml_connector_test_connection
	 */
	public function test_a_secret_saved_by_another_process_is_used_here(): void {
		$before = \MlConnector\Core::test_connection();
		$this->assertIsArray( $before );
		$this->assertTrue( $before['ok'], (string) $before['error'] );
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		Http::request( 'POST', self::PAGE, $session['cookie'], $this->form( Http::nonce( $admin, $session, 'woocommerce-settings' ), array( 'visma_client_secret' => 'wrong-secret' ) ) );
		self::fresh_option( \MlConnector\Core::OPTION_SECRET_VERSION );
		$after = \MlConnector\Core::test_connection();
		$this->assertIsArray( $after );
		$this->assertFalse( $after['ok'] );
		$this->assertStringContainsString( 'invalid_client', (string) $after['error'] );
	}

	public function test_test_connection_refuses_a_bad_nonce(): void {
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$result  = Http::request( 'GET', '/wp-admin/admin-post.php?action=ml_connector_test_connection&_wpnonce=bad', $session['cookie'] );
		$this->assertSame( 403, $result['status'] );
	}

	/** Endpoints of the simulator started by run.sh (ML_SIM_URL). */
	public static function simulator_urls(): array {
		$sim = (string) getenv( 'ML_SIM_URL' );
		self::assertNotSame( '', $sim, 'ML_SIM_URL: run.sh starts the simulator' );
		return array(
			'visma_token_url'            => $sim . '/connect/token',
			'visma_api_base_url'         => $sim,
			'visma_salesorders_base_url' => $sim,
		);
	}

	/** The settings form as the browser posts it: every field, then the overrides. */
	private function form( string $nonce, array $overrides ): array {
		$current = self::fresh_option( Integration::OPTION );
		$current = is_array( $current ) ? $current : array();
		$fields  = array(
			'mode'           => 'visma',
			'store_id'       => 'default',
			'business_model' => 'customers',
			'document_type'  => 'invoice',
			'trigger'        => 'placed',
			'sync_timing'    => 'per_order',
			'sync_daily_at'  => '02:00',
		);
		foreach ( $current as $key => $value ) {
			if ( is_scalar( $value ) && ! in_array( $key, array( 'delete_data_on_uninstall', 'clear_secret' ), true ) ) {
				$fields[ $key ] = (string) $value;
			}
		}
		$fields = array_merge( $fields, $overrides );
		$post   = array(
			'save'     => 'Save changes',
			'_wpnonce' => $nonce,
			'section'  => 'ml_connector',
		);
		foreach ( $fields as $key => $value ) {
			$post[ 'ml_connector_' . $key ] = $value;
		}
		return $post;
	}
}
