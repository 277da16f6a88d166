//! The Visma client against the in-process simulator under faults, one manual clock shared by both so token
//! expiry and rate windows move by hand: the lost-response trap, exactly-once under random faults, token expiry
//! and revocation, 429 with and without Retry-After, 5xx bursts, error bodies of every shape, timeouts, and the
//! rate limiter keeping within the hourly budget.

mod visma_support;

use ml_connector::simulator::{FaultBody, Faults, ScriptedFault};
use ml_connector::visma::VismaError;
use serde_json::Value;
use std::time::Duration;
use visma_support::sim::{customer_body, invoice_body, posts, rig, rig_with, Rig};
use visma_support::waited_ms;

#[test]
fn the_lost_response_trap_is_detected_by_searching_before_re_creating() {
    let Rig { sim, client, .. } = rig();
    client
        .create_customer(&customer_body("20001", "Kari Nordmann"))
        .expect("customer");
    let key = "woo:default:3003";
    sim.push_fault(ScriptedFault::LoseResponse);
    let blind = client
        .create_invoice(&invoice_body("20001", key))
        .expect_err("answer lost");
    assert!(blind.is_outcome_unknown(), "{blind:?}");
    assert_eq!(
        sim.inspect().store.invoices.len(),
        1,
        "the simulator stored it anyway"
    );

    let outcome = client
        .create_invoice_once(key, &invoice_body("20001", key))
        .expect("adopted");
    assert!(outcome.was_adopted());
    assert_eq!(sim.inspect().store.invoices.len(), 1, "no duplicate");

    // Every create answered by a dropped connection: the first search finds nothing, the POST is stored but
    // lost, the second search adopts it.
    let key2 = "woo:default:3004";
    let before = posts(&sim);
    sim.set_faults(Faults {
        lost_response_rate: 1.0,
        ..Faults::default()
    });
    let outcome = client
        .create_invoice_once(key2, &invoice_body("20001", key2))
        .expect("adopted after loss");
    assert!(outcome.was_adopted());
    assert_eq!(posts(&sim) - before, 1, "exactly one POST");
    assert_eq!(sim.inspect().store.invoices.len(), 2);
}

#[test]
fn token_expiry_mid_run_fetches_a_new_token_before_the_old_one_dies() {
    let Rig { sim, client, clock } = rig();
    client.list_currencies().expect("first");
    clock.advance(Duration::from_secs(50 * 60));
    client.list_currencies().expect("same token");
    assert_eq!(sim.inspect().tokens_issued, 1);
    clock.advance(Duration::from_secs(6 * 60));
    client.list_currencies().expect("refreshed");
    assert_eq!(sim.inspect().tokens_issued, 2);
    clock.advance(Duration::from_secs(2 * 3600));
    client.list_currencies().expect("long idle");
    let log = sim.inspect().requests;
    assert!(
        log.iter().all(|r| r.status != 401),
        "never ran into an expired token"
    );
}

#[test]
fn a_revoked_token_is_refreshed_once() {
    let Rig { sim, client, .. } = rig();
    client.list_currencies().expect("warm");
    sim.push_fault(ScriptedFault::Unauthorized);
    client.list_currencies().expect("after refresh");
    assert_eq!(sim.inspect().tokens_issued, 2);
    sim.push_fault(ScriptedFault::Unauthorized);
    sim.push_fault(ScriptedFault::Unauthorized);
    let err = client.list_currencies().expect_err("twice");
    assert!(err.is_auth(), "{err:?}");
}

#[test]
fn throttling_with_and_without_retry_after() {
    let Rig { sim, client, clock } = rig();
    client.list_currencies().expect("warm");
    sim.push_fault(ScriptedFault::RateLimited {
        retry_after_secs: Some(12),
    });
    client.list_currencies().expect("after Retry-After");
    let after_first = waited_ms(&clock);
    assert_eq!(after_first, 12_000, "exactly the Retry-After");
    // Without Retry-After the wait is X-RateLimit-Reset: the rest of the hourly window, longer than the
    // 5-minute cap, so the client gives up at once with a retryable error for the engine to reschedule.
    sim.push_fault(ScriptedFault::RateLimited {
        retry_after_secs: None,
    });
    let err = client.list_currencies().expect_err("window too far away");
    let wait = err.retry_after().expect("reset reported");
    assert!(
        matches!(err, VismaError::Throttled { .. }) && err.is_retryable(),
        "{err:?}"
    );
    assert!(
        wait > Duration::from_secs(300) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );
    assert_eq!(
        waited_ms(&clock),
        after_first,
        "no in-process wait beyond the cap"
    );
    let throttled = sim
        .inspect()
        .requests
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(throttled, 2);
}

#[test]
fn a_5xx_burst_is_ridden_out_and_error_bodies_of_every_shape_are_read() {
    let Rig { sim, client, clock } = rig();
    for body in [FaultBody::Visma, FaultBody::Message, FaultBody::PlainText] {
        sim.push_fault(ScriptedFault::Status { status: 503, body });
    }
    assert_eq!(client.list_currencies().expect("fourth attempt").len(), 3);
    assert_eq!(waited_ms(&clock), 500 + 1_000 + 2_000);

    let cases = [
        (FaultBody::Malformed, 400),
        (FaultBody::PlainText, 400),
        (FaultBody::Empty, 404),
        (FaultBody::Visma, 412),
    ];
    for (body, status) in cases {
        sim.push_fault(ScriptedFault::Status { status, body });
        let err = client.list_currencies().expect_err("rejected");
        assert_eq!(err.status(), Some(status), "{body:?}");
        assert!(!err.is_retryable(), "{body:?}");
        if body == FaultBody::PlainText {
            assert_eq!(
                err.message().map(|m| m.text.as_str()),
                Some("Service Unavailable")
            );
        }
    }
}

