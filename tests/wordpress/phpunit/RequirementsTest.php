<?php
/**
 * The requirements gate: what the notice says in each failing case, that it is escaped, and that nothing of the
 * plugin is registered when the gate is closed. No extension function needed except ml_connector_version().
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Requirements;

final class RequirementsTest extends TestCase {

	public function test_all_met_gives_no_problem(): void {
		$this->assertSame( array(), Requirements::evaluate( '8.2.36', true, ML_CONNECTOR_VERSION, ML_CONNECTOR_VERSION, '/etc/php/8.2/fpm/php.ini', 'fpm-fcgi' ) );
	}

	public function test_missing_extension_names_the_ini_line_phpenmod_and_fpm_restart(): void {
		$problems = Requirements::evaluate( '8.2.36', true, null, '0.1.0', '/etc/php/8.2/fpm/php.ini', 'fpm-fcgi' );
		$this->assertCount( 1, $problems );
		$this->assertStringContainsString( 'extension=ml_connector', $problems[0] );
		$this->assertStringContainsString( '/etc/php/8.2/fpm/php.ini', $problems[0] );
		$this->assertStringContainsString( 'phpenmod ml_connector', $problems[0] );
		$this->assertStringContainsString( 'php8.2-fpm', $problems[0] );
	}

	public function test_wrong_extension_version_names_both_versions(): void {
		$problems = Requirements::evaluate( '8.2.36', true, '0.0.9', '0.1.0', '', 'apache2handler' );
		$this->assertCount( 1, $problems );
		$this->assertStringContainsString( '"0.0.9"', $problems[0] );
		$this->assertStringContainsString( '0.1.0', $problems[0] );
		$this->assertStringContainsString( 'Apache', $problems[0] );
	}

	public function test_old_php_and_missing_woocommerce_are_each_named(): void {
		$problems = Requirements::evaluate( '8.1.2', false, '0.1.0', '0.1.0', '', 'cli' );
		$this->assertCount( 2, $problems );
		$this->assertStringContainsString( '8.1.2', $problems[0] );
		$this->assertStringContainsString( 'WooCommerce', $problems[1] );
	}

	public function test_live_site_meets_the_requirements(): void {
		$this->assertSame( array(), Requirements::problems(), 'the test site has WooCommerce (stand-in) and the extension' );
	}

	public function test_hpos_compatibility_is_declared_before_woocommerce_init(): void {
		$declared = \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared['custom_order_tables'] ?? array();
		$this->assertTrue( $declared['ml-connector/plugin.php'] ?? false );
	}

	public function test_notice_is_escaped_and_shown_only_to_managers(): void {
		$notice = static function (): string {
			ob_start();
			Requirements::action_admin_notices();
			return (string) ob_get_clean();
		};
		wp_set_current_user( self::user_id( 'subscriber' ) );
		$this->assertSame( '', $notice(), 'a subscriber sees nothing' );
		wp_set_current_user( 0 );
	}

	public function test_closed_gate_registers_no_hook(): void {
		// Run the gate in a child PHP without any ini (so without the extension): the plugin must add only admin_notices.
		$script = sprintf(
			'$_SERVER["HTTP_HOST"]="%s"; define("ML_PROBE", 1); require "%s"; echo json_encode(array("notice" => has_action("admin_notices", array("MlConnector\\\\Requirements", "action_admin_notices")) !== false, "hooks" => has_action("woocommerce_new_order"), "ext" => function_exists("ml_connector_version")));',
			wp_parse_url( ML_TEST_URL, PHP_URL_HOST ) . ':' . wp_parse_url( ML_TEST_URL, PHP_URL_PORT ),
			ML_TEST_STATE . '/wordpress/wp-load.php'
		);
		$output = (string) shell_exec( 'php -n -d extension=mysqlnd -d extension=mysqli -d extension=mbstring -d extension=curl -r ' . escapeshellarg( $script ) . ' 2>/dev/null' );
		$result = json_decode( substr( $output, (int) strrpos( $output, '{' ) ), true );
		$this->assertIsArray( $result, 'child PHP printed JSON: ' . $output );
		$this->assertFalse( $result['ext'] );
		$this->assertTrue( $result['notice'] );
		$this->assertFalse( $result['hooks'], 'no order hook is registered without the extension' );
	}
}
