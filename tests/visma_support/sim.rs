//! Simulator rig for the Visma client suites: the simulator and a client sharing one manual clock, and write
//! bodies for the seeded demo company (COMMON.md), shaped per SPEC25/SOV3 (NOTES §4).
#![allow(dead_code)]

use super::start_time;
use ml_connector::clock::ManualClock;
use ml_connector::secret::Secret;
use ml_connector::simulator::{RunningSimulator, SimConfig, Simulator};
use ml_connector::visma::{Client, Config};
use serde_json::{json, Value};
use std::sync::Arc;

/// A running simulator, a client pointed at it, and their shared clock.
pub struct Rig {
    pub sim: RunningSimulator,
    pub client: Client,
    pub clock: ManualClock,
}

pub fn rig_with(
    sim_config: impl FnOnce(&mut SimConfig),
    client_config: impl FnOnce(&mut Config),
) -> Rig {
    let clock = ManualClock::new(start_time());
    let mut sc = SimConfig {
        clock: Arc::new(clock.clone()),
        ..SimConfig::default()
    };
    sim_config(&mut sc);
    let sim = Simulator::start(sc).expect("simulator starts");
    let mut config = Config::visma_net("demo-client", Secret::new("demo-secret"), "demo-tenant")
        .with_urls(sim.token_url(), sim.base_url(), sim.salesorders_url())
        .with_company_id("1234567");
    client_config(&mut config);
    let client = Client::new(config, Arc::new(clock.clone()))
        .expect("valid config")
        .with_jitter(|| 0.5);
    Rig { sim, client, clock }
}

pub fn rig() -> Rig {
    rig_with(|_| {}, |_| {})
}

pub fn customer_body(number: &str, name: &str) -> Value {
    json!({
        "number": {"value": number},
        "name": {"value": name},
        "status": {"value": "Active"},
        "currencyId": {"value": "NOK"},
        "customerClassId": {"value": "1"},
        "creditTermsId": {"value": "14"},
        "mainAddress": {"value": {"addressLine1": {"value": "Storgata 1"}, "postalCode": {"value": "0150"},
                                  "city": {"value": "Oslo"}, "countryId": {"value": "NO"}}},
        "mainContact": {"value": {"name": {"value": name}, "email": {"value": "kari@example.no"}}}
    })
}

pub fn supplier_body(number: &str, name: &str) -> Value {
    json!({"number": {"value": number}, "name": {"value": name}, "currencyId": {"value": "NOK"}})
}

/// 2 × 100.00 coffee at 15 % (woo `reduced-rate`): 200.00 net, 30.00 VAT.
pub fn invoice_body(customer: &str, key: &str) -> Value {
    json!({
        "customerNumber": {"value": customer},
        "documentDate": {"value": "2026-05-01T00:00:00"},
        "currencyId": {"value": "NOK"},
        "externalReference": {"value": key},
        "customerRefNumber": {"value": key},
        "invoiceText": {"value": "Order 1001"},
        "invoiceLines": [{
            "operation": "Insert",
            "description": {"value": "Kaffe"},
            "quantity": {"value": 2},
            "unitPriceInCurrency": {"value": 100.0},
            "accountNumber": {"value": "3010"},
            "vatCodeId": {"value": "31"},
            "subaccount": [{"segmentId": 1, "segmentValue": "10"}, {"segmentId": 2, "segmentValue": "100"}]
        }]
    })
}

pub fn credit_note_body(customer: &str, key: &str) -> Value {
    json!({
        "customerNumber": {"value": customer},
        "documentDate": {"value": "2026-05-02T00:00:00"},
        "currencyId": {"value": "NOK"},
        "externalReference": {"value": key},
        "lines": [{
            "operation": "Insert",
            "description": {"value": "Retur kaffe"},
            "quantity": {"value": 1},
            "unitPriceInCurrency": {"value": 100.0},
            "accountNumber": {"value": "3010"},
            "vatCodeId": {"value": "31"}
        }]
    })
}

pub fn sales_order_body(customer: &str, key: &str) -> Value {
    json!({
        "type": "SO",
        "date": "2026-05-01T00:00:00",
        "customer": {"id": customer, "refNo": key},
        "orderLines": [{"inventoryId": "MAT-KAFFE", "quantity": 2, "unitPrice": 100.0}]
    })
}

pub fn posts(sim: &RunningSimulator) -> usize {
    sim.inspect()
        .requests
        .iter()
        .filter(|r| r.method == "POST" && !r.path.contains("connect/token"))
        .count()
}
