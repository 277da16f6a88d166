<?php
/**
 * WooCommerce order, refund and customer hooks → the object's REST v3 JSON → Core::enqueue → one unique async
 * drain action. That is all a shopper's request does: no HTTP, no mapping (STYLE §6).
 * A checkout fires several of these hooks for one order, so hooks only mark the object and the request's
 * shutdown enqueues each marked object once, in its final state (as WooCommerce queues webhooks on shutdown,
 * NOTES §1.1). Signatures: shared/reference/woocommerce/NOTES.md §3.1. Parameters are loosely typed on purpose:
 * another plugin firing a hook with odd arguments must never fatal the checkout.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Hook callbacks that fill the queue.
 */
final class OrderEvents {

	/** Statuses that are not orders yet (NOTES §3.2). */
	private const DRAFT_STATUSES = array( 'checkout-draft', 'draft', 'auto-draft', 'new' );

	/** Statuses that never go to the books. */
	private const NEVER_STATUSES = array( 'failed', 'cancelled', 'trash' );

	/**
	 * Objects marked in this request: kind => id => parent order id (refunds) or 0.
	 *
	 * @var array<string,array<int,int>>
	 */
	private static array $marked = array();

	/**
	 * Classic checkout, after create_order(), before payment: ( int $order_id, array $posted_data, WC_Order $order ).
	 *
	 * @param mixed $order_id    Order id.
	 * @param mixed $posted_data Posted checkout data (unused).
	 * @param mixed $order       The order.
	 */
	public static function action_woocommerce_checkout_order_processed( mixed $order_id, mixed $posted_data = null, mixed $order = null ): void {
		self::mark_order( $order instanceof \WC_Order ? $order : $order_id );
	}

	/**
	 * Block checkout / Store API: ( WC_Order $order ).
	 *
	 * @param mixed $order The order.
	 */
	public static function action_woocommerce_store_api_checkout_order_processed( mixed $order ): void {
		self::mark_order( $order );
	}

	/**
	 * ( int $id, string $from, string $to, WC_Order $order ).
	 *
	 * @param mixed $order_id Order id.
	 * @param mixed $from     Old status.
	 * @param mixed $to       New status.
	 * @param mixed $order    The order.
	 */
	public static function action_woocommerce_order_status_changed( mixed $order_id, mixed $from = '', mixed $to = '', mixed $order = null ): void {
		self::mark_order( $order instanceof \WC_Order ? $order : $order_id );
	}

	/**
	 * Admin-, REST- and programmatically created orders: ( int $order_id, WC_Order $order ). Drafts are skipped
	 * (under CPT this hook also fires for them; NOTES §3.2); checkout orders arrive here too and dedupe in the queue.
	 *
	 * @param mixed $order_id Order id.
	 * @param mixed $order    The order.
	 */
	public static function action_woocommerce_new_order( mixed $order_id, mixed $order = null ): void {
		self::mark_order( $order instanceof \WC_Order ? $order : $order_id );
	}

	/**
	 * After a refund is saved: ( int $order_id, int $refund_id ).
	 *
	 * @param mixed $order_id  Parent order id.
	 * @param mixed $refund_id Refund id.
	 */
	public static function action_woocommerce_order_refunded( mixed $order_id, mixed $refund_id = 0 ): void {
		$order_id  = is_numeric( $order_id ) ? (int) $order_id : 0;
		$refund_id = is_numeric( $refund_id ) ? (int) $refund_id : 0;
		if ( $order_id > 0 && $refund_id > 0 ) {
			self::$marked['refund'][ $refund_id ] = $order_id;
		}
	}

	/**
	 * wc_create_new_customer(): ( int $customer_id, array $new_customer_data, bool $password_generated ).
	 *
	 * @param mixed $customer_id       User id.
	 * @param mixed $new_customer_data Unused.
	 * @param mixed $password_generated Unused.
	 */
	public static function action_woocommerce_created_customer( mixed $customer_id, mixed $new_customer_data = null, mixed $password_generated = null ): void {
		self::customer_event( $customer_id );
	}

