//! Issue #14's figure for the mapping row: on how many orders Visma's VAT equals WooCommerce's `total_tax` and
//! its gross equals `total`, to the minor unit, with the VAT ids set (WooCommerce's VAT sent as tax detail lines)
//! against the baseline of the same settings without them (Visma computes each category's VAT from its rate).
//! Orders: the 30 real ones (tests/fixtures/woo/real) and the 1,000-order generated corpus (all three tax
//! settings; tests/fixtures/generated).

#[path = "../../tests/support/woo_gen.rs"]
#[allow(dead_code)]
mod woo_gen;

use ml_connector::mapping::{self, SalesDocument};
use ml_connector::settings::Settings;
use ml_connector::woo::Order;
use serde_json::Value;

const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/woo/real/orders"
);
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/generated/orders.jsonl"
);

/// (VAT-exact, gross-exact) over `orders`.
fn count(orders: &[Order], settings: &Settings) -> (usize, usize) {
    let (mut vat, mut gross) = (0, 0);
    for order in orders {
        let Ok(currency) = settings.currency(&order.currency) else {
            continue;
        };
        let Ok(docs) = mapping::map_order(order, settings) else {
            continue;
        };
        let SalesDocument::Invoice(inv) = &docs.document else {
            continue;
        };
        let Ok(t) = mapping::invoice_totals(inv, settings, currency) else {
            continue;
        };
        let minor = |text: &str| currency.parse_minor(text).ok();
        vat += usize::from(Some(t.vat_minor) == minor(order.total_tax.as_str()));
        gross += usize::from(Some(t.gross_minor) == minor(order.total.as_str()));
    }
    (vat, gross)
}

pub fn run() {
    let mut real = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(REAL)
        .expect("real orders")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        real.push(Order::from_json(&std::fs::read(p).expect("read")).expect("real order"));
    }
    let corpus: Vec<Order> = std::fs::read_to_string(CORPUS)
        .expect("corpus")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| Order::from_json(e["order"].to_string().as_bytes()).ok())
        .collect();
    let example = Settings::example().expect("example settings");
    let generated = Settings::from_toml_str(&woo_gen::settings_toml()).expect("generated settings");
    for (label, orders, settings) in [("real", &real, example), ("generated", &corpus, generated)] {
        let mut baseline = settings.clone();
        baseline.vat.vat_ids.clear();
        let (vat, gross) = count(orders, &settings);
        let (base_vat, base_gross) = count(orders, &baseline);
        println!(
            "RESULT mapping_exact_{label} orders={} vat_exact={vat} gross_exact={gross} base_vat_exact={base_vat} base_gross_exact={base_gross}",
            orders.len()
        );
    }
}
