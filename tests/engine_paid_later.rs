//! Found in the real shop (issue #13 item 4, issue #14 "paid later"): a cash-on-delivery order is invoiced unpaid
//! (WooCommerce leaves `date_paid` empty), refunded in part before delivery, and paid when completed. The credit
//! note is applied to the unpaid invoice; the payment then pays what the invoice still owes, once, and the credit
//! note's settlement on the invoice is never taken for the order's payment.
//! Against the simulator on 127.0.0.1 (the Nordlys company, releases answered `Queued`) with one manual clock.

mod engine_support;

use engine_support::scenario::Scenario;
use engine_support::{minor, settings};
use ml_connector::store::audit::AuditQuery;
use ml_connector::store::queue::JobKind;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/real");

fn real(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{path}")).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[test]
fn a_part_refunded_order_paid_later_pays_what_its_invoice_still_owes_once() {
    let s = Scenario::new(settings());
    let (engine, sim) = (&s.engine, &s.sim);
    let send = |kind: JobKind, payload: &Value| s.send(kind, payload);

    // Placed with cash on delivery: processing, not paid (as the real shop's Store API checkout leaves it).
    let mut order = real("orders/117.json");
    let paid_at = order["date_paid"].clone();
    order["payment_method"] = json!("cod");
    order["status"] = json!("processing");
    order["date_paid"] = Value::Null;
    order["date_paid_gmt"] = Value::Null;
    order["date_completed"] = Value::Null;
    let unpaid = order.clone();
    let mut first = unpaid.clone();
    first["refunds"] = json!([]);
    assert_eq!(send(JobKind::Order, &first).posted, 1, "the invoice");

    // Refunded in part before delivery: the credit note is applied to the unpaid invoice.
    let refund = real("refunds/117.json")[0].clone();
    let report = send(JobKind::Refund, &json!({"order": unpaid, "refund": refund}));
    assert_eq!(report.posted, 1, "the credit note: {report:?}");
    // An amount-only refund: how its VAT was decided is in the audit (issue #14).
    let rows = engine
        .store()
        .audit_entries(&AuditQuery {
            woo_kind: Some(JobKind::Refund),
            ..AuditQuery::default()
        })
        .expect("audit");
    assert!(
        rows.iter().any(|r| r.error.as_deref().is_some_and(
            |e| e.contains("VAT: amount-only refund: its VAT is split over the order's rates")
        )),
        "{rows:?}"
    );

    // Delivered and paid: WooCommerce sets date_paid when the order is completed.
    order["status"] = json!("completed");
    order["date_paid"] = paid_at;
    send(JobKind::Order, &order);
    send(JobKind::Order, &order); // sent again (another hook): nothing more

    let store = sim.inspect().store;
    let key = format!("woo:default:{}", order["id"]);
    let invoice = store
        .invoices
        .iter()
        .find(|i| i["externalReference"] == json!(key))
        .expect("the invoice");
    let number = invoice["referenceNumber"].clone();
    let payments: Vec<&Value> = store
        .payments
        .iter()
        .filter(|p| p["type"] == json!("Payment"))
        .filter(|p| {
            p["paymentLines"]
                .as_array()
                .is_some_and(|ls| ls.iter().any(|l| l["refNbr"] == number))
        })
        .collect();
    assert_eq!(payments.len(), 1, "one payment for the order: {payments:?}");
    let owed = minor(&order["total"]).expect("total") - minor(&refund["amount"]).expect("amount");
    assert_eq!(
        minor(&payments[0]["paymentAmount"]),
        Some(owed),
        "the total less the credit note applied before the payment"
    );
    assert_eq!(
        minor(&invoice["balance"]),
        Some(0),
        "the invoice is settled"
    );
}
