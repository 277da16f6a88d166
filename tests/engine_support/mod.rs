//! Shared helpers of the engine tests (`tests/engine_*.rs`): order corpora with fresh ids, a simulator and an
//! engine wired to one manual clock, a drain loop that moves that clock instead of sleeping, and the
//! exactly-once checks (every order once in Visma by `externalReference`, totals to the cent, every job done).
//!
//! Orders come from the real WooCommerce captures (`tests/fixtures/woo/real/orders`) and from the generated
//! corpus (`tests/fixtures/generated/orders.jsonl`, those in NOK whose rates exist in the seeded company, with
//! their rate ids renamed to the real shop's: generated 4 (12 %) → 3, generated 6 (0 %) → 4). Each copy gets a
//! new id and the status `processing`. Must not: reach beyond 127.0.0.1, or sleep where a clock can move.

#![allow(dead_code)]

pub mod backends;
pub mod modes;
pub mod scenario;

use chrono::{DateTime, Utc};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::engine::{DrainReport, Engine, EngineOptions};
use ml_connector::mapping;
use ml_connector::settings::Settings;
use ml_connector::simulator::{RunningSimulator, SimConfig, Simulator};
use ml_connector::store::{JobKind, Store};
use ml_connector::visma::decimal::Decimal;
use ml_connector::visma::Client;
use ml_connector::woo::{Order, Refund};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The store id of the example settings: documents are keyed `woo:default:{id}`.
pub const STORE_ID: &str = "default";

/// The books the engine posts to: the store and the Nordlys company (`visma::Config::books_key`).
pub fn books() -> ml_connector::store::Books {
    ml_connector::store::Books::new(STORE_ID, "nordlys-tenant/7654321")
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// One order to sync: its WooCommerce id, REST v3 JSON and `total` in minor units (NOK, 2 decimals).
#[derive(Debug, Clone)]
pub struct TestOrder {
    /// WooCommerce id (unique per test).
    pub id: u64,
    /// The payload to enqueue.
    pub json: String,
    /// What WooCommerce charged, in øre.
    pub total_minor: i64,
    /// Its refunds (from the template), with fresh ids.
    pub refunds: Vec<TestRefund>,
}

/// A refund of a [`TestOrder`]: the `{"order":…,"refund":…}` envelope the engine queues.
#[derive(Debug, Clone)]
pub struct TestRefund {
    /// WooCommerce refund id (order id × 10 + n).
    pub id: u64,
    /// The payload to enqueue (kind `refund`).
    pub envelope: String,
    /// The refund's `amount` in øre (positive).
    pub amount_minor: i64,
}

impl TestRefund {
    /// The credit note's `externalReference`.
    pub fn key(&self) -> String {
        format!("woo:{STORE_ID}:refund:{}", self.id)
    }
}

impl TestOrder {
    /// The invoice's `externalReference`.
    pub fn key(&self) -> String {
        format!("woo:{STORE_ID}:{}", self.id)
    }
}

/// The Nordlys company (`tests/fixtures/visma/seed-nordlys.json`): every id differs from the simulator's default
/// company, so a setting the engine ignored sends an id the company refuses (issue #14).
pub const NORDLYS_SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/visma/seed-nordlys.json"
);

/// The settings for the Nordlys company (`tests/fixtures/visma/settings-nordlys.toml`, checked against it by
/// `ml-connector visma check`).
pub const NORDLYS_SETTINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/visma/settings-nordlys.toml"
);

/// The Nordlys settings.
pub fn settings() -> Settings {
    let text = std::fs::read_to_string(NORDLYS_SETTINGS).expect("nordlys settings");
    Settings::from_toml_str(&text).expect("nordlys settings are valid")
}

/// The Nordlys company.
pub fn nordlys() -> ml_connector::simulator::Company {
    let text = std::fs::read_to_string(NORDLYS_SEED).expect("nordlys seed");
    ml_connector::simulator::Company::from_json(&text).expect("nordlys seed is a company")
}

