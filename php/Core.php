<?php
/**
 * The only caller of the ml_connector_* extension functions (contract: PHP-API.md). Each method configures the
 * extension once per request, calls one function and turns its exceptions into a WP_Error, so no caller ever
 * sees a throw. No mapping, HTTP or SQL here.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Facade over the extension.
 */
final class Core {

	/** Changes whenever a secret is saved; part of the settings document (see save_secret()). */
	public const OPTION_SECRET_VERSION = 'ml_connector_secret_version';

	/**
	 * Hash of the settings JSON last passed to ml_connector_configure() in this request.
	 *
	 * @var string|null
	 */
	private static ?string $configured_hash = null;

	/**
	 * The last configuration error of this request, for the admin notice.
	 *
	 * @var WP_Error|null
	 */
	private static ?WP_Error $config_error = null;

	/**
	 * Enqueues one object (the only call on the checkout path: one short SQLite transaction, no network).
	 *
	 * @param string $kind    order|customer|refund.
	 * @param array  $payload The REST v3 JSON as an array (refund: ['order' => …, 'refund' => …]).
	 * @param string $source  hook|webhook|poll|cli|backfill.
	 * @return array{job_id:int,outcome:string}|WP_Error
	 */
	public static function enqueue( string $kind, array $payload, string $source, ?int $note_seq = null ): array|WP_Error {
		$json = wp_json_encode( $payload );
		if ( false === $json ) {
			return new WP_Error( 'ml_connector_input', __( 'The object could not be encoded as JSON.', 'ml-connector' ) );
		}
		return self::call( 'ml_connector_enqueue', $kind, $json, $source, $note_seq );
	}

	/**
	 * The only call on a shopper's request: notes that an object changed (one small upsert, no JSON, no network).
	 * The background runner builds its REST JSON later (OrderEvents::enqueue_notes), outside the Store API request
	 * where WooCommerce does not load its wc/v3 routes (issue #13).
	 *
	 * @param string $kind      order|refund|customer.
	 * @param int    $woo_id    Id.
	 * @param int    $parent_id A refund's order id, else 0.
	 * @return bool|WP_Error True when newly noted.
	 */
	public static function note( string $kind, int $woo_id, int $parent_id ): bool|WP_Error {
		return self::call( 'ml_connector_note', $kind, $woo_id, $parent_id );
	}

	/**
	 * The oldest noted objects.
	 *
	 * @param int $limit Maximum.
	 * @return array|WP_Error list of {kind, woo_id, parent_id, noted_at, seq}.
	 */
	public static function notes( int $limit ): array|WP_Error {
		return self::call( 'ml_connector_notes', $limit );
	}

	/**
	 * A noted object could not be read: drops the note and audits the reason.
	 *
	 * @param string $kind   Kind.
	 * @param int    $woo_id Id.
	 * @param string $reason Why.
	 * @return mixed|WP_Error
	 */
	public static function note_failed( string $kind, int $woo_id, string $reason ): mixed {
		return self::call( 'ml_connector_note_failed', $kind, $woo_id, $reason );
	}

	/**
	 * Posts due jobs.
	 *
	 * @param int $limit       Maximum jobs.
	 * @param int $deadline_ms Wall-clock budget.
	 * @return array<string,int>|WP_Error posted, adopted, retry, failed, dead, remaining.
	 */
	public static function drain( int $limit, int $deadline_ms ): array|WP_Error {
		return self::call( 'ml_connector_drain', $limit, $deadline_ms );
	}

	/**
	 * Queue counts, oldest pending job and last error.
	 *
	 * @return array|WP_Error
	 */
	public static function status(): array|WP_Error {
		return self::call( 'ml_connector_status' );
	}

	/**
	 * Jobs matching a filter (state, kind, woo_id, page, per_page).
	 *
	 * @param array $filter Filter.
	 * @return array|WP_Error
	 */
	public static function jobs( array $filter ): array|WP_Error {
		return self::call( 'ml_connector_jobs', $filter );
	}

