//! Issue #5, test 4: bad input gives clear errors and never loses or doubles what is already queued.
//! Malformed payloads and unknown kinds are refused at intake; a refund whose order never comes waits, visibly;
//! one order with an unknown tax rate fails alone (the rest of the batch posts) and posts once the settings are
//! fixed and it is replayed; re-sent and edited orders never make a second document; a corrupted database file
//! and a full disk are reported clearly, and the jobs queued before them survive.
//! All against the simulator on 127.0.0.1 with one manual clock.

mod engine_support;

use engine_support::{
    assert_exactly_once, drain_until_settled, engine, invoices_by_key, orders, settings, simulator,
    t0, TestOrder,
};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::engine::{parse_kind, Engine, IntakeError};
use ml_connector::settings::Settings;
use ml_connector::simulator::RunningSimulator;
use ml_connector::store::queue::{
    Dependency, EnqueueOutcome, JobFilter, JobKind, JobSource, JobState,
};
use ml_connector::store::{Store, StoreError, StoreOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/real");

struct Rig {
    _dir: tempfile::TempDir,
    db: PathBuf,
    clock: ManualClock,
    sim: RunningSimulator,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("queue.sqlite");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = simulator(shared, 0.0, 0.0, 3600);
    Rig {
        _dir: dir,
        db,
        clock,
        sim,
    }
}

impl Rig {
    fn engine(&self, settings: Settings) -> Engine {
        engine(
            Store::open(&self.db).expect("queue"),
            settings,
            &self.sim,
            &self.clock,
        )
    }
}

fn enqueue(engine: &Engine, kind: JobKind, payload: &str) -> EnqueueOutcome {
    engine
        .enqueue(kind, payload, JobSource::Hook)
        .expect("enqueue")
}

fn jobs(store: &Store, kind: JobKind) -> Vec<ml_connector::store::queue::Job> {
    store
        .list(&JobFilter {
            kind: Some(kind),
            limit: 1000,
            ..JobFilter::default()
        })
        .expect("list")
}

fn cli(args: &[&str], db: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run ml-connector");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn real(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{path}")).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[test]
fn malformed_payloads_and_unknown_kinds_are_refused_and_queued_jobs_still_post() {
    let rig = rig();
    let engine = rig.engine(settings());
    let good = orders(1, 10_001).remove(0);
    assert!(matches!(
        enqueue(&engine, JobKind::Order, &good.json),
        EnqueueOutcome::Inserted(_)
    ));

    let cases: [(JobKind, &str, &str); 4] = [
        (
            JobKind::Order,
            "{oops",
            "order payload is not valid WooCommerce JSON",
        ),
        (
            JobKind::Order,
            r#"{"id":"abc","total":"1.00"}"#,
            "id must be a positive integer",
        ),
        (
            JobKind::Customer,
            "[1,2,3]",
            "customer payload is not valid WooCommerce JSON",
        ),
        (
            JobKind::Refund,
            r#"{"id":383,"amount":"1.00"}"#,
            r#"expected {"order":…,"refund":…}"#,
        ),
    ];
    for (kind, payload, expected) in cases {
        let err = engine
            .enqueue(kind, payload, JobSource::Hook)
            .expect_err("refused");
        assert!(matches!(err, IntakeError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains(expected), "{kind}: {err}");
    }
    let err = parse_kind("invoice").expect_err("unknown kind");
    assert_eq!(
        err.to_string(),
        "unknown job kind \"invoice\" (expected order, customer or refund)"
    );

    // Keyable but not an order the mapping can read: queued, then failed with the reason, not a panic.
    let odd = r#"{"id":10002,"status":"processing","line_items":"nope","total":"1.00"}"#;
    enqueue(&engine, JobKind::Order, odd);

    // The CLI says the same and exits 2 (usage/configuration), queuing nothing.
    let bad_file = rig.db.with_file_name("bad-order.json");
    std::fs::write(&bad_file, "{oops").expect("write");
    let (code, _, stderr) = cli(
        &["enqueue", "--order", bad_file.to_str().expect("utf-8 path")],
        &rig.db,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not valid WooCommerce JSON"), "{stderr}");

    let report = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!((report.posted, report.failed), (1, 1), "{report:?}");
    assert_exactly_once(&rig.sim, &[good]);
    let failed = jobs(engine.store(), JobKind::Order)
        .into_iter()
        .find(|j| j.woo_id == 10_002)
        .expect("odd order job");
    assert_eq!(failed.state, JobState::Failed);
    let reason = failed.last_error.unwrap_or_default();
    assert!(
        reason.contains("order is not valid WooCommerce JSON")
            && reason.contains("expected a sequence"),
        "the reason says what is wrong: {reason}"
    );
    let rejected = engine
        .store()
        .audit_entries(&Default::default())
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "rejected")
        .count();
    assert_eq!(rejected, 5, "each refused payload has its audit row");
}

#[test]
fn a_refund_whose_order_never_comes_waits_visibly_and_posts_once_it_does() {
    let rig = rig();
    let engine = rig.engine(settings());
    let mut order = real("orders/117.json");
    order["id"] = json!(4242);
    order["number"] = json!("4242");
    order["status"] = json!("processing");
    let refund = real("refunds/117.json")[0].clone();
    let envelope = json!({"order": order, "refund": refund}).to_string();
    enqueue(&engine, JobKind::Refund, &envelope);

    for _ in 0..3 {
        let r = engine.drain(100, None).expect("drain");
        assert_eq!(
            r,
            Default::default(),
            "nothing is due while the order is missing"
        );
        rig.clock.advance(std::time::Duration::from_secs(3600));
    }
    let waiting = jobs(engine.store(), JobKind::Refund).remove(0);
    assert_eq!((waiting.state, waiting.attempts), (JobState::Pending, 0));
    assert_eq!(
        waiting.depends_on,
        Some(Dependency::Woo {
            kind: JobKind::Order,
            woo_id: 4242
        })
    );
    let (code, stdout, stderr) = cli(&["status"], &rig.db);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("\"waiting_for\": \"order 4242 to be posted\""),
        "{stdout}"
    );

    enqueue(&engine, JobKind::Order, &order.to_string());
    let report = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!(
        report.posted, 2,
        "the invoice, then the credit note: {report:?}"
    );
    let notes: Vec<Value> = rig
        .sim
        .inspect()
        .store
        .credit_notes
        .into_iter()
        .filter(|c| c["externalReference"] == json!(format!("woo:default:refund:{}", refund["id"])))
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        engine_support::minor(&notes[0]["amount"]),
        engine_support::minor(&refund["amount"])
    );
    // Issue #15: `audit --limit 1` is the newest row (the refund's, posted last), not the first ever written.
    let (code, stdout, stderr) = cli(&["audit", "--limit", "1"], &rig.db);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains(" refund "), "{stdout}");
}

