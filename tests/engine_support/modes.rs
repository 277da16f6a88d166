//! Issue #17: the engine suites in the modes a merchant switches to, on the Nordlys company (whose order type,
//! items, warehouse and supplier class differ from the simulator's default company): settings per mode, and the
//! checks of what each mode must leave in Visma.

use super::{minor, TestOrder, NORDLYS_SETTINGS, STORE_ID};
use ml_connector::settings::Settings;
use ml_connector::simulator::RunningSimulator;
use ml_connector::woo::Order;
use serde_json::Value;
use std::collections::BTreeMap;

/// What orders become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Customer invoices (the default).
    Invoices,
    /// SalesOrders v3 orders.
    SalesOrders,
    /// Invoices, and registered customers become Visma suppliers.
    Suppliers,
}

impl Mode {
    /// From `ENGINE_WORKER_MODE` (worker processes), default invoices.
    pub fn from_env() -> Mode {
        match std::env::var("ENGINE_WORKER_MODE").as_deref() {
            Ok("sales_order") => Mode::SalesOrders,
            Ok("suppliers") => Mode::Suppliers,
            _ => Mode::Invoices,
        }
    }

    /// The value for `ENGINE_WORKER_MODE`.
    pub fn env_value(self) -> &'static str {
        match self {
            Mode::Invoices => "invoice",
            Mode::SalesOrders => "sales_order",
            Mode::Suppliers => "suppliers",
        }
    }
}

/// The Nordlys settings file's text in `mode`.
pub fn settings_text(mode: Mode) -> String {
    let text = std::fs::read_to_string(NORDLYS_SETTINGS).expect("nordlys settings");
    match mode {
        Mode::Invoices => text,
        Mode::SalesOrders => {
            let from = "document_type = \"invoice\"";
            assert!(
                text.contains(from),
                "nordlys settings name the document type"
            );
            text.replacen(from, "document_type = \"sales_order\"", 1)
        }
        Mode::Suppliers => {
            let from = "business_model = \"customers\"";
            assert!(
                text.contains(from),
                "nordlys settings name the business model"
            );
            text.replacen(from, "business_model = \"suppliers\"", 1)
        }
    }
}

const CUSTOMERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/woo/real/customers"
);

/// The real shop's registered customers (REST v3 JSON), by id.
pub fn real_customers() -> Vec<Value> {
    let mut customers: Vec<Value> = std::fs::read_dir(CUSTOMERS)
        .expect("customers")
        .map(|e| {
            let text = std::fs::read_to_string(e.expect("entry").path()).expect("read");
            serde_json::from_str(&text).expect("customer JSON")
        })
        .collect();
    customers.sort_by_key(|c| c["id"].as_i64());
    customers
}

/// Each of `customers` exactly one Visma supplier `NLS{id}` with the Nordlys supplier settings (class `LEVUTL`,
/// terms `KONTANT`, payment method `BANKOVF`, never the customer ones), no other supplier, and no Visma customer
/// numbered as a supplier.
pub fn assert_suppliers_exactly_once(sim: &RunningSimulator, customers: &[Value]) {
    let state = sim.inspect().store;
    for c in customers {
        let number = format!("NLS{}", c["id"]);
        let found: Vec<&Value> = state
            .suppliers
            .iter()
            .filter(|s| s["number"] == number)
            .collect();
        assert_eq!(found.len(), 1, "supplier {number}: {found:?}");
        let s = found[0];
        assert_eq!(
            (
                &s["supplierClass"]["id"],
                &s["creditTerms"]["id"],
                &s["paymentMethod"]["id"]
            ),
            (
                &Value::from("LEVUTL"),
                &Value::from("KONTANT"),
                &Value::from("BANKOVF")
            ),
            "{s}"
        );
    }
    assert_eq!(state.suppliers.len(), customers.len(), "no stray suppliers");
    assert!(state
        .customers
        .iter()
        .all(|c| !c["number"].as_str().unwrap_or("").starts_with("NLS")));
}

/// The Nordlys settings in `mode`.
pub fn settings_in(mode: Mode) -> Settings {
    Settings::from_toml_str(&settings_text(mode)).expect("nordlys settings are valid")
}

