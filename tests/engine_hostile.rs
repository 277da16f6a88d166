//! Issue #5, test 1: 2,000 orders and their 506 refunds (half queued before their order) through a hostile
//! Visma: 20 % injected 500s plus scripted 429s, 5 % of creates stored and then answered with a dropped
//! connection, a token that expires and one that is revoked mid-run. The engine, its client and the simulator share one manual clock: backoff waits move it, and the
//! drain loop moves it past every job's `next_attempt_at`, so nothing sleeps.

mod engine_support;

use engine_support::{
    assert_all_done, assert_credit_notes_exactly_once, assert_exactly_once, audit_counts,
    drain_until_settled, engine, orders, settings, simulator, t0,
};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::simulator::ScriptedFault;
use ml_connector::store::queue::{EnqueueOutcome, JobKind, JobSource};
use ml_connector::store::Store;
use std::sync::Arc;
use std::time::Duration;

const ORDERS: usize = 2_000;
const TOKEN_TTL_SECS: u64 = 900;

#[test]
fn two_thousand_orders_land_exactly_once_through_a_hostile_visma() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("queue.sqlite");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = simulator(shared, 0.20, 0.05, TOKEN_TTL_SECS);
    let engine = engine(Store::open(&db).expect("queue"), settings(), &sim, &clock);

    let orders = orders(ORDERS, 500_000);
    let mut refunds = 0;
    for (i, o) in orders.iter().enumerate() {
        let queue = |kind, payload: &str| {
            let outcome = engine
                .enqueue(kind, payload, JobSource::Hook)
                .expect("enqueue");
            assert!(
                matches!(outcome, EnqueueOutcome::Inserted(_)),
                "{outcome:?}"
            );
        };
        // Half of the refunds arrive before their order (they wait for its invoice).
        if i % 2 == 0 {
            o.refunds
                .iter()
                .for_each(|r| queue(JobKind::Refund, &r.envelope));
        }
        queue(JobKind::Order, &o.json);
        if i % 2 == 1 {
            o.refunds
                .iter()
                .for_each(|r| queue(JobKind::Refund, &r.envelope));
        }
        refunds += o.refunds.len();
    }

    let mut token_expired_at_pass = None;
    let mut scripted = 0;
    let report = drain_until_settled(&engine, &clock, |pass| {
        // Throttling on top of the random 500s: a few 429s (with and without Retry-After) every pass.
        sim.push_fault(ScriptedFault::RateLimited {
            retry_after_secs: Some(1),
        });
        sim.push_fault(ScriptedFault::RateLimited {
            retry_after_secs: None,
        });
        scripted += 2;
        let done = engine.store().counts_by_state().expect("counts").done;
        if token_expired_at_pass.is_none() && done * 2 >= u64::try_from(ORDERS).expect("small") {
            // Half way: the cached token runs out, and the next one is revoked on its first use.
            clock.advance(Duration::from_secs(TOKEN_TTL_SECS + 60));
            sim.push_fault(ScriptedFault::Unauthorized);
            scripted += 1;
            token_expired_at_pass = Some(pass);
        }
    });
    eprintln!("drain report: {report:?}");

    assert!(
        token_expired_at_pass.is_some(),
        "the token expiry was never reached"
    );
    assert_exactly_once(&sim, &orders);
    // The real and generated templates include paid orders (bank transfers), so payments were exercised too.
    assert!(
        engine_support::assert_payments_at_most_once(&sim) > 100,
        "paid orders got their customer payments"
    );
    assert_credit_notes_exactly_once(&sim, &orders);
    assert_all_done(engine.store(), &orders);
    assert_eq!(report.failed + report.dead, 0, "{report:?}");
    assert_eq!(
        report.posted + report.adopted,
        u64::try_from(ORDERS + refunds).expect("small"),
        "{report:?}"
    );

    let inspection = sim.inspect();
    let outcomes = |o: &str| {
        inspection
            .requests
            .iter()
            .filter(|r| r.outcome == o)
            .count()
    };
    let audit = audit_counts(&db);
    eprintln!("audit actions: {audit:?}");
    eprintln!(
        "tokens issued {}; logged outcomes (last 10,000 calls): fault {}, lost {}, rate_limited {}, unauthorized {}",
        inspection.tokens_issued,
        outcomes("fault"),
        outcomes("lost"),
        outcomes("rate_limited"),
        outcomes("unauthorized")
    );
    // The traps were really exercised: lost creates were adopted, retries were scheduled, tokens renewed.
    assert!(
        report.adopted > 0,
        "no lost response was adopted: {report:?}"
    );
    assert_eq!(
        audit.get("adopted").copied().unwrap_or(0),
        i64::try_from(report.adopted).expect("small")
    );
    assert_eq!(
        audit.get("posted").copied().unwrap_or(0),
        i64::try_from(report.posted).expect("small")
    );
    assert!(audit.get("retry").copied().unwrap_or(0) > 0, "{audit:?}");
    assert!(
        inspection.tokens_issued >= 2,
        "tokens issued: {}",
        inspection.tokens_issued
    );
    assert!(outcomes("fault") > 0 && outcomes("lost") > 0);
    // Every scripted 429 and the revoked token were served (a scripted fault is used by the next API call).
    assert!(scripted >= 3, "scripted faults: {scripted}");
    assert!(
        inspection.faults.script.is_empty(),
        "{:?}",
        inspection.faults.script
    );
}
