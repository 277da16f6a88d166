<?php
/**
 * TEST DOUBLE of the ml_connector extension's PHP functions (contract: PHP-API.md), used by the WordPress suite
 * for every function the loaded extension does not export yet (all of them when none is loaded); each is declared
 * only when missing, so a partial extension and this double combine. Loaded with php -d auto_prepend_file. It keeps jobs and audit
 * rows in a JSON file in the data directory; "sending" marks a job done with a fake Visma number, except orders
 * whose billing company is "FAIL", which fail for good (so the failure paths can be tested).
 * The same PHPUnit suite runs against the real extension once it exists; nothing here ships.
 */

declare(strict_types=1);

namespace {

	/** The fake's state file and settings, per request. */
	if ( ! class_exists( 'MlConnectorFakeState', false ) ) {
	final class MlConnectorFakeState {
		public static ?array $settings = null;
		public static string $dir      = '';

		/** @return never */
		public static function fail( string $class, string $message, int $code = 1 ): void {
			$fqcn = '\\MlConnector\\Exception\\' . $class;
			if ( class_exists( $fqcn ) ) {
				throw new $fqcn( $message, $code );
			}
			throw new \RuntimeException( $message, $code );
		}

		public static function path(): string {
			if ( '' === self::$dir ) {
				self::fail( 'ConfigException', 'ml_connector_configure() was not called' );
			}
			return self::$dir . '/fake-extension.json';
		}

		/** Runs $fn on the state under an exclusive lock and saves it. */
		public static function with( callable $fn ): mixed {
			$handle = fopen( self::path(), 'c+' );
			flock( $handle, LOCK_EX );
			$raw   = stream_get_contents( $handle );
			$state = json_decode( '' === $raw ? '{}' : $raw, true ) ?: array();
			$state += array( 'next_job' => 1, 'jobs' => array(), 'audit' => array(), 'secrets' => array() );
			$result = $fn( $state );
			ftruncate( $handle, 0 );
			rewind( $handle );
			fwrite( $handle, (string) json_encode( $state ) );
			flock( $handle, LOCK_UN );
			fclose( $handle );
			return $result;
		}

		public static function now(): string {
			return gmdate( 'Y-m-d\TH:i:s\Z' );
		}
	}
	}

	if ( ! function_exists( 'ml_connector_version' ) ) {
	function ml_connector_version(): string {
		return '0.1.0';
	}
	}

	if ( ! function_exists( 'ml_connector_configure' ) ) {
	function ml_connector_configure( string $settings_json, string $data_dir, string $key_material ): void {
		$settings = json_decode( $settings_json, true );
		if ( ! is_array( $settings ) ) {
			MlConnectorFakeState::fail( 'ConfigException', 'settings: not a JSON object' );
		}
		if ( isset( $settings['mode'] ) && ! in_array( $settings['mode'], array( 'simulator', 'visma' ), true ) ) {
			MlConnectorFakeState::fail( 'ConfigException', 'mode: must be "simulator" or "visma"' );
		}
		if ( ! is_dir( $data_dir ) || ! is_writable( $data_dir ) ) {
			MlConnectorFakeState::fail( 'ConfigException', 'data_dir: not a writable directory: ' . $data_dir );
		}
		MlConnectorFakeState::$settings = $settings;
		MlConnectorFakeState::$dir      = $data_dir;
	}
	}