fn with_unknown_rate(o: &TestOrder, rate: i64) -> TestOrder {
    let mut v: Value = serde_json::from_str(&o.json).expect("json");
    let mut renamed = 0;
    for list in ["line_items", "shipping_lines", "fee_lines"] {
        for line in v[list].as_array_mut().into_iter().flatten() {
            for tax in line["taxes"].as_array_mut().into_iter().flatten() {
                if tax["id"] == json!(1) {
                    tax["id"] = json!(rate);
                    renamed += 1;
                }
            }
        }
    }
    for t in v["tax_lines"].as_array_mut().into_iter().flatten() {
        if t["rate_id"] == json!(1) {
            t["rate_id"] = json!(rate);
        }
    }
    assert!(renamed > 0, "order {} has no 25 % line to break", o.id);
    TestOrder {
        json: v.to_string(),
        ..o.clone()
    }
}

#[test]
fn an_unknown_tax_rate_fails_only_its_order_and_posts_after_the_fix_and_a_replay() {
    let rig = rig();
    let engine = rig.engine(settings());
    let batch = orders(6, 20_001);
    let at = batch
        .iter()
        .position(|o| o.json.contains(r#""rate_id":1,"#))
        .expect("an order with a 25 % line");
    let bad = with_unknown_rate(&batch[at], 77);
    for (i, o) in batch.iter().enumerate() {
        let json = if i == at { &bad.json } else { &o.json };
        enqueue(&engine, JobKind::Order, json);
    }
    let report = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!((report.posted, report.failed), (5, 1), "{report:?}");
    let others: Vec<TestOrder> = batch.iter().filter(|o| o.id != bad.id).cloned().collect();
    assert_exactly_once(&rig.sim, &others);
    let failed = jobs(engine.store(), JobKind::Order)
        .into_iter()
        .find(|j| j.woo_id == bad.id)
        .expect("bad job");
    assert_eq!(failed.state, JobState::Failed);
    let reason = failed.last_error.clone().unwrap_or_default();
    assert!(
        reason.contains(&format!("order {}", bad.id)) && reason.contains("rate id 77"),
        "the reason names the order and the rate: {reason}"
    );
    drop(engine);

    // The merchant maps rate 77 to the 25 % category and replays the job.
    let fixed = Settings::from_toml_str(&format!(
        "{}\n[[vat.rates]]\nwoo_rate_id = 77\ncategory = \"H\"\n",
        std::fs::read_to_string(engine_support::NORDLYS_SETTINGS).expect("nordlys settings")
    ))
    .expect("fixed settings");
    let engine = rig.engine(fixed);
    engine
        .store()
        .replay(failed.id, rig.clock.now())
        .expect("replay");
    let report = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!((report.posted, report.failed), (1, 0), "{report:?}");
    assert_exactly_once(&rig.sim, &batch);
}

#[test]
fn resent_and_edited_orders_never_make_a_second_document() {
    let rig = rig();
    let engine = rig.engine(settings());
    let o = orders(1, 30_001).remove(0);
    enqueue(&engine, JobKind::Order, &o.json);
    assert_eq!(drain_until_settled(&engine, &rig.clock, |_| {}).posted, 1);

    // The very same payload again: the queue already has it.
    assert!(matches!(
        enqueue(&engine, JobKind::Order, &o.json),
        EnqueueOutcome::Duplicate(_)
    ));

    // A newer revision with the same content (a webhook re-send after a note): already posted.
    let mut v: Value = serde_json::from_str(&o.json).expect("json");
    v["date_modified_gmt"] = json!("2026-12-01T08:00:00");
    v["customer_note"] = json!("Ring på døren");
    assert!(matches!(
        enqueue(&engine, JobKind::Order, &v.to_string()),
        EnqueueOutcome::Inserted(_)
    ));
    let r = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!((r.posted, r.already_posted), (0, 1), "{r:?}");

    // Edited after posting (a line renamed changes the invoice): reported, not re-posted. A paid date alone
    // does not (the invoice hash leaves out the date: a paid-later order keeps its invoice and gets a payment).
    v["date_modified_gmt"] = json!("2026-12-02T08:00:00");
    v["line_items"][0]["name"] = json!("Renamed after posting");
    assert!(matches!(
        enqueue(&engine, JobKind::Order, &v.to_string()),
        EnqueueOutcome::Inserted(_)
    ));
    let r = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!((r.posted, r.edited_after_posting), (0, 1), "{r:?}");

    assert_exactly_once(&rig.sim, std::slice::from_ref(&o));
    let actions: Vec<String> = engine
        .store()
        .audit_entries(&ml_connector::store::audit::AuditQuery {
            woo_id: Some(o.id),
            ..Default::default()
        })
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .filter(|a| !matches!(a.as_str(), "claimed" | "enqueued" | "rounded" | "call"))
        .collect();
    assert_eq!(
        actions,
        ["posted", "already_posted", "edited_after_posting"]
    );
    assert_eq!(invoices_by_key(&rig.sim).len(), 1);
}

#[test]
fn a_corrupted_database_is_refused_clearly_and_left_untouched() {
    let rig = rig();
    {
        let engine = rig.engine(settings());
        for o in orders(3, 40_001) {
            enqueue(&engine, JobKind::Order, &o.json);
        }
    }
    // Not a database at all.
    let garbage = rig.db.with_file_name("garbage.sqlite");
    let bytes = b"this is not a sqlite file, it was overwritten by a backup tool".repeat(100);
    std::fs::write(&garbage, &bytes).expect("write");
    let err = Store::open(&garbage).expect_err("garbage refused");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains("corrupt or not a SQLite database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&garbage).expect("read"),
        bytes,
        "the file must not be rewritten"
    );
    let (code, _, stderr) = cli(&["status"], &garbage);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("corrupt or not a SQLite database"),
        "{stderr}"
    );

    // A real queue damaged in the middle: refused or reported by the integrity check, never silently reset.
    let damaged = rig.db.with_file_name("damaged.sqlite");
    let mut queue = std::fs::read(&rig.db).expect("queue file");
    assert!(queue.len() > 8192, "the queue has data pages");
    for b in queue.iter_mut().skip(4096).take(4096) {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &queue).expect("write");
    let outcome = Store::open(&damaged).and_then(|s| s.check_integrity().map(|()| s));
    let err = outcome.expect_err("damage is detected");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    // The intact original still holds its three jobs.
    let store = Store::open(&rig.db).expect("original");
    assert_eq!(store.counts_by_state().expect("counts").pending, 3);
}

#[test]
fn a_full_disk_refuses_new_jobs_clearly_and_keeps_the_queued_ones() {
    let rig = rig();
    let pages = {
        let store = Store::open(&rig.db).expect("queue");
        u32::try_from(store.page_count().expect("pages")).expect("small")
    };
    let capped = StoreOptions {
        max_page_count: Some(pages + 12),
        ..StoreOptions::default()
    };
    let all = orders(200, 50_001);
    let mut queued = Vec::new();
    let mut full = None;
    {
        let shared: Arc<dyn Clock> = Arc::new(rig.clock.clone());
        let engine = Engine::new(
            Store::open_with(&rig.db, &capped).expect("capped queue"),
            settings(),
            engine_support::client(&rig.sim, shared.clone()),
            shared,
        );
        for o in &all {
            match engine.enqueue(JobKind::Order, &o.json, JobSource::Hook) {
                Ok(_) => queued.push(o.clone()),
                Err(e) => {
                    full = Some(e);
                    break;
                }
            }
        }
        let err = full.expect("the cap is reached");
        assert!(
            matches!(&err, IntakeError::Store { source, .. } if matches!(**source, StoreError::Full { .. })),
            "{err:?}"
        );
        let text = format!(
            "{err}: {}",
            std::error::Error::source(&err)
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        assert!(
            text.contains("could not queue the order") && text.contains("is full"),
            "{text}"
        );
        assert!(
            queued.len() >= 3,
            "some jobs fit before the cap: {}",
            queued.len()
        );
        // Draining on the full disk stops with the store's error; nothing queued is lost.
        let drained = engine.drain(1000, None);
        eprintln!(
            "{} jobs queued before the cap; drain on the full disk: {drained:?}",
            queued.len()
        );
        if let Err(e) = &drained {
            assert!(e.to_string().contains("is full"), "{e:?}");
        }
    }
    // Space is freed (no cap): every job queued before the disk filled is posted, once.
    let engine = rig.engine(settings());
    let counts = engine.store().counts_by_state().expect("counts");
    assert_eq!(
        counts.pending + counts.running + counts.done,
        u64::try_from(queued.len()).expect("small")
    );
    rig.clock.advance(std::time::Duration::from_secs(3600));
    drain_until_settled(&engine, &rig.clock, |_| {});
    assert_exactly_once(&rig.sim, &queued);
    engine_support::assert_all_done(engine.store(), &queued);
}

#[test]
fn a_field_cut_to_fit_visma_is_said_in_the_audit() {
    // Issue #15: nothing is silently fixed; a billing address longer than Visma's 50 characters is cut, and the
    // audit next to the invoice says which field and by how much.
    let rig = rig();
    let engine = rig.engine(settings());
    let mut order: Value = serde_json::from_str(&orders(1, 10_900).remove(0).json).expect("json");
    order["billing"]["address_1"] = json!("Lang gate ".repeat(7));
    enqueue(&engine, JobKind::Order, &order.to_string());
    let report = drain_until_settled(&engine, &rig.clock, |_| {});
    assert_eq!(report.posted, 1, "{report:?}");
    let texts = engine_support::audit_texts(engine.store());
    assert!(
        texts
            .iter()
            .any(|t| t == "text: billing address line 1 cut to Visma's 50 characters (it had 69)"),
        "{texts:?}"
    );
}

#[test]
fn status_shows_the_newest_failure_not_the_first_of_the_oldest_rows() {
    // Issue #15: `status` read the oldest 200 audit rows and showed the first failure among them.
    use ml_connector::store::audit::{Attempt, AuditAction, AuditEvent};
    let rig = rig();
    let store = Store::open(&rig.db).expect("queue");
    let row = |woo_id: u64, action: AuditAction, minute: i64| AuditEvent {
        at: engine_support::t0() + chrono::Duration::minutes(minute),
        job_id: None,
        store_id: Some("default".to_owned()),
        woo_kind: Some(JobKind::Order),
        woo_id: Some(woo_id),
        action,
        attempt: Attempt::default(),
        visma_number: None,
        error: Some(format!("reason {woo_id}")),
    };
    store
        .audit(&row(1, AuditAction::Failed, 0))
        .expect("old failure");
    for n in 0..250 {
        store
            .audit(&row(1000 + n, AuditAction::Enqueued, 1))
            .expect("row");
    }
    store
        .audit(&row(2, AuditAction::Failed, 2))
        .expect("new failure");
    drop(store);
    let (code, stdout, stderr) = cli(&["status"], &rig.db);
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).expect("status JSON");
    assert_eq!(status["last_error"]["woo_id"], json!(2), "{stdout}");
}
