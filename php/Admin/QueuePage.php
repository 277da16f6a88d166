<?php
/**
 * WooCommerce › ml-connector: the queue (QueueTable), the recent audit, the replay actions, and where the queue
 * lives with the button that moves it (issue #16). Every action checks manage_woocommerce and a nonce bound to
 * its object (ml_connector_replay_{job id}, ml_connector_move_queue_{destination}); actions come from an
 * allow-list of admin-post handlers, never from a dynamic method name.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Admin;

use MlConnector\Core;
use MlConnector\QueueStorage;

defined( 'ABSPATH' ) || exit;

/**
 * The queue screen and its handlers.
 */
final class QueuePage {

	public const SLUG = 'ml-connector';

	/**
	 * Adds the submenu under WooCommerce.
	 */
	public static function action_admin_menu(): void {
		add_submenu_page(
			'woocommerce',
			__( 'ml-connector queue', 'ml-connector' ),
			__( 'ml-connector', 'ml-connector' ),
			'manage_woocommerce',
			self::SLUG,
			array( self::class, 'render' )
		);
	}

	/**
	 * The URL of a Replay action for one job.
	 *
	 * @param int $job_id Job id.
	 */
	public static function replay_url( int $job_id ): string {
		return wp_nonce_url(
			admin_url( 'admin-post.php?action=ml_connector_replay&job=' . $job_id ),
			'ml_connector_replay_' . $job_id
		);
	}

	/**
	 * Prints the page.
	 */
	public static function render(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to see the ml-connector queue.', 'ml-connector' ), 403 );
		}
		$table = new QueueTable();
		$table->prepare_items();

		echo '<div class="wrap" id="ml-connector-queue"><h1 class="wp-heading-inline">' . esc_html__( 'ml-connector queue', 'ml-connector' ) . '</h1>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline-block;margin-left:1em">';
		echo '<input type="hidden" name="action" value="ml_connector_replay_failed" />';
		wp_nonce_field( 'ml_connector_replay_failed' );
		submit_button( __( 'Replay all failed', 'ml-connector' ), 'secondary', 'ml_connector_replay_failed', false );
		echo '</form><hr class="wp-header-end" />';