	/**
	 * WC_Customer_Data_Store::update(): ( int $customer_id, WC_Customer $customer ).
	 *
	 * @param mixed $customer_id User id.
	 * @param mixed $customer    Unused.
	 */
	public static function action_woocommerce_update_customer( mixed $customer_id, mixed $customer = null ): void {
		self::customer_event( $customer_id );
	}

	/**
	 * Whether an order in this status should be sent under the merchant's trigger setting.
	 *
	 * @param string $status  Order status without "wc-".
	 * @param string $trigger placed|processing|completed.
	 */
	public static function status_matches_trigger( string $status, string $trigger ): bool {
		if ( in_array( $status, self::DRAFT_STATUSES, true ) || in_array( $status, self::NEVER_STATUSES, true ) ) {
			return false;
		}
		return match ( $trigger ) {
			'completed'  => in_array( $status, array( 'completed', 'refunded' ), true ),
			'processing' => in_array( $status, array( 'processing', 'completed', 'refunded' ), true ),
			default      => true,
		};
	}

	/**
	 * Enqueues an order if its status matches the trigger. Also used by the reconciliation sweep and the CLI.
	 *
	 * @param mixed  $order_or_id WC_Order or id.
	 * @param string $source      hook|poll|cli|backfill.
	 * @return array{job_id:int,outcome:string}|\WP_Error|null Null when the order is skipped.
	 */
	public static function order_event( mixed $order_or_id, string $source = 'hook' ): array|\WP_Error|null {
		$order = $order_or_id instanceof \WC_Order ? $order_or_id : ( is_numeric( $order_or_id ) ? wc_get_order( (int) $order_or_id ) : false );
		if ( ! $order instanceof \WC_Order || $order instanceof \WC_Order_Refund ) {
			return null;
		}
		$trigger = (string) ( Integration::settings_document()['trigger'] ?? 'placed' );
		if ( ! self::status_matches_trigger( (string) $order->get_status(), $trigger ) ) {
			return null;
		}
		return self::enqueue( 'order', RestPayload::order( (int) $order->get_id() ), (int) $order->get_id(), $source );
	}

	/**
	 * Customers only: guests never reach here (NOTES §3.3).
	 *
	 * @param mixed $customer_id User id.
	 */
	private static function customer_event( mixed $customer_id ): void {
		$customer_id = is_numeric( $customer_id ) ? (int) $customer_id : 0;
		if ( $customer_id > 0 ) {
			self::$marked['customer'][ $customer_id ] = 0;
		}
	}

	/**
	 * Remembers an order for this request's shutdown.
	 *
	 * @param mixed $order_or_id WC_Order or id.
	 */
	private static function mark_order( mixed $order_or_id ): void {
		$id = $order_or_id instanceof \WC_Order ? (int) $order_or_id->get_id() : ( is_numeric( $order_or_id ) ? (int) $order_or_id : 0 );
		if ( $id > 0 ) {
			self::$marked['order'][ $id ] = 0;
		}
	}

	/**
	 * On shutdown: notes every marked object once (customers first, then orders, then refunds). Nothing else runs
	 * in the shopper's request: the REST JSON is built in the background (enqueue_notes), because WooCommerce does
	 * not load its wc/v3 routes inside a Store API request (wc_rest_should_load_namespace(), WC 9.2+) and building
	 * it cost a checkout 16-18 ms (issue #13).
	 */
	public static function action_shutdown(): void {
		$marked       = self::$marked;
		self::$marked = array();
		if ( ! $marked ) {
			return;
		}
		$noted = false;
		foreach ( array_keys( $marked['customer'] ?? array() ) as $customer_id ) {
			$noted = self::note( 'customer', $customer_id, 0 ) || $noted;
		}
		if ( ! empty( $marked['order'] ) ) {
			$trigger = (string) ( Integration::settings_document()['trigger'] ?? 'placed' );
			foreach ( array_keys( $marked['order'] ) as $order_id ) {
				$order = wc_get_order( $order_id );
				if ( $order instanceof \WC_Order && ! $order instanceof \WC_Order_Refund && self::status_matches_trigger( (string) $order->get_status(), $trigger ) ) {
					$noted = self::note( 'order', $order_id, 0 ) || $noted;
				}
			}
		}
		foreach ( $marked['refund'] ?? array() as $refund_id => $order_id ) {
			$noted = self::note( 'refund', $refund_id, $order_id ) || $noted;
		}
		if ( $noted ) {
			// Registered now, it runs after every shutdown callback: the response is finished first, so the shopper
			// waits neither for the Action Scheduler fallback nor for the loopback request (55 ms median inside it).
			register_shutdown_function( array( Scheduler::class, 'kick_after_response' ) );
		}
	}

