//! Issue #16: parts of the service-at-scale simulation. [`Instance`]: an `ml-connector serve` process (its own
//! port and data directory, one shared PostgreSQL and credentials key) that can be killed with SIGKILL and
//! started again. [`Balancer`]: the load balancer in front of the instances: WooCommerce delivers to one URL,
//! and each connection goes to a live instance picked at random, as behind a real one. [`Shop`]: a store's
//! WooCommerce stand-in and its own Visma company (its own rate window and faults).
#![allow(dead_code)]

use crate::woo_sim::WooSim;
use ml_connector::simulator::{RunningSimulator, SimConfig, Simulator};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CK_ENV: &str = "SCALE_WOO_CK";
pub const CS_ENV: &str = "SCALE_WOO_CS";
pub const SECRET_ENV: &str = "SCALE_WEBHOOK_SECRET";
pub const SECRET: &str = "whsec-scale-0123456789abcdef";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Ports of the instances that take connections now.
pub type Live = Arc<Mutex<Vec<u16>>>;

/// A TCP load balancer on 127.0.0.1: each connection to a random live instance (another one when the first
/// refuses), bytes copied both ways until either side closes.
pub struct Balancer {
    pub port: u16,
    pub live: Live,
}

impl Balancer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the balancer");
        let port = listener.local_addr().expect("addr").port();
        let live: Live = Arc::default();
        let pick = live.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let pick = pick.clone();
                std::thread::spawn(move || forward(client, &pick));
            }
        });
        Self { port, live }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn forward(client: TcpStream, live: &Live) {
    let mut ports = live.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let start = if ports.is_empty() {
        0
    } else {
        rand::random::<u32>() as usize % ports.len()
    };
    ports.rotate_left(start);
    let Some(upstream) = ports
        .iter()
        .find_map(|p| TcpStream::connect(("127.0.0.1", *p)).ok())
    else {
        return; // nothing live: the sender sees the connection close, as behind a real balancer
    };
    let (Ok(mut c_read), Ok(mut u_write)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let (mut u_read, mut c_write) = (upstream, client);
    let up = std::thread::spawn(move || {
        copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(std::net::Shutdown::Write);
    });
    copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(std::net::Shutdown::Both);
    let _ = up.join();
}

fn copy(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    return;
                }
            }
        }
    }
}

/// One store: its shop and its Visma company.
pub struct Shop {
    pub id: String,
    pub woo: WooSim,
    pub visma: RunningSimulator,
    /// Subscribed to webhooks (else found by polling only).
    pub webhooks: bool,
    /// Orders saved in the shop: id, total in minor units, paid.
    pub orders: Mutex<Vec<(u64, i64, bool)>>,
}

/// The rate limit each simulated company enforces per hour: room for its orders with retries, so a 429 means
/// an instance spent another's budget.
pub const RATE_LIMIT_PER_HOUR: u32 = 3_000;

impl Shop {
    pub fn start(i: usize, webhooks: bool) -> Self {
        Self::with_visma(
            i,
            webhooks,
            SimConfig {
                seed: 1000 + i as u64,
                fault_rate: 0.02,
                lost_response_rate: 0.01,
                rate_limit_per_hour: RATE_LIMIT_PER_HOUR,
                ..SimConfig::default()
            },
        )
    }

    /// A shop whose Visma company answers every call (no faults, no limit).
    pub fn without_faults(i: usize) -> Self {
        Self::with_visma(
            i,
            false,
            SimConfig {
                seed: 1000 + i as u64,
                ..SimConfig::default()
            },
        )
    }

    fn with_visma(i: usize, webhooks: bool, sim: SimConfig) -> Self {
        let visma = Simulator::start(sim).expect("visma simulator");
        Self {
            id: format!("s{i:03}"),
            woo: WooSim::start(chrono::Utc::now() - chrono::Duration::hours(1)),
            visma,
            webhooks,
            orders: Mutex::default(),
        }
    }