	if ( ! function_exists( 'ml_connector_enqueue' ) ) {
	function ml_connector_enqueue( string $kind, string $payload_json, string $source ): array {
		if ( ! in_array( $kind, array( 'order', 'customer', 'refund' ), true ) ) {
			MlConnectorFakeState::fail( 'InputException', 'kind: unknown "' . $kind . '"' );
		}
		$payload = json_decode( $payload_json, true );
		$object  = 'refund' === $kind ? ( $payload['refund'] ?? null ) : $payload;
		if ( ! is_array( $object ) || ! isset( $object['id'] ) || ! is_int( $object['id'] ) ) {
			MlConnectorFakeState::fail( 'InputException', 'payload: no integer "id"' );
		}
		$revision = sha1( $payload_json );
		return MlConnectorFakeState::with(
			static function ( array &$state ) use ( $kind, $object, $payload, $revision, $source ): array {
				foreach ( $state['jobs'] as $id => $job ) {
					if ( $job['kind'] === $kind && $job['woo_id'] === $object['id'] ) {
						if ( $job['revision'] === $revision || 'done' === $job['state'] ) {
							return array( 'job_id' => (int) $id, 'outcome' => 'duplicate' );
						}
						if ( 'pending' === $job['state'] ) {
							$state['jobs'][ $id ]['revision'] = $revision;
							$state['jobs'][ $id ]['payload']  = $payload;
							return array( 'job_id' => (int) $id, 'outcome' => 'replaced' );
						}
					}
				}
				$id                   = $state['next_job']++;
				$state['jobs'][ $id ] = array(
					'id' => $id, 'kind' => $kind, 'woo_id' => $object['id'], 'state' => 'pending', 'attempts' => 0,
					'next_attempt_at' => MlConnectorFakeState::now(), 'last_error' => null, 'visma_number' => null,
					'created_at' => MlConnectorFakeState::now(), 'updated_at' => MlConnectorFakeState::now(),
					'revision' => $revision, 'payload' => $payload, 'source' => $source,
				);
				$state['audit'][] = array( 'at' => MlConnectorFakeState::now(), 'job_id' => $id, 'kind' => $kind, 'woo_id' => $object['id'], 'action' => 'enqueued', 'endpoint' => null, 'http_status' => null, 'duration_ms' => 0, 'visma_number' => null, 'error' => null );
				return array( 'job_id' => $id, 'outcome' => 'inserted' );
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_drain' ) ) {
	function ml_connector_drain( int $limit, int $deadline_ms ): array {
		return MlConnectorFakeState::with(
			static function ( array &$state ) use ( $limit ): array {
				$counts = array( 'posted' => 0, 'adopted' => 0, 'retry' => 0, 'failed' => 0, 'dead' => 0, 'remaining' => 0 );
				foreach ( $state['jobs'] as $id => $job ) {
					if ( 'pending' !== $job['state'] ) {
						continue;
					}
					if ( $counts['posted'] + $counts['dead'] >= $limit ) {
						++$counts['remaining'];
						continue;
					}
					$order   = 'refund' === $job['kind'] ? ( $job['payload']['order'] ?? array() ) : $job['payload'];
					$fail    = 'FAIL' === ( $order['billing']['company'] ?? '' );
					$number  = $fail ? null : strtoupper( substr( $job['kind'], 0, 3 ) ) . '-' . ( 100000 + $id );
					$error   = $fail ? 'visma rejected POST /v2/customerinvoice with HTTP 400: customer is blocked' : null;
					$state['jobs'][ $id ] = array_merge( $job, array( 'state' => $fail ? 'dead' : 'done', 'attempts' => $job['attempts'] + 1, 'visma_number' => $number, 'last_error' => $error, 'updated_at' => MlConnectorFakeState::now() ) );
					$state['audit'][]     = array( 'at' => MlConnectorFakeState::now(), 'job_id' => $id, 'kind' => $job['kind'], 'woo_id' => $job['woo_id'], 'action' => $fail ? 'dead' : 'posted', 'endpoint' => '/v2/customerinvoice', 'http_status' => $fail ? 400 : 201, 'duration_ms' => 3, 'visma_number' => $number, 'error' => $error );
					++$counts[ $fail ? 'dead' : 'posted' ];
				}
				return $counts;
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_status' ) ) {
	function ml_connector_status(): array {
		return MlConnectorFakeState::with(
			static function ( array &$state ): array {
				$counts = array( 'pending' => 0, 'running' => 0, 'done' => 0, 'failed' => 0, 'dead' => 0 );
				$oldest = null;
				$last   = null;
				foreach ( $state['jobs'] as $job ) {
					++$counts[ $job['state'] ];
					if ( 'pending' === $job['state'] && ( null === $oldest || $job['created_at'] < $oldest ) ) {
						$oldest = $job['created_at'];
					}
					$last = $job['last_error'] ?? $last;
				}
				return array( 'counts' => $counts, 'oldest_pending_at' => $oldest, 'last_error' => $last );
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_jobs' ) ) {
	function ml_connector_jobs( array $filter ): array {
		return MlConnectorFakeState::with(
			static function ( array &$state ) use ( $filter ): array {
				$rows = array();
				foreach ( array_reverse( $state['jobs'], true ) as $job ) {
					foreach ( array( 'state', 'kind', 'woo_id' ) as $key ) {
						if ( isset( $filter[ $key ] ) && $job[ $key ] !== $filter[ $key ] ) {
							continue 2;
						}
					}
					$rows[] = array_diff_key( $job, array( 'payload' => 1, 'revision' => 1, 'source' => 1 ) );
				}
				$per = max( 1, (int) ( $filter['per_page'] ?? 20 ) );
				return array_slice( $rows, ( max( 1, (int) ( $filter['page'] ?? 1 ) ) - 1 ) * $per, $per );
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_audit' ) ) {
	function ml_connector_audit( array $filter ): array {
		return MlConnectorFakeState::with(
			static function ( array &$state ) use ( $filter ): array {
				$rows = array();
				foreach ( array_reverse( $state['audit'] ) as $row ) {
					if ( ( isset( $filter['job_id'] ) && $row['job_id'] !== $filter['job_id'] ) || ( isset( $filter['woo_id'] ) && $row['woo_id'] !== $filter['woo_id'] ) || ( isset( $filter['since'] ) && $row['at'] < $filter['since'] ) ) {
						continue;
					}
					$rows[] = $row;
				}
				return array_slice( $rows, 0, (int) ( $filter['limit'] ?? 100 ) );
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_order_state' ) ) {
	function ml_connector_order_state( int $order_id ): array {
		foreach ( ml_connector_jobs( array( 'kind' => 'order', 'woo_id' => $order_id, 'per_page' => 1 ) ) as $job ) {
			return array( 'state' => $job['state'], 'visma_number' => $job['visma_number'], 'last_error' => $job['last_error'] );
		}
		return array( 'state' => 'none', 'visma_number' => null, 'last_error' => null );
	}
	}

	if ( ! function_exists( 'ml_connector_replay' ) ) {
	function ml_connector_replay( int $job_id ): void {
		MlConnectorFakeState::with(
			static function ( array &$state ) use ( $job_id ): void {
				if ( ! isset( $state['jobs'][ $job_id ] ) ) {
					MlConnectorFakeState::fail( 'InputException', 'job ' . $job_id . ' does not exist' );
				}
				$state['jobs'][ $job_id ]['state'] = 'pending';
				$state['audit'][]                  = array( 'at' => MlConnectorFakeState::now(), 'job_id' => $job_id, 'kind' => $state['jobs'][ $job_id ]['kind'], 'woo_id' => $state['jobs'][ $job_id ]['woo_id'], 'action' => 'replayed', 'endpoint' => null, 'http_status' => null, 'duration_ms' => 0, 'visma_number' => null, 'error' => null );
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_replay_failed' ) ) {
	function ml_connector_replay_failed( string $since ): int {
		$count = 0;
		foreach ( ml_connector_jobs( array( 'per_page' => 100000 ) ) as $job ) {
			if ( in_array( $job['state'], array( 'failed', 'dead' ), true ) && ( '' === $since || $job['updated_at'] >= $since ) ) {
				ml_connector_replay( (int) $job['id'] );
				++$count;
			}
		}
		return $count;
	}
	}

	if ( ! function_exists( 'ml_connector_map_preview' ) ) {
	function ml_connector_map_preview( string $order_json ): string {
		$order = json_decode( $order_json, true );
		if ( ! is_array( $order ) || ! isset( $order['id'] ) ) {
			MlConnectorFakeState::fail( 'InputException', 'order: no "id"' );
		}
		return (string) json_encode( array( 'fake' => true, 'externalReference' => array( 'value' => 'woo:default:' . $order['id'] ), 'amount' => $order['total'] ?? null ), JSON_PRETTY_PRINT );
	}
	}

	if ( ! function_exists( 'ml_connector_test_connection' ) ) {
	function ml_connector_test_connection(): array {
		$settings = MlConnectorFakeState::$settings ?? array();
		$secret   = MlConnectorFakeState::with( static fn( array &$state ) => $state['secrets']['visma_client_secret'] ?? null );
		if ( 'demo-client' !== ( $settings['visma_client_id'] ?? '' ) || 'demo-secret' !== $secret ) {
			return array( 'ok' => false, 'company' => null, 'accounts' => 0, 'vat_categories' => 0, 'error' => 'token endpoint answered HTTP 400 invalid_client: client id or secret is wrong' );
		}
		return array( 'ok' => true, 'company' => 'Demo AS (1234567)', 'accounts' => 14, 'vat_categories' => 6, 'error' => null );
	}
	}

	if ( ! function_exists( 'ml_connector_lookups' ) ) {
	function ml_connector_lookups(): array {
		return array(
			'accounts'            => array( array( '1500', 'Kundefordringer' ), array( '3000', 'Salgsinntekt 25 %' ), array( '3010', 'Salgsinntekt mat 15 %' ), array( '3020', 'Salgsinntekt 12 %' ), array( '3100', 'Salgsinntekt avgiftsfri' ), array( '3700', 'Fraktinntekt' ), array( '3710', 'Gebyrinntekt' ), array( '3740', 'Øreavrunding' ) ),
			'vat_categories'      => array( array( '3', 'Utgående høy sats 25 %' ), array( '31', 'Middels sats 15 %' ), array( '33', 'Lav sats 12 %' ), array( '5', 'Fritatt 0 %' ), array( '6', 'Utenfor avgiftsområdet' ), array( '52', 'Utførsel' ) ),
			'payment_methods'     => array( array( 'BANK', 'Bankoverføring' ), array( 'COD', 'Betal ved levering' ), array( 'CARD', 'Kort' ) ),
			'subaccount_segments' => array(
				array( '1', 'Avdeling', 'values' => array( array( '00', 'Felles' ), array( '10', 'Nettbutikk' ), array( '20', 'Butikk' ) ) ),
				array( '2', 'Kanal', 'values' => array( array( '000', 'Ingen' ), array( '100', 'Web' ), array( '200', 'Marked' ) ) ),
			),
		);
	}
	}

	if ( ! function_exists( 'ml_connector_save_secret' ) ) {
	function ml_connector_save_secret( string $name, string $value ): void {
		MlConnectorFakeState::with(
			static function ( array &$state ) use ( $name, $value ): void {
				$state['secrets'][ $name ] = $value;
			}
		);
	}
	}

	if ( ! function_exists( 'ml_connector_has_secret' ) ) {
	function ml_connector_has_secret( string $name ): bool {
		return MlConnectorFakeState::with( static fn( array &$state ) => isset( $state['secrets'][ $name ] ) );
	}
	}

	if ( ! function_exists( 'ml_connector_health_check' ) ) {
	function ml_connector_health_check( string $data_dir, string $url ): array {
		return array( 'pid' => getmypid(), 'db_ok' => is_writable( $data_dir ), 'http_status' => 200, 'elapsed_ms' => 1 );
	}
	}
}