		self::render_result_notice();
		if ( null !== $table->error ) {
			echo '<div class="notice notice-error"><p>' . esc_html( $table->error->get_error_message() ) . '</p></div>';
		}
		$table->views();
		echo '<form method="get"><input type="hidden" name="page" value="' . esc_attr( self::SLUG ) . '" />';
		$state = QueueTable::requested_state();
		if ( '' !== $state ) {
			echo '<input type="hidden" name="state" value="' . esc_attr( $state ) . '" />';
		}
		$table->search_box( __( 'Search by WooCommerce id', 'ml-connector' ), 'ml-connector-search' );
		$table->display();
		echo '</form>';
		self::render_audit();
		self::render_storage();
		echo '</div>';
	}

	/**
	 * admin-post: replay one job. Capability, then the nonce bound to that job.
	 */
	public static function action_admin_post_ml_connector_replay(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to replay ml-connector jobs.', 'ml-connector' ), 403 );
		}
		$job_id = isset( $_REQUEST['job'] ) ? absint( wp_unslash( $_REQUEST['job'] ) ) : 0;
		check_admin_referer( 'ml_connector_replay_' . $job_id );
		$result = $job_id > 0 ? Core::replay( $job_id ) : new \WP_Error( 'ml_connector_input', __( 'No job given.', 'ml-connector' ) );
		\MlConnector\Scheduler::schedule_drain();
		self::redirect_with_result( is_wp_error( $result ) ? $result->get_error_message() : '', is_wp_error( $result ) ? 0 : 1 );
	}

	/**
	 * admin-post: replay every failed job.
	 */
	public static function action_admin_post_ml_connector_replay_failed(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to replay ml-connector jobs.', 'ml-connector' ), 403 );
		}
		check_admin_referer( 'ml_connector_replay_failed' );
		$result = Core::replay_failed( '' );
		\MlConnector\Scheduler::schedule_drain();
		self::redirect_with_result( is_wp_error( $result ) ? $result->get_error_message() : '', is_wp_error( $result ) ? 0 : (int) $result );
	}

	/**
	 * admin-post: move the queue to the other storage (issue #16). Capability, then the nonce bound to the
	 * destination, so a form for one direction cannot be replayed for the other. The storage setting is saved
	 * only after the extension moved every row (QueueStorage::move).
	 */
	public static function action_admin_post_ml_connector_move_queue(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to move the ml-connector queue.', 'ml-connector' ), 403 );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- the nonce is bound to this value, checked next.
		$to = isset( $_POST['to'] ) ? sanitize_key( wp_unslash( $_POST['to'] ) ) : '';
		check_admin_referer( 'ml_connector_move_queue_' . $to );
		$rows = QueueStorage::move( $to );
		if ( is_wp_error( $rows ) ) {
			/* translators: %s: the reason, from the extension */
			self::redirect_with_result( sprintf( __( 'The queue was not moved: %s', 'ml-connector' ), $rows->get_error_message() ), 0 );
		}
		self::redirect_with(
			array(
				'ml_connector_moved' => $to,
				'ml_connector_rows'  => $rows,
			)
		);
	}

	/**
	 * Back to the page with the outcome in the query string (shown escaped).
	 *
	 * @param string $error    Error message or ''.
	 * @param int    $replayed Number of jobs put back.
	 */
	private static function redirect_with_result( string $error, int $replayed ): never {
		self::redirect_with( '' === $error ? array( 'ml_connector_replayed' => $replayed ) : array( 'ml_connector_error' => rawurlencode( $error ) ) );
	}

	/**
	 * Back to the page with these query arguments.
	 *
	 * @param array<string,mixed> $args Query arguments.
	 */
	private static function redirect_with( array $args ): never {
		wp_safe_redirect( add_query_arg( $args, admin_url( 'admin.php?page=' . self::SLUG ) ) );
		exit;
	}

	/**
	 * The outcome of the last action.
	 */
	private static function render_result_notice(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- display only, escaped.
		if ( isset( $_GET['ml_connector_error'] ) ) {
			$error = sanitize_text_field( rawurldecode( wp_unslash( $_GET['ml_connector_error'] ) ) );
			echo '<div class="notice notice-error" id="ml-connector-result"><p>' . esc_html( $error ) . '</p></div>';
		} elseif ( isset( $_GET['ml_connector_replayed'] ) ) {
			$count = absint( $_GET['ml_connector_replayed'] );
			/* translators: %d: number of jobs */
			$text = sprintf( _n( '%d job put back in the queue.', '%d jobs put back in the queue.', $count, 'ml-connector' ), $count );
			echo '<div class="notice notice-success" id="ml-connector-result"><p>' . esc_html( $text ) . '</p></div>';
		} elseif ( isset( $_GET['ml_connector_moved'] ) ) {
			$to   = sanitize_key( wp_unslash( $_GET['ml_connector_moved'] ) );
			$rows = array();
			foreach ( (array) wp_unslash( $_GET['ml_connector_rows'] ?? array() ) as $table => $count ) {
				$rows[ sanitize_key( (string) $table ) ] = absint( $count );
			}
			if ( in_array( $to, QueueStorage::CHOICES, true ) ) {
				$text = sprintf(
					/* translators: 1: where the queue is now, 2: rows copied per table, e.g. "jobs=12 audit=80" */
					__( 'The queue was moved to %1$s. Rows copied: %2$s.', 'ml-connector' ),
					QueueStorage::describe( $to ),
					QueueStorage::rows_text( $rows )
				);
				echo '<div class="notice notice-success" id="ml-connector-result"><p>' . esc_html( $text ) . '</p></div>';
			}
		}
		// phpcs:enable
	}

	/**
	 * Where the queue is and the button that moves it to the other storage.
	 */
	private static function render_storage(): void {
		$storage = QueueStorage::current();
		$to      = QueueStorage::WORDPRESS === $storage ? QueueStorage::SQLITE : QueueStorage::WORDPRESS;
		echo '<h2 id="ml-connector-storage">' . esc_html__( 'Queue storage', 'ml-connector' ) . '</h2>';
		/* translators: %s: where the queue is, e.g. "the WordPress database (tables wp_mlc_*)" */
		echo '<p id="ml-connector-storage-current" data-storage="' . esc_attr( $storage ) . '">' . esc_html( sprintf( __( 'The queue is in %s.', 'ml-connector' ), QueueStorage::describe( $storage ) ) ) . '</p>';
		self::render_local_queue();
		echo '<p>' . esc_html(
			QueueStorage::WORDPRESS === $storage
				? __( 'Every web server of the shop queues into these tables and sends from them. A shop on one web server may move the queue back to a SQLite file.', 'ml-connector' )
				: __( 'A shop on several web servers behind a load balancer needs the queue in the WordPress database: with a SQLite file each server keeps a queue of its own.', 'ml-connector' )
		) . '</p>';
		echo '<p>' . esc_html__( 'A move copies every job, the audit, the id map and the saved secret with their ids: nothing is lost or sent twice. It waits while a drain is sending; try again a minute later.', 'ml-connector' ) . '</p>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="ml-connector-move-queue">';
		echo '<input type="hidden" name="action" value="ml_connector_move_queue" />';
		echo '<input type="hidden" name="to" value="' . esc_attr( $to ) . '" />';
		wp_nonce_field( 'ml_connector_move_queue_' . $to );
		submit_button(
			QueueStorage::WORDPRESS === $to ? __( 'Move the queue to the WordPress database', 'ml-connector' ) : __( 'Move the queue back to a SQLite file', 'ml-connector' ),
			'secondary',
			'ml_connector_move_queue',
			false
		);
		echo '</form>';
	}

	/**
	 * Issue #16: on a shop whose web servers each kept a SQLite file before the queue moved into the WordPress
	 * database, this server's file still holds jobs, notes and history the shared queue has not got. The next
	 * background run on this server merges it; until then (or when the merge failed) the merchant sees it here.
	 */
	private static function render_local_queue(): void {
		$status = Core::status();
		$local  = is_array( $status ) ? ( $status['local_queue'] ?? null ) : null;
		if ( ! is_array( $local ) ) {
			return;
		}
		echo '<div class="notice notice-warning inline" id="ml-connector-local-queue"><p>' . esc_html(
			sprintf(
				/* translators: 1: path of this server's SQLite file, 2: jobs not sent yet, 3: orders noted but not queued */
				__( 'This web server still keeps a queue of its own in %1$s: %2$d jobs to send and %3$d noted objects that are not in the shared queue yet. The next background run on this server merges it into the shared queue (nothing is sent twice).', 'ml-connector' ),
				(string) ( $local['path'] ?? '' ),
				(int) ( $local['unfinished'] ?? 0 ),
				(int) ( $local['notes'] ?? 0 )
			)
		) . '</p>';
		if ( is_string( $local['error'] ?? null ) && '' !== $local['error'] ) {
			echo '<p>' . esc_html( $local['error'] ) . '</p>';
		}
		echo '</div>';
	}

	/**
	 * The latest audit rows.
	 */
	private static function render_audit(): void {
		$rows = Core::audit( array( 'limit' => 50 ) );
		echo '<h2>' . esc_html__( 'Recent activity', 'ml-connector' ) . '</h2>';
		if ( is_wp_error( $rows ) ) {
			echo '<p>' . esc_html( $rows->get_error_message() ) . '</p>';
			return;
		}
		$columns = array( 'at', 'job_id', 'kind', 'woo_id', 'action', 'endpoint', 'http_status', 'duration_ms', 'visma_number', 'error' );
		echo '<table class="widefat striped" id="ml-connector-audit"><thead><tr>';
		foreach ( $columns as $column ) {
			echo '<th>' . esc_html( $column ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $rows as $row ) {
			echo '<tr>';
			foreach ( $columns as $column ) {
				$value = is_array( $row ) ? ( $row[ $column ] ?? '' ) : '';
				echo '<td>' . esc_html( is_scalar( $value ) ? (string) $value : '' ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}
}
