//! A simulator seeded with another company (issue #14): its own client, accounts, VAT categories and classes;
//! ids of the default company are refused as Visma refuses unknown ids.

mod simulator_common;

use ml_connector::simulator::{Company, SimConfig};
use serde_json::{json, Value};
use simulator_common::*;

fn nordlys() -> Company {
    Company::from_json(include_str!("fixtures/visma/seed-nordlys.json")).expect("seed file")
}

fn nordlys_token(sim: &ml_connector::simulator::RunningSimulator) -> String {
    let r = token_form(
        sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "nordlys-client"),
            ("client_secret", "nordlys-secret"),
            ("tenant_id", "nordlys-tenant"),
            ("scope", ERP_SCOPES),
        ],
    );
    assert_eq!(r.status(), 200);
    let v: Value = r.json().expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

#[test]
fn a_seeded_company_serves_its_own_ids_and_refuses_the_defaults() {
    let (sim, _) = start_with(SimConfig::seeded(nordlys()));
    // The demo client is not this company's.
    let demo = token_form(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
        ],
    );
    assert_eq!(demo.status(), 400);
    let tok = nordlys_token(&sim);

    let classes: Value = get(&sim, &tok, "/v1/customer/customerClass")
        .json()
        .expect("json");
    let ids: Vec<&str> = classes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["DOM", "INT"]);
    let vat: Value = get(&sim, &tok, "/v1/vatCategory").json().expect("json");
    assert_eq!(vat[0]["vatCategoryId"], json!("H"));
    assert_eq!(vat[0]["vatCategoryLines"][0]["vatId"], json!("UTG25"));

    // The default company's class is unknown here: Visma's words.
    let r = post(
        &sim,
        &tok,
        "/v1/customer",
        &json!({"number": {"value": "1"}, "name": {"value": "A"}, "customerClassId": {"value": "1"}}),
    );
    assert_eq!(r.status(), 400);
    assert!(message(r).contains("'Class' cannot be found in the system"));
    let r = post(
        &sim,
        &tok,
        "/v1/customer",
        &json!({"number": {"value": "1"}, "name": {"value": "A"}, "customerClassId": {"value": "DOM"}}),
    );
    assert_eq!(r.status(), 201);

    let line = |account: &str, vat: &str| {
        json!({"operation": "Insert", "description": {"value": "Vare"}, "quantity": {"value": 1.0},
               "unitPriceInCurrency": {"value": 100.0}, "accountNumber": {"value": account},
               "vatCodeId": {"value": vat}})
    };
    let invoice = |lines: Value, details: Value| json!({"customerNumber": {"value": "1"}, "invoiceLines": lines, "taxDetailLines": details});
    let detail = |tax_id: &str, vat: f64| json!([{"taxId": {"value": tax_id}, "taxableAmount": {"value": 100.0}, "vatAmount": {"value": vat}}]);
    // The default company's account 3000, VAT category 3 and VAT id 3 do not exist in this company.
    let refused = [
        (line("3000", "H"), json!([]), "Account '3000'"),
        (
            line("3001", "3"),
            json!([]),
            "'VAT category' cannot be found",
        ),
        (
            line("3001", "H"),
            detail("3", 25.0),
            "VAT ID '3' cannot be found",
        ),
    ];
    for (l, details, needle) in refused {
        let r = post(
            &sim,
            &tok,
            "/v2/customerinvoice",
            &invoice(json!([l]), details),
        );
        assert_eq!(r.status(), 400, "{needle}");
        let m = message(r);
        assert!(m.contains(needle), "{needle}: {m}");
    }
    // Its own ids: the VAT booked is the one sent (24.99, not the 25.00 Visma would compute).
    let r = post(
        &sim,
        &tok,
        "/v2/customerinvoice",
        &invoice(json!([line("3001", "H")]), detail("UTG25", 24.99)),
    );
    assert_eq!(r.status(), 201);
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let number = location.rsplit('/').next().unwrap_or("");
    let doc: Value = get(&sim, &tok, &format!("/v1/customerinvoice/{number}"))
        .json()
        .expect("json");
    assert_eq!(doc["vatTotal"], json!(24.99), "{doc}");
    assert_eq!(doc["taxDetails"][0]["taxId"], json!("UTG25"));
}
