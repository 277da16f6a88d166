//! Issue #5, test 3: eight OS processes enqueue overlapping shares of the same orders and their refunds
//! (each order is sent by three processes, and each process sends part of its share twice) and drain the same
//! database into the same simulator at once, with 10 % injected 500s and 5 % lost create answers. Every order must land once, with
//! WooCommerce's total, and no job may be lost or doubled.
//!
//! The processes are this test binary run again (`worker_process`, a no-op unless `ENGINE_WORKER_DB` is set).
//! They share the system clock with each other and the simulator, so they wait briefly between empty drain
//! passes; nothing is asserted about timing.

mod engine_support;

use engine_support::backends::{Backend, TestDb};
use engine_support::modes::{self, Mode};
use engine_support::{assert_all_done, assert_exactly_once, client, orders, TestOrder};
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::engine::{Engine, EngineOptions, IntakeError};
use ml_connector::store::queue::JobSource;
use ml_connector::store::{Store, StoreError};
use ml_connector::visma::retry::Policy;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const ORDERS: usize = 400;
const WORKERS: usize = 8;
/// Short on purpose: a lease that runs out while a worker is still busy must not make a second document.
const LEASE: Duration = Duration::from_secs(1);

#[test]
fn eight_processes_enqueueing_and_draining_one_queue_post_each_order_once() {
    eight_processes(false, LEASE, Mode::Invoices, Backend::Sqlite);
}

/// Issue #16: the eight processes on one MariaDB database (`wp_mlc_` tables, as the plugin on several web
/// servers uses the shop's WordPress database): claims race with `SKIP LOCKED` and per-entity locks.
#[test]
fn on_mariadb_eight_processes_post_each_order_once() {
    eight_processes(false, LEASE, Mode::Invoices, Backend::MySql);
}

/// Issue #16: the same on PostgreSQL.
#[test]
fn on_postgres_eight_processes_post_each_order_once() {
    eight_processes(false, LEASE, Mode::Invoices, Backend::Postgres);
}

/// Issue #14, strict releases: every release answers `Queued`, so each invoice and payment is read back until
/// Visma shows it released (a pause per document). The lease fits a batch of such jobs; the short-lease run
/// above covers batches outliving their lease.
#[test]
fn eight_processes_with_queued_releases_post_each_order_once() {
    eight_processes(
        true,
        Duration::from_secs(10),
        Mode::Invoices,
        Backend::Sqlite,
    );
}

/// Issue #17: sales-order mode on the Nordlys company (its own order type, items and warehouse), with the
/// same faults and concurrency: each order one sales order with WooCommerce's total and quantities, each paid
/// order's payment reserved for it once, each refund one credit note.
#[test]
fn eight_processes_in_sales_order_mode_post_each_order_once() {
    eight_processes(
        true,
        Duration::from_secs(10),
        Mode::SalesOrders,
        Backend::Sqlite,
    );
}

