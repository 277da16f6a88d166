//! Whole-pipeline benches: drain rate under a fixed-window rate limit (in-process simulator on a compressed
//! clock), the overhead ceiling against a zero-latency simulator process, and a long backfill with RSS samples
//! and the database size. Engines run as threads, each with its own store connection, client and limiter,
//! exactly as separate `ml-connector drain` processes would.

use crate::backends::{Backend, TestDb};
use crate::common::{cpu_secs, engine, order_with_id, rss_kib, ScaledClock, SimUrls, ORDER_228};
use chrono::{DateTime, Timelike, Utc};
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::engine::DrainReport;
use ml_connector::simulator::{SimConfig, Simulator};
use ml_connector::store::queue::{JobKind, JobSource};
use ml_connector::store::{Store, StoreOptions};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Queues `n` copies of order 228 with fresh ids; returns the seconds it took.
fn backlog(db: &str, n: u64, first_id: u64) -> f64 {
    let store = Store::open_location(db, &StoreOptions::default()).expect("store");
    let template: Value = serde_json::from_str(ORDER_228).expect("fixture");
    let start = Instant::now();
    for i in 0..n {
        let payload = order_with_id(&template, first_id + i);
        ml_connector::engine::enqueue(
            &store,
            "default",
            JobKind::Order,
            &payload,
            JobSource::Cli,
            Utc::now(),
        )
        .expect("enqueue");
    }
    start.elapsed().as_secs_f64()
}

#[derive(Default)]
struct Tally {
    done: AtomicU64,
    not_done: AtomicU64,
}

impl Tally {
    fn add(&self, r: &DrainReport) -> u64 {
        let ok = r.posted + r.adopted + r.already_posted + r.skipped + r.edited_after_posting;
        self.done.fetch_add(ok, Ordering::Relaxed);
        self.not_done.fetch_add(
            r.retry + r.failed + r.dead + r.lost_lease,
            Ordering::Relaxed,
        );
        ok + r.retry + r.failed + r.dead + r.lost_lease
    }
}

/// How a set of engine threads runs.
struct Pool {
    /// Engine threads.
    threads: u64,
    /// Queue database every engine opens (a SQLite path or a server URL).
    db: String,
    urls: SimUrls,
    clock: Arc<dyn Clock>,
    /// Set to end the run (checked between drain calls).
    stop: Arc<AtomicBool>,
    /// End a thread when nothing is due (a backlog run) instead of waiting for more.
    until_empty: bool,
    tally: Arc<Tally>,
    /// Clock seconds per real second (1 = real time).
    speedup: u64,
    /// Jobs claimed and recorded per transaction.
    batch: u32,
}

