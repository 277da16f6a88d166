//! `ml-connector demo`: the whole path on the embedded default. Starts the Visma.net simulator in-process,
//! queues the bundled real WooCommerce orders, refunds and customers, drains the queue into the simulator and
//! prints what landed in Visma next to what WooCommerce charged. Exit 0 only with zero differences.

use super::demo_data::{CUSTOMERS, ORDERS, REFUNDS};
use super::sync::load_settings;
use anyhow::Context;
use clap::Args;
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::engine::{self, Engine, EngineOptions};
use ml_connector::simulator::{SimConfig, Simulator};
use ml_connector::store::queue::{JobKind, JobSource};
use ml_connector::store::Store;
use ml_connector::visma::decimal::Decimal;
use ml_connector::visma::Client;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `demo` options: the defaults show a clean run; the fault flags show the same result through a bad network.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Queue database (default: a fresh file in the temp directory).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Simulator: share of API calls answered with a 5xx.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Simulator: share of creates stored and then answered with a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    lost_response_rate: f64,
    /// Simulator: latency per call in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

/// Runs the demo; exit 1 when any document differs from WooCommerce or any job failed, 2 on setup errors.
pub fn run(args: &DemoArgs) -> ExitCode {
    match demo(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn minor(text: &str) -> Option<i64> {
    Decimal::parse(text.trim())?.to_minor(2)
}

fn show(m: Option<i64>) -> String {
    m.map_or_else(
        || "-".to_owned(),
        |v| {
            format!(
                "{}{}.{:02}",
                if v < 0 { "-" } else { "" },
                (v / 100).abs(),
                (v % 100).abs()
            )
        },
    )
}

fn demo(args: &DemoArgs) -> anyhow::Result<bool> {
    let sim = Simulator::start(SimConfig {
        fault_rate: args.fault_rate,
        lost_response_rate: args.lost_response_rate,
        latency_ms: args.latency_ms,
        ..SimConfig::default()
    })
    .context("starting the Visma.net simulator")?;
    println!(
        "Visma.net simulator at {} (company 1234567)",
        sim.base_url()
    );

    let db = args.db.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ml-connector-demo-{}.sqlite", std::process::id()))
    });
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    println!("Queue database {}", db.display());
    let settings = load_settings(None)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut config =
        engine::simulator_config(&sim.token_url(), &sim.base_url(), &sim.salesorders_url());
    config.timeout = Duration::from_secs(5);
    let client = Client::new(config, clock.clone()).context("Visma client")?;
    let engine = Engine::new(store, settings, client, clock).with_options(EngineOptions {
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(500),
        ..EngineOptions::default()
    });

    let mut queued = 0;
    for customer in CUSTOMERS {
        engine.enqueue(JobKind::Customer, customer, JobSource::Cli)?;
        queued += 1;
    }
    for (_, order) in ORDERS {
        engine.enqueue(JobKind::Order, order, JobSource::Cli)?;
        queued += 1;
    }
    for (order_id, list) in REFUNDS {
        let order = ORDERS
            .iter()
            .find(|(id, _)| *id == order_id)
            .map(|(_, o)| serde_json::from_str::<serde_json::Value>(o))
            .transpose()?
            .context("refund without its order")?;
        let refunds: Vec<serde_json::Value> = serde_json::from_str(list)?;
        for refund in refunds {
            let env = serde_json::json!({"order": order, "refund": refund}).to_string();
            engine.enqueue(JobKind::Refund, &env, JobSource::Cli)?;
            queued += 1;
        }
    }
    println!("Queued {queued} WooCommerce objects (8 customers, 30 orders, their refunds)\n");

    // Drain until nothing is due; retries wait in the queue, so loop while work remains.
    let started = std::time::Instant::now();
    let mut total = engine::DrainReport::default();
    let mut idle_passes = 0;
    // Retries wait at most the demo's 0.5 s backoff cap; twenty idle passes (2 s) mean nothing more will come.
    while started.elapsed() < Duration::from_secs(120) && idle_passes < 20 {
        let r = engine.drain(1000, None)?;
        let moved = r.posted + r.adopted + r.already_posted + r.skipped + r.edited_after_posting;
        total.add(&r);
        let counts = engine.store().counts_by_state()?;
        if counts.pending + counts.running == 0 {
            break;
        }
        if moved == 0 && r.retry == 0 {
            idle_passes += 1;
            std::thread::sleep(Duration::from_millis(100));
        } else {
            idle_passes = 0;
        }
    }
    compare(&engine, &total)
}

