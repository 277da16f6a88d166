//! Microbenches of single calls: the checkout-path enqueue (against a bare SQLite insert + WAL commit) and
//! the pure mapping (against parsing the same order's JSON). Timing per call, p50/p99 over N calls.

use crate::common::{fifty_line_order, order_with_id, pct, us, ORDER_228};
use ml_connector::engine;
use ml_connector::mapping;
use ml_connector::settings::Settings;
use ml_connector::store::queue::{JobKind, JobSource};
use ml_connector::store::Store;
use ml_connector::woo::Order;
use serde_json::Value;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn summary(label: &str, mut t: Vec<Duration>) -> (Duration, Duration) {
    t.sort();
    let (p50, p99) = (pct(&t, 50.0), pct(&t, 99.0));
    println!(
        "RESULT {label} n={} p50_us={} p99_us={} max_us={}",
        t.len(),
        us(p50),
        us(p99),
        us(t.last().copied().unwrap_or_default())
    );
    (p50, p99)
}

/// `ml_connector_enqueue`'s Rust body (key the payload, one `BEGIN IMMEDIATE` transaction, WAL commit) on a
/// file database, against the floor: one row of the same size inserted and committed on the same pragmas.
pub fn enqueue(n: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let template: Value = serde_json::from_str(ORDER_228).expect("fixture");
    let payloads: Vec<String> = (0..n)
        .map(|i| order_with_id(&template, 1_000_000 + i))
        .collect();

    let floor_db = dir.path().join("floor.sqlite");
    let conn = rusqlite::Connection::open(&floor_db).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, payload TEXT)")
        .expect("table");
    let store = Store::open(dir.path().join("bench.sqlite")).expect("store");
    let now = chrono::Utc::now();
    let (mut floor, mut real) = (Vec::new(), Vec::new());
    // Interleaved, so drift hits both series alike.
    for (i, p) in payloads.iter().enumerate() {
        let start = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.execute(
            "INSERT INTO t (k, payload) VALUES (?1, ?2)",
            rusqlite::params![format!("woo:default:{i}"), p],
        )
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        floor.push(start.elapsed());

        let start = Instant::now();
        let outcome = engine::enqueue(&store, "default", JobKind::Order, p, JobSource::Hook, now)
            .expect("enqueue");
        real.push(start.elapsed());
        black_box(outcome);
    }
    // p99 per round of 500 calls, then the median round: one burst of another job's disk writes on this shared
    // machine moves one round's p99, not the result.
    let round_p99 = |t: &[Duration]| -> Duration {
        let mut p99s: Vec<Duration> = t
            .chunks(500)
            .map(|c| {
                let mut c = c.to_vec();
                c.sort();
                pct(&c, 99.0)
            })
            .collect();
        p99s.sort();
        p99s.get(p99s.len() / 2).copied().unwrap_or_default()
    };
    if std::env::var_os("BENCH_DEBUG_SLOW").is_some() {
        let slow: Vec<usize> = real
            .iter()
            .enumerate()
            .filter(|(_, d)| d.as_micros() > 1500)
            .map(|(i, _)| i)
            .collect();
        eprintln!("slow calls (>1.5 ms): {} at {:?}", slow.len(), slow);
    }
    let (fr99, rr99) = (round_p99(&floor), round_p99(&real));
    let (f50, f99) = summary("enqueue_floor_insert_commit", floor);
    let (r50, r99) = summary("enqueue_call", real);
    println!(
        "RESULT enqueue_ratio p50={:.2} p99={:.2} payload_bytes={} floor_round_p99_us={} call_round_p99_us={} \
         round_p99_ratio={:.2}",
        r50.as_secs_f64() / f50.as_secs_f64(),
        r99.as_secs_f64() / f99.as_secs_f64(),
        payloads.first().map_or(0, String::len),
        us(fr99),
        us(rr99),
        rr99.as_secs_f64() / fr99.as_secs_f64(),
    );
}

/// The pure mapping of a parsed order (3 lines: real order 228; 50 lines: built from order 315's items),
/// against parsing the same JSON into `woo::Order` (the step before it on every path).
pub fn mapping(n: u64) {
    let settings = Settings::example().expect("settings");
    for (label, json) in [
        ("3_lines", ORDER_228.to_owned()),
        ("50_lines", fifty_line_order()),
    ] {
        let order = Order::from_json(json.as_bytes()).expect("order parses");
        let docs = mapping::map_order(&order, &settings).expect("order maps");
        black_box(docs);
        let (mut parse, mut map) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let start = Instant::now();
            let parsed = Order::from_json(black_box(json.as_bytes())).expect("parse");
            parse.push(start.elapsed());
            let start = Instant::now();
            let docs = mapping::map_order(black_box(&parsed), &settings).expect("map");
            map.push(start.elapsed());
            black_box(docs);
        }
        let (p50, _) = summary(&format!("mapping_parse_{label}"), parse);
        let (m50, _) = summary(&format!("mapping_map_{label}"), map);
        println!(
            "RESULT mapping_ratio_{label} p50={:.2} lines={} json_bytes={}",
            m50.as_secs_f64() / p50.as_secs_f64(),
            order.line_items.len(),
            json.len()
        );
    }
}
