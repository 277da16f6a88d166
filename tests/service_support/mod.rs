//! A harness for the service tests: the Visma.net simulator, the WooCommerce test simulator, a temp data
//! directory and a service config for one store `shop` pointing at both. Waiting helpers poll a condition
//! until a generous deadline (the service's threads run on real time); nothing asserts on how long it took.
#![allow(dead_code)] // each test crate uses a different subset

use crate::woo_sim::{WooSim, CK, CS};
use chrono::Utc;
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::service::config::PollConfig;
use ml_connector::service::run::Env;
use ml_connector::service::{RunningService, Service, ServiceConfig};
use ml_connector::simulator::{RunningSimulator, SimConfig, Simulator};
use ml_connector::store::queue::JobKind;
use ml_connector::store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const STORE: &str = "shop";
pub const SECRET: &str = "whsec-test-0123456789abcdef";
/// Orders in processing/completed/refunded (invoiced by the example settings), four of them with refunds.
pub const ORDERS: [u64; 10] = [105, 113, 117, 118, 134, 222, 228, 233, 279, 308];
pub const REFUNDED: [u64; 4] = [117, 118, 228, 233];

pub struct Harness {
    pub visma: RunningSimulator,
    pub woo: WooSim,
    pub dir: tempfile::TempDir,
    pub config: ServiceConfig,
    /// The webhook secret the service gets from `SHOP_WEBHOOK_SECRET`.
    pub secret: String,
}

pub fn fixture(path: &str) -> Value {
    let full = format!(
        "{}/tests/fixtures/woo/real/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&full).expect("fixture")).expect("json")
}

pub fn order(id: u64) -> Value {
    fixture(&format!("orders/{id}.json"))
}

pub fn refunds(id: u64) -> Vec<Value> {
    serde_json::from_value(fixture(&format!("refunds/{id}.json"))).expect("refund list")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Fast loops: drain wakes within 50 ms; `poll` sets the poll/health pace.
pub fn poll(every_secs: u64, reconcile_secs: u64, health_secs: u64) -> PollConfig {
    PollConfig {
        every_secs,
        schedule: None,
        reconcile_secs,
        overlap_secs: 120,
        initial_lookback_hours: 24,
        health_secs,
        drain_idle_ms: 50,
        secret_grace_secs: 3600,
    }
}

impl Harness {
    pub fn new(poll: PollConfig) -> Self {
        Self::with_secret(poll, SECRET)
    }

    pub fn with_secret(poll: PollConfig, secret: &str) -> Self {
        let visma = Simulator::start(SimConfig::default()).expect("visma simulator");
        let woo = WooSim::start(Utc::now() - chrono::Duration::hours(1));
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let text = format!(
            r#"
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
data_dir = "data"
[[stores]]
id = "{STORE}"
url = "{woo}"
auth = "basic"
consumer_key_env = "SHOP_CK"
consumer_secret_env = "SHOP_CS"
webhook_secret_env = "SHOP_WEBHOOK_SECRET"
visma_simulator = "{visma}"
"#,
            woo = woo.base_url(),
            visma = visma.base_url()
        );
        let mut config = ServiceConfig::from_toml_str(&text, dir.path()).expect("config");
        config.poll = poll;
        Self {
            visma,
            woo,
            dir,
            config,
            secret: secret.to_owned(),
        }
    }

    pub fn env(&self) -> Env {
        let secret = self.secret.clone();
        Arc::new(move |k: &str| match k {
            "SHOP_CK" => Some(CK.to_owned()),
            "SHOP_CS" => Some(CS.to_owned()),
            "SHOP_WEBHOOK_SECRET" => Some(secret.clone()),
            _ => None,
        })
    }

    pub fn start(&self) -> RunningService {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Service::start(&self.config, self.env(), clock).expect("service starts")
    }

    pub fn delivery_url(&self) -> String {
        self.config.delivery_url(STORE)
    }

    /// Puts the fixture refunds of `orders` in the shop (as `GET /orders/{id}/refunds` lists them).
    pub fn seed_refunds(&self, orders: &[u64]) {
        for id in orders.iter().filter(|id| REFUNDED.contains(id)) {
            self.woo.state().refunds.insert(*id, refunds(*id));
        }
    }

    /// Every topic subscribed, delivering to the service with the store's secret.
    pub fn subscribe_all(&self, secret: &str) -> Vec<u64> {
        ml_connector::woo::webhook::Topic::ALL
            .iter()
            .map(|t| {
                self.woo
                    .add_webhook(t.as_str(), &self.delivery_url(), secret)
            })
            .collect()
    }

    /// A second connection to the store's queue, for inspection.
    pub fn queue(&self) -> Store {
        Store::open(self.config.db_path(STORE)).expect("queue")
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Visma invoices and credit notes by external reference.
    pub fn visma_documents(&self) -> HashMap<String, usize> {
        let ins = self.visma.inspect();
        let mut out = HashMap::new();
        for doc in ins
            .store
            .invoices
            .iter()
            .chain(ins.store.credit_notes.iter())
        {
            let r = &doc["externalReference"];
            let key = r
                .as_str()
                .or_else(|| r["value"].as_str())
                .unwrap_or("?")
                .to_owned();
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }

    /// Waits until every order of `orders` has its invoice and every refund its credit note, and the queue is
    /// idle; then returns the documents by reference.
    pub fn wait_for_documents(&self, orders: &[u64]) -> HashMap<String, usize> {
        let mut want: Vec<String> = orders
            .iter()
            .map(|id| format!("woo:{STORE}:{id}"))
            .collect();
        for id in orders.iter().filter(|id| REFUNDED.contains(id)) {
            for r in refunds(*id) {
                want.push(format!("woo:{STORE}:refund:{}", r["id"]));
            }
        }
        wait_until("every document in Visma and the queue idle", || {
            let docs = self.visma_documents();
            let counts = self.queue().counts_by_state().expect("counts");
            want.iter().all(|w| docs.contains_key(w)) && counts.pending + counts.running == 0
        });
        self.visma_documents()
    }

    pub fn jobs_of(&self, kind: JobKind) -> usize {
        self.queue()
            .list(&ml_connector::store::JobFilter {
                kind: Some(kind),
                limit: 1000,
                ..Default::default()
            })
            .expect("jobs")
            .len()
    }
}

/// Polls `f` every 20 ms until it holds; panics after 60 s with `what`.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