fn eight_processes(queued_release: bool, lease: Duration, mode: Mode, backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(backend, dir.path());
    let system: Arc<dyn Clock> = Arc::new(SystemClock);
    let sim = engine_support::simulator_releasing(system, 0.10, 0.05, 3600, queued_release);
    let mut faults = sim.inspect().faults;
    // Every answer takes a moment, so a batch of claimed jobs outlives a short lease.
    faults.latency_ms = 30;
    sim.set_faults(faults);
    let orders = orders(ORDERS, 900_000);
    // Create the schema once so the workers race on jobs, not on migrations.
    drop(db.open());

    let exe = std::env::current_exe().expect("test binary");
    let mut children = Vec::new();
    for w in 0..WORKERS {
        // Worker w sends orders i with i % 8 in {w, w+1, w+2}: three senders per order. The first third of
        // its share goes twice (a checkout hook and a poller sending the same payload).
        let share: Vec<&TestOrder> = orders
            .iter()
            .enumerate()
            .filter(|(i, _)| (0..3).any(|k| i % WORKERS == (w + k) % WORKERS))
            .map(|(_, o)| o)
            .collect();
        // One line per payload: "order\t{json}" or "refund\t{envelope}"; refunds come before their order
        // in the even workers and after it in the odd ones (after `reverse`, the other way round).
        let tagged = |o: &TestOrder| {
            let mut v = vec![format!("order\t{}", o.json)];
            v.extend(o.refunds.iter().map(|r| format!("refund\t{}", r.envelope)));
            v
        };
        let mut lines: Vec<String> = share.iter().flat_map(|o| tagged(o)).collect();
        lines.extend(share.iter().take(share.len() / 3).flat_map(|o| tagged(o)));
        if w % 2 == 1 {
            lines.reverse();
        }
        let file = dir.path().join(format!("worker-{w}.jsonl"));
        std::fs::write(&file, lines.join("\n")).expect("worker input");
        let child = Command::new(&exe)
            .args([
                "--exact",
                "worker_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("ENGINE_WORKER_DB", &db.location)
            .env("ENGINE_WORKER_INPUT", &file)
            .env("ENGINE_WORKER_SIM", sim.base_url())
            .env("ENGINE_WORKER_LEASE_MS", lease.as_millis().to_string())
            .env("ENGINE_WORKER_MODE", mode.env_value())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn worker");
        children.push(child);
    }
    for (w, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("worker output");
        let text = String::from_utf8_lossy(&out.stdout);
        let report = text
            .lines()
            .find(|l| l.contains("worker report"))
            .unwrap_or("");
        eprintln!("worker {w}: {report}");
        assert!(
            out.status.success(),
            "worker {w} failed: {}\n{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let store = db.open();
    match mode {
        Mode::Invoices | Mode::Suppliers => assert_exactly_once(&sim, &orders),
        Mode::SalesOrders => {
            let (made, paid) = modes::assert_sales_orders_exactly_once(&sim, &orders);
            eprintln!("{made} sales orders, {paid} payments reserved for them");
        }
    }
    engine_support::assert_credit_notes_exactly_once(&sim, &orders);
    assert_all_done(&store, &orders);
    let order_jobs: i64 = db.select("count(*)", "jobs", "WHERE kind = 'order'")[0][0]
        .parse()
        .expect("count");
    assert_eq!(
        order_jobs,
        i64::try_from(ORDERS).expect("small"),
        "duplicates must not queue twice"
    );
    eprintln!(
        "duplicate customers: {:?}",
        engine_support::duplicate_customers(&sim)
    );
    eprintln!(
        "audit actions: {:?}; most claims of one job: {}",
        db.audit_counts(),
        db.max_attempts()
    );
}

fn retry_store<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> T {
    for _ in 0..100 {
        match f() {
            Ok(v) => return v,
            Err(e) if e.is_retryable() => continue,
            Err(e) => panic!("store: {e}"),
        }
    }
    panic!("store stayed busy");
}

/// One worker process: enqueue the payloads of `ENGINE_WORKER_INPUT`, then drain until nothing is left.
#[test]
#[ignore = "run by the eight_processes tests"]
fn worker_process() {
    let Ok(db) = std::env::var("ENGINE_WORKER_DB") else {
        return;
    };
    let input = std::env::var("ENGINE_WORKER_INPUT").expect("input file");
    let base = std::env::var("ENGINE_WORKER_SIM").expect("simulator url");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store =
        retry_store(|| Store::open_location(&db, &ml_connector::store::StoreOptions::default()));
    let c = engine_support::nordlys();
    let config = ml_connector::visma::Config::visma_net(
        c.client_id.clone(),
        ml_connector::secret::Secret::new(c.client_secret.clone()),
        c.tenant_id.clone(),
    )
    .with_urls(
        format!("{base}/connect/token"),
        base.clone(),
        format!("{base}/api/v3/SalesOrders"),
    )
    .with_company_id(c.id.clone());
    let visma = ml_connector::visma::Client::new(config, clock.clone())
        .expect("client")
        .with_policy(Policy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
            max_attempts: 5,
        });
    let _ = client; // the shared helper builds in-process clients; this one is configured by hand
    let settings = modes::settings_in(Mode::from_env());
    let engine = Engine::new(store, settings, visma, clock).with_options(EngineOptions {
        lease: std::env::var("ENGINE_WORKER_LEASE_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(LEASE, Duration::from_millis),
        // Not the default (1): a batch that outlives its lease is what made two invoices for one order
        // before the engine renewed each job's lease (Issue #5).
        batch: 10,
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(300),
    });
    let text = std::fs::read_to_string(input).expect("input");
    for line in text.lines() {
        let (kind, payload) = line.split_once('\t').expect("tagged line");
        let kind = ml_connector::engine::parse_kind(kind).expect("kind");
        loop {
            match engine.enqueue(kind, payload, JobSource::Hook) {
                Ok(_) => break,
                Err(IntakeError::Store { source, .. }) if source.is_retryable() => continue,
                Err(e) => panic!("enqueue: {e}: {e:?}"),
            }
        }
    }
    let mut total = ml_connector::engine::DrainReport::default();
    for _ in 0..100_000 {
        match engine.drain(50, None) {
            Ok(r) => engine_support::add(&mut total, &r),
            Err(ml_connector::engine::EngineError::Store(e)) if e.is_retryable() => continue,
            Err(e) => panic!("drain: {e}: {e:?}"),
        }
        let counts = retry_store(|| engine.store().counts_by_state());
        if counts.pending + counts.running == 0 {
            println!("worker report {total:?}");
            return;
        }
        // Other workers hold the rest, or backoffs are running: look again shortly (system clock, see above).
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the queue did not settle: {total:?}");
}