	/**
	 * Background: builds the REST JSON of the oldest noted objects and enqueues them. An object WooCommerce no
	 * longer has (deleted order) drops its note with the reason in the audit; a note made again while its JSON
	 * was built stays (the note's seq), so the newer state is sent too.
	 *
	 * @param int $limit Notes per call.
	 * @return int Objects enqueued.
	 */
	public static function enqueue_notes( int $limit = 100 ): int {
		$notes = Core::notes( $limit );
		if ( is_wp_error( $notes ) ) {
			self::log_failure( 'note', 0, $notes );
			return 0;
		}
		$count = 0;
		foreach ( $notes as $note ) {
			$kind    = (string) ( $note['kind'] ?? '' );
			$woo_id  = (int) ( $note['woo_id'] ?? 0 );
			$payload = match ( $kind ) {
				'order'    => RestPayload::order( $woo_id ),
				'refund'   => RestPayload::refund( (int) ( $note['parent_id'] ?? 0 ), $woo_id ),
				'customer' => RestPayload::customer( $woo_id ),
				default    => new \WP_Error( 'ml_connector_input', 'unknown kind' ),
			};
			if ( is_wp_error( $payload ) ) {
				Core::note_failed( $kind, $woo_id, $payload->get_error_message() );
				self::log_failure( $kind, $woo_id, $payload );
				continue;
			}
			$result = Core::enqueue( $kind, $payload, 'hook', (int) ( $note['seq'] ?? 0 ) );
			if ( is_wp_error( $result ) ) {
				self::log_failure( $kind, $woo_id, $result );
				continue;
			}
			++$count;
		}
		return $count;
	}

	/**
	 * Notes one object; a failure is logged, never raised into the shopper's request.
	 *
	 * @param string $kind      Kind.
	 * @param int    $woo_id    Id.
	 * @param int    $parent_id Refund's order id, else 0.
	 * @return bool Whether it was noted.
	 */
	private static function note( string $kind, int $woo_id, int $parent_id ): bool {
		$result = Core::note( $kind, $woo_id, $parent_id );
		if ( is_wp_error( $result ) ) {
			self::log_failure( $kind, $woo_id, $result );
			return false;
		}
		return true;
	}

	/**
	 * Enqueue, then make sure a drain runs soon. A failure is logged, never raised into the shopper's request.
	 *
	 * @param string          $kind    order|refund|customer.
	 * @param array|\WP_Error $payload The REST JSON.
	 * @param int             $woo_id  For the log line.
	 * @param string          $source  Source tag.
	 * @return array|\WP_Error
	 */
	private static function enqueue( string $kind, array|\WP_Error $payload, int $woo_id, string $source = 'hook' ): array|\WP_Error {
		$result = is_wp_error( $payload ) ? $payload : Core::enqueue( $kind, $payload, $source );
		if ( is_wp_error( $result ) ) {
			self::log_failure( $kind, $woo_id, $result );
			return $result;
		}
		Scheduler::schedule_drain();
		return $result;
	}

	/**
	 * Writes to the WooCommerce log (source ml-connector); the reconciliation sweep picks the order up later.
	 *
	 * @param string    $kind   Kind.
	 * @param int       $woo_id Id.
	 * @param \WP_Error $error  Error.
	 */
	private static function log_failure( string $kind, int $woo_id, \WP_Error $error ): void {
		$message = sprintf( 'enqueue %s %d failed: %s (%s)', $kind, $woo_id, $error->get_error_message(), $error->get_error_code() );
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->warning( $message, array( 'source' => 'ml-connector' ) );
		}
	}
}