    /// Invoices in this company by external reference: amount in minor units and payments applied to it.
    pub fn invoices(&self) -> HashMap<String, Vec<(i64, usize)>> {
        let store = self.visma.inspect().store;
        let text = |v: &Value| {
            v.as_str()
                .or_else(|| v["value"].as_str())
                .map(str::to_owned)
        };
        let mut paid: HashMap<String, usize> = HashMap::new();
        for p in &store.payments {
            for line in p["paymentLines"].as_array().into_iter().flatten() {
                if let Some(nbr) = text(&line["refNbr"]) {
                    *paid.entry(nbr).or_default() += 1;
                }
            }
        }
        let mut out: HashMap<String, Vec<(i64, usize)>> = HashMap::new();
        for doc in store.invoices {
            let r = &doc["externalReference"];
            let key = r.as_str().or_else(|| r["value"].as_str()).unwrap_or("?");
            let amount = doc["amountInCurrency"]
                .as_f64()
                .or_else(|| doc["amountInCurrency"]["value"].as_f64())
                .map_or(i64::MIN, |a| (a * 100.0).round() as i64);
            let payments = text(&doc["referenceNumber"])
                .and_then(|n| paid.get(&n).copied())
                .unwrap_or(0);
            out.entry(key.to_owned())
                .or_default()
                .push((amount, payments));
        }
        out
    }

    /// API calls this company refused for its rate limit.
    pub fn throttled(&self) -> usize {
        self.visma
            .inspect()
            .requests
            .iter()
            .filter(|r| r.outcome == "rate_limited")
            .count()
    }
}

/// `"123.45"` in minor units.
pub fn minor(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, "0"));
    let frac = format!("{frac:0<2}");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().expect("whole part");
    let cents: i64 = frac.get(..2).unwrap_or("00").parse().expect("cents");
    sign * (whole * 100 + cents)
}

/// One `ml-connector serve` process.
pub struct Instance {
    pub port: u16,
    pub config: PathBuf,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    /// Writes the instance's config: every shop, the balancer as public URL, its own port and data directory,
    /// the shared key file and database.
    pub fn new(n: usize, dir: &Path, balancer: &str, database: &str, shops: &[Shop]) -> Self {
        let poll = "every_secs = 2\nreconcile_secs = 10\nhealth_secs = 10\ndrain_idle_ms = 1000\noverlap_secs = 5\n";
        Self::with_poll(n, dir, balancer, database, shops, poll)
    }

    /// [`Instance::new`] with this `[poll]` section.
    pub fn with_poll(
        n: usize,
        dir: &Path,
        balancer: &str,
        database: &str,
        shops: &[Shop],
        poll: &str,
    ) -> Self {
        let port = free_port();
        let mut text = format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"{balancer}\"\ndata_dir = \"instance{n}\"\n\
             key_file = \"credentials.key\"\ndatabase = \"{database}\"\n[poll]\n{poll}"
        );
        for s in shops {
            text.push_str(&format!(
                "[[stores]]\nid = \"{}\"\nurl = \"{}\"\nauth = \"basic\"\nconsumer_key_env = \"{CK_ENV}\"\n\
                 consumer_secret_env = \"{CS_ENV}\"\nwebhook_secret_env = \"{SECRET_ENV}\"\nvisma_simulator = \"{}\"\n",
                s.id,
                s.woo.base_url(),
                s.visma.base_url()
            ));
        }
        let config = dir.join(format!("instance{n}.toml"));
        std::fs::write(&config, text).expect("write the instance config");
        Self {
            port,
            config,
            log: dir.join(format!("instance{n}.log")),
            child: None,
        }
    }

    /// Starts the process and waits until it listens.
    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env(CK_ENV, crate::woo_sim::CK)
            .env(CS_ENV, crate::woo_sim::CS)
            .env(SECRET_ENV, SECRET)
            .env(
                "RUST_LOG",
                std::env::var("ML_SCALE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start ml-connector serve");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "instance on {} exited: {status}; see {}",
                    self.port,
                    self.log.display()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "instance {} never listened",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown code runs, leases and claims are left to expire.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait (the service hands its leases over).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fixture order (invoiced by the example settings, no refunds) as order `id` of a shop.
pub fn order(template: &Value, id: u64) -> Value {
    let mut o = template.clone();
    o["id"] = serde_json::json!(id);
    o["number"] = serde_json::json!(id.to_string());
    o["refunds"] = serde_json::json!([]);
    o
}
