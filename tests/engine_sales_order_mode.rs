//! Issue #17: sales-order mode on the Nordlys company (order type `NO`, its own items and warehouse), releases
//! answered `Queued`, one manual clock. What payments, refunds and cancellations become (documented in
//! `src/engine/sales_orders.rs` and docs/errors.md), a client not subscribed to the SalesOrders API, and the
//! company check naming an item the company lacks.

mod engine_support;

use engine_support::modes::{settings_in, settings_text, Mode};
use engine_support::scenario::Scenario;
use engine_support::{audit_texts, drain_until_settled, engine, minor, real, t0};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::settings::Settings;
use ml_connector::simulator::{SimConfig, Simulator};
use ml_connector::store::queue::{JobKind, JobSource};
use ml_connector::store::Store;
use serde_json::{json, Value};
use std::sync::Arc;

#[test]
fn payments_refunds_and_cancellations_follow_the_sales_order() {
    let s = Scenario::new(settings_in(Mode::SalesOrders));
    let (engine, sim) = (&s.engine, &s.sim);
    let send = |kind: JobKind, payload: &Value| s.send(kind, payload);
    let reserved_for = |number: &str| -> Vec<Value> {
        sim.inspect()
            .store
            .payments
            .into_iter()
            .filter(|p| p["ordersToApply"][0]["orderNo"] == number)
            .collect()
    };
    let order_no = |key: &str| -> String {
        let all = sim.inspect().store.sales_orders;
        let found: Vec<&Value> = all
            .iter()
            .filter(|o| o["customer"]["refNo"] == key)
            .collect();
        assert_eq!(found.len(), 1, "one sales order for {key}");
        found[0]["orderId"].as_str().expect("order id").to_owned()
    };

    // Paid, then refunded: the payment is reserved for the order; the refund's credit note is paid out.
    let paid = real("orders/117.json");
    let mut first = paid.clone();
    first["refunds"] = json!([]);
    send(JobKind::Order, &first);
    let no117 = order_no("woo:default:117");
    let payments = reserved_for(&no117);
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(
        payments[0]["status"], "Open",
        "released, reserved for the order"
    );
    assert_eq!(
        minor(&payments[0]["ordersToApply"][0]["appliedToOrder"]),
        Some(engine_support::minor(&paid["total"]).expect("total"))
    );
    let refund = real("refunds/117.json")[0].clone();
    send(JobKind::Refund, &json!({"order": paid, "refund": refund}));
    let state = sim.inspect().store;
    assert_eq!(state.credit_notes.len(), 1);
    let note = state.credit_notes[0]["referenceNumber"].clone();
    let refunds: Vec<&Value> = state
        .payments
        .iter()
        .filter(|p| p["type"] == "Refund")
        .collect();
    assert_eq!(refunds.len(), 1, "the money paid back");
    assert_eq!(refunds[0]["paymentLines"][0]["refNbr"], note);

    // Placed unpaid (cash on delivery), refunded in part, then paid when completed: the credit note stays open
    // for the invoice Visma makes from the order; the payment is reserved once, however often it is sent.
    let mut order = real("orders/117.json");
    order["id"] = json!(9117);
    order["number"] = json!("9117");
    let paid_at = order["date_paid"].clone();
    order["payment_method"] = json!("cod");
    order["status"] = json!("processing");
    order["date_paid"] = Value::Null;
    order["refunds"] = json!([]);
    send(JobKind::Order, &order);
    let no9117 = order_no("woo:default:9117");
    assert!(reserved_for(&no9117).is_empty(), "not paid yet");
    let mut r = real("refunds/117.json")[0].clone();
    r["id"] = json!(91171);
    let mut refunded = order.clone();
    refunded["refunds"] = json!([{"id": 91171, "reason": "", "total": r["amount"].as_str().map(|a| format!("-{a}"))}]);
    send(JobKind::Refund, &json!({"order": refunded, "refund": r}));
    let texts = audit_texts(engine.store());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("left open") && t.contains(&format!("sales order NO {no9117}"))),
        "{texts:?}"
    );
    order["status"] = json!("completed");
    order["date_paid"] = paid_at;
    send(JobKind::Order, &order);
    send(JobKind::Order, &order);
    assert_eq!(reserved_for(&no9117).len(), 1, "paid later, once");

    // Cancelled after it was sent: reported, nothing credited.
    let mut cancelled = real("orders/236.json");
    send(JobKind::Order, &cancelled);
    let notes_before = sim.inspect().store.credit_notes.len();
    cancelled["status"] = json!("cancelled");
    let report = send(JobKind::Order, &cancelled);
    assert_eq!(report.edited_after_posting, 1, "{report:?}");
    assert_eq!(sim.inspect().store.credit_notes.len(), notes_before);
    let no236 = order_no("woo:default:236");
    assert!(audit_texts(engine.store())
        .iter()
        .any(|t| t.contains("cancel the sales order in Visma") && t.contains(&no236)));
    assert!(sim.inspect().store.invoices.is_empty());
}