	/**
	 * Audit rows matching a filter (job_id, woo_id, since, limit).
	 *
	 * @param array $filter Filter.
	 * @return array|WP_Error
	 */
	public static function audit( array $filter ): array|WP_Error {
		return self::call( 'ml_connector_audit', $filter );
	}

	/**
	 * The invoices and credit notes Visma holds for this store dated in [$from, $to] (read from Visma).
	 *
	 * @param string $from YYYY-MM-DD.
	 * @param string $to   YYYY-MM-DD.
	 * @return array|WP_Error
	 */
	public static function visma_documents( string $from, string $to ): array|WP_Error {
		return self::call( 'ml_connector_visma_documents', $from, $to );
	}

	/**
	 * Sync state of one order for the list column and meta box.
	 *
	 * @param int $order_id WooCommerce order id.
	 * @return array{state:string,visma_number:?string,last_error:?string}|WP_Error
	 */
	public static function order_state( int $order_id ): array|WP_Error {
		return self::call( 'ml_connector_order_state', $order_id );
	}

	/**
	 * The order's invoice as Visma holds it (read from Visma), for reconciliation.
	 *
	 * @param int $order_id Order id.
	 * @return array{visma_number:?string,amount_minor:?int,vat_minor:?int,currency:?string}|WP_Error
	 */
	public static function visma_totals( int $order_id ): array|WP_Error {
		return self::call( 'ml_connector_visma_totals', $order_id );
	}

	/**
	 * Puts one job back in the queue.
	 *
	 * @param int $job_id Job id.
	 * @return true|WP_Error
	 */
	public static function replay( int $job_id ): bool|WP_Error {
		$result = self::call( 'ml_connector_replay', $job_id );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		// The job is back in the queue: it no longer belongs in the failure notice (issue #13 item 7).
		Notifier::forget( $job_id );
		return true;
	}

	/**
	 * Puts every failed job (since a time, '' = all) back in the queue.
	 *
	 * @param string $since ISO-8601 or ''.
	 * @return int|WP_Error Number of jobs replayed.
	 */
	public static function replay_failed( string $since ): int|WP_Error {
		$result = self::call( 'ml_connector_replay_failed', $since );
		if ( is_int( $result ) && '' === $since ) {
			Notifier::forget( null );
		}
		return $result;
	}

	/**
	 * The Visma payload(s) an order would become (dry run).
	 *
	 * @param array $order The order's REST v3 JSON as an array.
	 * @return string|WP_Error Pretty JSON.
	 */
	public static function map_preview( array $order ): string|WP_Error {
		$json = wp_json_encode( $order );
		if ( false === $json ) {
			return new WP_Error( 'ml_connector_input', __( 'The order could not be encoded as JSON.', 'ml-connector' ) );
		}
		return self::call( 'ml_connector_map_preview', $json );
	}

	/**
	 * Authenticates against Visma (or the simulator) and counts what it finds.
	 *
	 * @return array{ok:bool,company:?string,accounts:int,vat_categories:int,error:?string}|WP_Error
	 */
	public static function test_connection(): array|WP_Error {
		return self::call( 'ml_connector_test_connection' );
	}

	/**
	 * Accounts, VAT categories, payment methods and subaccount segments for the settings selects.
	 *
	 * @return array|WP_Error
	 */
	public static function lookups(): array|WP_Error {
		return self::call( 'ml_connector_lookups' );
	}

	/**
	 * Stores a secret encrypted; it is never returned to PHP.
	 *
	 * @param string $name  visma_client_secret, ….
	 * @param string $value The secret.
	 * @return true|WP_Error
	 */
	public static function save_secret( string $name, string $value ): bool|WP_Error {
		$result = self::call( 'ml_connector_save_secret', $name, $value );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		// A random marker (never derived from the secret) that changes the settings document, so every PHP-FPM
		// worker configures the extension again and stops using a Visma client built with the old secret.
		update_option( self::OPTION_SECRET_VERSION, wp_generate_uuid4(), true );
		return true;
	}

