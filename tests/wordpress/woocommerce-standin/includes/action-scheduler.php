<?php
/**
 * Action Scheduler's public API, mirroring woocommerce/action-scheduler functions.php (bundled with WooCommerce
 * under packages/action-scheduler): as_enqueue_async_action, as_schedule_single_action,
 * as_schedule_recurring_action, as_unschedule_action, as_unschedule_all_actions, as_has_scheduled_action,
 * as_next_scheduled_action. $unique refuses a second pending/running action with the same hook + group (args are
 * not part of the match, per the docblock). Actions live in one option; wc_standin_as_run_due() is the queue
 * runner (ActionScheduler_QueueRunner::run()), called by the test endpoint and by action_scheduler_run_queue.
 *
 * @package WooCommerceStandin
 */

defined( 'ABSPATH' ) || exit;

const WC_STANDIN_AS_OPTION = 'wc_standin_as_actions';

/** Reads the store. */
function wc_standin_as_load(): array {
	$store = get_option( WC_STANDIN_AS_OPTION, array() );
	return is_array( $store ) && isset( $store['actions'] ) ? $store : array(
		'next'    => 1,
		'actions' => array(),
	);
}

/** Writes the store. */
function wc_standin_as_save( array $store ): void {
	update_option( WC_STANDIN_AS_OPTION, $store, false );
}

/** Shared by the schedule functions; mirrors ActionScheduler::factory()->create() with the unique check. */
function wc_standin_as_add( string $hook, array $args, string $group, bool $unique, int $timestamp, int $interval ): int {
	$store = wc_standin_as_load();
	if ( $unique ) {
		foreach ( $store['actions'] as $action ) {
			if ( $action['hook'] === $hook && $action['group'] === $group && in_array( $action['status'], array( 'pending', 'in-progress' ), true ) ) {
				return 0;
			}
		}
	}
	$id                      = (int) $store['next'];
	$store['next']           = $id + 1;
	$store['actions'][ $id ] = array(
		'id'        => $id,
		'hook'      => $hook,
		'args'      => $args,
		'group'     => $group,
		'status'    => 'pending',
		'scheduled' => $timestamp,
		'interval'  => $interval,
		'unique'    => $unique,
	);
	wc_standin_as_save( $store );
	return $id;
}

/** Mirrors as_enqueue_async_action(). */
function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return wc_standin_as_add( (string) $hook, (array) $args, (string) $group, (bool) $unique, time(), 0 );
}

/** Mirrors as_schedule_single_action(). */
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return wc_standin_as_add( (string) $hook, (array) $args, (string) $group, (bool) $unique, (int) $timestamp, 0 );
}

/** Mirrors as_schedule_recurring_action(). */
function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return wc_standin_as_add( (string) $hook, (array) $args, (string) $group, (bool) $unique, (int) $timestamp, max( 1, (int) $interval_in_seconds ) );
}

/** Matches hook, args (when given) and group (when given), like ActionScheduler_Store::query_actions(). */
function wc_standin_as_matches( array $action, string $hook, $args, string $group ): bool {
	return $action['hook'] === $hook && ( null === $args || $action['args'] == $args ) && ( '' === $group || $action['group'] === $group ); // phpcs:ignore Universal.Operators.StrictComparisons
}

/** Mirrors as_unschedule_action(): cancels the next pending match. */
function as_unschedule_action( $hook, $args = array(), $group = '' ) {
	$store = wc_standin_as_load();
	foreach ( $store['actions'] as $id => $action ) {
		if ( 'pending' === $action['status'] && wc_standin_as_matches( $action, (string) $hook, $args, (string) $group ) ) {
			$store['actions'][ $id ]['status'] = 'canceled';
			wc_standin_as_save( $store );
			return $id;
		}
	}
	return null;
}

/** Mirrors as_unschedule_all_actions(). */
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	$store = wc_standin_as_load();
	foreach ( $store['actions'] as $id => $action ) {
		if ( 'pending' === $action['status'] && wc_standin_as_matches( $action, (string) $hook, empty( $args ) ? null : $args, (string) $group ) ) {
			$store['actions'][ $id ]['status'] = 'canceled';
		}
	}
	wc_standin_as_save( $store );
}

/** Mirrors as_has_scheduled_action(): pending or running. */
function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
	foreach ( wc_standin_as_load()['actions'] as $action ) {
		if ( in_array( $action['status'], array( 'pending', 'in-progress' ), true ) && wc_standin_as_matches( $action, (string) $hook, $args, (string) $group ) ) {
			return true;
		}
	}
	return false;
}

/** Mirrors as_next_scheduled_action(): timestamp, true when running, false when none. */
function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	$next = false;
	foreach ( wc_standin_as_load()['actions'] as $action ) {
		if ( wc_standin_as_matches( $action, (string) $hook, $args, (string) $group ) ) {
			if ( 'in-progress' === $action['status'] ) {
				return true;
			}
			if ( 'pending' === $action['status'] && ( false === $next || $action['scheduled'] < $next ) ) {
				$next = (int) $action['scheduled'];
			}
		}
	}
	return $next;
}

/** Test helper (not in Action Scheduler): actions matching a status, for assertions. */
function wc_standin_as_actions( string $status = 'pending' ): array {
	return array_values( array_filter( wc_standin_as_load()['actions'], static fn( $a ) => $a['status'] === $status ) );
}

/**
 * Mirrors ActionScheduler_QueueRunner::run(): claims due pending actions, runs each hook with its args, marks it
 * complete (failed on a Throwable), and schedules the next run of a recurring action.
 *
 * @param int $max Most actions to run (ActionScheduler batch size is 25).
 * @return array<int,array{hook:string,status:string}>
 */
function wc_standin_as_run_due( $max = 25 ): array {
	$ran = array();
	for ( $i = 0; $i < (int) $max; $i++ ) {
		$store = wc_standin_as_load();
		$due   = null;
		foreach ( $store['actions'] as $id => $action ) {
			if ( 'pending' === $action['status'] && $action['scheduled'] <= time() ) {
				$due = $id;
				break;
			}
		}
		if ( null === $due ) {
			break;
		}
		$action                            = $store['actions'][ $due ];
		$store['actions'][ $due ]['status'] = 'in-progress';
		wc_standin_as_save( $store );
		$status = 'complete';
		try {
			do_action_ref_array( $action['hook'], array_values( $action['args'] ) );
		} catch ( Throwable $e ) {
			$status = 'failed';
		}
		$store                              = wc_standin_as_load();
		$store['actions'][ $due ]['status'] = $status;
		wc_standin_as_save( $store );
		if ( $action['interval'] > 0 ) {
			wc_standin_as_add( $action['hook'], $action['args'], $action['group'], (bool) $action['unique'], time() + $action['interval'], $action['interval'] );
		}
		$ran[] = array(
			'hook'   => $action['hook'],
			'status' => $status,
		);
	}
	return $ran;
}
