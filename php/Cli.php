<?php
/**
 * `wp ml-connector …`: status, drain, replay, backfill, map, reconcile, storage. The ## OPTIONS docblocks are the
 * help text. Everything goes through Core; output is plain text or tables, errors go to WP_CLI::error (exit 1).
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Manage the ml-connector queue from the command line.
 */
class Cli {

	/** The drain report's keys in the order `drain` prints them (the extension returns them keyed alphabetically). */
	private const DRAIN_COUNTS = array( 'posted', 'adopted', 'already_posted', 'edited_after_posting', 'skipped', 'retry', 'failed', 'dead', 'lost_lease', 'remaining', 'stopped' );

	/**
	 * Show the queue counts, the oldest pending job and the last error.
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector status
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function status( array $args, array $assoc_args ): void {
		$status = self::ok( Core::status() );
		foreach ( (array) ( $status['counts'] ?? array() ) as $state => $count ) {
			\WP_CLI::line( sprintf( '%-8s %d', (string) $state, (int) $count ) );
		}
		\WP_CLI::line( 'oldest pending: ' . (string) ( $status['oldest_pending_at'] ?? '-' ) );
		\WP_CLI::line( 'last error:     ' . (string) ( $status['last_error'] ?? '-' ) );
	}

	/**
	 * Send due jobs to Visma.net now.
	 *
	 * ## OPTIONS
	 *
	 * [--limit=<n>]
	 * : Most jobs to send.
	 * ---
	 * default: 100
	 * ---
	 *
	 * [--deadline-ms=<ms>]
	 * : Stop starting new jobs after this many milliseconds.
	 * ---
	 * default: 60000
	 * ---
	 *
	 * Prints one line of counts, always in this order: posted, adopted, already_posted, edited_after_posting,
	 * skipped, retry, failed, dead, lost_lease, remaining, stopped (then the stop reason when the drain was
	 * stopped). Exits 1 when a job failed or died, or the drain was stopped.
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector drain --limit=10
	 *     Success: posted=3 adopted=0 already_posted=0 edited_after_posting=0 skipped=1 retry=0 failed=0 dead=0 lost_lease=0 remaining=0 stopped=0
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function drain( array $args, array $assoc_args ): void {
		$started = gmdate( 'Y-m-d\TH:i:s\Z' );
		OrderEvents::enqueue_notes();
		$result  = self::ok( Core::drain( absint( $assoc_args['limit'] ?? 100 ), absint( $assoc_args['deadline-ms'] ?? 60000 ) ) );
		Notifier::after_drain( $started );
		$line = array();
		foreach ( self::DRAIN_COUNTS as $key ) {
			$line[] = $key . '=' . (int) ( $result[ $key ] ?? 0 );
		}
		$message = implode( ' ', $line );
		if ( ! empty( $result['stopped'] ) ) {
			$message .= ' (' . sanitize_text_field( (string) ( $result['stop_reason'] ?? '' ) ) . ')';
		}
		if ( (int) ( $result['failed'] ?? 0 ) + (int) ( $result['dead'] ?? 0 ) > 0 || ! empty( $result['stopped'] ) ) {
			\WP_CLI::error( $message . ' (see "wp ml-connector status" and the audit)' );
		}
		\WP_CLI::success( $message );
	}

	/**
	 * Put a job, or every failed job, back in the queue.
	 *
	 * ## OPTIONS
	 *
	 * [<job>]
	 * : The job id.
	 *
	 * [--failed]
	 * : Replay every failed job.
	 *
	 * [--since=<iso8601>]
	 * : With --failed: only jobs that failed since this time.
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector replay 42
	 *     wp ml-connector replay --failed --since=2026-11-01T00:00:00Z
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function replay( array $args, array $assoc_args ): void {
		if ( ! empty( $assoc_args['failed'] ) ) {
			$count = self::ok( Core::replay_failed( sanitize_text_field( (string) ( $assoc_args['since'] ?? '' ) ) ) );
			\WP_CLI::success( sprintf( '%d jobs put back in the queue.', (int) $count ) );
			return;
		}
		$job = absint( $args[0] ?? 0 );
		if ( 0 === $job ) {
			\WP_CLI::error( 'Give a job id or --failed.' );
		}
		self::ok( Core::replay( $job ) );
		\WP_CLI::success( sprintf( 'Job %d put back in the queue.', $job ) );
	}

	/**
	 * Enqueue historical orders created in a date range, page by page in constant memory.
	 *
	 * ## OPTIONS
	 *
	 * --from=<date>
	 * : First day (YYYY-MM-DD, site time).
	 *
	 * --to=<date>
	 * : Last day, inclusive (YYYY-MM-DD).
	 *
	 * [--dry-run]
	 * : Count and list what would be enqueued, enqueue nothing.
	 *
	 * [--batch-size=<n>]
	 * : Orders per page.
	 * ---
	 * default: 100
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector backfill --from=2026-01-01 --to=2026-03-31 --dry-run
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function backfill( array $args, array $assoc_args ): void {
		$from = (string) ( $assoc_args['from'] ?? '' );
		$to   = (string) ( $assoc_args['to'] ?? '' );
		if ( ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $from ) || ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $to ) ) {
			\WP_CLI::error( '--from and --to must be dates like 2026-01-31.' );
		}
		$dry   = ! empty( $assoc_args['dry-run'] );
		$size  = max( 1, min( 500, absint( $assoc_args['batch-size'] ?? 100 ) ) );
		$query = array(
			'type'         => 'shop_order',
			'date_created' => $from . '...' . $to,
			'limit'        => $size,
			'orderby'      => 'ID',
			'order'        => 'ASC',
			'return'       => 'ids',
			'paginate'     => true,
		);
		$first = wc_get_orders( $query + array( 'page' => 1 ) );
		$total = is_object( $first ) ? (int) $first->total : 0;
		$pages = is_object( $first ) ? (int) $first->max_num_pages : 0;
		$bar   = \WP_CLI\Utils\make_progress_bar( $dry ? 'Checking orders' : 'Enqueueing orders', $total );
		$done  = array(
			'enqueued' => 0,
			'skipped'  => 0,
			'errors'   => 0,
		);
		for ( $page = 1; $page <= $pages; $page++ ) {
			$result = 1 === $page ? $first : wc_get_orders( $query + array( 'page' => $page ) );
			foreach ( is_object( $result ) ? (array) $result->orders : array() as $id ) {
				if ( $dry ) {
					++$done['enqueued'];
				} else {
					$outcome = OrderEvents::order_event( (int) $id, 'backfill' );
					++$done[ null === $outcome ? 'skipped' : ( is_wp_error( $outcome ) ? 'errors' : 'enqueued' ) ];
				}
				$bar->tick();
			}
			// Constant memory: drop the object caches filled by this page.
			wp_cache_flush();
		}
		$bar->finish();
		\WP_CLI::success( sprintf( '%s%d orders of %d %s, %d skipped by the trigger setting, %d errors.', $dry ? '[dry run] ' : '', $done['enqueued'], $total, $dry ? 'would be enqueued' : 'enqueued', $done['skipped'], $done['errors'] ) );
	}

	/**
	 * Print the exact Visma.net payload(s) an order would become, without sending.
	 *
	 * ## OPTIONS
	 *
	 * <order-id>
	 * : The WooCommerce order id.
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector map 1234
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function map( array $args, array $assoc_args ): void {
		$order = self::ok( RestPayload::order( absint( $args[0] ?? 0 ) ) );
		\WP_CLI::line( self::ok( Core::map_preview( $order ) ) );
	}

	/**
	 * Compare a month of WooCommerce orders with what reached Visma.net; every difference is named.
	 *
	 * ## OPTIONS
	 *
	 * --month=<yyyy-mm>
	 * : The month.
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector reconcile --month=2026-10
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function reconcile( array $args, array $assoc_args ): void {
		$month = (string) ( $assoc_args['month'] ?? '' );
		if ( ! preg_match( '/^(\d{4})-(\d{2})$/', $month, $m ) ) {
			\WP_CLI::error( '--month must look like 2026-10.' );
		}
		$first = sprintf( '%s-%s-01', $m[1], $m[2] );
		$last  = gmdate( 'Y-m-t', (int) strtotime( $first ) );
		$page  = 1;
		$rows  = array();
		$sums  = array(
			'woo'   => 0,
			'visma' => 0,
		);
		do {
			$orders = wc_get_orders(
				array(
					'type'         => 'shop_order',
					'date_created' => $first . '...' . $last,
					'limit'        => 100,
					'page'         => $page,
					'orderby'      => 'ID',
					'order'        => 'ASC',
				)
			);
			$orders = is_array( $orders ) ? $orders : array();
			foreach ( $orders as $order ) {
				$minor        = self::minor( (string) $order->get_total() );
				$sums['woo'] += $minor;
				$state        = Core::order_state( (int) $order->get_id() );
				$state        = is_array( $state ) ? $state : array( 'state' => 'unknown' );
				$reason       = (string) ( $state['last_error'] ?? '' );
				if ( 'done' === ( $state['state'] ?? '' ) && ! empty( $state['visma_number'] ) ) {
					// Compare with what Visma holds, not with our own records.
					$visma = Core::visma_totals( (int) $order->get_id() );
					if ( is_array( $visma ) && is_int( $visma['amount_minor'] ?? null ) ) {
						$sums['visma'] += $visma['amount_minor'];
						if ( $visma['amount_minor'] === $minor ) {
							continue;
						}
						/* translators: 1: invoice number, 2: Visma amount */
						$reason = sprintf( __( 'Visma invoice %1$s totals %2$s', 'ml-connector' ), (string) $visma['visma_number'], number_format( $visma['amount_minor'] / 100, 2, '.', '' ) );
					} else {
						$reason = is_wp_error( $visma ) ? $visma->get_error_message() : __( 'the invoice was not found in Visma', 'ml-connector' );
					}
				}
				$rows[] = array(
					'order'  => (int) $order->get_id(),
					'status' => (string) $order->get_status(),
					'total'  => (string) $order->get_total(),
					'sync'   => (string) ( $state['state'] ?? '' ),
					'reason' => $reason,
				);
			}
			wp_cache_flush();
			++$page;
		} while ( count( $orders ) === 100 );
		if ( array() !== $rows ) {
			\WP_CLI\Utils\format_items( 'table', $rows, array( 'order', 'status', 'total', 'sync', 'reason' ) );
		}
		$line = sprintf( 'WooCommerce %s: %.2f, in Visma: %.2f, difference %.2f in %d orders.', $month, $sums['woo'] / 100, $sums['visma'] / 100, ( $sums['woo'] - $sums['visma'] ) / 100, count( $rows ) );
		if ( array() !== $rows ) {
			\WP_CLI::error( $line );
		}
		\WP_CLI::success( $line );
	}

	/**
	 * Show where the queue is, or move it between a SQLite file and the WordPress database (issue #16).
	 *
	 * A move copies every job, the audit, the id map and the saved secret with their ids (nothing is lost or sent
	 * twice), then saves the new storage. It is refused while a drain is sending (try again a minute later) and
	 * when the destination already holds a queue.
	 *
	 * ## OPTIONS
	 *
	 * [<action>]
	 * : Leave out to print where the queue is.
	 * ---
	 * options:
	 *   - move
	 * ---
	 *
	 * [--to=<storage>]
	 * : With move: the storage to move the queue to.
	 * ---
	 * options:
	 *   - wordpress
	 *   - sqlite
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp ml-connector storage
	 *     wordpress: the WordPress database (tables wp_mlc_*)
	 *
	 *     wp ml-connector storage move --to=wordpress
	 *     Success: Moved the queue to the WordPress database (tables wp_mlc_*). Rows copied: jobs=12 job_payloads=12 audit=80 …
	 *
	 * @param array $args       Positional.
	 * @param array $assoc_args Named.
	 */
	public function storage( array $args, array $assoc_args ): void {
		$action = (string) ( $args[0] ?? '' );
		if ( '' === $action ) {
			$storage = QueueStorage::current( true );
			\WP_CLI::line( $storage . ': ' . QueueStorage::describe( $storage ) );
			return;
		}
		if ( 'move' !== $action ) {
			\WP_CLI::error( sprintf( 'Unknown action "%s": leave it out, or use "move --to=wordpress|sqlite".', sanitize_text_field( $action ) ) );
		}
		$to = (string) ( $assoc_args['to'] ?? '' );
		if ( ! in_array( $to, QueueStorage::CHOICES, true ) ) {
			\WP_CLI::error( '--to must be wordpress or sqlite.' );
		}
		$rows = self::ok( QueueStorage::move( $to ) );
		\WP_CLI::success( sprintf( 'Moved the queue to %s. Rows copied: %s', QueueStorage::describe( $to ), QueueStorage::rows_text( $rows ) ) );
	}

	/**
	 * "1234.5" → 123450 without floating point (WooCommerce totals are decimal strings, 2 decimals here).
	 *
	 * @param string $amount Decimal string.
	 */
	public static function minor( string $amount ): int {
		if ( ! preg_match( '/^(-?)(\d*)(?:\.(\d*))?$/', trim( $amount ), $m ) ) {
			return 0;
		}
		$fraction = substr( str_pad( $m[3] ?? '', 2, '0' ), 0, 2 );
		$value    = (int) ( '' === $m[2] ? '0' : $m[2] ) * 100 + (int) $fraction;
		return '-' === $m[1] ? -$value : $value;
	}

	/**
	 * The value, or WP_CLI::error with the WP_Error's message.
	 *
	 * @param mixed $result Result or WP_Error.
	 * @return mixed
	 */
	private static function ok( mixed $result ): mixed {
		if ( is_wp_error( $result ) ) {
			\WP_CLI::error( $result->get_error_message() . ' (' . $result->get_error_code() . ')' );
		}
		return $result;
	}
}