/// A `[connection]` section for a CLI process talking to `sim` as the Nordlys client (the secret in the env var
/// `NORDLYS_SECRET`, which the caller sets to [`NORDLYS_CLIENT_SECRET`]).
pub fn connection_toml(sim: &RunningSimulator) -> String {
    let c = nordlys();
    format!(
        "\n[connection]\napi_base_url = {:?}\nsales_order_base_url = {:?}\ntoken_url = {:?}\nclient_id = {:?}\n\
         client_secret_env = \"NORDLYS_SECRET\"\ntenant_id = {:?}\ncompany_id = {:?}\n",
        sim.base_url(),
        sim.salesorders_url(),
        sim.token_url(),
        c.client_id,
        c.tenant_id,
        c.id
    )
}

/// The Nordlys client's secret (the seed's).
pub const NORDLYS_CLIENT_SECRET: &str = "nordlys-secret";

/// 12:00 UTC on the day the fixtures were captured.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .expect("valid literal")
        .with_timezone(&Utc)
}

/// Parses a WooCommerce or Visma amount into minor units of a 2-decimal currency.
pub fn minor(v: &Value) -> Option<i64> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::parse(text.trim())?.to_minor(2)
}

fn rename_rates(v: &mut Value, renames: &[(i64, i64)]) {
    let rename = |id: &mut Value| {
        if let Some(old) = id.as_i64() {
            if let Some((_, new)) = renames.iter().find(|(from, _)| *from == old) {
                *id = Value::from(*new);
            }
        }
    };
    for list in ["line_items", "shipping_lines", "fee_lines"] {
        for line in v[list].as_array_mut().into_iter().flatten() {
            for tax in line["taxes"].as_array_mut().into_iter().flatten() {
                rename(&mut tax["id"]);
            }
        }
    }
    for t in v["tax_lines"].as_array_mut().into_iter().flatten() {
        rename(&mut t["rate_id"]);
    }
}

fn rate_ids(v: &Value) -> Vec<i64> {
    ["line_items", "shipping_lines", "fee_lines"]
        .iter()
        .flat_map(|list| v[*list].as_array().into_iter().flatten())
        .flat_map(|line| line["taxes"].as_array().into_iter().flatten())
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

/// One order template and its refunds.
#[derive(Debug, Clone)]
pub struct Template {
    /// The order (status `processing`).
    pub order: Value,
    /// Its refunds (each maps with the example settings).
    pub refunds: Vec<Value>,
}

/// The order templates: real captures plus the usable generated orders, all `processing`, each of which maps
/// with the example settings, with those of their refunds that map too.
pub fn templates() -> Vec<Template> {
    let s = settings();
    let mut out = Vec::new();
    let dir = format!("{FIXTURES}/woo/real/orders");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("real orders folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("real order");
        let order: Value = serde_json::from_str(&text).expect("real order is JSON");
        let refunds = path
            .file_name()
            .map(|n| format!("{FIXTURES}/woo/real/refunds/{}", n.to_string_lossy()))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| serde_json::from_str::<Vec<Value>>(&t).expect("real refunds are JSON"))
            .unwrap_or_default();
        out.push(Template { order, refunds });
    }
    let corpus = std::fs::read_to_string(format!("{FIXTURES}/generated/orders.jsonl"))
        .expect("generated corpus");
    for line in corpus.lines() {
        let entry: Value = serde_json::from_str(line).expect("corpus line is JSON");
        let mut order = entry["order"].clone();
        let mut refunds = entry["refunds"].as_array().cloned().unwrap_or_default();
        let usable = order["currency"] == "NOK"
            && rate_ids(&order).iter().all(|id| [1, 2, 4, 6].contains(id));
        if usable {
            // Generated shop: 4 = 12 %, 6 = 0 %; real shop (example settings): 3 = 12 %, 4 = 0 %.
            rename_rates(&mut order, &[(4, 3), (6, 4)]);
            for r in &mut refunds {
                rename_rates(r, &[(4, 3), (6, 4)]);
            }
            out.push(Template { order, refunds });
        }
    }
    out.retain_mut(|t| {
        t.order["status"] = Value::from("processing");
        let order = Order::from_json(t.order.to_string().as_bytes()).expect("template parses");
        t.refunds.retain(|r| {
            Refund::from_json(r.to_string().as_bytes())
                .ok()
                .is_some_and(|refund| mapping::map_refund(&refund, &order, &s).is_ok())
        });
        mapping::map_order(&order, &s).is_ok()
    });
    assert!(
        out.len() >= 80,
        "only {} order templates map with the example settings",
        out.len()
    );
    assert!(
        out.iter().filter(|t| !t.refunds.is_empty()).count() >= 10,
        "too few refunds"
    );
    out
}

