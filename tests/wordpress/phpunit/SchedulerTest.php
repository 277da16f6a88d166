<?php
/**
 * Background sending: the recurring actions for each sync timing, the WP-Cron fallback, the daily time maths, and
 * the reconciliation sweep that queues an order whose hooks never fired.
 *
 * @group fn:ml_connector_order_state
 * @group fn:ml_connector_enqueue
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Integration;
use MlConnector\Scheduler;

final class SchedulerTest extends TestCase {

	private static function timing( string $timing ): void {
		$settings                = (array) self::fresh_option( Integration::OPTION );
		$settings['sync_timing'] = $timing;
		$settings['trigger']     = 'placed';
		update_option( Integration::OPTION, $settings );
		Scheduler::reschedule();
	}

	protected function tearDown(): void {
		self::timing( 'per_order' );
	}

	public function test_per_order_drains_every_minute_and_sweeps_every_15_minutes(): void {
		self::timing( 'per_order' );
		$this->assertTrue( as_has_scheduled_action( Scheduler::HOOK_DRAIN_RECURRING, null, Scheduler::GROUP ) );
		$this->assertFalse( as_has_scheduled_action( Scheduler::HOOK_BATCH, null, Scheduler::GROUP ) );
		$this->assertTrue( as_has_scheduled_action( Scheduler::HOOK_RECONCILE, null, Scheduler::GROUP ) );
		$this->assertNotFalse( wp_next_scheduled( Scheduler::HOOK_CRON_DRAIN ), 'WP-Cron fallback' );
		$recurring = array_values( array_filter( wc_standin_as_actions(), static fn( $a ) => Scheduler::HOOK_DRAIN_RECURRING === $a['hook'] ) );
		$this->assertSame( MINUTE_IN_SECONDS, $recurring[0]['interval'] );
	}

	public function test_batched_timing_replaces_the_minute_drain(): void {
		self::timing( 'hourly' );
		$this->assertFalse( as_has_scheduled_action( Scheduler::HOOK_DRAIN_RECURRING, null, Scheduler::GROUP ) );
		$batch = array_values( array_filter( wc_standin_as_actions(), static fn( $a ) => Scheduler::HOOK_BATCH === $a['hook'] ) );
		$this->assertCount( 1, $batch );
		$this->assertSame( HOUR_IN_SECONDS, $batch[0]['interval'] );
		$this->assertSame( 0, $batch[0]['scheduled'] % HOUR_IN_SECONDS, 'on the full hour' );
		as_unschedule_all_actions( Scheduler::HOOK_DRAIN, array(), Scheduler::GROUP );
		Scheduler::schedule_drain();
		$this->assertFalse( as_has_scheduled_action( Scheduler::HOOK_DRAIN, null, Scheduler::GROUP ), 'no per-order drain while batched' );
	}

	/** @return array<string,array{string,string,string}> now (UTC), HH:MM, expected (UTC) */
	public static function daily_cases(): array {
		return array(
			'later today'          => array( '2026-11-24 00:30:00', '02:00', '2026-11-24 01:00:00' ),
			'already past → tomorrow' => array( '2026-11-24 09:00:00', '02:00', '2026-11-25 01:00:00' ),
			'exactly now → tomorrow' => array( '2026-11-24 01:00:00', '02:00', '2026-11-25 01:00:00' ),
			'summer time'          => array( '2026-07-01 12:00:00', '02:00', '2026-07-02 00:00:00' ),
		);
	}

	/**
	 * @dataProvider daily_cases
	 */
	public function test_next_daily_run_is_in_the_site_time_zone( string $now, string $hhmm, string $expected ): void {
		$utc = new \DateTimeZone( 'UTC' );
		$got = Scheduler::next_daily( ( new \DateTimeImmutable( $now, $utc ) )->getTimestamp(), $hhmm, new \DateTimeZone( 'Europe/Oslo' ) );
		$this->assertSame( $expected, gmdate( 'Y-m-d H:i:s', $got ) );
	}

	/**
	 * One drain sends at most 50 jobs; when it had to stop there, the next drain is queued at once rather than a
	 * minute later (the running action must not block it: Action Scheduler's unique check counts running actions).
	 * The jobs are orders the merchant's new trigger no longer books, so they end skipped without any network.
	 *
	 * @group fn:ml_connector_drain
	 */
	/**
	 * Issue #13 ("batched hourly/daily sending"): the five-minute WP-Cron fallback drained in every mode, so hourly
	 * sending was five-minute sending. It now leaves the queue to the batch while the batch is on time, and the
	 * batch sends everything, continuing past the drain limit instead of leaving the rest for the next hour.
	 *
	 * @group fn:ml_connector_drain
	 */
	public function test_hourly_sending_waits_for_the_batch_which_sends_everything(): void {
		self::timing( 'per_order' );
		self::assertIsArray( \MlConnector\Core::drain( 500, 20000 ) );
		self::timing( 'hourly' );
		$batch_runs = static fn(): int => count( array_filter( wc_standin_as_actions( 'pending' ), static fn( $a ) => Scheduler::HOOK_BATCH === $a['hook'] ) );
		try {
			$orders = array();
			for ( $i = 0; $i < 52; $i++ ) {
				$orders[] = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ) ) )->get_id();
			}
			self::end_request();
			$this->assertNull( Scheduler::action_ml_connector_cron_drain(), 'the batch is on time: the fallback leaves it' );
			$this->assertSame( 'pending', self::jobs_for( 'order', $orders[0] )[0]['state'], 'nothing is sent before the batch' );
			$this->assertSame( 1, $batch_runs(), 'the hourly batch' );
			$first = Scheduler::action_ml_connector_batch();
			$this->assertIsArray( $first );
			$this->assertSame( 'pending', self::jobs_for( 'order', end( $orders ) )[0]['state'], 'the drain limit' );
			$this->assertSame( 2, $batch_runs(), 'the rest follows at once, not in an hour' );
			for ( $i = 0; $i < 10 && 'pending' === self::jobs_for( 'order', end( $orders ) )[0]['state']; $i++ ) {
				Scheduler::action_ml_connector_batch();
			}
			$this->assertSame( 'done', self::jobs_for( 'order', end( $orders ) )[0]['state'] );
			// A stalled Action Scheduler: the batch is overdue, and the fallback sends in its place.
			as_unschedule_all_actions( Scheduler::HOOK_BATCH, array(), Scheduler::GROUP );
			$late = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ) ) )->get_id();
			self::end_request();
			$this->assertIsArray( Scheduler::action_ml_connector_cron_drain() );
			$this->assertSame( 'done', self::jobs_for( 'order', $late )[0]['state'] );
		} finally {
			self::timing( 'per_order' );
		}
	}

	public function test_a_drain_that_hit_its_limit_queues_the_next_one(): void {
		self::timing( 'per_order' );
		self::assertIsArray( \MlConnector\Core::drain( 500, 20000 ) );
		$orders = array();
		for ( $i = 0; $i < 51; $i++ ) {
			$orders[] = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-KAFFE', 'qty' => 1 ) ) ) )->get_id();
		}
		self::end_request();
		$settings            = (array) self::fresh_option( Integration::OPTION );
		$settings['trigger'] = 'completed';
		update_option( Integration::OPTION, $settings );
		as_unschedule_all_actions( Scheduler::HOOK_DRAIN, array(), Scheduler::GROUP );
		$pending_drains = static fn(): int => count( array_filter( wc_standin_as_actions( 'pending' ), static fn( $a ) => Scheduler::HOOK_DRAIN === $a['hook'] ) );
		try {
			Scheduler::schedule_drain();
			$this->assertSame( 1, $pending_drains() );
			// The queue runner, one action at a time, until it has run the drain (as Action Scheduler runs it).
			for ( $i = 0; $i < 10 && ! in_array( Scheduler::HOOK_DRAIN, array_column( wc_standin_as_run_due( 1 ), 'hook' ), true ); $i++ ) {
				continue;
			}
			$this->assertSame( 'pending', self::jobs_for( 'order', end( $orders ) )[0]['state'], 'the 51st job waits for the next drain' );
			$this->assertSame( 1, $pending_drains(), 'the rest is drained right away, not a minute later' );
			for ( $i = 0; $i < 10 && $pending_drains() > 0; $i++ ) {
				wc_standin_as_run_due( 1 );
			}
			$this->assertSame( 'done', self::jobs_for( 'order', end( $orders ) )[0]['state'] );
		} finally {
			self::timing( 'per_order' );
		}
	}

	public function test_sweep_queues_an_order_whose_hooks_never_fired(): void {
		self::needs( 'ml_connector_order_state', 'ml_connector_enqueue' );
		update_option( Scheduler::OPTION_LAST_SWEEP, time() - 60 );
		$order = self::quiet_order();
		$this->assertSame( array(), self::jobs_for( 'order', $order->get_id() ) );
		$this->assertGreaterThanOrEqual( 1, Scheduler::action_ml_connector_reconcile() );
		$this->assertCount( 1, self::jobs_for( 'order', $order->get_id() ) );
		$this->assertSame( 0, Scheduler::action_ml_connector_reconcile(), 'a second sweep finds nothing new' );
	}
}