fn compare(engine: &Engine, total: &engine::DrainReport) -> anyhow::Result<bool> {
    let mut differences = 0;
    let (mut paid, mut payments) = (0, 0);
    println!(
        "{:<8} {:<11} {:>12} {:>12} {:>9} {:>12}  document",
        "order", "status", "woo total", "visma total", "diff", "woo vat"
    );
    for (id, text) in ORDERS {
        let order: serde_json::Value = serde_json::from_str(text)?;
        let status = order["status"].as_str().unwrap_or("?");
        let woo = minor(order["total"].as_str().unwrap_or(""));
        let woo_vat = minor(order["total_tax"].as_str().unwrap_or(""));
        let mapping = engine
            .store()
            .lookup_mapping(engine.books(), JobKind::Order, id)?;
        let (number, visma) = match &mapping {
            Some(m) => {
                let number = m.mapping.visma_number.clone();
                if order["date_paid"].as_str().is_some_and(|d| !d.is_empty()) {
                    paid += 1;
                    payments += engine.visma().find_payments_for_invoice(&number)?.len();
                }
                let doc = engine.visma().get_invoice(&number)?;
                (
                    number,
                    doc.and_then(|d| d.amount_in_currency)
                        .and_then(|a| a.to_minor(2)),
                )
            }
            None => ("not invoiced (status)".to_owned(), None),
        };
        let diff = match (woo, visma, &mapping) {
            (Some(w), Some(v), _) => Some(v - w),
            (_, _, None) => None,
            _ => Some(i64::MAX),
        };
        if diff.is_some_and(|d| d != 0) {
            differences += 1;
        }
        println!(
            "{:<8} {:<11} {:>12} {:>12} {:>9} {:>12}  {}",
            id,
            status,
            show(woo),
            show(visma),
            diff.map_or("".to_owned(), |d| show(Some(d))),
            show(woo_vat),
            number
        );
    }
    println!();
    for (order_id, list) in REFUNDS {
        let refunds: Vec<serde_json::Value> = serde_json::from_str(list)?;
        for refund in refunds {
            let Some(rid) = refund["id"].as_u64() else {
                continue;
            };
            let woo = minor(refund["amount"].as_str().unwrap_or(""));
            let mapping = engine
                .store()
                .lookup_mapping(engine.books(), JobKind::Refund, rid)?;
            let (number, visma) = match &mapping {
                Some(m) => {
                    let number = m.mapping.visma_number.clone();
                    let doc = engine.visma().get_credit_note(&number)?;
                    (
                        number,
                        doc.and_then(|d| d.amount_in_currency)
                            .and_then(|a| a.to_minor(2)),
                    )
                }
                None => ("NOT POSTED".to_owned(), None),
            };
            let diff = match (woo, visma) {
                (Some(w), Some(v)) => v - w,
                _ => i64::MAX,
            };
            if diff != 0 {
                differences += 1;
            }
            println!(
                "refund {:<6} of order {:<5} woo {:>10}  visma {:>10}  diff {:>6}  credit note {}",
                rid,
                order_id,
                show(woo),
                show(visma),
                if diff == i64::MAX {
                    "?".to_owned()
                } else {
                    show(Some(diff))
                },
                number
            );
        }
    }
    let counts = engine.store().counts_by_state()?;
    println!(
        "\nposted {} · adopted after a lost answer {} · not invoiced (status) {} · retries {} · failed {} · dead {}",
        total.posted, total.adopted, total.skipped, total.retry, counts.failed, counts.dead
    );
    println!("customer payments: {payments} for {paid} paid, invoiced orders");
    if payments != paid {
        differences += 1;
    }
    println!("differences between WooCommerce and Visma: {differences}");
    Ok(differences == 0 && counts.failed == 0 && counts.dead == 0 && counts.pending == 0)
}