/// `count` distinct orders with ids `first_id..`, cycling through the templates, with their refunds.
pub fn orders(count: usize, first_id: u64) -> Vec<TestOrder> {
    let templates = templates();
    (0..count)
        .map(|i| {
            let t = &templates[i % templates.len()];
            let mut o = t.order.clone();
            let id = first_id + u64::try_from(i).expect("small");
            o["id"] = Value::from(id);
            o["number"] = Value::from(id.to_string());
            let total_minor = minor(&o["total"]).expect("order total");
            // New refund ids, also in the order's own `refunds` list (the mapping checks it lists the refund).
            let new_ids: Vec<u64> = (1..=t.refunds.len())
                .map(|n| id * 10 + u64::try_from(n).expect("small"))
                .collect();
            for (r, new_id) in t.refunds.iter().zip(&new_ids) {
                for listed in o["refunds"].as_array_mut().into_iter().flatten() {
                    if listed["id"] == r["id"] {
                        listed["id"] = Value::from(*new_id);
                    }
                }
            }
            let refunds = t
                .refunds
                .iter()
                .zip(new_ids)
                .map(|(r, rid)| {
                    let mut r = r.clone();
                    r["id"] = Value::from(rid);
                    TestRefund {
                        id: rid,
                        amount_minor: minor(&r["amount"]).expect("refund amount").abs(),
                        envelope: serde_json::json!({"order": o, "refund": r}).to_string(),
                    }
                })
                .collect();
            TestOrder {
                id,
                json: o.to_string(),
                total_minor,
                refunds,
            }
        })
        .collect()
}

/// A simulator of the Nordlys company on 127.0.0.1 with the given faults and clock, strict about releases
/// (issue #14): every release answers `Queued`, and a payment to a document not yet released is refused.
pub fn simulator(
    clock: Arc<dyn Clock>,
    fault_rate: f64,
    lost_response_rate: f64,
    token_ttl_secs: u64,
) -> RunningSimulator {
    simulator_releasing(clock, fault_rate, lost_response_rate, token_ttl_secs, true)
}

/// As [`simulator`]; `queued_release`: every release answers `Queued` (Visma releases in the background), so the
/// engine must read each document back before it pays it.
pub fn simulator_releasing(
    clock: Arc<dyn Clock>,
    fault_rate: f64,
    lost_response_rate: f64,
    token_ttl_secs: u64,
    queued_release: bool,
) -> RunningSimulator {
    Simulator::start(SimConfig {
        fault_rate,
        lost_response_rate,
        token_ttl_secs,
        clock,
        seed: 5,
        rate_limit_per_hour: 1_000_000,
        queued_release,
        ..SimConfig::seeded(nordlys())
    })
    .expect("simulator starts")
}

/// As [`simulator`] without faults, and strict about releases: every release answers `Queued` (Visma releases
/// in the background), so the engine must read the document to know it is released before paying it.
pub fn queued_release_simulator(clock: Arc<dyn Clock>) -> RunningSimulator {
    Simulator::start(SimConfig {
        clock,
        seed: 5,
        rate_limit_per_hour: 1_000_000,
        queued_release: true,
        ..SimConfig::seeded(nordlys())
    })
    .expect("simulator starts")
}

/// A client of `sim` reading `clock` (its retry waits move a manual clock instead of sleeping).
pub fn client(sim: &RunningSimulator, clock: Arc<dyn Clock>) -> Client {
    let c = nordlys();
    let mut config = ml_connector::visma::Config::visma_net(
        c.client_id.clone(),
        ml_connector::secret::Secret::new(c.client_secret.clone()),
        c.tenant_id.clone(),
    )
    .with_urls(sim.token_url(), sim.base_url(), sim.salesorders_url())
    .with_company_id(c.id.clone());
    config.timeout = Duration::from_secs(30);
    Client::new(config, clock).expect("client")
}

