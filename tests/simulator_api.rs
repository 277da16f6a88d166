//! The simulator over HTTP on 127.0.0.1: token endpoint, auth, scopes, company header, customers and suppliers
//! (create, get, update, list, paging, validation, ETag). Each test starts its own simulator.

mod simulator_common;

use serde_json::{json, Value};
use simulator_common::*;
use std::time::Duration;

#[test]
fn token_endpoint_accepts_form_and_basic_and_refuses_bad_credentials() {
    let (sim, _) = start();
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client"),
        ("client_secret", "demo-secret"),
        ("tenant_id", "demo-tenant"),
        ("scope", ERP_SCOPES),
    ];
    let v: Value = token_form(&sim, &good).json().expect("json");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["scope"], ERP_SCOPES);

    let basic = client()
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("tenant_id", "demo-tenant"),
        ])
        .send()
        .expect("basic");
    assert_eq!(basic.status(), 200);
    let bad_basic = client()
        .post(sim.token_url())
        .basic_auth("demo-client", Some("wrong"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("tenant_id", "demo-tenant"),
        ])
        .send()
        .expect("basic");
    assert_eq!(bad_basic.status(), 401);

    let cases: [(&str, &str, u16, &str); 5] = [
        ("client_secret", "wrong", 400, "invalid_client"),
        ("client_id", "other", 400, "invalid_client"),
        ("tenant_id", "customer-tenant", 400, "invalid_tenant"),
        (
            "scope",
            "vismanet_erp_service_api:read visma.net.erp.interaction:read",
            400,
            "invalid_scope",
        ),
        ("grant_type", "password", 400, "unsupported_grant_type"),
    ];
    for (field, value, status, error) in cases {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let r = token_form(&sim, &form);
        assert_eq!(r.status().as_u16(), status, "{field}");
        let v: Value = r.json().expect("oauth error json");
        assert_eq!(v["error"], error, "{field}");
        assert!(v["error_description"].is_string());
    }
    // The log never shows the secret.
    let log = serde_json::to_string(&sim.inspect().requests).expect("json");
    assert!(
        !log.contains("demo-secret"),
        "secret leaked into the request log"
    );
    assert!(log.contains("\"client_secret\":\"***\""));
}

#[test]
fn api_needs_an_unexpired_token_and_the_right_company() {
    let (sim, clock) = start();
    assert_eq!(
        client()
            .get(format!("{}/v1/customer", sim.base_url()))
            .send()
            .expect("get")
            .status(),
        401
    );
    assert_eq!(get(&sim, "sim.not-issued", "/v1/customer").status(), 401);
    let tok = token(&sim);
    assert_eq!(get(&sim, &tok, "/v1/customer").status(), 200);
    let right = client()
        .get(format!("{}/v1/currency", sim.base_url()))
        .bearer_auth(&tok)
        .header("ipp-company-id", "1234567")
        .header("ipp-application-type", "Visma.net Financials")
        .send()
        .expect("get");
    assert_eq!(right.status(), 200);
    let wrong = client()
        .get(format!("{}/v1/currency", sim.base_url()))
        .bearer_auth(&tok)
        .header("ipp-company-id", "7654321")
        .send()
        .expect("get");
    assert_eq!(wrong.status(), 400);
    let v: Value = wrong.json().expect("json");
    assert_eq!(v["ExceptionFaultCode"], "12002");
    assert!(v["ExceptionMessageID"]
        .as_str()
        .unwrap_or("")
        .starts_with("12002_"));

    clock.advance(Duration::from_secs(3599));
    assert_eq!(get(&sim, &tok, "/v1/customer").status(), 200);
    clock.advance(Duration::from_secs(1));
    let expired = get(&sim, &tok, "/v1/customer");
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired
            .headers()
            .get("www-authenticate")
            .and_then(|h| h.to_str().ok()),
        Some("Bearer")
    );
}

#[test]
fn a_token_without_the_scope_is_forbidden() {
    let (sim, _) = start();
    let r = token_form(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
            ("scope", "vismanet_erp_service_api:read"),
        ],
    );
    let tok = r.json::<Value>().expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(get(&sim, &tok, "/v1/account").status(), 200);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10001")).status(),
        403
    );
    assert!(sim.inspect().store.customers.is_empty());
}

