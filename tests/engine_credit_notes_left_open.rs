//! Issue #14/#13: the two credit notes the connector leaves open on purpose, each with its reason in the audit and
//! its settlement recorded so no retry tries again: a paid order cancelled in WooCommerce (no money moved, so no
//! customer refund), and a refund of an unpaid order whose invoice was paid outside the shop (nothing left to
//! apply it to). Nordlys company, releases answered `Queued`, one manual clock.

mod engine_support;

use engine_support::scenario::Scenario;
use engine_support::{audit_texts, real, settings};
use ml_connector::store::queue::JobKind;
use ml_connector::woo::Order;
use serde_json::{json, Value};

#[test]
fn a_cancelled_paid_order_and_a_refund_of_an_invoice_paid_elsewhere_leave_their_credit_notes_open()
{
    let s = Scenario::new(settings());
    let (engine, sim) = (&s.engine, &s.sim);
    let send = |kind: JobKind, payload: &Value| s.send(kind, payload);
    let refunds_paid = || {
        sim.inspect()
            .store
            .payments
            .iter()
            .filter(|p| p["type"] == "Refund")
            .count()
    };

    // 1. Paid, then cancelled in WooCommerce: the invoice is credited, but no money goes back.
    let mut paid = real("orders/134.json");
    send(JobKind::Order, &paid);
    paid["status"] = json!("cancelled");
    send(JobKind::Order, &paid);
    let notes = sim.inspect().store.credit_notes;
    assert_eq!(notes.len(), 1, "the cancellation's credit note");
    let cancel_note = notes[0]["referenceNumber"]
        .as_str()
        .expect("number")
        .to_owned();
    assert_eq!(notes[0]["status"], "Open", "released, left open");
    assert_eq!(
        refunds_paid(),
        0,
        "no customer refund: WooCommerce moved no money"
    );
    let texts = audit_texts(engine.store());
    assert!(
        texts.iter().any(
            |t| t.contains(&format!("credit note {cancel_note} left open"))
                && t.contains("was paid")
        ),
        "{texts:?}"
    );
    // Sent again (another hook): nothing more.
    send(JobKind::Order, &paid);
    assert_eq!(sim.inspect().store.credit_notes.len(), 1);

    // 2. Unpaid in WooCommerce (cash on delivery), its invoice paid in Visma by hand, then refunded in part.
    let mut unpaid = real("orders/117.json");
    unpaid["id"] = json!(8117);
    unpaid["number"] = json!("8117");
    unpaid["payment_method"] = json!("cod");
    unpaid["status"] = json!("processing");
    unpaid["date_paid"] = Value::Null;
    unpaid["refunds"] = json!([]);
    send(JobKind::Order, &unpaid);
    let invoice = sim
        .inspect()
        .store
        .invoices
        .into_iter()
        .find(|i| i["externalReference"] == "woo:default:8117")
        .expect("the invoice");
    let number = invoice["referenceNumber"]
        .as_str()
        .expect("number")
        .to_owned();
    let customer = invoice["customer"]["number"]
        .as_str()
        .expect("customer")
        .to_owned();
    // The accountant records the cash received, in Visma.
    let mut as_paid = unpaid.clone();
    as_paid["date_paid"] = json!("2026-11-20T10:00:00");
    let order = Order::from_json(as_paid.to_string().as_bytes()).expect("order");
    let nok = settings().currency("NOK").expect("NOK");
    let total = nok.parse_minor(order.total.as_str()).expect("total");
    let mut payment =
        ml_connector::mapping::payment::for_order(&order, &settings(), "by hand", nok, total, None)
            .expect("payment")
            .expect("a paid order has one");
    payment.apply_to(&customer, &number);
    let shared: std::sync::Arc<dyn ml_connector::clock::Clock> =
        std::sync::Arc::new(s.clock.clone());
    let client = engine_support::client(sim, shared);
    let made = client
        .create_customer_payment(&payment)
        .expect("payment by hand");
    client.release_customer_payment(&made).expect("released");
    let mut r = real("refunds/117.json")[0].clone();
    r["id"] = json!(81171);
    let mut refunded = unpaid.clone();
    refunded["refunds"] = json!([{"id": 81171, "reason": "", "total": format!("-{}", r["amount"].as_str().expect("amount"))}]);
    send(JobKind::Refund, &json!({"order": refunded, "refund": r}));
    let note = sim
        .inspect()
        .store
        .credit_notes
        .into_iter()
        .find(|n| n["externalReference"] == "woo:default:refund:81171")
        .expect("the refund's credit note");
    let refund_note = note["referenceNumber"].as_str().expect("number").to_owned();
    assert_eq!(note["status"], "Open", "released, left open");
    assert_eq!(refunds_paid(), 0);
    let texts = audit_texts(engine.store());
    assert!(
        texts.iter().any(
            |t| t.contains(&format!("credit note {refund_note} left open"))
                && t.contains(&format!("invoice {number} owes nothing"))
        ),
        "{texts:?}"
    );
    let applied = sim
        .inspect()
        .store
        .payments
        .iter()
        .filter(|p| p["type"] == "CreditNote")
        .count();
    assert_eq!(applied, 0, "nothing applied to a settled invoice");
}