	/**
	 * Deletes a stored secret (the settings page's "Clear the saved secret").
	 *
	 * @param string $name Secret name.
	 * @return true|WP_Error
	 */
	public static function delete_secret( string $name ): bool|WP_Error {
		$result = self::call( 'ml_connector_delete_secret', $name );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		update_option( self::OPTION_SECRET_VERSION, wp_generate_uuid4(), true );
		return true;
	}

	/**
	 * Whether a secret is stored (for the "saved" display).
	 *
	 * @param string $name Secret name.
	 */
	public static function has_secret( string $name ): bool {
		$result = self::call( 'ml_connector_has_secret', $name );
		return true === $result;
	}

	/**
	 * Database and HTTP health for Site Health.
	 *
	 * @param string $url URL to probe.
	 * @return array|WP_Error
	 */
	public static function health_check( string $url ): array|WP_Error {
		return self::call( 'ml_connector_health_check', self::data_dir(), $url );
	}

	/**
	 * Moves the queue from the storage the settings name to $to (issue #16); QueueStorage::move saves the new
	 * storage after this returns.
	 *
	 * @param string $to sqlite|wordpress.
	 * @return array<string,int>|WP_Error Rows copied per table.
	 */
	public static function move_queue( string $to ): array|WP_Error {
		return self::call_unconfigured( 'ml_connector_move_queue', self::settings_json(), self::data_dir(), $to );
	}

	/**
	 * The extension's version, '' when unavailable.
	 */
	public static function version(): string {
		$result = self::call_unconfigured( 'ml_connector_version' );
		return is_string( $result ) ? $result : '';
	}

	/**
	 * The settings as the JSON document ml_connector_configure() validates (PHP-API.md "Settings JSON"), with
	 * the WordPress database's login from wp-config.php (issue #16: read on every request, never stored; it
	 * holds DB_PASSWORD, so this JSON is never printed or logged).
	 */
	public static function settings_json(): string {
		$doc                   = Integration::settings_document();
		$doc['secret_version'] = (string) get_option( self::OPTION_SECRET_VERSION, '' );
		$doc['wordpress_db']   = QueueStorage::wordpress_db();
		$json                  = wp_json_encode( $doc );
		return false === $json ? '{}' : $json;
	}

	/** Option holding the data folder chosen on first use, so every process (FPM, WP-CLI) uses the same queue. */
	public const OPTION_DATA_DIR = 'ml_connector_data_dir';

