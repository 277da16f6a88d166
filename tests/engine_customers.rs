//! Issue #15: a registered customer whose e-mail changed in WooCommerce. It is the same person (the same
//! WooCommerce customer id), so the Visma customer already mapped to it is updated, e-mail included, and no
//! second customer is made; the audit says what was done; orders with the new e-mail go to that customer.

mod engine_support;

use engine_support::scenario::Scenario;
use engine_support::{audit_texts, real, settings};
use ml_connector::store::queue::JobKind;
use serde_json::{json, Value};

#[test]
fn a_changed_email_updates_the_same_visma_customer_and_says_so() {
    let s = Scenario::new(settings());
    let (engine, sim) = (&s.engine, &s.sim);
    let send = |kind: JobKind, payload: &Value| s.send(kind, payload);
    let mut customer = real("customers/11.json");
    send(JobKind::Customer, &customer);
    let first = sim.inspect().store.customers;
    assert_eq!(first.len(), 1);
    let number = first[0]["number"].as_str().expect("number").to_owned();

    customer["email"] = json!("ingeborg.ny@example.no");
    customer["billing"]["email"] = json!("ingeborg.ny@example.no");
    customer["date_modified_gmt"] = json!("2026-12-01T10:00:00");
    send(JobKind::Customer, &customer);
    let after = sim.inspect().store.customers;
    assert_eq!(after.len(), 1, "no second Visma customer: {after:?}");
    assert_eq!(after[0]["mainContact"]["email"], "ingeborg.ny@example.no");
    let texts = audit_texts(engine.store());
    assert!(
        texts.iter().any(|t| t == &format!(
            "customer {number} updated in Visma, its e-mail too: orders with the new e-mail go to it"
        )),
        "{texts:?}"
    );

    // An order with the new e-mail is invoiced to that customer.
    let mut order = real("orders/117.json");
    order["id"] = json!(7117);
    order["number"] = json!("7117");
    order["customer_id"] = json!(11);
    order["billing"]["email"] = json!("ingeborg.ny@example.no");
    order["refunds"] = json!([]);
    send(JobKind::Order, &order);
    let state = sim.inspect().store;
    assert_eq!(state.customers.len(), 1);
    let invoice = state
        .invoices
        .iter()
        .find(|i| i["externalReference"] == "woo:default:7117")
        .expect("invoice");
    assert_eq!(invoice["customer"]["number"], json!(number));
}
