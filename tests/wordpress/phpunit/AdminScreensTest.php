<?php
/**
 * The admin screens over HTTP: queue page (replay one / replay all failed: capability × nonce bound to the job),
 * the order-list column, the order box's Send again, escaping, and the notes / notice / batched mail that follow a
 * drain.
 *
 * @group fn:ml_connector_drain
 * @group fn:ml_connector_jobs
 * @group fn:ml_connector_replay
 * @group fn:ml_connector_order_state
 * @group fn:ml_connector_audit
 */

declare(strict_types=1);

namespace MlConnector\Tests;

use MlConnector\Core;
use MlConnector\Notifier;

final class AdminScreensTest extends TestCase {

	/**
	 * A job that failed for good, for real: an order placed in a currency the settings do not book (USD; the
	 * settings allow NOK, SEK and EUR) fails mapping, which no retry can fix.
	 */
	private static function failed_job(): int {
		self::needs( 'ml_connector_drain', 'ml_connector_jobs', 'ml_connector_replay' );
		$order = self::usd_order( array( array( 'sku' => 'EL-HODE', 'qty' => 1 ) ) );
		$jobs  = self::drain_until_sent( $order->get_id() );
		self::assertCount( 1, $jobs );
		self::assertSame( 'failed', $jobs[0]['state'], (string) $jobs[0]['last_error'] );
		self::assertStringContainsString( 'currency "USD" is not configured', (string) $jobs[0]['last_error'] );
		self::assertNull( $jobs[0]['visma_number'] );
		return (int) $jobs[0]['id'];
	}

	/** An order a shopper paid in US dollars (a currency switcher on the checkout). */
	private static function usd_order( array $items ): \WC_Order {
		$order = \WC_Standin_Checkout::place(
			array(
				'items'    => $items,
				'currency' => 'USD',
			)
		);
		self::assertInstanceOf( \WC_Order::class, $order );
		self::assertSame( 'USD', $order->get_currency() );
		return $order;
	}

	private static function job_state( int $job_id ): string {
		foreach ( ml_connector_jobs( array( 'per_page' => 1000 ) ) as $job ) {
			if ( (int) $job['id'] === $job_id ) {
				return (string) $job['state'];
			}
		}
		return 'missing';
	}

	/** @return array<string,array{string,string,int,bool}> login, nonce kind, status, replays */
	public static function replay_cases(): array {
		return array(
			'administrator'                   => array( 'admin', 'own', 302, true ),
			'shop manager'                    => array( 'manager', 'own', 302, true ),
			'subscriber with a nonce'         => array( 'subscriber', 'own', 403, false ),
			'administrator, nonce of another job' => array( 'admin', 'other', 403, false ),
			'administrator, bad nonce'        => array( 'admin', 'bad', 403, false ),
			'logged out (no nopriv handler)'  => array( '', 'bad', 400, false ),
		);
	}

	/**
	 * @dataProvider replay_cases
	 */
	public function test_replay_one_needs_capability_and_the_job_bound_nonce( string $login, string $nonce_kind, int $status, bool $replays ): void {
		$job     = self::failed_job();
		$user    = '' === $login ? 0 : self::user_id( $login );
		$session = $user > 0 ? Http::session( $user ) : array( 'cookie' => '', 'logged_in' => '' );
		$nonce   = match ( $nonce_kind ) {
			'own'   => Http::nonce( $user, $session, 'ml_connector_replay_' . $job ),
			'other' => Http::nonce( $user, $session, 'ml_connector_replay_' . ( $job + 1000 ) ),
			default => 'bad',
		};
		$result = Http::request( 'GET', '/wp-admin/admin-post.php?action=ml_connector_replay&job=' . $job . '&_wpnonce=' . $nonce, $session['cookie'] );
		$this->assertSame( $status, $result['status'] );
		$this->assertSame( $replays ? 'pending' : 'failed', self::job_state( $job ) );
		if ( $replays ) {
			$this->assertStringContainsString( 'page=ml-connector', $result['location'] );
			$this->assertStringContainsString( 'ml_connector_replayed=1', $result['location'] );
		}
	}