#[test]
fn a_slow_simulator_times_out() {
    let Rig { sim, client, .. } = rig_with(
        |_| {},
        |c| {
            c.timeout = Duration::from_millis(300);
            c.max_attempts = 1;
        },
    );
    client.list_currencies().expect("warm");
    sim.set_faults(Faults {
        latency_ms: 1_500,
        ..Faults::default()
    });
    let err = client.list_currencies().expect_err("too slow");
    assert!(
        matches!(
            err,
            VismaError::Timeout {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[test]
fn the_limiter_keeps_within_the_hourly_budget() {
    let Rig { sim, client, clock } = rig_with(
        |c| c.rate_limit_per_hour = 3,
        |c| c.max_limiter_wait = Duration::from_secs(3600),
    );
    for _ in 0..5 {
        client.list_currencies().expect("within budget");
    }
    assert!(
        sim.inspect().requests.iter().all(|r| r.status != 429),
        "no 429"
    );
    assert!(waited_ms(&clock) > 0, "waited for the window to reset");
}

#[test]
fn under_random_faults_and_lost_responses_every_invoice_lands_exactly_once() {
    let Rig { sim, client, .. } = rig_with(
        |c| {
            c.seed = 7;
            c.fault_rate = 0.3;
            c.lost_response_rate = 0.5;
        },
        |c| c.max_attempts = 10,
    );
    let customer = client
        .create_customer_once("20001", &customer_body("20001", "Kari Nordmann"))
        .expect("customer despite faults");
    assert_eq!(customer.number(), "20001");
    let mut adopted = 0;
    for order in 1..=12 {
        let key = format!("woo:default:{order}");
        let outcome = client
            .create_invoice_once(&key, &invoice_body("20001", &key))
            .expect("lands despite faults");
        adopted += usize::from(outcome.was_adopted());
    }
    let inspection = sim.inspect();
    let mut keys: Vec<String> = inspection
        .store
        .invoices
        .iter()
        .filter_map(|i| {
            i.get("externalReference")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(inspection.store.invoices.len(), 12, "no duplicates");
    assert_eq!(keys.len(), 12, "every order once");
    let faults = inspection
        .requests
        .iter()
        .filter(|r| r.outcome == "fault")
        .count();
    let lost = inspection
        .requests
        .iter()
        .filter(|r| r.outcome == "lost")
        .count();
    assert!(
        faults > 0 && lost > 0,
        "the faults really happened ({faults} faults, {lost} lost)"
    );
    assert!(adopted > 0, "some lost creates were adopted");
}

/// Issue #8: a payment for an invoice this attempt has just created cannot exist yet, so
/// `Prior::CannotExist` sends no search before the create (one call less per paid order). An adopted invoice
/// (`Prior::MayExist`) is searched first and its earlier payment adopted; and even without the first search, a
/// lost answer is followed by a search, so the payment is never made twice.
#[test]
fn a_payment_for_a_new_invoice_skips_the_first_search_but_never_pays_twice() {
    use ml_connector::visma::{CreateOutcome, Prior, Releasable};
    let Rig { sim, client, .. } = rig();
    client
        .create_customer(&customer_body("20001", "Kari Nordmann"))
        .expect("customer");
    let payment = |invoice: &str| {
        serde_json::json!({
            "type": {"value": "Payment"},
            "customer": {"value": "20001"},
            "paymentMethod": {"value": "BANK"},
            "cashAccount": {"value": "1920"},
            "currency": {"value": "NOK"},
            "paymentAmount": {"value": 230.0},
            "paymentLines": [{"operation": "Insert", "documentType": {"value": "Invoice"},
                              "refNbr": {"value": invoice}, "amountPaid": {"value": 230.0}}]
        })
    };
    let payment_calls = |method: &str| {
        sim.inspect()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path.eq_ignore_ascii_case("/v1/customerPayment"))
            .count()
    };
    let invoice = |key: &str| match client
        .create_invoice_once(key, &invoice_body("20001", key))
        .expect("invoice")
    {
        // Released, as Visma requires before a payment names it (issue #14).
        CreateOutcome::Created(n) => {
            client
                .release_once(Releasable::Invoice, &n, true, &mut |_| true)
                .expect("release");
            n
        }
        other => panic!("expected a new invoice, got {other:?}"),
    };

    let first = invoice("woo:default:4001");
    let made = client
        .create_payment_once(&first, Prior::CannotExist, &payment(&first))
        .expect("payment");
    assert!(matches!(made, CreateOutcome::Created(_)), "{made:?}");
    assert_eq!((payment_calls("GET"), payment_calls("POST")), (0, 1));

    let again = client
        .create_payment_once(&first, Prior::MayExist, &payment(&first))
        .expect("adopted");
    assert_eq!(again, CreateOutcome::Adopted(made.number().clone()));
    assert_eq!((payment_calls("GET"), payment_calls("POST")), (1, 1));

    let second = invoice("woo:default:4002");
    sim.push_fault(ScriptedFault::LoseResponse);
    let lost = client
        .create_payment_once(&second, Prior::CannotExist, &payment(&second))
        .expect("found after the lost answer");
    assert!(lost.was_adopted(), "{lost:?}");
    assert_eq!((payment_calls("GET"), payment_calls("POST")), (2, 2));
    let paid: Vec<_> = sim
        .inspect()
        .store
        .payments
        .iter()
        .filter(|p| p["paymentLines"][0]["refNbr"] == serde_json::json!(second))
        .cloned()
        .collect();
    assert_eq!(
        paid.len(),
        1,
        "one payment for the invoice whose answer was lost"
    );
}
