//! Issue #5, test 2: `ml-connector drain` killed with SIGKILL at random moments, 50 times, against a simulator
//! that also drops 5 % of create answers and fails 10 % of calls; then one drain to completion. Every order (and
//! refund) must be in Visma exactly once with WooCommerce's amount, and every job done.
//!
//! The simulator runs in this test process (it outlives every killed CLI). The kill delays are real time on
//! purpose (the worker is another process on the system clock) and come from a seeded RNG; nothing is asserted
//! about timing. The final drain runs in-process on a manual clock set two hours ahead, so every backoff and
//! every lease of a killed worker has run out without waiting.

mod engine_support;

use engine_support::backends::{Backend, TestDb};
use engine_support::modes::{self, Mode};
use engine_support::{
    assert_all_done, assert_exactly_once, drain_until_settled, engine, orders, simulator,
};
use ml_connector::clock::{Clock, ManualClock, SystemClock};
use ml_connector::store::queue::{JobKind, JobSource};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const ORDERS: usize = 200;
const KILLS: usize = 50;

#[test]
fn drain_killed_fifty_times_then_finished_posts_every_order_once() {
    killed_then_finished(1, KILLS, 0.10, Mode::Invoices, Backend::Sqlite);
}

/// Issue #16: the same on MariaDB (the WordPress database, `wp_mlc_` tables): claims with `SKIP LOCKED`, leases
/// fenced as on SQLite.
#[test]
fn on_mariadb_drain_killed_fifty_times_then_finished_posts_every_order_once() {
    killed_then_finished(1, KILLS, 0.10, Mode::Invoices, Backend::MySql);
}

/// Issue #16: the same on PostgreSQL (the connector service's database).
#[test]
fn on_postgres_drain_killed_fifty_times_then_finished_posts_every_order_once() {
    killed_then_finished(1, KILLS, 0.10, Mode::Invoices, Backend::Postgres);
}

/// Issue #16: batches killed mid-batch on both servers (a batch's records are one server transaction).
#[test]
fn on_servers_batched_drain_killed_mid_batch_then_finished_posts_every_order_once() {
    killed_then_finished(10, 6, 0.05, Mode::Invoices, Backend::MySql);
    killed_then_finished(10, 6, 0.05, Mode::Invoices, Backend::Postgres);
}

/// Issue #17: the same in sales-order mode (Nordlys order type and items; payments reserved for the orders).
#[test]
fn sales_order_mode_drain_killed_then_finished_posts_every_order_once() {
    killed_then_finished(1, KILLS / 2, 0.10, Mode::SalesOrders, Backend::Sqlite);
}

/// Issue #17: supplier mode: the shop's registered customers (each sent twice) become suppliers once, with the
/// supplier settings, while their orders are invoiced once.
#[test]
fn supplier_mode_drain_killed_then_finished_makes_every_supplier_once() {
    killed_then_finished(1, KILLS / 2, 0.10, Mode::Suppliers, Backend::Sqlite);
}

/// Issue #8: with `--batch`, a batch's outcomes are recorded in one transaction, so a kill loses the records of
/// every job the worker had finished in that batch, not only the one in flight. Their documents are found and
/// adopted when the jobs come back: still exactly once. Fewer kills than the attempt limit, since each kill
/// charges every claimed job an attempt.
#[test]
fn batched_drain_killed_mid_batch_then_finished_posts_every_order_once() {
    killed_then_finished(10, 6, 0.05, Mode::Invoices, Backend::Sqlite);
}

fn killed_then_finished(batch: u32, kills: usize, fault_rate: f64, mode: Mode, backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(backend, dir.path());
    let system: Arc<dyn Clock> = Arc::new(SystemClock);
    let sim = simulator(system.clone(), fault_rate, 0.05, 3600);
    let orders = orders(ORDERS, 800_000);
    {
        let store = db.open();
        if mode == Mode::Suppliers {
            let customers = modes::real_customers();
            for c in customers.iter().chain(&customers) {
                ml_connector::engine::enqueue(
                    &store,
                    "default",
                    JobKind::Customer,
                    &c.to_string(),
                    JobSource::Cli,
                    system.now(),
                )
                .expect("enqueue customer");
            }
        }
        for o in &orders {
            ml_connector::engine::enqueue(
                &store,
                "default",
                JobKind::Order,
                &o.json,
                JobSource::Cli,
                system.now(),
            )
            .expect("enqueue");
            for r in &o.refunds {
                ml_connector::engine::enqueue(
                    &store,
                    "default",
                    JobKind::Refund,
                    &r.envelope,
                    JobSource::Cli,
                    system.now(),
                )
                .expect("enqueue refund");
            }
        }
    }

    // The CLI drains as the Nordlys client: its settings with a [connection] to this simulator.
    let settings_file = dir.path().join("settings.toml");
    let text = modes::settings_text(mode);
    std::fs::write(
        &settings_file,
        text + &engine_support::connection_toml(&sim),
    )
    .expect("settings file");
    let mut rng = StdRng::seed_from_u64(0x5eed_0005);
    let mut killed_running = 0;
    for _ in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
            .arg("drain")
            .arg("--db")
            .arg(&db.location)
            .arg("--settings")
            .arg(&settings_file)
            .env("NORDLYS_SECRET", engine_support::NORDLYS_CLIENT_SECRET)
            .args(["--lease-secs", "1"])
            .args(["--batch", &batch.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ml-connector drain");
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..400)));
        if child.try_wait().expect("child status").is_none() {
            killed_running += 1;
        }
        child.kill().ok(); // SIGKILL on Unix; an already finished drain is fine
        child.wait().expect("reap the child");
    }
    let state = sim.inspect().store;
    let before = state.invoices.len() + state.sales_orders.len();
    eprintln!("{killed_running} of {kills} drains were killed mid-run; {before} documents so far");
    assert!(
        killed_running >= kills / 2,
        "too few drains were still running when killed"
    );

    // Two hours later (manual clock): every lease of a killed worker and every backoff has expired.
    let clock = ManualClock::new(system.now() + chrono::Duration::hours(2));
    let settings = modes::settings_in(mode);
    let engine = engine(db.open(), settings, &sim, &clock);
    engine
        .store()
        .check_integrity()
        .expect("the killed workers left an intact database");
    let report = drain_until_settled(&engine, &clock, |_| {});
    eprintln!("final drain: {report:?}");
    eprintln!(
        "audit actions: {:?}; most claims of one job: {}",
        db.audit_counts(),
        db.max_attempts()
    );

    match mode {
        Mode::Invoices => assert_exactly_once(&sim, &orders),
        Mode::Suppliers => {
            assert_exactly_once(&sim, &orders);
            modes::assert_suppliers_exactly_once(&sim, &modes::real_customers());
        }
        Mode::SalesOrders => {
            let (made, paid) = modes::assert_sales_orders_exactly_once(&sim, &orders);
            eprintln!("{made} sales orders, {paid} payments reserved for them");
        }
    }
    engine_support::assert_credit_notes_exactly_once(&sim, &orders);
    assert_all_done(engine.store(), &orders);
    assert_eq!(report.failed + report.dead, 0, "{report:?}");
}
