//! Shared pieces of the pipeline benches: percentiles, RSS, a time-compressed clock, real order payloads with
//! fresh ids, and an engine wired to a simulator. Measures nothing itself and asserts nothing.

use chrono::{DateTime, Utc};
use ml_connector::clock::Clock;
use ml_connector::engine::{self, Engine, EngineOptions};
use ml_connector::settings::Settings;
use ml_connector::store::Store;
use ml_connector::visma::Client;
use serde_json::Value;

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The real WooCommerce 9.9 capture every backlog order is cut from (completed, 3 lines, shipping, VAT 25 %).
pub const ORDER_228: &str = include_str!("../../tests/fixtures/woo/real/orders/228.json");
/// 6 lines, completed: the 50-line order repeats its line items.
pub const ORDER_315: &str = include_str!("../../tests/fixtures/woo/real/orders/315.json");

/// Sorted durations → value at percentile `p` (0..=100), nearest rank.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds with one decimal, for the result lines.
pub fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// Resident set size of this process in KiB (Linux `/proc/self/status`).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time (user + system, all threads) used so far by process `pid` ("self" for this one), from
/// `/proc/<pid>/stat` in clock ticks of 10 ms.
pub fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A clock that runs `speedup` times faster than real time from `origin`: the simulator's rate window and the
/// client's limiter both read it, so an hour-long fixed window passes in 3600/speedup real seconds while network
/// latency stays real.
pub struct ScaledClock {
    start: Instant,
    origin: DateTime<Utc>,
    speedup: u32,
}

impl ScaledClock {
    pub fn new(origin: DateTime<Utc>, speedup: u32) -> Self {
        Self {
            start: Instant::now(),
            origin,
            speedup,
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.start.elapsed() * self.speedup;
        self.origin + chrono::Duration::from_std(real).unwrap_or(chrono::Duration::zero())
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d / self.speedup);
    }
}

/// `template` with a new order id (and number), so each payload is a new job and a new Visma document.
pub fn order_with_id(template: &Value, id: u64) -> String {
    let mut v = template.clone();
    v["id"] = Value::from(id);
    v["number"] = Value::from(id.to_string());
    v.to_string()
}

/// A 50-line order built from the real line items of order 315 (cycled, new line ids), its totals recomputed
/// from the lines so WooCommerce's own arithmetic still holds.
pub fn fifty_line_order() -> String {
    let base: Value = serde_json::from_str(ORDER_315).expect("fixture parses");
    let items = base["line_items"].as_array().expect("line_items").clone();
    let minor = |v: &Value| -> i64 {
        let s = v.as_str().unwrap_or("0");
        let (i, f) = s.split_once('.').unwrap_or((s, "0"));
        let f = format!("{f:0<2}");
        i.parse::<i64>().unwrap_or(0) * 100 + f[..2].parse::<i64>().unwrap_or(0)
    };
    let fmt = |m: i64| format!("{}.{:02}", m / 100, m % 100);
    let sum = |lines: &[Value], key: &str| lines.iter().map(|l| minor(&l[key])).sum::<i64>();
    let lines: Vec<Value> = (0..50)
        .map(|i| {
            let mut l = items[i % items.len()].clone();
            l["id"] = Value::from(90_000 + i as u64);
            l
        })
        .collect();
    let (old_total, old_tax) = (sum(&items, "total"), sum(&items, "total_tax"));
    let (new_total, new_tax) = (sum(&lines, "total"), sum(&lines, "total_tax"));
    let (old_sub, new_sub) = (sum(&items, "subtotal"), sum(&lines, "subtotal"));
    let mut o = base.clone();
    let add = |field: &str, delta: i64, o: &mut Value| {
        let now = minor(&o[field]);
        o[field] = Value::from(fmt(now + delta));
    };
    add(
        "total",
        (new_total + new_tax) - (old_total + old_tax),
        &mut o,
    );
    add("total_tax", new_tax - old_tax, &mut o);
    add("cart_tax", new_tax - old_tax, &mut o);
    add(
        "discount_total",
        (new_sub - new_total) - (old_sub - old_total),
        &mut o,
    );
    if let Some(tax_lines) = o["tax_lines"].as_array_mut() {
        if tax_lines.len() == 1 {
            add("tax_total", new_tax - old_tax, &mut tax_lines[0]);
        }
    }
    o["line_items"] = Value::Array(lines);
    o.to_string()
}

/// Engine tunables for the benches: a lease longer than any run, short backoff, and `batch` jobs claimed and
/// recorded per transaction (1 is the product's kill-safe default; `ml-connector drain --batch 20` is the
/// backfill setting).
pub fn options(batch: u32) -> EngineOptions {
    EngineOptions {
        lease: Duration::from_secs(7 * 24 * 3600),
        batch,
        retry_base: Duration::from_secs(1),
        retry_cap: Duration::from_secs(60),
    }
}

/// An engine of its own (store connection, client, limiter) on `db`, talking to the simulator at `urls`.
pub fn engine(db: &str, urls: &SimUrls, clock: Arc<dyn Clock>, workers: u64, batch: u32) -> Engine {
    let store = Store::open_location(db, &ml_connector::store::StoreOptions::default())
        .expect("open store");
    let mut config = engine::simulator_config(&urls.token, &urls.base, &urls.salesorders);
    config.timeout = Duration::from_secs(30);
    // Wait for the window reset instead of rescheduling: the drain-rate bench measures the limiter's waiting.
    config.max_limiter_wait = Duration::from_secs(3700);
    // Each engine sees only its own answers' `Remaining`: leave one call per other engine (Config docs).
    config.rate_limit_reserve = workers.saturating_sub(1);
    let client = Client::new(config, clock.clone()).expect("client");
    Engine::new(store, Settings::example().expect("settings"), client, clock)
        .with_options(options(batch))
}

/// Where the simulator answers.
#[derive(Clone, Debug)]
pub struct SimUrls {
    pub token: String,
    pub base: String,
    pub salesorders: String,
}

impl SimUrls {
    /// The URLs of a simulator whose root is `base` (`http://127.0.0.1:PORT`), same layout as the simulator's.
    pub fn from_base(base: &str) -> Self {
        Self {
            token: format!("{base}/connect/token"),
            base: base.to_owned(),
            salesorders: format!("{base}/api/v3/SalesOrders"),
        }
    }
}