#[test]
fn customer_create_get_update_list_and_duplicate() {
    let (sim, clock) = start();
    let tok = token(&sim);
    let r = post(&sim, &tok, "/v1/customer", &customer_body("10023"));
    assert_eq!(r.status(), 201);
    let location = r
        .headers()
        .get("location")
        .and_then(|h| h.to_str().ok())
        .expect("location")
        .to_string();
    assert_eq!(location, format!("{}/v1/customer/10023", sim.base_url()));
    assert_eq!(r.text().expect("body"), "");

    let c: Value = client()
        .get(&location)
        .bearer_auth(&tok)
        .send()
        .expect("get")
        .json()
        .expect("json");
    assert_eq!(c["number"], "10023");
    assert_eq!(c["name"], "Kari Nordmann");
    assert_eq!(c["mainAddress"]["country"]["id"], "NO");
    assert_eq!(c["mainContact"]["email"], "kari@example.no");
    assert_eq!(
        c["creditTerms"],
        json!({"id": "14", "description": "14 dager"})
    );
    assert_eq!(c["lastModifiedDateTime"], "2026-05-01T10:00:00.000");

    let dup = post(&sim, &tok, "/v1/customer", &customer_body("10023"));
    assert_eq!(dup.status(), 400);
    assert!(message(dup).contains("already exists"));

    // Auto-numbering when no number is sent; the legacy path prefix and mixed case route the same.
    let mut auto = customer_body("x");
    auto.as_object_mut().expect("object").remove("number");
    let r = post(&sim, &tok, "/API/controller/api/v1/Customer", &auto);
    assert_eq!(r.status(), 201);
    let loc = r
        .headers()
        .get("location")
        .and_then(|h| h.to_str().ok())
        .expect("location")
        .to_string();
    assert!(loc.ends_with("/v1/customer/10000"), "{loc}");

    clock.advance(Duration::from_secs(60));
    let put = client()
        .put(format!("{}/v1/customer/10023", sim.base_url()))
        .bearer_auth(&tok)
        .json(&json!({"name": {"Value": "Kari N."}, "status": {"value": "OnHold"}}))
        .send()
        .expect("put");
    assert_eq!(put.status(), 204);
    let c: Value = get(&sim, &tok, "/v1/customer/10023").json().expect("json");
    assert_eq!(
        (c["name"].as_str(), c["status"].as_str()),
        (Some("Kari N."), Some("OnHold"))
    );

    let since: Vec<Value> = get(
        &sim,
        &tok,
        "/v1/customer?lastModifiedDateTime=2026-05-01%2010:00:30&lastModifiedDateTimeCondition=%3E",
    )
    .json()
    .expect("json");
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["number"], "10023");
    assert_eq!(
        since[0]["metadata"],
        json!({"totalCount": 1, "maxPageSize": 100})
    );
    let half = get(&sim, &tok, "/v1/customer?lastModifiedDateTime=2026-05-01");
    assert_eq!(half.status(), 400);

    let by_email: Vec<Value> = get(&sim, &tok, "/v1/customer?email=KARI@example.no")
        .json()
        .expect("json");
    assert_eq!(by_email.len(), 2);
    assert_eq!(get(&sim, &tok, "/v1/customer/99999").status(), 404);
}

#[test]
fn customer_paging_puts_metadata_on_every_item() {
    let (sim, _) = start();
    let tok = token(&sim);
    for n in 0..5 {
        assert_eq!(
            post(
                &sim,
                &tok,
                "/v1/customer",
                &customer_body(&format!("2000{n}"))
            )
            .status(),
            201
        );
    }
    let page2: Vec<Value> = get(&sim, &tok, "/v1/customer?pageNumber=2&pageSize=2")
        .json()
        .expect("json");
    let numbers: Vec<&str> = page2.iter().filter_map(|c| c["number"].as_str()).collect();
    assert_eq!(numbers, vec!["20002", "20003"]);
    assert!(page2
        .iter()
        .all(|c| c["metadata"] == json!({"totalCount": 5, "maxPageSize": 2})));
    let page4: Vec<Value> = get(&sim, &tok, "/v1/customer?pageNumber=4&pageSize=2")
        .json()
        .expect("json");
    assert!(page4.is_empty());
}