/// Inventory items of lines without a product in the Nordlys settings.
const NON_STOCK: [&str; 3] = ["NL-FRAKT", "NL-GEBYR", "NL-AVRUND"];

/// Every order exactly once as a sales order of type `NO` (by `customer.refNo`), with WooCommerce's total to the
/// øre, its product lines carrying the ordered quantities on the warehouse `HOVED`; each paid order's payment
/// reserved for its sales order once, for the order's total, and released. Returns (sales orders, payments).
pub fn assert_sales_orders_exactly_once(
    sim: &RunningSimulator,
    orders: &[TestOrder],
) -> (usize, usize) {
    let state = sim.inspect().store;
    let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for so in &state.sales_orders {
        if let Some(key) = so.pointer("/customer/refNo").and_then(Value::as_str) {
            by_key.entry(key.to_owned()).or_default().push(so.clone());
        }
    }
    let mut reserved: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for p in &state.payments {
        for o in p["ordersToApply"].as_array().into_iter().flatten() {
            let k = (
                o["orderType"].as_str().unwrap_or("").to_owned(),
                o["orderNo"].as_str().unwrap_or("").to_owned(),
            );
            reserved.entry(k).or_default().push(p);
        }
    }
    let mut wrong = Vec::new();
    let mut paid = 0;
    for o in orders {
        let order = Order::from_json(o.json.as_bytes()).expect("test order parses");
        let so = match by_key.get(&o.key()).map(Vec::as_slice) {
            Some([so]) => so,
            other => {
                wrong.push(format!(
                    "order {}: {} sales orders",
                    o.id,
                    other.map_or(0, <[Value]>::len)
                ));
                continue;
            }
        };
        if so["type"] != "NO" || minor(&so["totals"]["orderTotal"]) != Some(o.total_minor) {
            wrong.push(format!(
                "order {}: {} total {}",
                o.id, so["type"], so["totals"]["orderTotal"]
            ));
        }
        let lines = so["_lines"].as_array().cloned().unwrap_or_default();
        let products: Vec<&Value> = lines
            .iter()
            .filter(|l| !NON_STOCK.contains(&l["inventoryId"].as_str().unwrap_or("")))
            .collect();
        let sent: f64 = products.iter().filter_map(|l| l["quantity"].as_f64()).sum();
        let ordered: f64 = order
            .line_items
            .iter()
            .filter_map(|i| i.quantity.as_str().parse::<f64>().ok())
            .sum();
        if (sent - ordered).abs() > 1e-9 || products.iter().any(|l| l["warehouseId"] != "HOVED") {
            wrong.push(format!(
                "order {}: quantities {sent} of {ordered} or warehouse",
                o.id
            ));
        }
        let number = so["orderId"].as_str().unwrap_or("").to_owned();
        let payments = reserved
            .get(&("NO".to_owned(), number))
            .cloned()
            .unwrap_or_default();
        let should_pay = ml_connector::mapping::payment::is_paid(&order);
        match payments.as_slice() {
            [] if !should_pay => {}
            [p] if should_pay => {
                paid += 1;
                let amount = minor(&p["ordersToApply"][0]["appliedToOrder"]);
                if amount != Some(o.total_minor) || p["status"] != "Open" {
                    wrong.push(format!(
                        "order {}: payment {} {}",
                        o.id, p["refNbr"], p["status"]
                    ));
                }
            }
            many => wrong.push(format!(
                "order {}: {} payments (paid: {should_pay})",
                o.id,
                many.len()
            )),
        }
    }
    let strays = by_key
        .keys()
        .filter(|k| k.starts_with(&format!("woo:{STORE_ID}:")))
        .count()
        .saturating_sub(orders.len());
    assert!(
        wrong.is_empty(),
        "{} wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
    assert_eq!(strays, 0, "sales orders of orders never sent");
    assert!(
        state.invoices.is_empty(),
        "no invoice is made in sales-order mode"
    );
    assert!(paid > 0, "the corpus has paid orders");
    (by_key.len(), paid)
}