#[test]
fn a_client_without_the_sales_orders_api_pauses_the_queue_and_invoice_mode_still_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = Simulator::start(SimConfig {
        clock: shared,
        sales_orders_subscribed: false,
        ..SimConfig::seeded(engine_support::nordlys())
    })
    .expect("simulator");
    let orders = engine_support::orders(5, 700_000);
    let store = Store::open(dir.path().join("so.sqlite")).expect("queue");
    let engine = engine(store, settings_in(Mode::SalesOrders), &sim, &clock);
    for o in &orders {
        engine
            .enqueue(JobKind::Order, &o.json, JobSource::Hook)
            .expect("enqueue");
    }
    let report = engine.drain(50, None).expect("drain");
    assert!(report.stopped, "{report:?}");
    let pause = engine.store().pause().expect("pause").expect("paused");
    assert_eq!(pause.setting.as_deref(), Some("visma_salesorder_scopes"));
    assert!(
        pause
            .reason
            .contains("not subscribed to the SalesOrders API"),
        "{}",
        pause.reason
    );
    // Five minutes later the drain tests again: the ERP answers, SalesOrders does not, so it stays paused
    // and no job is charged an attempt.
    clock.advance(ml_connector::engine::RETEST_AFTER + std::time::Duration::from_secs(1));
    let again = engine.drain(50, None).expect("drain");
    assert!(again.paused && again.posted == 0, "{again:?}");
    let counts = engine.store().counts_by_state().expect("counts");
    assert_eq!(
        (counts.pending, counts.failed, counts.dead),
        (5, 0, 0),
        "{counts:?}"
    );

    // The same client in invoice mode asks only for ERP scopes and books every order.
    let store = Store::open(dir.path().join("invoice.sqlite")).expect("queue");
    let invoicing = engine_support::engine(store, settings_in(Mode::Invoices), &sim, &clock);
    for o in &orders {
        invoicing
            .enqueue(JobKind::Order, &o.json, JobSource::Hook)
            .expect("enqueue");
    }
    let report = drain_until_settled(&invoicing, &clock, |_| {});
    assert_eq!(report.posted, 5, "{report:?}");
}

#[test]
fn the_company_check_names_every_sales_order_id_the_company_lacks() {
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = engine_support::queued_release_simulator(shared.clone());
    let client = engine_support::client(&sim, shared);
    let company = client.company_ids().expect("company lists");
    let good = settings_in(Mode::SalesOrders);
    assert_eq!(
        ml_connector::settings::check::unknown_ids(&good, &company),
        []
    );
    // The simulator's default ids, as the first version sent them: every one is named with its setting.
    let text = settings_text(Mode::SalesOrders)
        .replacen("order_type = \"NO\"", "order_type = \"SO\"\n", 1)
        .replacen(
            "shipping_item = \"NL-FRAKT\"",
            "shipping_item = \"FRAKT\"",
            1,
        )
        .replacen(
            "rounding_item = \"NL-AVRUND\"",
            "rounding_item = \"AVRUNDING\"",
            1,
        )
        .replacen("warehouse = \"HOVED\"", "warehouse = \"1\"", 1)
        .replacen(
            "\"EL-HODE\" = \"NL-ELEKTRO\"",
            "\"EL-HODE\" = \"EL-HODE\"",
            1,
        )
        .replacen("class_id = \"LEVUTL\"", "class_id = \"2\"", 1);
    let bad = Settings::from_toml_str(&text).expect("valid settings");
    let named: Vec<String> = ml_connector::settings::check::unknown_ids(&bad, &company)
        .iter()
        .map(|u| format!("{}={}", u.setting, u.id))
        .collect();
    assert_eq!(
        named,
        [
            "supplier.class_id=2",
            "sales_order.shipping_item=FRAKT",
            "sales_order.rounding_item=AVRUNDING",
            "sales_order.items.EL-HODE=EL-HODE",
            "sales_order.warehouse=1",
        ],
        "SO is an order type of Nordlys too, so it is not named"
    );
}

#[test]
fn with_return_orders_a_refund_of_lines_is_a_return_order_once_and_an_amount_only_one_a_credit_note(
) {
    let text = settings_text(Mode::SalesOrders).replacen(
        "[sales_order]\n",
        "[sales_order]\nrefunds = \"return_order\"\nreturn_order_type = \"RC\"\n",
        1,
    );
    let settings = Settings::from_toml_str(&text).expect("return-order settings");
    let s = Scenario::new(settings);
    let (engine, sim) = (&s.engine, &s.sim);
    let send = |kind: JobKind, payload: &Value| s.send(kind, payload);
    // Order 82 and its refund 364 of two lines.
    let order = real("orders/82.json");
    send(JobKind::Order, &order);
    let refund = real("refunds/82.json")[0].clone();
    let envelope = json!({"order": order, "refund": refund});
    send(JobKind::Refund, &envelope);
    send(JobKind::Refund, &envelope); // sent again: nothing more
    let state = sim.inspect().store;
    let returns: Vec<&Value> = state
        .sales_orders
        .iter()
        .filter(|o| o["type"] == "RC")
        .collect();
    assert_eq!(returns.len(), 1, "one return order");
    let rc = returns[0];
    assert_eq!(rc["customer"]["refNo"], "woo:default:refund:364");
    assert_eq!(
        minor(&rc["totals"]["orderTotal"]),
        minor(&refund["amount"]),
        "what WooCommerce refunded"
    );
    let lines = rc["_lines"].as_array().expect("lines");
    assert!(
        lines
            .iter()
            .all(|l| l["quantity"].as_f64().is_some_and(|q| q > 0.0)),
        "{lines:?}"
    );
    assert!(
        state.credit_notes.is_empty(),
        "no credit note for returned goods"
    );
    assert!(audit_texts(engine.store())
        .iter()
        .any(|t| t.contains("refund 364 is return order RC ")));

    // An amount-only refund returns no goods: a credit note, paid out (order 117 was paid).
    let paid = real("orders/117.json");
    send(JobKind::Order, &paid);
    let amount_only = real("refunds/117.json")[0].clone();
    send(
        JobKind::Refund,
        &json!({"order": paid, "refund": amount_only}),
    );
    let state = sim.inspect().store;
    assert_eq!(state.credit_notes.len(), 1);
    assert_eq!(
        state
            .sales_orders
            .iter()
            .filter(|o| o["type"] == "RC")
            .count(),
        1
    );
}
