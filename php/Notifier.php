<?php
/**
 * Tells people what the background drain did: an order note when an order or refund reached Visma or failed for
 * good, an admin notice while permanent failures exist, and one batched e-mail per hour to the shop admin
 * (never one mail per order). Reads the audit through Core; writes only order notes and its own options.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Order notes, notices and the failure digest.
 */
final class Notifier {

	public const HOOK_FAILURE_MAIL = 'ml_connector_failure_mail';
	public const OPTION_DIGEST     = 'ml_connector_failure_digest';
	public const OPTION_PAUSE_MAIL = 'ml_connector_pause_mailed';

	/** Audit actions (PHP-API.md ml_connector_audit rows) that end a job well, and for good badly. */
	private const SUCCESS_ACTIONS   = array( 'posted', 'adopted' );
	private const PERMANENT_ACTIONS = array( 'failed', 'dead' );

	/**
	 * Reads the audit rows written since the drain started and acts on each finished job.
	 *
	 * @param string $since ISO-8601 UTC time the drain started.
	 */
	public static function after_drain( string $since ): void {
		$rows = Core::audit(
			array(
				'since' => $since,
				'limit' => 500,
			)
		);
		if ( is_wp_error( $rows ) ) {
			return;
		}
		self::mail_pause();
		$digest = get_option( self::OPTION_DIGEST, array() );
		$digest = is_array( $digest ) ? $digest : array();
		// The audit answers newest first; a job that failed and then went through is read in that order.
		foreach ( array_reverse( $rows ) as $row ) {
			if ( ! is_array( $row ) ) {
				continue;
			}
			$action = (string) ( $row['action'] ?? '' );
			if ( in_array( $action, self::SUCCESS_ACTIONS, true ) ) {
				self::note( $row, true );
				// Sent after all (Send again, a fix): no longer a failure to show.
				unset( $digest[ 'job-' . (int) ( $row['job_id'] ?? 0 ) ] );
			} elseif ( in_array( $action, self::PERMANENT_ACTIONS, true ) ) {
				self::note( $row, false );
				// Keyed by job: a job replayed and failing again is still one document in the notice and mail.
				$digest[ 'job-' . (int) ( $row['job_id'] ?? 0 ) ] = array(
					'job_id' => (int) ( $row['job_id'] ?? 0 ),
					'kind'   => (string) ( $row['kind'] ?? '' ),
					'woo_id' => (int) ( $row['woo_id'] ?? 0 ),
					'error'  => (string) ( $row['error'] ?? '' ),
				);
			} elseif ( 'merge_conflict' === $action ) {
				// Issue #16: two web servers' queues both posted this order before they were merged; Visma holds two
				// documents for it. Said on the order, in the notice and in the mail: the accountant credits one.
				self::note( $row, false, __( 'ml-connector: this order reached Visma.net twice, from two web servers\' queues before they were merged:', 'ml-connector' ) . ' ' . (string) ( $row['error'] ?? '' ) );
				$digest[ 'conflict-' . (string) ( $row['kind'] ?? '' ) . '-' . (int) ( $row['woo_id'] ?? 0 ) ] = array(
					'job_id' => 0,
					'kind'   => (string) ( $row['kind'] ?? '' ),
					'woo_id' => (int) ( $row['woo_id'] ?? 0 ),
					'error'  => (string) ( $row['error'] ?? '' ),
				);
			}
		}
		if ( array() === $digest ) {
			delete_option( self::OPTION_DIGEST );
		} else {
			update_option( self::OPTION_DIGEST, array_slice( $digest, -200 ), false );
			if ( function_exists( 'as_schedule_single_action' ) && ! as_has_scheduled_action( self::HOOK_FAILURE_MAIL, array(), Scheduler::GROUP ) ) {
				as_schedule_single_action( time() + HOUR_IN_SECONDS, self::HOOK_FAILURE_MAIL, array(), Scheduler::GROUP, true );
			}
		}
	}

