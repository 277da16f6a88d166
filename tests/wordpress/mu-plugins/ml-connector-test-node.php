<?php
/**
 * TEST ONLY (never shipped): which web node serves this request (issue #16). setup.sh runs two PHP-FPM pools on
 * the one test site, node a (ML_NODE=a, the suite's site) and node b (ML_NODE=b, its own nginx vhost): two web
 * servers of one shop, sharing the WordPress directory and database. Each keeps its own plugin data directory, as
 * separate machines would: node b's is node a's with "-b" appended, so a queue left in SQLite is per node and only
 * the WordPress database is shared. Node a, WP-CLI and the PHPUnit process (no ML_NODE) keep the plugin's own.
 *
 * Routes: GET /wp-json/ml-connector-test/v1/node (this node, its data directory and its own queue file's state) and POST …/drain (the
 * background sending's drain, run in this request, with its counts: TwoNodesTest counts what each node sent).
 *
 * @package MlConnectorTests
 */

defined( 'ABSPATH' ) || exit;

if ( ! defined( 'ML_CONNECTOR_TEST_SITE' ) || ! ML_CONNECTOR_TEST_SITE ) {
	return;
}

/**
 * This request's node: the pool's env[ML_NODE] (setup.sh), 'a' when unset.
 */
function ml_connector_test_node(): string {
	$node = (string) getenv( 'ML_NODE' );
	return preg_match( '/^[a-z0-9]{1,16}$/', $node ) ? $node : 'a';
}

add_filter(
	'ml_connector_data_dir',
	static function ( $dir ) {
		$node = ml_connector_test_node();
		return 'a' === $node ? $dir : untrailingslashit( (string) $dir ) . '-' . $node;
	}
);

add_action(
	'rest_api_init',
	static function (): void {
		register_rest_route(
			'ml-connector-test/v1',
			'/node',
			array(
				'methods'             => 'GET',
				'permission_callback' => '__return_true',
				'callback'            => static fn() => array(
					'node'     => ml_connector_test_node(),
					'data_dir' => class_exists( '\MlConnector\Core' ) ? \MlConnector\Core::data_dir() : '',
					'storage'  => class_exists( '\MlConnector\QueueStorage' ) ? \MlConnector\QueueStorage::current( true ) : '',
					'pid'      => getmypid(),
					// Issue #16: this node's own SQLite file while it holds a queue not merged into the shared one.
					'local'    => class_exists( '\MlConnector\Core' ) && is_array( \MlConnector\Core::status() ) ? ( \MlConnector\Core::status()['local_queue'] ?? null ) : null,
					'status'   => class_exists( '\MlConnector\Core' ) ? \MlConnector\Core::status() : null,
				),
			)
		);
		register_rest_route(
			'ml-connector-test/v1',
			'/drain',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => static function () {
					// What the Action Scheduler action and the loopback runner run (php/Scheduler.php), but inside
					// this request, so its counts can be answered.
					$result = \MlConnector\Scheduler::action_ml_connector_drain();
					if ( is_wp_error( $result ) ) {
						return new WP_REST_Response( array( 'node' => ml_connector_test_node(), 'error' => $result->get_error_message() ), 500 );
					}
					return array(
						'node'   => ml_connector_test_node(),
						'pid'    => getmypid(),
						'result' => $result,
					);
				},
			)
		);
	}
);
