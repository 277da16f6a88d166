<?php
/**
 * Where the queue lives (issue #16): a SQLite file in the data directory (one web server), or tables
 * `{base_prefix}mlc_*` in the shop's own WordPress database (several web servers behind a load balancer share
 * it), and moving it from one to the other.
 *
 * The choice is the `storage` key of the option ml_connector_settings. It changes only here, after the extension
 * has moved the queue (ml_connector_move_queue through Core::move_queue), never through the settings form. The
 * database login comes from wp-config.php on every request (wordpress_db(), added by Core::settings_json) and is
 * never stored, printed or logged.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The queue's storage setting and the move between storages.
 */
final class QueueStorage {

	/** `{data_dir}/ml-connector.sqlite`, the default. */
	public const SQLITE = 'sqlite';

	/** Tables `{base_prefix}mlc_*` in the WordPress database. */
	public const WORDPRESS = 'wordpress';

	/** Every storage, the allow-list of a move's destination. */
	public const CHOICES = array( self::SQLITE, self::WORDPRESS );

	/**
	 * The storage the option names now ('' and anything unknown read as SQLite, as the extension reads them).
	 *
	 * @param bool $fresh Read the option from the database, past this request's caches (another web server may
	 *                    have moved the queue since they were filled).
	 */
	public static function current( bool $fresh = false ): string {
		if ( $fresh ) {
			self::forget_cached_settings();
		}
		$stored = get_option( Integration::OPTION, array() );
		$value  = is_array( $stored ) && is_string( $stored['storage'] ?? null ) ? trim( $stored['storage'] ) : '';
		return self::WORDPRESS === $value ? self::WORDPRESS : self::SQLITE;
	}

	/**
	 * Drops the cached copies of the settings option (alloptions, the option's own key, notoptions), so the next
	 * get_option() reads the database. With a persistent object cache this deletes the shared entries, which
	 * every server then fills again from the database.
	 */
	public static function forget_cached_settings(): void {
		foreach ( array( 'alloptions', Integration::OPTION, 'notoptions' ) as $key ) {
			wp_cache_delete( $key, 'options' );
		}
	}

	/**
	 * The WordPress database as wp-config.php defines it, for the settings document's `wordpress_db`. Read on
	 * every request and never saved (it holds DB_PASSWORD).
	 *
	 * @return array{host:string,name:string,user:string,password:string,prefix:string}
	 */
	public static function wordpress_db(): array {
		return array(
			'host'     => defined( 'DB_HOST' ) ? (string) DB_HOST : '',
			'name'     => defined( 'DB_NAME' ) ? (string) DB_NAME : '',
			'user'     => defined( 'DB_USER' ) ? (string) DB_USER : '',
			'password' => defined( 'DB_PASSWORD' ) ? (string) DB_PASSWORD : '',
			'prefix'   => self::base_prefix(),
		);
	}

	/**
	 * The tables' common prefix, e.g. `wp_mlc_` (the network's base prefix: one queue per multisite network, as
	 * one SQLite file serves the whole network).
	 */
	public static function table_prefix(): string {
		return self::base_prefix() . 'mlc_';
	}

	/**
	 * Where a storage keeps the queue, for people: the file's path, or the database tables' prefix (never the
	 * database login).
	 *
	 * @param string $storage sqlite|wordpress.
	 */
	public static function describe( string $storage ): string {
		if ( self::WORDPRESS === $storage ) {
			/* translators: %s: table name prefix followed by *, e.g. wp_mlc_* */
			return sprintf( __( 'the WordPress database (tables %s*)', 'ml-connector' ), self::table_prefix() );
		}
		/* translators: %s: path of the SQLite file */
		return sprintf( __( 'a SQLite file in the data directory (%s)', 'ml-connector' ), Core::data_dir() . '/ml-connector.sqlite' );
	}

	/**
	 * Moves the queue to $to: the extension copies every row with its id and marks the old queue moved; only
	 * then is the new storage saved. A process still on the old settings has its write refused ("the queue was
	 * moved to …") and retries on the new queue (Core::call).
	 *
	 * @param string $to sqlite|wordpress.
	 * @return array<string,int>|WP_Error Rows copied per table.
	 */
	public static function move( string $to ): array|WP_Error {
		if ( ! in_array( $to, self::CHOICES, true ) ) {
			/* translators: %s: the refused value */
			return new WP_Error( 'ml_connector_input', sprintf( __( 'The queue can move to "sqlite" or "wordpress", not "%s".', 'ml-connector' ), $to ) );
		}
		// The document sent must name where the queue is now, which another server may have changed.
		$from = self::current( true );
		if ( $from === $to ) {
			/* translators: %s: where the queue is, e.g. "the WordPress database (tables wp_mlc_*)" */
			return new WP_Error( 'ml_connector_input', sprintf( __( 'The queue is already in %s.', 'ml-connector' ), self::describe( $to ) ) );
		}
		$rows = Core::move_queue( $to );
		if ( is_wp_error( $rows ) ) {
			return $rows;
		}
		$stored = get_option( Integration::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		// Saved only now that the rows are in the new queue. The new version changes the settings document even
		// when a queue moves back to where it was, so every worker reopens it (the extension keeps its queue open
		// while the document is unchanged).
		$stored['storage']         = $to;
		$stored['storage_version'] = wp_generate_uuid4();
		update_option( Integration::OPTION, $stored );
		Core::configure();
		Scheduler::schedule_drain();
		$counts = array();
		foreach ( $rows as $table => $count ) {
			if ( is_string( $table ) && is_int( $count ) ) {
				$counts[ $table ] = $count;
			}
		}
		return $counts;
	}

	/**
	 * Copied rows as "jobs=12 audit=80 …" (table names as the extension reports them).
	 *
	 * @param array<string,int> $rows Rows copied per table.
	 */
	public static function rows_text( array $rows ): string {
		$parts = array();
		foreach ( $rows as $table => $count ) {
			$parts[] = sanitize_key( (string) $table ) . '=' . (int) $count;
		}
		return implode( ' ', $parts );
	}

	/**
	 * `$wpdb->base_prefix`.
	 */
	private static function base_prefix(): string {
		global $wpdb;
		return is_object( $wpdb ) && isset( $wpdb->base_prefix ) ? (string) $wpdb->base_prefix : 'wp_';
	}
}