	/**
	 * Drops replayed jobs from the failure digest (null: all of them), so the notice does not outlive the fix.
	 *
	 * @param int|null $job_id Job, or null for every job.
	 */
	public static function forget( ?int $job_id ): void {
		$digest = get_option( self::OPTION_DIGEST, array() );
		if ( null === $job_id || ! is_array( $digest ) ) {
			delete_option( self::OPTION_DIGEST );
			return;
		}
		unset( $digest[ 'job-' . $job_id ] );
		array() === $digest ? delete_option( self::OPTION_DIGEST ) : update_option( self::OPTION_DIGEST, $digest, false );
	}

	/**
	 * One e-mail per pause (a wrong secret, a client not approved for the company…): the queue stops sending and
	 * the shop manager must act; sending resumes by itself once the connection works.
	 */
	private static function mail_pause(): void {
		$pause = self::pause();
		if ( null === $pause || get_option( self::OPTION_PAUSE_MAIL ) === $pause['since'] ) {
			return;
		}
		update_option( self::OPTION_PAUSE_MAIL, $pause['since'], false );
		wp_mail(
			(string) get_option( 'admin_email' ),
			sprintf(
				/* translators: %s: site name */
				__( '[%s] ml-connector has stopped sending to Visma.net', 'ml-connector' ),
				wp_specialchars_decode( get_bloginfo( 'name' ), ENT_QUOTES )
			),
			self::pause_text( $pause ) . "\n\n" . TestConnection::settings_url() . "\n"
		);
	}

	/**
	 * The queue's pause, if any: {reason, setting, since}.
	 *
	 * @return array{reason:string,setting:?string,since:string}|null
	 */
	public static function pause(): ?array {
		$status = Core::status();
		$pause  = is_array( $status ) ? ( $status['paused'] ?? null ) : null;
		return is_array( $pause ) && isset( $pause['reason'], $pause['since'] ) ? $pause : null;
	}

	/**
	 * What the notice and the e-mail say about a pause.
	 *
	 * @param array $pause The pause.
	 */
	private static function pause_text( array $pause ): string {
		$text = sprintf(
			/* translators: %s: the reason, e.g. "bad client id or client secret (invalid_client)" */
			__( 'ml-connector has stopped sending orders to Visma.net: %s.', 'ml-connector' ),
			(string) $pause['reason']
		);
		if ( ! empty( $pause['setting'] ) ) {
			$text .= ' ' . sprintf(
				/* translators: %s: the setting to fix */
				__( 'Check the setting "%s".', 'ml-connector' ),
				(string) $pause['setting']
			);
		}
		return $text . ' ' . __( 'Orders wait in the queue; sending resumes by itself once the connection works (press Test connection after fixing it).', 'ml-connector' );
	}

	/**
	 * Sends the batched failure e-mail of the failures not mailed yet; they stay in the digest (the notice).
	 */
	public static function action_ml_connector_failure_mail(): void {
		$digest = get_option( self::OPTION_DIGEST, array() );
		if ( ! is_array( $digest ) || array() === $digest ) {
			return;
		}
		// Issue #13: the e-mail reports each failure once, but the notice stays until the job is replayed or sent
		// (mailing used to empty the digest, and with it the notice, while the orders were still not in Visma).
		$lines = array();
		foreach ( $digest as $key => $item ) {
			if ( ! is_array( $item ) || ! empty( $item['mailed'] ) ) {
				continue;
			}
			$lines[]                  = sprintf( '#%d %s %d: %s', (int) $item['job_id'], (string) $item['kind'], (int) $item['woo_id'], (string) $item['error'] );
			$digest[ $key ]['mailed'] = true;
		}
		if ( array() === $lines ) {
			return;
		}
		$subject = sprintf(
			/* translators: 1: site name, 2: number of failed documents */
			__( '[%1$s] ml-connector: %2$d documents could not be sent to Visma.net', 'ml-connector' ),
			wp_specialchars_decode( get_bloginfo( 'name' ), ENT_QUOTES ),
			count( $lines )
		);
		$body = __( 'These documents failed for good and need a look. Fix the cause, then use "Replay all failed" on WooCommerce › ml-connector:', 'ml-connector' )
			. "\n\n" . implode( "\n", $lines ) . "\n\n" . admin_url( 'admin.php?page=' . Admin\QueuePage::SLUG . '&state=failed' ) . "\n";
		wp_mail( (string) get_option( 'admin_email' ), $subject, $body );
		update_option( self::OPTION_DIGEST, $digest, false );
	}