	/**
	 * Directory for ml-connector.sqlite (customers' names, addresses and e-mails): the constant
	 * ML_CONNECTOR_DATA_DIR, else a queue that already exists where it is, else beside the WordPress folder (outside
	 * the web root) when PHP may create it there, else a folder under wp-content with an unguessable name (as
	 * WooCommerce names its log files): nginx ignores .htaccess, so wp-content/ml-connector-data was downloadable
	 * (issue #13 item 10). Filterable, created with deny files.
	 */
	public static function data_dir(): string {
		/**
		 * Filters the data directory. Keep it outside the web root if you can.
		 *
		 * @param string $dir Absolute path.
		 */
		$dir = (string) apply_filters( 'ml_connector_data_dir', self::default_data_dir() );
		$dir = untrailingslashit( $dir );
		if ( ! is_dir( $dir ) ) {
			wp_mkdir_p( $dir );
		}
		if ( is_dir( $dir ) && is_writable( $dir ) ) {
			if ( ! file_exists( $dir . '/index.php' ) ) {
				file_put_contents( $dir . '/index.php', "<?php\n// Silence is golden.\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			if ( ! file_exists( $dir . '/.htaccess' ) ) {
				file_put_contents( $dir . '/.htaccess', "Require all denied\n<IfModule !mod_authz_core.c>\nDeny from all\n</IfModule>\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
		}
		return $dir;
	}

	/**
	 * Where the data lives unless the site says otherwise (see data_dir()).
	 */
	private static function default_data_dir(): string {
		if ( defined( 'ML_CONNECTOR_DATA_DIR' ) && is_string( ML_CONNECTOR_DATA_DIR ) && '' !== ML_CONNECTOR_DATA_DIR ) {
			return ML_CONNECTOR_DATA_DIR;
		}
		$chosen = (string) get_option( self::OPTION_DATA_DIR, '' );
		if ( '' !== $chosen && is_dir( $chosen ) ) {
			return $chosen;
		}
		$legacy  = WP_CONTENT_DIR . '/ml-connector-data';
		$outside = dirname( untrailingslashit( ABSPATH ) ) . '/ml-connector-data';
		if ( file_exists( $legacy . '/ml-connector.sqlite' ) ) {
			$chosen = $legacy; // an existing queue is never left behind; the admin notice says to move it
		} elseif ( is_dir( $outside ) ? wp_is_writable( $outside ) : wp_is_writable( dirname( $outside ) ) ) {
			$chosen = $outside;
		} else {
			$chosen = WP_CONTENT_DIR . '/ml-connector-data-' . bin2hex( random_bytes( 16 ) );
		}
		update_option( self::OPTION_DATA_DIR, $chosen, true );
		return $chosen;
	}

	/**
	 * Whether the database can be fetched from the guessable legacy URL (cached for a day): the admin notice's
	 * probe, so a merchant learns it without opening Site Health.
	 */
	public static function data_is_downloadable(): bool {
		$dir = self::data_dir();
		if ( untrailingslashit( $dir ) !== WP_CONTENT_DIR . '/ml-connector-data' ) {
			return false;
		}
		$cached = get_transient( 'ml_connector_data_probe' );
		if ( false === $cached ) {
			$response = wp_remote_get( content_url( '/ml-connector-data/ml-connector.sqlite' ), array( 'timeout' => 3, 'redirection' => 0, 'sslverify' => false ) );
			$cached   = ! is_wp_error( $response ) && 200 === (int) wp_remote_retrieve_response_code( $response ) ? 'yes' : 'no';
			set_transient( 'ml_connector_data_probe', $cached, DAY_IN_SECONDS );
		}
		return 'yes' === $cached;
	}

	/**
	 * Configures on every admin screen, so a bad setting is reported wherever the manager is.
	 */
	public static function action_admin_init(): void {
		self::configure();
	}

	/**
	 * Shows a configuration error (bad setting named by the extension) to shop managers.
	 */
	public static function action_admin_notices(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		if ( self::data_is_downloadable() ) {
			printf(
				'<div class="notice notice-error" id="ml-connector-data-public"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: %s: URL of the database file */
						__( 'The ml-connector queue database (customers\' names, addresses and e-mails) can be downloaded from %s. Define ML_CONNECTOR_DATA_DIR in wp-config.php as a folder outside the web root and move the folder\'s files there, or deny the folder in your web server.', 'ml-connector' ),
						content_url( '/ml-connector-data/ml-connector.sqlite' )
					)
				)
			);
		}
		if ( null === self::$config_error ) {
			return;
		}
		printf(
			'<div class="notice notice-error" id="ml-connector-config-error"><p>%s</p></div>',
			esc_html(
				sprintf(
					/* translators: %s: the error message from the extension, naming the bad setting */
					__( 'ml-connector settings are not valid: %s', 'ml-connector' ),
					self::$config_error->get_error_message()
				)
			)
		);
	}

	/**
	 * Configures the extension when the settings changed since the last call in this request. Issue #16: opening
	 * a queue that was moved is refused like a write to it ("the queue was moved to …"); the settings are then read
	 * again past the caches, once (see call()).
	 *
	 * @return true|WP_Error
	 */
	public static function configure(): bool|WP_Error {
		$result = self::configure_current();
		if ( self::is_moved( $result ) ) {
			self::forget_settings();
			$result = self::configure_current();
		}
		return $result;
	}

	/**
	 * configure() with the settings as this request knows them.
	 *
	 * @return true|WP_Error
	 */
	private static function configure_current(): bool|WP_Error {
		$settings = self::settings_json();
		$hash     = md5( $settings );
		if ( $hash === self::$configured_hash ) {
			return true;
		}
		$result = self::call_unconfigured( 'ml_connector_configure', $settings, self::data_dir(), wp_salt( 'auth' ) . wp_salt( 'secure_auth' ) );
		if ( is_wp_error( $result ) ) {
			self::$config_error = $result;
			return $result;
		}
		self::$configured_hash = $hash;
		self::$config_error    = null;
		return true;
	}

	/**
	 * Configures if needed, then calls. Issue #16: when the queue was moved since this process read the settings
	 * (another web server's move, or this request started before it), the old queue refuses the write with
	 * "the queue was moved to …"; the settings are then read again past the caches and the call is made once
	 * more, on the queue they name now.
	 *
	 * @param string $function ml_connector_* name.
	 * @param mixed  ...$args  Arguments, already of the contract's types.
	 * @return mixed|WP_Error
	 */
	private static function call( string $function, mixed ...$args ): mixed {
		$result = self::configure_and_call( $function, $args );
		if ( self::is_moved( $result ) ) {
			self::forget_settings();
			$result = self::configure_and_call( $function, $args );
		}
		return $result;
	}

	/**
	 * Forgets the settings this request read (the option caches and the configured document), so the next
	 * configure() reads the database: another web server may have moved the queue.
	 */
	private static function forget_settings(): void {
		QueueStorage::forget_cached_settings();
		wp_cache_delete( self::OPTION_SECRET_VERSION, 'options' );
		self::$configured_hash = null;
	}

	/**
	 * configure(), then the call.
	 *
	 * @param string $function ml_connector_* name.
	 * @param array  $args     Arguments.
	 * @return mixed|WP_Error
	 */
	private static function configure_and_call( string $function, array $args ): mixed {
		$configured = self::configure();
		if ( is_wp_error( $configured ) ) {
			return $configured;
		}
		return self::call_unconfigured( $function, ...$args );
	}

	/**
	 * Whether a result is the old queue refusing a write after a move (StoreException "the queue was moved to …",
	 * src/store/error.rs; ml_connector_enqueue puts its context before it: "could not queue the order: the queue
	 * was moved to …").
	 *
	 * @param mixed $result A call's result.
	 */
	private static function is_moved( mixed $result ): bool {
		return is_wp_error( $result )
			&& 'ml_connector_store' === $result->get_error_code()
			&& 1 === preg_match( '/(?:^|: )the queue was moved to /', $result->get_error_message() );
	}

	/**
	 * Calls one extension function; exceptions become WP_Error with a stable code per exception class.
	 *
	 * @param string $function ml_connector_* name.
	 * @param mixed  ...$args  Arguments.
	 * @return mixed|WP_Error
	 */
	private static function call_unconfigured( string $function, mixed ...$args ): mixed {
		if ( ! function_exists( $function ) ) {
			return new WP_Error(
				'ml_connector_missing_function',
				/* translators: %s: PHP function name */
				sprintf( __( 'The ml_connector extension does not provide %s(); install the extension that matches this plugin.', 'ml-connector' ), $function )
			);
		}
		try {
			return $function( ...$args );
		} catch ( \MlConnector\Exception\Exception $e ) {
			$short = strtolower( (string) preg_replace( '/Exception$/', '', substr( strrchr( '\\' . get_class( $e ), '\\' ), 1 ) ) );
			return new WP_Error( 'ml_connector_' . ( '' === $short ? 'error' : $short ), $e->getMessage(), array( 'code' => $e->getCode() ) );
		} catch ( \Throwable $e ) {
			// InternalError (a Rust panic), TypeError from a contract mismatch: never fatal on a shop request.
			return new WP_Error( 'ml_connector_internal', $e->getMessage(), array( 'class' => get_class( $e ) ) );
		}
	}
}
