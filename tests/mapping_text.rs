//! Issue #15: text reaches Visma as a person typed it and fits Visma's fields, with every cut reported.

use ml_connector::mapping::{map_order, SalesDocument};
use ml_connector::settings::Settings;
use ml_connector::woo::Order;

fn order(id: u32) -> Order {
    let path = format!(
        "{}/tests/fixtures/woo/real/orders/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Order::from_json(&std::fs::read(path).expect("fixture")).expect("order parses")
}

fn example() -> Settings {
    Settings::example().expect("example settings")
}

#[test]
fn text_reaches_visma_as_typed_and_fitting_with_every_cut_reported() {
    // Issue #15: WooCommerce stores `&#038;`; a NUL or a bidi override must not reach Visma; a field longer
    // than Visma's is cut, and the cut is reported for the audit.
    let mut o = order(70);
    o.billing.first_name = "Kari &#038; Ola\u{0}".to_owned();
    o.billing.last_name = "\u{202E}Nordmann".to_owned();
    o.billing.company = String::new();
    o.billing.address_1 = "Storgata ".repeat(8); // 72 characters
    o.line_items[0].name = "Kaffe &#8211; mørk\r\nbrent".to_owned();
    let docs = map_order(&o, &example()).expect("maps");
    let customer = docs.customer.expect("customer body");
    assert_eq!(
        customer.name.map(|n| n.value),
        Some("Kari & Ola Nordmann".to_owned())
    );
    let line1 = customer
        .main_address
        .and_then(|a| a.value.address_line1)
        .map(|l| l.value)
        .expect("address");
    assert!(
        line1.chars().count() <= 50 && line1.starts_with("Storgata"),
        "{line1}"
    );
    assert!(
        docs.cuts
            .iter()
            .any(|c| c == "billing address line 1 cut to Visma's 50 characters (it had 71)"),
        "{:?}",
        docs.cuts
    );
    let SalesDocument::Invoice(inv) = docs.document else {
        panic!("invoice")
    };
    assert_eq!(
        inv.invoice_lines[0].description.value,
        "Kaffe – mørk  brent"
    );
}