/// Drain tunables for tests: long lease, short job backoff (the clock is moved past it between passes).
pub fn fast_options() -> EngineOptions {
    EngineOptions {
        lease: Duration::from_secs(600),
        batch: EngineOptions::default().batch,
        retry_base: Duration::from_millis(200),
        retry_cap: Duration::from_secs(2),
    }
}

/// An engine on `store` posting to `sim`, everything on `clock`.
pub fn engine(
    store: Store,
    settings: Settings,
    sim: &RunningSimulator,
    clock: &ManualClock,
) -> Engine {
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    Engine::new(store, settings, client(sim, clock.clone()), clock).with_options(fast_options())
}

/// Adds `r` into `total`.
pub fn add(total: &mut DrainReport, r: &DrainReport) {
    total.add(r);
}

/// Drains until no job is pending or running, moving the manual clock past every backoff (and past the lease
/// when only expired leases are left). `between` runs after each pass with the pass number.
pub fn drain_until_settled(
    engine: &Engine,
    clock: &ManualClock,
    mut between: impl FnMut(u32),
) -> DrainReport {
    let mut total = DrainReport::default();
    for pass in 0..20_000u32 {
        let r = engine.drain(200, None).expect("drain (local store)");
        add(&mut total, &r);
        let counts = engine.store().counts_by_state().expect("counts");
        if counts.pending + counts.running == 0 {
            return total;
        }
        between(pass);
        let moved = r.posted + r.adopted + r.already_posted + r.edited_after_posting + r.skipped;
        if moved == 0 && r.retry == 0 && counts.running > 0 {
            clock.advance(fast_options().lease);
        }
        clock.advance(fast_options().retry_cap + Duration::from_secs(1));
    }
    panic!("the queue did not settle: {total:?}");
}

/// Visma invoices by `externalReference` (only this store's orders).
pub fn invoices_by_key(sim: &RunningSimulator) -> BTreeMap<String, Vec<Value>> {
    let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for inv in sim.inspect().store.invoices {
        if let Some(key) = inv["externalReference"].as_str() {
            by_key.entry(key.to_owned()).or_default().push(inv.clone());
        }
    }
    by_key
}

/// Every order exactly once in Visma, nothing else keyed for this store, and each invoice's amount equal to
/// WooCommerce's total to the øre.
pub fn assert_exactly_once(sim: &RunningSimulator, orders: &[TestOrder]) {
    let by_key = invoices_by_key(sim);
    let mut missing = Vec::new();
    let mut duplicated = Vec::new();
    let mut wrong_total = Vec::new();
    for o in orders {
        match by_key.get(&o.key()).map(Vec::as_slice) {
            None | Some([]) => missing.push(o.id),
            Some([inv]) => {
                if minor(&inv["amount"]) != Some(o.total_minor) {
                    wrong_total.push((o.id, o.total_minor, inv["amount"].clone()));
                }
            }
            Some(many) => duplicated.push((o.id, many.len())),
        }
    }
    let expected: std::collections::HashSet<String> = orders.iter().map(TestOrder::key).collect();
    let strays: Vec<&String> = by_key
        .keys()
        .filter(|k| k.starts_with(&format!("woo:{STORE_ID}:")) && !expected.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} orders missing in Visma: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    assert!(
        duplicated.is_empty(),
        "orders posted more than once: {duplicated:?}"
    );
    assert!(
        wrong_total.is_empty(),
        "Visma amount differs from WooCommerce total: {wrong_total:?}"
    );
    assert!(strays.is_empty(), "unexpected invoices: {strays:?}");
    let doubles = duplicate_customers(sim);
    assert!(
        doubles.is_empty(),
        "one Visma customer per e-mail, got: {doubles:?}"
    );
    assert_payments_at_most_once(sim);
}

/// Paid orders get a customer payment applied to their invoice: never two for one invoice, even when the
/// payment's own answer was lost. Returns how many invoices have a payment.
pub fn assert_payments_at_most_once(sim: &RunningSimulator) -> usize {
    let mut per_invoice: BTreeMap<String, usize> = BTreeMap::new();
    for p in sim.inspect().store.payments {
        for line in p["paymentLines"].as_array().into_iter().flatten() {
            if let Some(inv) = line["refNbr"].as_str() {
                *per_invoice.entry(inv.to_owned()).or_default() += 1;
            }
        }
    }
    let doubles: Vec<_> = per_invoice.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubles.is_empty(),
        "invoices paid more than once: {doubles:?}"
    );
    per_invoice.len()
}

