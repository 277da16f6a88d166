<?php
/**
 * Background sending. Per order: a unique Action Scheduler async drain after each enqueue plus a recurring drain
 * every minute; batched: one drain hourly or daily at the set time. A WP-Cron event every five minutes drains too,
 * for sites whose Action Scheduler queue runner is stalled, and a sweep every 15 minutes enqueues orders changed
 * since the last sweep that have no job (so an order whose hook never fired is still synced).
 * No HTTP or SQL here: draining is one call into the extension.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector;

defined( 'ABSPATH' ) || exit;

/**
 * Schedules and runs drains and sweeps.
 */
final class Scheduler {

	public const GROUP               = 'ml-connector';
	public const HOOK_DRAIN          = 'ml_connector_drain';
	public const HOOK_DRAIN_RECURRING = 'ml_connector_drain_recurring';
	public const HOOK_BATCH          = 'ml_connector_batch';
	public const HOOK_RECONCILE      = 'ml_connector_reconcile';
	public const HOOK_CRON_DRAIN     = 'ml_connector_cron_drain';
	public const CRON_SCHEDULE       = 'ml_connector_five_minutes';
	public const OPTION_SCHEDULED    = 'ml_connector_scheduled_for';
	public const OPTION_LAST_SWEEP   = 'ml_connector_last_sweep';
	public const RECONCILE_INTERVAL  = 15 * MINUTE_IN_SECONDS;
	public const AJAX_RUN            = 'ml_connector_run';
	public const OPTION_RUNNER_TOKEN = 'ml_connector_runner_token';

	/** Jobs and wall-clock budget of one drain (an Action Scheduler action should finish well inside 30 s). */
	private const DRAIN_LIMIT       = 50;
	private const DRAIN_DEADLINE_MS = 20000;

	/**
	 * After an enqueue: one async drain, unique per hook+group (args are not part of the match). Batched timing
	 * waits for its batch instead.
	 */
	public static function schedule_drain(): void {
		if ( 'per_order' !== self::timing() || ! function_exists( 'as_enqueue_async_action' ) ) {
			return;
		}
		as_enqueue_async_action( self::HOOK_DRAIN, array(), self::GROUP, true );
	}

	/**
	 * Issue #13 item 9, "a quiet shop sends late": WP-Cron and Action Scheduler run only when another request
	 * arrives (Action Scheduler's async runner only from wp-admin), so an order placed in a quiet shop waited for the
	 * next visitor. After noting an order, the shopper's request starts the runner with one non-blocking loopback
	 * request (as Action Scheduler's own async runner does: it returns once the request is written) to
	 * admin-ajax.php, which drains. The Action Scheduler action stays as the fallback when loopbacks are blocked.
	 */
	public static function kick(): void {
		/**
		 * Filters whether the shopper's request starts the loopback runner (false: wait for WP-Cron / a real cron).
		 *
		 * @param bool $enabled Default true.
		 */
		if ( 'per_order' !== self::timing() || ! apply_filters( 'ml_connector_loopback_runner', true ) ) {
			return;
		}
		wp_remote_post(
			admin_url( 'admin-ajax.php' ),
			array(
				'blocking'  => false,
				'timeout'   => 0.01,
				'sslverify' => false,
				'body'      => array(
					'action' => self::AJAX_RUN,
					'token'  => self::runner_token(),
				),
			)
		);
	}