/// Starts the pool's engine threads.
fn workers(pool: &Pool) -> Vec<std::thread::JoinHandle<()>> {
    (0..pool.threads)
        .map(|_| {
            let (db, urls, clock, stop, tally) = (
                pool.db.clone(),
                pool.urls.clone(),
                pool.clock.clone(),
                pool.stop.clone(),
                pool.tally.clone(),
            );
            let (until_empty, speedup, threads, batch) =
                (pool.until_empty, pool.speedup, pool.threads, pool.batch);
            std::thread::spawn(move || {
                let engine = engine(&db, &urls, clock.clone(), threads, batch);
                while !stop.load(Ordering::Relaxed) {
                    // Up to 100 jobs per drain call (as `ml-connector drain` and the plugin's background action
                    // do), but back within a real second so a stop request is seen.
                    let deadline = clock.now()
                        + chrono::Duration::seconds(i64::try_from(speedup).unwrap_or(1));
                    let report = engine.drain(100, Some(deadline)).expect("drain");
                    if tally.add(&report) == 0 {
                        if until_empty {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        })
        .collect()
}

/// A fresh queue of the backend `BENCH_DB` names (SQLite by default).
fn temp_db(dir: &tempfile::TempDir) -> TestDb {
    let backend = match std::env::var("BENCH_DB").as_deref() {
        Ok("mysql" | "mariadb") => Backend::MySql,
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    TestDb::new(backend, dir.path())
}

fn backend_name(db: &TestDb) -> &'static str {
    match db.backend {
        Backend::Sqlite => "sqlite",
        Backend::MySql => "mariadb",
        Backend::Postgres => "postgres",
    }
}

/// Drain rate: `limit` API calls per fixed window, 150 ms latency, `threads` engines. The simulator's and the
/// engines' clocks run `speedup`× real time, so one hour window takes 3600/speedup real seconds; the run starts
/// 5 compressed minutes before a window boundary (the limiter reads the headers there) and measures exactly the
/// next full window: API calls answered 2xx in it (≤ limit by construction) and 429s anywhere in the run.
pub fn rate(limit: u64, threads: u64, speedup: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = temp_db(&dir);
    backlog(&db.location, 5000, 2_000_000);
    let now = Utc::now();
    let hour = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .expect("top of the hour");
    let boundary: DateTime<Utc> = hour + chrono::Duration::hours(1);
    let origin = boundary - chrono::Duration::minutes(5);
    let speedup32 = u32::try_from(speedup).expect("small speedup");
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(origin, speedup32));
    let sim = Simulator::start(SimConfig {
        latency_ms: 150,
        rate_limit_per_hour: u32::try_from(limit).expect("limit fits"),
        clock: clock.clone(),
        ..SimConfig::default()
    })
    .expect("simulator");
    let urls = SimUrls::from_base(&sim.base_url());
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let handles = workers(&Pool {
        threads,
        db: db.location.clone(),
        urls,
        clock: clock.clone(),
        stop: stop.clone(),
        until_empty: false,
        tally: tally.clone(),
        speedup,
        batch: 5,
    });
    let end = boundary + chrono::Duration::seconds(3601);
    while clock.now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("worker");
    }
    let seen = sim.inspect();
    let api: Vec<_> = seen
        .requests
        .iter()
        .filter(|r| !r.path.contains("/connect/token"))
        .collect();
    let window_end = boundary + chrono::Duration::hours(1);
    let in_window =
        |r: &&&ml_connector::simulator::LoggedRequest| r.at >= boundary && r.at < window_end;
    let ok_in_window = api
        .iter()
        .filter(in_window)
        .filter(|r| r.status < 400)
        .count();
    let limited_total = api.iter().filter(|r| r.status == 429).count();
    let limited_in_window = api
        .iter()
        .filter(in_window)
        .filter(|r| r.status == 429)
        .count();
    let first_ok = api
        .iter()
        .filter(in_window)
        .map(|r| r.at)
        .min()
        .map_or(-1.0, |t| (t - boundary).num_milliseconds() as f64 / 1000.0);
    let invoices = seen.store.invoices.len();
    println!(
        "RESULT drain_rate limit_per_window={limit} threads={threads} speedup={speedup} window_real_s={:.1} \
         ok_calls_in_window={ok_in_window} ratio_of_limit={:.3} http_429_total={limited_total} \
         http_429_in_window={limited_in_window} api_calls_total={} invoices_created={invoices} \
         calls_per_invoice={:.2} first_call_after_reset_sim_s={first_ok:.1} jobs_done={} jobs_retry={}",
        3600.0 / speedup as f64,
        ok_in_window as f64 / limit as f64,
        api.len(),
        api.len() as f64 / invoices.max(1) as f64,
        tally.done.load(Ordering::Relaxed),
        tally.not_done.load(Ordering::Relaxed),
    );
    sim.shutdown();
}

/// Starts `ml-connector simulate` (zero latency, no effective limit) as its own process on a free port.
fn spawn_simulator() -> (Child, String) {
    let bin = std::env::var("ML_CONNECTOR_BIN").unwrap_or_else(|_| "dist/ml-connector".to_owned());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(&bin)
        .args(["simulate", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--latency-ms", "0", "--rate-limit-per-hour", "4000000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {bin}: {e}"));
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return (child, format!("http://{addr}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("simulator did not listen on {addr}");
}

/// Bare HTTP round trips (GET of an unknown path → 404 from the simulator's router) at `threads` concurrency
/// for `secs`: the floor under every API call the engine makes.
fn http_floor(base: &str, threads: u64, secs: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (count, url) = (count.clone(), format!("{base}/v1/bench-floor"));
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                while start.elapsed() < Duration::from_secs(secs) {
                    let _ = http.get(&url).send().and_then(|r| r.bytes());
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("floor thread");
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn api_calls(base: &str) -> Option<(usize, usize)> {
    let v: Value = reqwest::blocking::get(format!("{base}/_simulator/state"))
        .ok()?
        .json()
        .ok()?;
    let requests = v["requests"].as_array()?;
    let mut by_endpoint = std::collections::BTreeMap::<String, usize>::new();
    for r in requests {
        // A document's number in the path (`/v1/customerinvoice/104775/action/release`) becomes `{n}`, so
        // each endpoint is one line.
        let path = r["path"].as_str().unwrap_or("?").split('/').map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{n}"
            } else {
                seg
            }
        });
        let key = format!(
            "{} {} {}",
            r["method"].as_str().unwrap_or("?"),
            path.collect::<Vec<_>>().join("/"),
            r["status"]
        );
        *by_endpoint.entry(key).or_default() += 1;
    }
    for (endpoint, n) in &by_endpoint {
        println!("INFO calls {endpoint}: {n}");
    }
    let api = requests
        .iter()
        .filter(|r| !r["path"].as_str().unwrap_or("").contains("/connect/token"))
        .filter(|r| !r["path"].as_str().unwrap_or("").contains("bench-floor"))
        .count();
    // The simulator keeps only its latest requests: calls per order come from the posts inside that log.
    let posts = requests
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/v2/customerinvoice")
        .count();
    Some((api, posts))
}

/// Overhead ceiling: `orders` queued, drained by `threads` engines (claiming `batch` jobs at a time) against a
/// zero-latency simulator process.
pub fn ceiling(orders: u64, threads: u64, batch: u32) {
    let (mut sim, base) = spawn_simulator();
    let urls = SimUrls::from_base(&base);
    let floor = http_floor(&base, threads, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = temp_db(&dir);
    backlog(&db.location, orders, 3_000_000);
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sim_pid = sim.id().to_string();
    let (cpu0, sim_cpu0) = (cpu_secs("self"), cpu_secs(&sim_pid));
    perf_control("enable");
    let start = Instant::now();
    let handles = workers(&Pool {
        threads,
        db: db.location.clone(),
        urls,
        clock,
        stop,
        until_empty: true,
        tally: tally.clone(),
        speedup: 1,
        batch,
    });
    for h in handles {
        h.join().expect("worker");
    }
    let secs = start.elapsed().as_secs_f64();
    perf_control("disable");
    let (cpu, sim_cpu) = (cpu_secs("self") - cpu0, cpu_secs(&sim_pid) - sim_cpu0);
    let done = tally.done.load(Ordering::Relaxed);
    // What the connector alone could sustain with both cores to itself (the simulator stands in for Visma,
    // which does not run on the shop's cores).
    let cpu_ms_per_order = cpu * 1000.0 / done.max(1) as f64;
    println!(
        "RESULT ceiling_cpu threads={threads} batch={batch} connector_cpu_ms_per_order={cpu_ms_per_order:.3} simulator_cpu_ms_per_order={:.3} \
         connector_only_orders_per_s_2_cores={:.0}",
        sim_cpu * 1000.0 / done.max(1) as f64,
        2000.0 / cpu_ms_per_order.max(1e-9),
    );
    let (calls, posts) = api_calls(&base).unwrap_or((0, 0));
    let per_order = calls as f64 / posts.max(1) as f64;
    println!(
        "RESULT ceiling backend={} orders={orders} threads={threads} batch={batch} done={done} not_done={} secs={secs:.2} \
         orders_per_s={:.0} http_floor_calls_per_s={floor:.0} logged_api_calls={calls} calls_per_order={per_order:.2} \
         ratio_orders_vs_floor_calls={:.3} ideal_ratio={:.3}",
        backend_name(&db),
        tally.not_done.load(Ordering::Relaxed),
        done as f64 / secs,
        done as f64 / secs / floor,
        1.0 / per_order.max(1.0),
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Profiles only the drain: with `BENCH_PERF_CTL=FIFO`, writes `enable`/`disable` to perf's control FIFO
/// (`perf record -D -1 --control fifo:FIFO -a -- …`), so the HTTP floor and the backlog stay out of the profile.
fn perf_control(command: &str) {
    if let Some(fifo) = std::env::var_os("BENCH_PERF_CTL") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(fifo) {
            let _ = writeln!(f, "{command}");
        }
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// Backfill: `orders` enqueued then drained by `threads` engines (claiming `batch` jobs at a time) against a
/// zero-latency simulator process, RSS of this process sampled every 2 s; then the database size after a WAL
/// checkpoint.
pub fn backfill(orders: u64, threads: u64, batch: u32) {
    let (mut sim, base) = spawn_simulator();
    let urls = SimUrls::from_base(&base);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = temp_db(&dir);
    let rss_start = rss_kib();
    let enqueue_secs = backlog(&db.location, orders, 10_000_000);
    let rss_after_enqueue = rss_kib();
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let sampler = {
        let (stop, tally) = (stop.clone(), tally.clone());
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            let start = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                samples.push((
                    start.elapsed().as_secs(),
                    tally.done.load(Ordering::Relaxed),
                    rss_kib(),
                ));
                std::thread::sleep(Duration::from_secs(2));
            }
            samples
        })
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let start = Instant::now();
    let handles = workers(&Pool {
        threads,
        db: db.location.clone(),
        urls,
        clock,
        stop: stop.clone(),
        until_empty: true,
        tally: tally.clone(),
        speedup: 1,
        batch,
    });
    for h in handles {
        h.join().expect("worker");
    }
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    for (t, done, rss) in &samples {
        println!("SAMPLE backfill t_s={t} done={done} rss_kib={rss}");
    }
    let rss_values: Vec<u64> = samples.iter().skip(1).map(|s| s.2).collect();
    let (rss_min, rss_max) = (
        rss_values.iter().copied().min().unwrap_or(0),
        rss_values.iter().copied().max().unwrap_or(0),
    );
    if db.backend == Backend::Sqlite {
        let conn = rusqlite::Connection::open(&db.location).expect("open");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    let store = Store::open_location(&db.location, &StoreOptions::default()).expect("store");
    let audit_rows = store.audit_count().unwrap_or(0);
    let mut wal = std::ffi::OsString::from(&db.location);
    wal.push("-wal");
    let bytes =
        u64::try_from(store.bytes_used().expect("size")).unwrap_or(0) + file_len(Path::new(&wal));
    // Issue #16: the same queue once the retention period has passed for every job (payloads dropped), with the
    // freed space handed back, which is what a long-running queue settles at.
    let pruned_jobs = store
        .prune_payloads(Utc::now() + chrono::Duration::seconds(1))
        .unwrap_or(0);
    drop(store);
    db.compact();
    let store = Store::open_location(&db.location, &StoreOptions::default()).expect("store");
    let pruned = u64::try_from(store.bytes_used().expect("size")).unwrap_or(0);
    // BENCH_KEEP_DB=FILE keeps the settled SQLite queue for a look at what takes the space (sqlite3's dbstat).
    if let (Ok(keep), Backend::Sqlite) = (std::env::var("BENCH_KEEP_DB"), db.backend) {
        drop(store);
        std::fs::copy(&db.location, &keep).expect("keep the queue file");
        println!("kept the queue in {keep}");
    }
    let done = tally.done.load(Ordering::Relaxed);
    println!(
        "RESULT backfill backend={} orders={orders} threads={threads} batch={batch} done={done} not_done={} enqueue_s={enqueue_secs:.1} \
         drain_s={secs:.1} orders_per_s={:.0} rss_start_kib={rss_start} rss_after_enqueue_kib={rss_after_enqueue} \
         rss_drain_min_kib={rss_min} rss_drain_max_kib={rss_max} db_bytes={bytes} audit_rows={audit_rows} \
         db_bytes_per_order={:.0} db_gb_per_million={:.2} pruned_jobs={pruned_jobs} pruned_bytes={pruned} \
         pruned_bytes_per_order={:.0} pruned_gb_per_million={:.2}",
        backend_name(&db),
        tally.not_done.load(Ordering::Relaxed),
        done as f64 / secs,
        bytes as f64 / orders as f64,
        bytes as f64 / orders as f64 * 1e6 / 1e9,
        pruned as f64 / orders as f64,
        pruned as f64 / orders as f64 * 1e6 / 1e9,
    );
    let _ = sim.kill();
    let _ = sim.wait();
}
