//! Issue #17: supplier mode on the Nordlys company through a Visma that fails 20 % of calls and drops 5 % of
//! create answers. Every registered WooCommerce customer becomes exactly one Visma supplier numbered with the
//! supplier prefix and carrying the supplier class, terms and payment method of the settings (never the
//! customer ones); their orders are still invoiced to Visma customers, so a buyer who is also a supplier is two
//! accounts, numbered apart.

mod engine_support;

use engine_support::modes::{assert_suppliers_exactly_once, real_customers, settings_in, Mode};
use engine_support::{drain_until_settled, engine, simulator, t0};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::store::queue::{JobKind, JobSource};
use std::sync::Arc;

#[test]
fn every_customer_becomes_one_supplier_with_the_supplier_settings_through_a_hostile_visma() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = simulator(shared, 0.20, 0.05, 3600);
    // Issue #16: ML_TEST_BACKEND picks the backend.
    let db = engine_support::backends::TestDb::from_env(dir.path());
    let store = db.open();
    let engine = engine(store, settings_in(Mode::Suppliers), &sim, &clock);
    let customers = real_customers();
    let orders = engine_support::orders(60, 600_000);
    for c in &customers {
        // Sent twice, as a webhook and a poller would.
        for _ in 0..2 {
            engine
                .enqueue(JobKind::Customer, &c.to_string(), JobSource::Hook)
                .expect("enqueue customer");
        }
    }
    for o in &orders {
        engine
            .enqueue(JobKind::Order, &o.json, JobSource::Hook)
            .expect("enqueue order");
    }
    let report = drain_until_settled(&engine, &clock, |_| {});
    assert_eq!(report.failed + report.dead, 0, "{report:?}");
    assert_suppliers_exactly_once(&sim, &customers);
    // Orders are invoiced to customers (per e-mail), never to the suppliers.
    engine_support::assert_exactly_once(&sim, &orders);
}