	/**
	 * The last thing a request that noted something does: send the response (PHP-FPM, LiteSpeed), then queue the
	 * Action Scheduler fallback and kick().
	 */
	public static function kick_after_response(): void {
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		}
		self::schedule_drain();
		self::kick();
	}

	/**
	 * The loopback runner: a token (not a nonce: the request carries no user) proves it comes from this site, then
	 * the drain runs after the response is sent, under its own time limit.
	 */
	public static function action_wp_ajax_ml_connector_run(): void {
		$token = isset( $_POST['token'] ) ? sanitize_text_field( wp_unslash( $_POST['token'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- authenticated by the runner token.
		if ( ! hash_equals( self::runner_token(), $token ) ) {
			wp_die( '', '', array( 'response' => 403 ) );
		}
		ignore_user_abort( true );
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		}
		self::action_ml_connector_drain();
		wp_die( '', '', array( 'response' => 200 ) );
	}

	/**
	 * The runner's token: random, made once, kept in an autoloaded option.
	 */
	private static function runner_token(): string {
		$token = (string) get_option( self::OPTION_RUNNER_TOKEN, '' );
		if ( ! preg_match( '/^[a-f0-9]{64}$/', $token ) ) {
			$token = bin2hex( random_bytes( 32 ) );
			update_option( self::OPTION_RUNNER_TOKEN, $token, true );
		}
		return $token;
	}

	/**
	 * Makes sure the recurring actions exist for the current timing; cheap when they do (one option read).
	 */
	public static function action_init(): void {
		$want = self::timing() . '|' . self::daily_at();
		if ( get_option( self::OPTION_SCHEDULED ) === $want && wp_next_scheduled( self::HOOK_CRON_DRAIN ) ) {
			return;
		}
		self::reschedule();
	}

	/**
	 * Replaces the recurring actions (after settings are saved, or when missing).
	 */
	public static function reschedule(): void {
		if ( ! function_exists( 'as_schedule_recurring_action' ) ) {
			return;
		}
		as_unschedule_all_actions( self::HOOK_DRAIN_RECURRING, array(), self::GROUP );
		as_unschedule_all_actions( self::HOOK_BATCH, array(), self::GROUP );
		$timing = self::timing();
		if ( 'per_order' === $timing ) {
			as_schedule_recurring_action( time() + MINUTE_IN_SECONDS, MINUTE_IN_SECONDS, self::HOOK_DRAIN_RECURRING, array(), self::GROUP, true );
		} elseif ( 'hourly' === $timing ) {
			as_schedule_recurring_action( self::next_full_hour( time() ), HOUR_IN_SECONDS, self::HOOK_BATCH, array(), self::GROUP, true );
		} else {
			as_schedule_recurring_action( self::next_daily( time(), self::daily_at(), wp_timezone() ), DAY_IN_SECONDS, self::HOOK_BATCH, array(), self::GROUP, true );
		}
		if ( ! as_has_scheduled_action( self::HOOK_RECONCILE, array(), self::GROUP ) ) {
			as_schedule_recurring_action( time() + self::RECONCILE_INTERVAL, self::RECONCILE_INTERVAL, self::HOOK_RECONCILE, array(), self::GROUP, true );
		}
		if ( ! wp_next_scheduled( self::HOOK_CRON_DRAIN ) ) {
			wp_schedule_event( time() + 5 * MINUTE_IN_SECONDS, self::CRON_SCHEDULE, self::HOOK_CRON_DRAIN );
		}
		// Autoloaded: action_init() reads it on every request.
		update_option( self::OPTION_SCHEDULED, self::timing() . '|' . self::daily_at(), true );
	}

	/**
	 * Removes every schedule of the plugin (deactivation and uninstall).
	 */
	public static function unschedule_all(): void {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			foreach ( array( self::HOOK_DRAIN, self::HOOK_DRAIN_RECURRING, self::HOOK_BATCH, self::HOOK_RECONCILE, Notifier::HOOK_FAILURE_MAIL ) as $hook ) {
				as_unschedule_all_actions( $hook, array(), self::GROUP );
			}
		}
		wp_clear_scheduled_hook( self::HOOK_CRON_DRAIN );
		delete_option( self::OPTION_SCHEDULED );
	}

	/**
	 * Adds the five-minute WP-Cron schedule.
	 *
	 * @param mixed $schedules Schedules.
	 * @return array
	 */
	public static function filter_cron_schedules( mixed $schedules ): array {
		$schedules                        = is_array( $schedules ) ? $schedules : array();
		$schedules[ self::CRON_SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (ml-connector)', 'ml-connector' ),
		);
		return $schedules;
	}

	/**
	 * One drain, then order notes and failure notifications for what it did. When it stopped at its limit, more
	 * jobs are due: the next drain is queued at once. Not as a unique action: Action Scheduler's unique check
	 * counts this running action, so a unique one would never be queued. ('remaining' also counts jobs waiting
	 * for a later attempt, so it cannot tell whether more are due.)
	 *
	 * @return array|\WP_Error The extension's counts.
	 */
	public static function action_ml_connector_drain(): array|\WP_Error {
		return self::drain( 'per_order' === self::timing() ? self::HOOK_DRAIN : null );
	}

	/**
	 * The hourly or daily batch: sends everything queued, continuing in follow-up actions past the drain limit (a
	 * batch that stopped at the limit left the rest for the next hour or day).
	 *
	 * @return array|\WP_Error The extension's counts.
	 */
	public static function action_ml_connector_batch(): array|\WP_Error {
		return self::drain( self::HOOK_BATCH );
	}

	/**
	 * The WP-Cron fallback, for sites whose Action Scheduler runner is stalled. Batched sending is left to its batch
	 * while that runs on time: this five-minute event used to drain in every mode, so a merchant who chose hourly or
	 * daily sending got orders sent every five minutes. It stands in only for a batch more than 10 minutes overdue.
	 *
	 * @return array|\WP_Error|null The extension's counts, or null when the batch is on time.
	 */
	public static function action_ml_connector_cron_drain(): array|\WP_Error|null {
		if ( 'per_order' === self::timing() ) {
			return self::drain( self::HOOK_DRAIN );
		}
		$next = function_exists( 'as_next_scheduled_action' ) ? as_next_scheduled_action( self::HOOK_BATCH, null, self::GROUP ) : false;
		if ( true === $next || ( is_int( $next ) && $next > time() - 10 * MINUTE_IN_SECONDS ) ) {
			return null;
		}
		return self::drain( self::HOOK_BATCH );
	}

	/**
	 * One drain; when it hit its limit, `$follow_up` (an Action Scheduler hook) is queued to send the rest now.
	 *
	 * @param string|null $follow_up Hook of the follow-up, none when null.
	 * @return array|\WP_Error The extension's counts.
	 */
	private static function drain( ?string $follow_up ): array|\WP_Error {
		$started = gmdate( 'Y-m-d\TH:i:s\Z' );
		// What shoppers' requests noted becomes jobs here, outside their requests (OrderEvents::action_shutdown).
		OrderEvents::enqueue_notes();
		$result = Core::drain( self::DRAIN_LIMIT, self::DRAIN_DEADLINE_MS );
		if ( ! is_wp_error( $result ) ) {
			Notifier::after_drain( $started );
			$handled = 0;
			foreach ( array( 'posted', 'adopted', 'already_posted', 'edited_after_posting', 'skipped', 'retry', 'failed', 'dead', 'lost_lease' ) as $key ) {
				$handled += (int) ( $result[ $key ] ?? 0 );
			}
			if ( $handled >= self::DRAIN_LIMIT && null !== $follow_up && function_exists( 'as_enqueue_async_action' ) ) {
				as_enqueue_async_action( $follow_up, array(), self::GROUP, false );
			}
		}
		return $result;
	}

	/**
	 * The sweep: orders modified since the last sweep with no job get enqueued (source "poll").
	 *
	 * @return int Orders enqueued.
	 */
	public static function action_ml_connector_reconcile(): int {
		$now   = time();
		$since = (int) get_option( self::OPTION_LAST_SWEEP, $now - DAY_IN_SECONDS );
		$count = 0;
		$page  = 1;
		do {
			$ids = wc_get_orders(
				array(
					'type'          => 'shop_order',
					'date_modified' => '>=' . $since,
					'limit'         => 100,
					'page'          => $page,
					'orderby'       => 'ID',
					'order'         => 'ASC',
					'return'        => 'ids',
				)
			);
			$ids = is_array( $ids ) ? $ids : array();
			foreach ( $ids as $id ) {
				$state = Core::order_state( (int) $id );
				if ( is_array( $state ) && 'none' === ( $state['state'] ?? '' ) && empty( $state['visma_number'] ) ) {
					$result = OrderEvents::order_event( (int) $id, 'poll' );
					$count += is_array( $result ) ? 1 : 0;
				}
			}
			++$page;
		} while ( count( $ids ) === 100 );
		update_option( self::OPTION_LAST_SWEEP, $now, false );
		return $count;
	}

	/**
	 * Next full hour after $now.
	 *
	 * @param int $now Unix time.
	 */
	public static function next_full_hour( int $now ): int {
		return ( intdiv( $now, HOUR_IN_SECONDS ) + 1 ) * HOUR_IN_SECONDS;
	}

	/**
	 * Next occurrence of HH:MM in the site's time zone, strictly after $now.
	 *
	 * @param int           $now  Unix time.
	 * @param string        $hhmm "02:00".
	 * @param \DateTimeZone $zone Site time zone.
	 */
	public static function next_daily( int $now, string $hhmm, \DateTimeZone $zone ): int {
		if ( ! preg_match( '/^(\d{2}):(\d{2})$/', $hhmm, $m ) ) {
			$m = array( '', '02', '00' );
		}
		$at = ( new \DateTimeImmutable( '@' . $now ) )->setTimezone( $zone )->setTime( (int) $m[1], (int) $m[2] );
		if ( $at->getTimestamp() <= $now ) {
			$at = $at->modify( '+1 day' );
		}
		return $at->getTimestamp();
	}

	/**
	 * The merchant's sync timing.
	 */
	private static function timing(): string {
		$timing = (string) ( Integration::settings_document()['sync_timing'] ?? 'per_order' );
		return in_array( $timing, array( 'per_order', 'hourly', 'daily' ), true ) ? $timing : 'per_order';
	}

	/**
	 * The daily batch time.
	 */
	private static function daily_at(): string {
		return (string) ( Integration::settings_document()['sync_daily_at'] ?? '02:00' );
	}
}