	/**
	 * @group fn:ml_connector_replay_failed
	 */
	public function test_replay_all_failed_puts_every_failed_job_back(): void {
		self::needs( 'ml_connector_replay_failed' );
		$first   = self::failed_job();
		$second  = self::failed_job();
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$refused = Http::request( 'POST', '/wp-admin/admin-post.php', $session['cookie'], array( 'action' => 'ml_connector_replay_failed', '_wpnonce' => 'bad' ) );
		$this->assertSame( 403, $refused['status'] );
		$this->assertSame( 'failed', self::job_state( $first ) );
		$result = Http::request( 'POST', '/wp-admin/admin-post.php', $session['cookie'], array( 'action' => 'ml_connector_replay_failed', '_wpnonce' => Http::nonce( $admin, $session, 'ml_connector_replay_failed' ) ) );
		$this->assertSame( 302, $result['status'] );
		$this->assertSame( 'pending', self::job_state( $first ) );
		$this->assertSame( 'pending', self::job_state( $second ) );
	}

	public function test_queue_page_lists_jobs_for_managers_only_and_escapes_input(): void {
		$job     = self::failed_job();
		$manager = self::user_id( 'manager' );
		$session = Http::session( $manager );
		$page    = Http::request( 'GET', '/wp-admin/admin.php?page=ml-connector&state=failed', $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertMatchesRegularExpression( '/action=ml_connector_replay&(amp;|#038;)job=' . $job . '&(amp;|#038;)_wpnonce=[0-9a-f]{10}/', $page['body'] );
		$this->assertStringContainsString( 'id="ml-connector-audit"', $page['body'] );
		$evil = Http::request( 'GET', '/wp-admin/admin.php?page=ml-connector&s=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&ml_connector_error=%3Cscript%3Ealert(2)%3C%2Fscript%3E', $session['cookie'] );
		$this->assertSame( 200, $evil['status'] );
		$this->assertStringNotContainsString( '<script>alert(', $evil['body'] );
		$subscriber = Http::session( self::user_id( 'subscriber' ) );
		$this->assertSame( 403, Http::request( 'GET', '/wp-admin/admin.php?page=ml-connector', $subscriber['cookie'] )['status'] );
	}

	public function test_order_list_column_shows_state_and_visma_number(): void {
		self::needs( 'ml_connector_order_state' );
		$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'BOK-KOKE', 'qty' => 1 ) ) ) );
		self::drain_until_sent( $order->get_id() );
		$state = Core::order_state( $order->get_id() );
		$this->assertIsArray( $state );
		$this->assertSame( 'done', $state['state'] );
		$session = Http::session( self::user_id( 'admin' ) );
		$page    = Http::request( 'GET', '/wp-admin/admin.php?page=wc-orders', $session['cookie'] );
		$this->assertSame( 200, $page['status'] );
		$this->assertStringContainsString( '<th class="manage-column column-ml_connector">Visma</th>', $page['body'] );
		$this->assertMatchesRegularExpression( '/<tr id="order-' . $order->get_id() . '">.*?ml-connector-state-done.*?' . preg_quote( (string) $state['visma_number'], '/' ) . '/s', $page['body'] );
	}

	public function test_legacy_order_screen_gets_the_same_column(): void {
		$columns = apply_filters( 'manage_edit-shop_order_columns', array( 'cb' => '', 'order_number' => 'Order', 'order_status' => 'Status', 'order_total' => 'Total' ) );
		$this->assertSame( array( 'cb', 'order_number', 'order_status', 'ml_connector', 'order_total' ), array_keys( $columns ), 'after the status column' );
		$order = self::quiet_order();
		ob_start();
		do_action( 'manage_shop_order_posts_custom_column', 'ml_connector', $order->get_id() );
		do_action( 'manage_shop_order_posts_custom_column', 'order_total', $order->get_id() );
		$cell = (string) ob_get_clean();
		$this->assertMatchesRegularExpression( '/^<mark class="order-status ml-connector-state ml-connector-state-none" title=""><span>Not queued<\/span><\/mark>$/', $cell, 'one cell, only for our column' );
	}

	public function test_order_box_shows_the_timeline_and_send_again_needs_capability_and_nonce(): void {
		$order   = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-LAKRIS', 'qty' => 3 ) ) ) );
		self::end_request();
		$admin   = self::user_id( 'admin' );
		$session = Http::session( $admin );
		$edit    = Http::request( 'GET', '/wp-admin/admin.php?page=wc-orders&action=edit&id=' . $order->get_id(), $session['cookie'] );
		$this->assertSame( 200, $edit['status'] );
		$this->assertStringContainsString( 'id="ml-connector-box"', $edit['body'] );
		$this->assertStringContainsString( 'enqueued', $edit['body'], 'the audit timeline lists the enqueue' );
		// Issue #15: a customer with the same id as this order is another entity; its rows stay out of the box.
		$marker = 'customer-row-marker-' . $order->get_id();
		Core::note_failed( 'customer', $order->get_id(), $marker );
		$this->assertContains( 'customer ' . $order->get_id() . ' could not be read from WooCommerce: ' . $marker, array_column( (array) Core::audit( array( 'kind' => 'customer', 'woo_id' => $order->get_id(), 'limit' => 5 ) ), 'error' ), 'the customer row exists' );
		$again = Http::request( 'GET', '/wp-admin/admin.php?page=wc-orders&action=edit&id=' . $order->get_id(), $session['cookie'] );
		$this->assertStringContainsString( 'id="ml-connector-box"', $again['body'] );
		$this->assertStringNotContainsString( $marker, $again['body'], 'the customer\'s row is not in the order\'s box' );

		$path       = '/wp-admin/admin-post.php?action=ml_connector_send_again&order=' . $order->get_id() . '&_wpnonce=';
		$subscriber = self::user_id( 'subscriber' );
		$sub        = Http::session( $subscriber );
		$this->assertSame( 403, Http::request( 'GET', $path . Http::nonce( $subscriber, $sub, 'ml_connector_send_again_' . $order->get_id() ), $sub['cookie'] )['status'] );
		$this->assertSame( 403, Http::request( 'GET', $path . Http::nonce( $admin, $session, 'ml_connector_send_again_' . ( $order->get_id() + 1 ) ), $session['cookie'] )['status'] );
		$ok = Http::request( 'GET', $path . Http::nonce( $admin, $session, 'ml_connector_send_again_' . $order->get_id() ), $session['cookie'] );
		$this->assertSame( 302, $ok['status'] );
		$this->assertStringContainsString( 'action=edit&id=' . $order->get_id(), $ok['location'] );
		$this->assertCount( 1, self::jobs_for( 'order', $order->get_id() ), 'send again re-queues the same job' );
	}

	/**
	 * Visma has an outage (the second simulator answers every API call with a 500): the job stays pending for a
	 * later attempt with the reason, nothing is booked, no failure is reported to the merchant.
	 */
	public function test_a_visma_outage_leaves_the_job_pending_with_the_reason(): void {
		$before = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-LAKRIS', 'qty' => 1 ) ) ) );
		self::drain_until_sent( $before->get_id() );
		$faulty = (string) getenv( 'ML_SIM_FAULTY_URL' );
		$this->assertNotSame( '', $faulty, 'ML_SIM_FAULTY_URL: run.sh starts the simulator in outage' );
		$settings = array_merge(
			(array) self::fresh_option( \MlConnector\Integration::OPTION ),
			array(
				'visma_token_url'            => $faulty . '/connect/token',
				'visma_api_base_url'         => $faulty,
				'visma_salesorders_base_url' => $faulty,
			)
		);
		update_option( \MlConnector\Integration::OPTION, $settings );
		// Issue #15: the secret goes only to the URLs it was saved for, so the merchant enters it again.
		$this->assertTrue( Core::save_secret( 'visma_client_secret', self::SECRET ) );
		try {
			$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-LAKRIS', 'qty' => 2 ) ) ) );
			self::end_request();
			$report = Core::drain( 200, 20000 );
			$this->assertIsArray( $report );
			$this->assertGreaterThanOrEqual( 1, $report['retry'] );
			$this->assertSame( 0, $report['failed'] + $report['dead'] );
		} finally {
			self::use_test_company();
		}
		$job = self::jobs_for( 'order', $order->get_id() )[0];
		$this->assertSame( 'pending', $job['state'] );
		$this->assertSame( 1, (int) $job['attempts'] );
		$this->assertStringContainsString( 'HTTP 500', (string) $job['last_error'] );
		$this->assertGreaterThan( gmdate( 'Y-m-d\TH:i:s' ), (string) $job['next_attempt_at'], 'the next attempt waits (backoff)' );
		$this->assertNull( $job['visma_number'] );
		$this->assertContains( 'retry', array_column( ml_connector_audit( array( 'job_id' => (int) $job['id'], 'limit' => 50 ) ), 'action' ) );
		$state = Core::order_state( $order->get_id() );
		$this->assertSame( 'pending', $state['state'] );
	}

	public function test_drain_notes_orders_and_batches_failures_into_one_mail(): void {
		delete_option( 'ml_connector_test_mails' );
		delete_option( Notifier::OPTION_DIGEST );
		$good = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-SJOKO', 'qty' => 1 ) ) ) );
		$bad1 = self::usd_order( array( array( 'sku' => 'MAT-SJOKO', 'qty' => 2 ) ) );
		$bad2 = self::usd_order( array( array( 'sku' => 'MAT-SJOKO', 'qty' => 3 ) ) );
		self::end_request();
		$ids = array( $good->get_id(), $bad1->get_id(), $bad2->get_id() );
		for ( $i = 0; $i < 20 && array() !== array_filter( $ids, static fn( $id ) => 'pending' === ( self::jobs_for( 'order', $id )[0]['state'] ?? '' ) ); $i++ ) {
			\MlConnector\Scheduler::action_ml_connector_drain();
		}
		$notes = static fn( int $id ) => implode( "\n", array_column( \WC_Order::notes_of( $id ), 'note' ) );
		$this->assertStringContainsString( 'sent to Visma.net as', $notes( $good->get_id() ) );
		$this->assertStringContainsString( 'could not be sent to Visma.net', $notes( $bad1->get_id() ) );
		$digest = (array) self::fresh_option( Notifier::OPTION_DIGEST );
		$this->assertSame( array( $bad1->get_id(), $bad2->get_id() ), array_values( array_intersect( array( $bad1->get_id(), $bad2->get_id() ), array_column( $digest, 'woo_id' ) ) ) );
		$this->assertTrue( as_has_scheduled_action( Notifier::HOOK_FAILURE_MAIL ), 'one mail is scheduled, not one per order' );
		ml_connector_replay( (int) self::jobs_for( 'order', $bad1->get_id() )[0]['id'] );
		for ( $i = 0; $i < 20 && 'pending' === self::jobs_for( 'order', $bad1->get_id() )[0]['state']; $i++ ) {
			\MlConnector\Scheduler::action_ml_connector_drain();
		}
		$digest = (array) self::fresh_option( Notifier::OPTION_DIGEST );
		$this->assertCount( 1, array_filter( $digest, static fn( $d ) => $bad1->get_id() === $d['woo_id'] ), 'a job that fails again is still one document' );
		Notifier::action_ml_connector_failure_mail();
		$mails = (array) self::fresh_option( 'ml_connector_test_mails' );
		$this->assertCount( 1, $mails );
		$this->assertStringContainsString( ': ' . count( $digest ) . ' documents could not be sent', $mails[0]['subject'] );
		$this->assertStringContainsString( (string) $bad1->get_id(), $mails[0]['message'] );
		$this->assertStringContainsString( (string) $bad2->get_id(), $mails[0]['message'] );
		// Issue #13: mailed once, but the notice stays until the orders are replayed or sent.
		$kept = (array) self::fresh_option( Notifier::OPTION_DIGEST );
		$this->assertSame( count( $digest ), count( $kept ), 'the mail does not empty the notice' );
		$this->assertSame( array( true ), array_values( array_unique( array_column( $kept, 'mailed' ) ) ) );
		Notifier::action_ml_connector_failure_mail();
		$this->assertCount( 1, (array) self::fresh_option( 'ml_connector_test_mails' ), 'each failure is mailed once' );
	}

	/**
	 * Issue #13 item 7: two drains that overlap read the same audit rows; an order still gets one note, and a
	 * replayed job leaves the failure notice.
	 */
	public function test_overlapping_drains_note_once_and_a_replay_clears_the_failure_notice(): void {
		delete_option( Notifier::OPTION_DIGEST );
		$good = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-SJOKO', 'qty' => 1 ) ) ) );
		$bad  = self::usd_order( array( array( 'sku' => 'MAT-SJOKO', 'qty' => 4 ) ) );
		self::end_request();
		$since = gmdate( 'Y-m-d\TH:i:s\Z', time() - 5 );
		self::drain_until_sent( $good->get_id() );
		self::drain_until_sent( $bad->get_id() );
		Notifier::after_drain( $since );
		Notifier::after_drain( $since ); // the second, overlapping drain reads the same rows
		$notes = array_filter( \WC_Order::notes_of( $good->get_id() ), static fn( $n ) => str_contains( (string) $n['note'], 'sent to Visma.net as' ) );
		$this->assertCount( 1, $notes, 'one note per order' );
		$this->assertNotEmpty( self::fresh_option( Notifier::OPTION_DIGEST ) );
		$this->assertIsInt( Core::replay_failed( '' ) );
		$this->assertFalse( self::fresh_option( Notifier::OPTION_DIGEST ), 'Replay all empties the failure notice' );
		// Every failed job of the site went back to the queue: let them fail again, so later tests meet the queue
		// as they expect it.
		for ( $i = 0; $i < 10 && 0 < (int) ( Core::status()['counts']['pending'] ?? 0 ); $i++ ) {
			Core::drain( 200, 20000 );
		}
	}

	/**
	 * Issue #13 item 5: a wrong secret pauses the queue with one notice and one e-mail (not "Queued" and retries
	 * forever); the right secret and Test connection resume it.
	 *
	 * @group fn:ml_connector_status
	 */
	public function test_a_wrong_secret_pauses_with_one_notice_and_one_mail(): void {
		delete_option( 'ml_connector_test_mails' );
		delete_option( Notifier::OPTION_PAUSE_MAIL );
		$this->assertTrue( Core::save_secret( 'visma_client_secret', 'not-the-secret' ) );
		try {
			$order = \WC_Standin_Checkout::place( array( 'items' => array( array( 'sku' => 'MAT-LAKRIS', 'qty' => 1 ) ) ) );
			self::end_request();
			\MlConnector\Scheduler::action_ml_connector_drain();
			\MlConnector\Scheduler::action_ml_connector_drain();
			$pause = Notifier::pause();
			$this->assertIsArray( $pause );
			$this->assertStringContainsString( 'invalid_client', $pause['reason'] );
			$this->assertSame( 'paused', Core::order_state( $order->get_id() )['state'] );
			$mails = (array) self::fresh_option( 'ml_connector_test_mails' );
			$this->assertCount( 1, $mails, 'one e-mail for the pause, not one per drain' );
			$this->assertStringContainsString( 'stopped sending', $mails[0]['subject'] );
			wp_set_current_user( self::user_id( 'manager' ) );
			ob_start();
			Notifier::action_admin_notices();
			$html = (string) ob_get_clean();
			$this->assertStringContainsString( 'id="ml-connector-paused"', $html );
			$this->assertStringContainsString( 'invalid_client', $html );
		} finally {
			wp_set_current_user( 0 );
			self::use_test_company();
		}
		$this->assertNull( Notifier::pause(), 'the right secret and Test connection resume sending' );
		$this->assertSame( 'done', self::drain_until_sent( $order->get_id() )[0]['state'] );
	}

	/** Issue #13 item 7: a finished job's row shows no old error; an error keeps its text, not an HTML entity. */
	public function test_the_queue_shows_errors_only_on_unfinished_jobs(): void {
		$this->assertSame( '', \MlConnector\Admin\QueueTable::error_text( array( 'state' => 'done', 'last_error' => 'HTTP 500 earlier' ) ) );
		$this->assertSame( 'HTTP 500', \MlConnector\Admin\QueueTable::error_text( array( 'state' => 'pending', 'last_error' => 'HTTP 500' ) ) );
		$this->assertSame( 'Bøker & blader', \MlConnector\Admin\QueueTable::error_text( array( 'state' => 'failed', 'last_error' => 'Bøker &#038; blader' ) ) );
	}
}
