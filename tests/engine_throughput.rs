//! Issue #8: what the overhead-ceiling work changed in the engine, checked for behaviour (never for time): a paid
//! order costs three Visma calls and one payment, its audit rows are all written with the outcome; a job that
//! meets another worker's customer creation waits for it instead of backing off, and gives up after a bound.
//! Against the simulator on 127.0.0.1.

mod engine_support;

use engine_support::{client, orders, settings, simulator, t0};
use ml_connector::clock::{Clock, ManualClock, SystemClock};
use ml_connector::engine::{Engine, EngineOptions};
use ml_connector::mapping;
use ml_connector::store::queue::{JobKind, JobSource};
use ml_connector::store::{AuditQuery, Store};
use ml_connector::woo::Order;
use std::sync::Arc;
use std::time::Duration;

/// The first test order that is paid (it gets a customer payment) and needs no customer created by number.
fn paid_order() -> engine_support::TestOrder {
    orders(40, 700_000)
        .into_iter()
        .find(|o| {
            let order = Order::from_json(o.json.as_bytes()).expect("order");
            mapping::map_order(&order, &settings())
                .map(|d| d.payment.is_some())
                .unwrap_or(false)
        })
        .expect("the templates hold a paid order")
}

#[test]
fn a_paid_order_costs_five_calls_and_writes_its_audit_rows_with_the_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    // Releases answer Done here: the call count below has no read-back of a queued release.
    let sim = engine_support::simulator_releasing(shared.clone(), 0.0, 0.0, 3600, false);
    let store = Store::open(dir.path().join("q.sqlite")).expect("queue");
    let engine = Engine::new(store, settings(), client(&sim, shared.clone()), shared);
    let order = paid_order();
    engine
        .enqueue(JobKind::Order, &order.json, JobSource::Cli)
        .expect("enqueue");
    // Its customer first, so the calls counted below are the order's own.
    let docs = mapping::map_order(
        &Order::from_json(order.json.as_bytes()).expect("order"),
        &settings(),
    )
    .expect("maps");
    let before = sim.inspect().requests.len();
    let report = engine.drain(10, None).expect("drain");
    assert_eq!((report.posted, report.retry, report.failed), (1, 0, 0));
    let calls: Vec<String> = sim.inspect().requests[before..]
        .iter()
        .filter(|r| !r.path.contains("/connect/token"))
        .filter(|r| !r.path.to_ascii_lowercase().starts_with("/v1/customer/"))
        .filter(|r| !r.path.eq_ignore_ascii_case("/v1/customer"))
        .map(|r| format!("{} {}", r.method, r.path.to_ascii_lowercase()))
        .collect();
    assert_eq!(
        calls,
        [
            "GET /v1/customerinvoice",
            "POST /v2/customerinvoice",
            "POST /v1/customerinvoice/100001/action/release",
            "POST /v1/customerpayment",
            "POST /v1/customerpayment/300001/action/release"
        ],
        "customer {:?}",
        docs.customer_ref
    );
    assert_eq!(sim.inspect().store.payments.len(), 1);
    // The payment's row and the rounding row (if any) sit before the job's `posted` row, in one transaction.
    let rows = engine
        .store()
        .audit_entries(&AuditQuery::default())
        .expect("audit");
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect(); // oldest first
    let call = actions
        .iter()
        .position(|a| *a == "call")
        .expect("payment row");
    let posted = actions
        .iter()
        .position(|a| *a == "posted")
        .expect("posted row");
    assert!(call < posted, "{actions:?}");
    assert_eq!(posted, actions.len() - 1, "{actions:?}");
}

/// The holder of a customer creation claim that finishes (or gives up) within the wait lets the job go on in
/// the same attempt; one that holds it past the wait sends the job to a later attempt with the reason.
#[test]
fn a_job_waits_for_another_workers_customer_creation_within_a_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    // Real time: the wait polls with the engine clock's sleep.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sim = simulator(clock.clone(), 0.0, 0.0, 3600);
    let options = EngineOptions {
        retry_base: Duration::from_millis(10),
        retry_cap: Duration::from_millis(10),
        ..EngineOptions::default()
    };
    let engine = Engine::new(
        Store::open(&path).expect("queue"),
        settings(),
        client(&sim, clock.clone()),
        clock.clone(),
    )
    .with_options(options);
    // Claims are per Visma company (issue #13): `{company}|{key}`, as the engine takes them.
    let company = engine.books().company.clone();
    let claim_key = |o: &engine_support::TestOrder| {
        let docs = mapping::map_order(
            &Order::from_json(o.json.as_bytes()).expect("order"),
            &settings(),
        )
        .expect("maps");
        let cref = docs.customer_ref;
        match cref.number {
            Some(n) if docs.customer.is_some() => format!("{company}|number:{n}"),
            _ => format!("{company}|email:{}", cref.email_key),
        }
    };
    // Two orders of different new customers (the templates' first customers).
    let all = orders(40, 800_000);
    let mut picked: Vec<engine_support::TestOrder> = Vec::new();
    for o in all {
        let docs = mapping::map_order(
            &Order::from_json(o.json.as_bytes()).expect("order"),
            &settings(),
        )
        .expect("maps");
        if docs.customer.is_some() && picked.iter().all(|p| claim_key(p) != claim_key(&o)) {
            picked.push(o);
        }
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(picked.len(), 2, "two orders with new customers");
    let other = Store::open(&path).expect("another worker's connection");
    let lease = Duration::from_secs(600);

    // Held briefly: released after 150 ms; the job waits and posts in its first attempt.
    let first = &picked[0];
    assert!(other
        .claim_customer_creation("default", &claim_key(first), "other:1", clock.now(), lease)
        .expect("claim"));
    engine
        .enqueue(JobKind::Order, &first.json, JobSource::Cli)
        .expect("enqueue");
    let key = claim_key(first);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        other
            .release_customer_creation("default", &key, "other:1")
            .expect("release");
        other
    });
    let report = engine.drain(10, None).expect("drain");
    assert_eq!((report.posted, report.retry), (1, 0), "{report:?}");
    let other = releaser.join().expect("releaser");

    // Held for good: after the bounded wait the job is retried later, with the reason.
    let second = &picked[1];
    assert!(other
        .claim_customer_creation("default", &claim_key(second), "other:1", clock.now(), lease)
        .expect("claim"));
    engine
        .enqueue(JobKind::Order, &second.json, JobSource::Cli)
        .expect("enqueue");
    let report = engine.drain(1, None).expect("drain");
    assert_eq!((report.posted, report.retry), (0, 1), "{report:?}");
    let job = engine
        .store()
        .list(&Default::default())
        .expect("jobs")
        .into_iter()
        .find(|j| j.woo_id == second.id)
        .expect("job");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("another worker is creating")),
        "{job:?}"
    );
}