/// Every order job is `done` (none pending, running, failed or dead) and the id map holds each order once.
pub fn assert_all_done(store: &Store, orders: &[TestOrder]) {
    let counts = store.counts_by_state().expect("counts");
    let unfinished: Vec<String> = store
        .list(&ml_connector::store::queue::JobFilter {
            limit: 10_000,
            ..Default::default()
        })
        .expect("list")
        .into_iter()
        .filter(|j| j.state != ml_connector::store::queue::JobState::Done)
        .map(|j| {
            format!(
                "{:?} {} {}: {:?}",
                j.kind,
                j.woo_id,
                j.state.as_str(),
                j.last_error
            )
        })
        .collect();
    assert_eq!(
        (counts.pending, counts.running, counts.failed, counts.dead),
        (0, 0, 0, 0),
        "jobs not done: {counts:?} {unfinished:?}"
    );
    let mut unmapped = Vec::new();
    for o in orders {
        if store
            .lookup_mapping(&books(), JobKind::Order, o.id)
            .expect("id map")
            .is_none()
        {
            unmapped.push(o.id);
        }
    }
    assert!(
        unmapped.is_empty(),
        "orders missing from the id map: {unmapped:?}"
    );
}

/// Audit rows per action, read straight from the database file (the trail outgrows one `audit_entries` page).
pub fn audit_counts(db: &std::path::Path) -> BTreeMap<String, i64> {
    let conn = rusqlite::Connection::open(db).expect("open the queue read-only");
    let mut stmt = conn
        .prepare("SELECT action, count(*) FROM audit GROUP BY action")
        .expect("audit query");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .expect("audit rows");
    rows.map(|r| r.expect("audit row")).collect()
}

/// The most claims any job needed (a job that reaches the store's limit, 10, would be dead).
pub fn max_attempts(db: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open the queue");
    conn.query_row("SELECT coalesce(max(attempts), 0) FROM jobs", [], |r| {
        r.get(0)
    })
    .expect("max attempts")
}

/// Billing e-mails that have more than one Visma customer (per-email identity must give one each).
pub fn duplicate_customers(sim: &RunningSimulator) -> Vec<(String, usize)> {
    let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
    for c in sim.inspect().store.customers {
        if let Some(email) = c["mainContact"]["email"].as_str() {
            *by_email.entry(email.trim().to_lowercase()).or_default() += 1;
        }
    }
    by_email.into_iter().filter(|(_, n)| *n > 1).collect()
}

/// Every refund of `orders` exactly once in Visma as a credit note, with WooCommerce's amount.
pub fn assert_credit_notes_exactly_once(sim: &RunningSimulator, orders: &[TestOrder]) {
    let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for note in sim.inspect().store.credit_notes {
        if let Some(key) = note["externalReference"].as_str() {
            by_key.entry(key.to_owned()).or_default().push(note.clone());
        }
    }
    let mut wrong = Vec::new();
    let mut expected = 0;
    for r in orders.iter().flat_map(|o| &o.refunds) {
        expected += 1;
        match by_key.get(&r.key()).map(Vec::as_slice) {
            Some([note]) if minor(&note["amount"]).map(i64::abs) == Some(r.amount_minor) => {}
            other => wrong.push((r.id, other.map(<[Value]>::len))),
        }
    }
    assert!(expected > 0, "no refunds in this corpus");
    assert!(
        wrong.is_empty(),
        "credit notes missing, doubled or wrong: {wrong:?}"
    );
    assert_eq!(by_key.len(), expected, "unexpected credit notes");
}

/// A capture of the real shop (`tests/fixtures/woo/real/{path}`) as JSON.
pub fn real(path: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/woo/real/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("fixture JSON")
}

/// The audit rows' texts (notes and errors), oldest first.
pub fn audit_texts(store: &Store) -> Vec<String> {
    let q = ml_connector::store::audit::AuditQuery {
        limit: 1000,
        ..Default::default()
    };
    let rows = store.audit_entries(&q).expect("audit");
    rows.into_iter().filter_map(|r| r.error).collect()
}