#[test]
fn customer_validation_failures_name_the_field() {
    let (sim, _) = start();
    let tok = token(&sim);
    let cases = [
        (json!({"number": {"value": "1"}, "name": "Plain"}), "name"),
        (
            json!({"number": {"value": "1"}, "name": {"value": "A"}, "nmae": {"value": "B"}}),
            "nmae",
        ),
        (
            json!({"number": {"value": "1"}, "name": {"value": "A"}, "status": {"value": "Sleeping"}}),
            "status",
        ),
        (
            json!({"number": {"value": "1"}, "name": {"value": "A"}, "creditLimit": {"value": "lots"}}),
            "creditLimit",
        ),
        (json!({"number": {"value": "1"}}), "Customer name"),
        (
            json!({"number": {"value": "1"}, "name": {"value": "A"}, "currencyId": {"value": "USD"}}),
            "USD",
        ),
        (
            json!({"number": {"value": "1"}, "name": {"value": "A"}, "customerClassId": {"value": "9"}}),
            "'Class' cannot be found in the system",
        ),
    ];
    for (body, needle) in cases {
        let r = post(&sim, &tok, "/v1/customer", &body);
        assert_eq!(r.status(), 400, "{body}");
        let m = message(r);
        assert!(
            m.starts_with("VismaId: ") && m.contains(needle),
            "{needle}: {m}"
        );
    }
    let not_json = client()
        .post(format!("{}/v1/customer", sim.base_url()))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .expect("post");
    assert_eq!(not_json.status(), 400);
    assert!(sim.inspect().store.customers.is_empty());
}

#[test]
fn supplier_etag_and_if_match() {
    let (sim, _) = start();
    let tok = token(&sim);
    let body = json!({"number": {"value": "50001"}, "name": {"value": "Leverandør AS"}, "status": {"value": "Active"},
                      "paymentMethodId": {"value": "BANK"}, "currencyId": {"value": "NOK"}});
    let created = post(&sim, &tok, "/v1/supplier", &body);
    assert_eq!(created.status(), 201);
    let created_tag = created.headers()["etag"]
        .to_str()
        .expect("ascii")
        .to_string();
    let r = get(&sim, &tok, "/v1/supplier/50001");
    let tag = r.headers()["etag"].to_str().expect("ascii").to_string();
    assert_eq!(tag, created_tag);
    let s: Value = r.json().expect("json");
    assert_eq!(
        s["paymentMethod"],
        json!({"id": "BANK", "description": "Bankoverføring"})
    );
    assert!(s["timeStamp"].is_string());
    let put = |if_match: &str, name: &str| {
        client()
            .put(format!("{}/v1/supplier/50001", sim.base_url()))
            .bearer_auth(&tok)
            .header("if-match", if_match)
            .json(&json!({"name": {"value": name}}))
            .send()
            .expect("put")
    };
    let ok = put(&tag, "Ny AS");
    assert_eq!(ok.status(), 204);
    let new_tag = ok.headers()["etag"].to_str().expect("ascii").to_string();
    assert_ne!(new_tag, tag);
    assert_eq!(put(&tag, "Stale AS").status(), 412);
    let s: Value = get(&sim, &tok, "/v1/supplier/50001").json().expect("json");
    assert_eq!(s["name"], "Ny AS");
    let listed: Vec<Value> = get(&sim, &tok, "/v1/supplier?name=ny%20as")
        .json()
        .expect("json");
    assert_eq!(listed.len(), 1);
    let bad = json!({"number": {"value": "50002"}, "name": {"value": "X"}, "status": {"value": "CreditHold"}});
    assert_eq!(
        post(&sim, &tok, "/v1/supplier", &bad).status(),
        400,
        "CreditHold is a customer status only"
    );
}

#[test]
fn an_unlicensed_company_answers_12027() {
    let (sim, _) = start_with(ml_connector::simulator::SimConfig {
        licensed: false,
        ..ml_connector::simulator::SimConfig::default()
    });
    let tok = token(&sim);
    let r = get(&sim, &tok, "/v1/account");
    assert_eq!(r.status(), 401);
    let v: Value = r.json().expect("json");
    assert_eq!(v["ExceptionFaultCode"], "12027");
    assert_eq!(
        v["ExceptionMessage"]
            .as_str()
            .map(|m| m.ends_with("No license for this company.")),
        Some(true)
    );
}
