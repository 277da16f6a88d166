//! Times `Store::enqueue`, the only store call on the WooCommerce checkout path, on a file database in WAL mode
//! with a real order payload: new jobs, duplicates (a retried hook) and newer revisions (an order edit).
//! Prints median / p99 / max per call. Run: `cargo bench --no-default-features --bench store_enqueue`.

use chrono::{DateTime, Utc};
use ml_connector::store::{JobKind, JobSource, NewJob, Store};
use std::time::{Duration, Instant};

const ORDER: &str = include_str!("../tests/fixtures/store/order-105.json");
const N: u64 = 3000;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("bench.sqlite")).expect("open");
    let now: DateTime<Utc> = Utc::now();
    let new_job = |woo_id: u64, revision: i64| NewJob {
        source: JobSource::Hook,
        store_id: "default".into(),
        kind: JobKind::Order,
        woo_id,
        revision,
        // Vary the payload per order so every hash differs, as real orders do.
        payload: ORDER.replacen(
            '{',
            &format!("{{\"bench_rev\":{revision},\"bench_id\":{woo_id},"),
            1,
        ),
        depends_on: None,
    };
    let run = |label: &str, revision: i64| {
        let mut times: Vec<Duration> = (0..N)
            .map(|id| {
                let job = new_job(id, revision);
                let start = Instant::now();
                store.enqueue(&job, now).expect("enqueue");
                start.elapsed()
            })
            .collect();
        times.sort();
        let pick = |q: usize| {
            times
                .get(q * times.len() / 100)
                .copied()
                .unwrap_or_default()
        };
        println!(
            "{label:<28} n={N} median={:?} p99={:?} max={:?}",
            pick(50),
            pick(99),
            times.last().copied().unwrap_or_default()
        );
    };
    run("insert (new order)", 1);
    run("duplicate (same payload)", 1);
    run("replace (newer revision)", 2);
    println!("payload {} bytes", ORDER.len());
}
