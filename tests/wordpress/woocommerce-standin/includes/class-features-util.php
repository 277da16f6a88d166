<?php
/**
 * Mirrors src/Utilities/FeaturesUtil.php (Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility),
 * which forwards to FeaturesController::declare_compatibility(); it records the declarations so tests can read
 * them. WooCommerce rejects calls made after woocommerce_init; so does this.
 *
 * @package WooCommerceStandin
 */

namespace Automattic\WooCommerce\Utilities;

defined( 'ABSPATH' ) || exit;

/**
 * Mirrors FeaturesUtil.
 */
class FeaturesUtil {

	/** @var array<string,array<string,bool>> feature id => plugin basename => compatible. */
	public static array $declared = array();

	/** Mirrors declare_compatibility( $feature_id, $plugin_file, $positive_compatibility ). */
	public static function declare_compatibility( string $feature_id, string $plugin_file, bool $positive_compatibility = true ): bool {
		if ( did_action( 'woocommerce_init' ) ) {
			return false;
		}
		self::$declared[ $feature_id ][ plugin_basename( $plugin_file ) ] = $positive_compatibility;
		return true;
	}
}