	/**
	 * A notice on admin screens while permanent failures wait in the digest.
	 */
	public static function action_admin_notices(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$pause = self::pause();
		if ( null !== $pause ) {
			printf(
				'<div class="notice notice-error" id="ml-connector-paused"><p>%s <a href="%s">%s</a></p></div>',
				esc_html( self::pause_text( $pause ) ),
				esc_url( TestConnection::settings_url() ),
				esc_html__( 'Open the settings', 'ml-connector' )
			);
		}
		$digest = get_option( self::OPTION_DIGEST, array() );
		if ( ! is_array( $digest ) || array() === $digest ) {
			return;
		}
		$url = admin_url( 'admin.php?page=' . Admin\QueuePage::SLUG . '&state=failed' );
		printf(
			'<div class="notice notice-error" id="ml-connector-failures"><p>%s <a href="%s">%s</a></p></div>',
			esc_html(
				sprintf(
					/* translators: %d: number of failed documents */
					_n( '%d document could not be sent to Visma.net.', '%d documents could not be sent to Visma.net.', count( $digest ), 'ml-connector' ),
					count( $digest )
				)
			),
			esc_url( $url ),
			esc_html__( 'Open the queue', 'ml-connector' )
		);
	}

	/**
	 * An order note on the order (refunds: on the parent order).
	 *
	 * @param array       $row     Audit row.
	 * @param bool        $success Whether the document reached Visma.
	 * @param string|null $text    The note, in place of the sent / not sent one.
	 */
	private static function note( array $row, bool $success, ?string $text = null ): void {
		$kind = (string) ( $row['kind'] ?? '' );
		if ( ! in_array( $kind, array( 'order', 'refund' ), true ) ) {
			return;
		}
		$object = wc_get_order( (int) ( $row['woo_id'] ?? 0 ) );
		$order  = $object instanceof \WC_Order_Refund ? wc_get_order( $object->get_parent_id() ) : $object;
		if ( ! $order instanceof \WC_Order ) {
			return;
		}
		// Two drains may overlap (the async one and the recurring one) and read the same audit rows: the order
		// remembers which outcomes it was told about (issue #13 item 7: notes were written twice).
		$mark  = implode( ':', array( (string) ( $row['action'] ?? '' ), (int) ( $row['job_id'] ?? 0 ), (string) ( $row['visma_number'] ?? '' ) ) );
		$marks = (array) $order->get_meta( '_ml_connector_noted' );
		if ( in_array( $mark, $marks, true ) ) {
			return;
		}
		$order->update_meta_data( '_ml_connector_noted', array_slice( array_merge( $marks, array( $mark ) ), -20 ) );
		$order->save_meta_data();
		$note = $success
			? sprintf(
				/* translators: 1: order or refund, 2: Visma document number */
				__( 'ml-connector: %1$s sent to Visma.net as %2$s.', 'ml-connector' ),
				'refund' === $kind ? __( 'refund', 'ml-connector' ) : __( 'order', 'ml-connector' ),
				(string) ( $row['visma_number'] ?? '' )
			)
			: sprintf(
				/* translators: 1: order or refund, 2: error */
				__( 'ml-connector: %1$s could not be sent to Visma.net: %2$s', 'ml-connector' ),
				'refund' === $kind ? __( 'refund', 'ml-connector' ) : __( 'order', 'ml-connector' ),
				(string) ( $row['error'] ?? '' )
			);
		$order->add_order_note( $text ?? $note );
	}
}
