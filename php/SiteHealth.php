<?php
/**
 * Site Health tests (Tools › Site Health): the extension is loaded, the data directory cannot be fetched over
 * HTTP (or the queue is in the WordPress database), Visma.net (or the simulator) answers, and the queue is not
 * stuck. Results only; nothing is changed.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Site Health tests.
 */
final class SiteHealth {

	/** A pending job older than this means the drain is not running. */
	private const STUCK_AFTER_SECONDS = HOUR_IN_SECONDS;

	/**
	 * Registers the tests.
	 *
	 * @param mixed $tests Tests by type.
	 * @return array
	 */
	public static function filter_site_status_tests( mixed $tests ): array {
		$tests           = is_array( $tests ) ? $tests : array();
		$tests['direct'] = is_array( $tests['direct'] ?? null ) ? $tests['direct'] : array();
		foreach ( array( 'extension', 'data_dir', 'visma', 'queue' ) as $name ) {
			$tests['direct'][ 'ml_connector_' . $name ] = array(
				'label' => __( 'ml-connector', 'ml-connector' ),
				'test'  => array( self::class, 'test_' . $name ),
			);
		}
		return $tests;
	}

	/**
	 * The extension answers with the plugin's version.
	 */
	public static function test_extension(): array {
		$version = Core::version();
		if ( ML_CONNECTOR_VERSION === $version ) {
			/* translators: %s: version */
			return self::result( 'extension', 'good', sprintf( __( 'The ml_connector extension %s is loaded', 'ml-connector' ), $version ), '' );
		}
		$problems = Requirements::problems();
		return self::result( 'extension', 'critical', __( 'The ml_connector extension is not usable', 'ml-connector' ), implode( ' ', $problems ) );
	}

	/**
	 * Where the queue is. In the WordPress database (issue #16) that is said; the data directory is still probed,
	 * since the SQLite file a move leaves behind keeps its customers' names and addresses.
	 */
	public static function test_data_dir(): array {
		$result = self::sqlite_data_dir();
		if ( QueueStorage::WORDPRESS !== QueueStorage::current() || 'critical' === $result['status'] ) {
			return $result;
		}
		return self::result(
			'data_dir',
			'good',
			/* translators: %s: table name prefix followed by *, e.g. wp_mlc_* */
			sprintf( __( 'The ml-connector queue is in the WordPress database (tables %s*)', 'ml-connector' ), QueueStorage::table_prefix() ),
			sprintf(
				/* translators: 1: directory, 2: what the data directory check found */
				__( 'Every web server of the shop uses these tables. The data directory %1$s holds no queue now, only the SQLite file a move left there: %2$s.', 'ml-connector' ),
				Core::data_dir(),
				$result['label']
			)
		);
	}

	/**
	 * The SQLite file must not be downloadable. Probes the URL of the database file inside wp-content.
	 */
	private static function sqlite_data_dir(): array {
		$dir     = Core::data_dir();
		$content = untrailingslashit( WP_CONTENT_DIR );
		if ( ! str_starts_with( $dir, $content . '/' ) ) {
			/* translators: %s: directory */
			return self::result( 'data_dir', 'good', sprintf( __( 'The ml-connector data directory %s is outside wp-content', 'ml-connector' ), $dir ), '' );
		}
		if ( 'ml-connector-data' !== basename( $dir ) ) {
			return self::result(
				'data_dir',
				'recommended',
				/* translators: %s: directory */
				sprintf( __( 'The ml-connector data directory %s is inside wp-content under an unguessable name', 'ml-connector' ), $dir ),
				__( 'PHP may not create a folder outside the web root here. Define ML_CONNECTOR_DATA_DIR in wp-config.php as a folder outside it that PHP can write, and move the files there.', 'ml-connector' )
			);
		}
		$url      = content_url( substr( $dir, strlen( $content ) ) . '/ml-connector.sqlite' );
		$response = wp_remote_get(
			$url,
			array(
				'timeout'     => 5,
				'redirection' => 0,
				'sslverify'   => false,
			)
		);
		$status   = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		if ( 200 === $status ) {
			return self::result(
				'data_dir',
				'critical',
				__( 'The ml-connector database can be downloaded from the web', 'ml-connector' ),
				sprintf(
					/* translators: 1: URL, 2: directory */
					__( '%1$s answered HTTP 200. Deny the directory in the web server (nginx: "location ^~ /wp-content/ml-connector-data/ { deny all; }"; Apache reads the .htaccess already there), or move it outside the web root with the ml_connector_data_dir filter. Directory: %2$s', 'ml-connector' ),
					$url,
					$dir
				)
			);
		}
		/* translators: %d: HTTP status, 0 when the request failed */
		return self::result( 'data_dir', 'good', __( 'The ml-connector data directory is not web-readable', 'ml-connector' ), sprintf( __( 'The database URL answered HTTP %d.', 'ml-connector' ), $status ) );
	}

	/**
	 * Visma.net (or the simulator) accepts the credentials.
	 */
	public static function test_visma(): array {
		$result = Core::test_connection();
		if ( is_array( $result ) && ! empty( $result['ok'] ) ) {
			/* translators: %s: company */
			return self::result( 'visma', 'good', sprintf( __( 'ml-connector reaches Visma.net company %s', 'ml-connector' ), (string) ( $result['company'] ?? '' ) ), '' );
		}
		$error = is_wp_error( $result ) ? $result->get_error_message() : (string) ( $result['error'] ?? '' );
		return self::result( 'visma', 'critical', __( 'ml-connector cannot reach Visma.net', 'ml-connector' ), $error );
	}

	/**
	 * No pending job waits longer than an hour.
	 */
	public static function test_queue(): array {
		$status = Core::status();
		if ( is_wp_error( $status ) ) {
			return self::result( 'queue', 'critical', __( 'The ml-connector queue cannot be read', 'ml-connector' ), $status->get_error_message() );
		}
		$oldest = is_string( $status['oldest_pending_at'] ?? null ) ? strtotime( $status['oldest_pending_at'] ) : false;
		if ( false !== $oldest && time() - $oldest > self::STUCK_AFTER_SECONDS ) {
			return self::result(
				'queue',
				'critical',
				__( 'The ml-connector queue is stuck', 'ml-connector' ),
				sprintf(
					/* translators: %s: time */
					__( 'A job has waited since %s. Check that WP-Cron or Action Scheduler runs (Tools › Scheduled Actions) or run "wp ml-connector drain".', 'ml-connector' ),
					(string) $status['oldest_pending_at']
				)
			);
		}
		return self::result( 'queue', 'good', __( 'The ml-connector queue is moving', 'ml-connector' ), '' );
	}

	/**
	 * One Site Health result.
	 *
	 * @param string $name        Test name.
	 * @param string $status      good|recommended|critical.
	 * @param string $label       Headline.
	 * @param string $description Details (plain text).
	 */
	private static function result( string $name, string $status, string $label, string $description ): array {
		return array(
			'label'       => $label,
			'status'      => $status,
			'badge'       => array(
				'label' => __( 'ml-connector', 'ml-connector' ),
				'color' => 'good' === $status ? 'blue' : 'red',
			),
			'description' => '' === $description ? '' : '<p>' . esc_html( $description ) . '</p>',
			'actions'     => '',
			'test'        => 'ml_connector_' . $name,
		);
	}
}
