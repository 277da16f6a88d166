//! Helpers shared by the simulator's HTTP tests: start a simulator on 127.0.0.1:0 with a manual clock, get
//! tokens, call it, and build the bodies a client would send (shapes per NOTES §4).
#![allow(dead_code)] // each test crate uses a different subset

use chrono::{DateTime, Utc};
use ml_connector::clock::ManualClock;
use ml_connector::simulator::{RunningSimulator, SimConfig, Simulator};
use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub const ERP_SCOPES: &str = "vismanet_erp_service_api:create vismanet_erp_service_api:read \
                          vismanet_erp_service_api:update vismanet_erp_service_api:delete";

pub fn start() -> (RunningSimulator, ManualClock) {
    start_with(SimConfig::default())
}

pub fn start_with(config: SimConfig) -> (RunningSimulator, ManualClock) {
    let t0 = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
        .expect("literal")
        .with_timezone(&Utc);
    let clock = ManualClock::new(t0);
    let sim = Simulator::start(SimConfig {
        clock: Arc::new(clock.clone()),
        ..config
    })
    .expect("simulator starts");
    (sim, clock)
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

pub fn token_form(sim: &RunningSimulator, form: &[(&str, &str)]) -> Response {
    client()
        .post(sim.token_url())
        .form(form)
        .send()
        .expect("token call")
}

pub fn token(sim: &RunningSimulator) -> String {
    let r = token_form(
        sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
            ("scope", ERP_SCOPES),
        ],
    );
    assert_eq!(r.status(), 200);
    let v: Value = r.json().expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

pub fn get(sim: &RunningSimulator, tok: &str, path: &str) -> Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(tok)
        .send()
        .expect("get")
}

pub fn post(sim: &RunningSimulator, tok: &str, path: &str, body: &Value) -> Response {
    client()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(tok)
        .json(body)
        .send()
        .expect("post")
}

pub fn message(r: Response) -> String {
    let v: Value = r.json().expect("json error body");
    v["ExceptionMessage"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn customer_body(number: &str) -> Value {
    json!({
        "number": {"value": number}, "name": {"value": "Kari Nordmann"}, "status": {"value": "Active"},
        "customerClassId": {"value": "1"}, "currencyId": {"value": "NOK"}, "creditTermsId": {"value": "14"},
        "mainAddress": {"value": {"addressLine1": {"value": "Storgata 1"}, "postalCode": {"value": "0150"},
                                  "city": {"value": "Oslo"}, "countryId": {"value": "NO"}}},
        "mainContact": {"value": {"name": {"value": "Kari Nordmann"}, "email": {"value": "kari@example.no"}}}
    })
}

pub fn invoice_line(qty: f64, price: f64, account: &str, vat: &str) -> Value {
    json!({"operation": "Insert", "quantity": {"value": qty}, "unitPriceInCurrency": {"value": price},
           "accountNumber": {"value": account}, "vatCodeId": {"value": vat}, "description": {"value": "Vare"},
           "subaccount": [{"segmentId": 1, "segmentValue": "10"}, {"segmentId": 2, "segmentValue": "100"}]})
}
