//! The simulator over HTTP on 127.0.0.1: invoices (totals, business rules, numbering, release), credit notes,
//! payments, SalesOrders v3 and the lookups. Each test starts its own simulator.

mod simulator_common;

use serde_json::{json, Value};
use simulator_common::*;

#[test]
fn invoice_totals_follow_visma_rounding_for_mixed_vat() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let mut discounted = invoice_line(3.0, 33.33, "3000", "3");
    discounted["discountPercent"] = json!({"value": 10});
    let body = json!({
        "customerNumber": {"value": "10023"}, "documentDate": {"value": "2026-05-01T00:00:00"},
        "currencyId": {"value": "NOK"}, "externalReference": {"value": "woo:default:1001"},
        "customerRefNumber": {"value": "woo:default:1001"}, "paymentMethodId": {"value": "CARD"},
        "invoiceLines": [
            invoice_line(2.0, 79.20, "3000", "3"), discounted, invoice_line(1.0, 49.90, "3010", "31"),
            invoice_line(3.0, 12.35, "3020", "33"), invoice_line(1.0, 100.0, "3200", "6")
        ]
    });
    let r = post(&sim, &tok, "/v2/customerinvoice", &body);
    assert_eq!(r.status(), 201);
    let location = r
        .headers()
        .get("location")
        .and_then(|h| h.to_str().ok())
        .expect("location")
        .to_string();
    let number = location.rsplit('/').next().expect("number").to_string();
    let inv: Value = get(&sim, &tok, &format!("/v1/customerinvoice/{number}"))
        .json()
        .expect("json");
    assert_eq!(inv["status"], "Balanced");
    assert_eq!(inv["documentDueDate"], "2026-05-15T00:00:00");
    assert_eq!(inv["detailTotal"], json!(435.34));
    assert_eq!(inv["vatTaxableTotal"], json!(335.34));
    assert_eq!(inv["vatExemptTotal"], json!(100.0));
    assert_eq!(inv["vatTotal"], json!(74.04));
    assert_eq!(inv["amount"], json!(509.38));
    assert_eq!(inv["balance"], json!(509.38));
    let vat: Vec<(String, Value)> = inv["taxDetails"]
        .as_array()
        .expect("taxDetails")
        .iter()
        .map(|t| {
            (
                t["taxId"].as_str().unwrap_or("").to_string(),
                t["vatAmount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        vat,
        vec![
            ("3".into(), json!(62.1)),
            ("31".into(), json!(7.49)),
            ("33".into(), json!(4.45)),
            ("6".into(), json!(0.0))
        ]
    );
    assert_eq!(inv["invoiceLines"][1]["amount"], json!(89.99));
    assert_eq!(
        inv["invoiceLines"][0]["subaccount"]["subaccountNumber"],
        "10-100"
    );

    let found: Vec<Value> = get(
        &sim,
        &tok,
        "/v1/customerinvoice?externalReference=woo:default:1001",
    )
    .json()
    .expect("json");
    assert_eq!(found.len(), 1);
    let none: Vec<Value> = get(
        &sim,
        &tok,
        "/v1/customerinvoice?customerRefNumber=woo:default:9",
    )
    .json()
    .expect("json");
    assert!(none.is_empty());

    let rel = post(
        &sim,
        &tok,
        &format!("/v1/customerinvoice/{number}/action/release"),
        &json!({}),
    );
    assert_eq!(rel.status(), 200);
    let v: Value = rel.json().expect("json");
    assert_eq!(v["actionResult"], "Done");
    let inv: Value = get(&sim, &tok, &format!("/v1/customerinvoice/{number}"))
        .json()
        .expect("json");
    assert_eq!(inv["status"], "Open");
    assert_eq!(
        post(
            &sim,
            &tok,
            &format!("/v1/customerinvoice/{number}/action/release"),
            &json!({})
        )
        .status(),
        400
    );
}

#[test]
fn invoice_business_rules_are_enforced() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let base = |line: Value| json!({"customerNumber": {"value": "10023"}, "invoiceLines": [line]});
    let mut bad_segment = invoice_line(1.0, 10.0, "3000", "3");
    bad_segment["subaccount"] = json!([{"segmentId": 1, "segmentValue": "99"}]);
    let mut wrapped_op = invoice_line(1.0, 10.0, "3000", "3");
    wrapped_op["operation"] = json!({"value": "Insert"});
    let mut bad_item = invoice_line(1.0, 10.0, "3000", "3");
    bad_item["inventoryNumber"] = json!({"value": "NOPE"});
    let cases = [
        (base(invoice_line(1.0, 10.0, "9999", "3")), "Account '9999'"),
        (
            base(invoice_line(1.0, 10.0, "3000", "99")),
            "'VAT category' cannot be found in the system",
        ),
        (base(bad_segment), "Avdeling of Subaccount do not exist"),
        (base(wrapped_op), "invoiceLines[0].operation"),
        (base(bad_item), "Inventory item 'NOPE'"),
        (
            json!({"customerNumber": {"value": "404"}}),
            "Customer '404' does not exist",
        ),
        (
            json!({"customerNumber": {"value": "10023"}, "currencyId": {"value": "USD"}}),
            "Currency 'USD'",
        ),
        (
            json!({"customerNumber": {"value": "10023"}, "paymentMethodId": {"value": "CASH"}}),
            "Payment method 'CASH'",
        ),
    ];
    for (body, needle) in cases {
        let r = post(&sim, &tok, "/v2/customerinvoice", &body);
        assert_eq!(r.status(), 400, "{needle}");
        let m = message(r);
        assert!(m.contains(needle), "{needle}: {m}");
    }
    let on_hold = client()
        .put(format!("{}/v1/customer/10023", sim.base_url()))
        .bearer_auth(&tok)
        .json(&json!({"status": {"value": "OnHold"}}))
        .send()
        .expect("put");
    assert_eq!(on_hold.status(), 204);
    let r = post(
        &sim,
        &tok,
        "/v2/customerinvoice",
        &base(invoice_line(1.0, 10.0, "3000", "3")),
    );
    assert_eq!(r.status(), 400);
    assert!(message(r).contains("OnHold"));
    assert!(sim.inspect().store.invoices.is_empty());
}

#[test]
fn invoice_reference_number_is_used_only_with_override_number_series() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let body = |over: bool| {
        json!({"customerNumber": {"value": "10023"}, "referenceNumber": {"value": "WOO1001"},
               "overrideNumberSeries": {"value": over}, "invoiceLines": [invoice_line(1.0, 10.0, "3000", "3")]})
    };
    let auto = post(&sim, &tok, "/v1/customerinvoice", &body(false));
    assert!(auto.headers()["location"]
        .to_str()
        .expect("ascii")
        .ends_with("/100001"));
    let manual = post(&sim, &tok, "/v1/customerinvoice", &body(true));
    assert!(manual.headers()["location"]
        .to_str()
        .expect("ascii")
        .ends_with("/WOO1001"));
    let dup = post(&sim, &tok, "/v1/customerinvoice", &body(true));
    assert_eq!(dup.status(), 400);
    assert!(message(dup).contains("already exists"));
}

#[test]
fn credit_note_and_payment_round_trip() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let inv = json!({"customerNumber": {"value": "10023"}, "invoiceLines": [invoice_line(2.0, 100.0, "3000", "3")]});
    assert_eq!(post(&sim, &tok, "/v2/customerinvoice", &inv).status(), 201);
    let cn = json!({"customerNumber": {"value": "10023"}, "externalReference": {"value": "woo:default:refund:9"},
                    "lines": [invoice_line(1.0, 100.0, "3000", "3")]});
    let r = post(&sim, &tok, "/v2/customerCreditNote", &cn);
    assert_eq!(r.status(), 201);
    let loc = r.headers()["location"].to_str().expect("ascii").to_string();
    assert!(loc.ends_with("/v1/customerCreditNote/200001"), "{loc}");
    let note: Value = get(&sim, &tok, "/v1/customerCreditNote/200001")
        .json()
        .expect("json");
    assert_eq!(
        (note["documentType"].as_str(), note["amount"].clone()),
        (Some("CreditNote"), json!(125.0))
    );
    let listed: Vec<Value> = get(
        &sim,
        &tok,
        "/v1/customerCreditNote?externalReference=woo:default:refund:9",
    )
    .json()
    .expect("json");
    assert_eq!(listed.len(), 1);
    let wrong_lines = json!({"customerNumber": {"value": "10023"}, "invoiceLines": []});
    assert_eq!(
        post(&sim, &tok, "/v2/customerCreditNote", &wrong_lines).status(),
        400
    );

    let pay = json!({"type": {"value": "Payment"}, "customer": {"value": "10023"}, "paymentMethod": {"value": "CARD"},
                     "cashAccount": {"value": "1930"}, "paymentAmount": {"value": 250.0},
                     "paymentRef": {"value": "woo:default:1"},
                     "paymentLines": [{"operation": "Insert", "documentType": {"value": "Invoice"},
                                       "refNbr": {"value": "100001"}, "amountPaid": {"value": 250.0}}]});
    // Visma refuses a payment to an unreleased invoice (issue #14), with the document named.
    let r = post(&sim, &tok, "/v1/customerPayment", &pay);
    assert_eq!(r.status(), 400);
    assert!(message(r).contains("Document '100001' is not released"));
    let release = |path: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}{path}", sim.base_url()))
            .bearer_auth(&tok)
            .send()
            .expect("release")
    };
    assert_eq!(
        release("/v1/customerinvoice/100001/action/release").status(),
        200
    );
    let owed = |sim: &ml_connector::simulator::RunningSimulator| -> Value {
        get(sim, &tok, "/v1/customerinvoice/100001")
            .json::<Value>()
            .expect("json")["balance"]
            .clone()
    };
    let before = owed(&sim);
    let r = post(&sim, &tok, "/v1/customerPayment", &pay);
    assert_eq!(r.status(), 201);
    // Created, not yet released: the invoice still owes everything.
    assert_eq!(owed(&sim), before);
    assert_eq!(
        release("/v1/customerpayment/300001/action/release").status(),
        200
    );
    let after = before.as_f64().expect("balance") - 250.0;
    assert!(
        (owed(&sim).as_f64().expect("balance") - after).abs() < 0.001,
        "{:?}",
        owed(&sim)
    );
    // Released twice: refused, the balance unchanged.
    assert_eq!(
        release("/v1/customerpayment/300001/action/release").status(),
        400
    );
    let p: Value = get(&sim, &tok, "/v1/customerPayment/300001")
        .json()
        .expect("json");
    assert_eq!(
        (p["paymentAmount"].clone(), p["availableBalance"].clone()),
        (json!(250.0), json!(0.0))
    );
    let mut bad_cash = pay.clone();
    bad_cash["cashAccount"] = json!({"value": "3000"});
    let r = post(&sim, &tok, "/v1/customerPayment", &bad_cash);
    assert_eq!(r.status(), 400);
    assert!(message(r).contains("Cash account '3000'"));
    let mut bad_doc = pay;
    bad_doc["paymentLines"][0]["refNbr"] = json!({"value": "999"});
    assert_eq!(
        post(&sim, &tok, "/v1/customerPayment", &bad_doc).status(),
        400
    );
}

#[test]
fn sales_orders_v3_create_get_list_and_problems() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let so_tok = {
        let r = token_form(
            &sim,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client"),
                ("client_secret", "demo-secret"),
                ("tenant_id", "demo-tenant"),
                (
                    "scope",
                    "visma.net.erp.salesorder:read visma.net.erp.salesorder:write",
                ),
            ],
        );
        r.json::<Value>().expect("json")["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    };
    let order = json!({"type": "SO", "customer": {"id": "10023", "refNo": "woo:default:77", "order": "77"},
                       "orderLines": [{"inventoryId": "MAT-KAFFE", "quantity": 3, "unitPrice": 129.9, "taxCategoryId": "31"},
                                      {"inventoryId": "FRAKT", "quantity": 1, "unitPrice": 99, "taxCategoryId": "3"}]});
    let r = client()
        .post(sim.salesorders_url())
        .bearer_auth(&so_tok)
        .json(&order)
        .send()
        .expect("post");
    assert_eq!(r.status(), 201);
    let loc = r.headers()["location"].to_str().expect("ascii").to_string();
    assert_eq!(loc, format!("{}/SO/000001", sim.salesorders_url()));
    assert!(r.headers().get("x-ratelimit-limit").is_some());
    let o: Value = client()
        .get(&loc)
        .bearer_auth(&so_tok)
        .send()
        .expect("get")
        .json()
        .expect("json");
    // 389.70 × 15 % = 58.455 → 58.46; 99 × 25 % = 24.75
    assert_eq!(o["totals"]["orderTotal"], json!(571.91));
    assert_eq!(o["totals"]["taxTotal"], json!(83.21));
    assert_eq!(o["customer"]["refNo"], "woo:default:77");
    assert!(o.get("_lines").is_none());
    let page: Value = client()
        .get(format!(
            "{}?customerId=10023&pageSize=1&pageIndex=0",
            sim.salesorders_url()
        ))
        .bearer_auth(&so_tok)
        .send()
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(
        (page["totalCount"].clone(), page["nextPage"].clone()),
        (json!(1), Value::Null)
    );
    assert_eq!(page["value"][0]["customerRefNo"], "woo:default:77");

    // The ERP token has no SalesOrders scope.
    let r = client()
        .post(sim.salesorders_url())
        .bearer_auth(&tok)
        .json(&order)
        .send()
        .expect("post");
    assert_eq!(r.status(), 403);
    let mut bad_item = order.clone();
    bad_item["orderLines"][0]["inventoryId"] = json!("NOPE");
    let mut wrapped = order.clone();
    wrapped["type"] = json!({"value": "SO"});
    let mut unknown = order.clone();
    unknown["customerRefNo"] = json!("x");
    for (body, field) in [
        (bad_item, "orderLines[0].inventoryId"),
        (wrapped, "type"),
        (unknown, "customerRefNo"),
    ] {
        let r = client()
            .post(sim.salesorders_url())
            .bearer_auth(&so_tok)
            .json(&body)
            .send()
            .expect("post");
        assert_eq!(r.status(), 400, "{field}");
        let v: Value = r.json().expect("problem json");
        assert!(v["errors"].get(field).is_some(), "{field}: {v}");
    }
    let r = client()
        .get(format!("{}/SO/999999", sim.salesorders_url()))
        .bearer_auth(&so_tok)
        .send()
        .expect("get");
    assert_eq!(r.status(), 404);
}

#[test]
fn lookups_serve_the_seeded_company() {
    let (sim, _) = start();
    let tok = token(&sim);
    let accounts: Vec<Value> = get(&sim, &tok, "/v1/account").json().expect("json");
    let cds: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a["accountCD"].as_str())
        .collect();
    assert_eq!(cds.len(), 14);
    assert!(cds.contains(&"3740") && cds.contains(&"1920"));
    let vat: Vec<Value> = get(&sim, &tok, "/v1/vatCategory").json().expect("json");
    let ids: Vec<&str> = vat
        .iter()
        .filter_map(|v| v["vatCategoryId"].as_str())
        .collect();
    assert_eq!(ids, vec!["3", "31", "33", "5", "6", "52"]);
    let dim: Value = get(&sim, &tok, "/v1/dimension/SUBACCOUNT")
        .json()
        .expect("json");
    let values: Vec<&str> = dim["segments"][0]["segmentValues"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["valueId"].as_str())
        .collect();
    assert_eq!(values, vec!["00", "10", "20"]);
    let subs: Vec<Value> = get(&sim, &tok, "/v1/subaccount?pageSize=4")
        .json()
        .expect("json");
    assert_eq!(subs.len(), 4);
    assert_eq!(
        subs[0]["metadata"],
        json!({"totalCount": 9, "maxPageSize": 4})
    );
    let currencies: Vec<Value> = get(&sim, &tok, "/v1/currency").json().expect("json");
    assert_eq!(
        currencies
            .iter()
            .filter(|c| c["isBaseCurrency"] == true)
            .count(),
        1
    );
    let pm: Value = get(&sim, &tok, "/v1/paymentmethod/COD")
        .json()
        .expect("json");
    assert_eq!(pm["meansOfPayment"], "CashOrCheck");
    let terms: Value = get(&sim, &tok, "/v1/creditTerm").json().expect("json");
    assert_eq!(terms["totalCount"], 2);
    let classes: Vec<Value> = get(&sim, &tok, "/v1/customer/customerClass")
        .json()
        .expect("json");
    assert_eq!(classes.len(), 2);
    let branches: Vec<Value> = get(&sim, &tok, "/v1/branch").json().expect("json");
    assert_eq!(branches[0]["name"], "Hovedkontor");
    assert_eq!(get(&sim, &tok, "/v1/currency/USD").status(), 404);
    assert_eq!(get(&sim, &tok, "/v1/nosuchthing").status(), 404);
}

#[test]
fn unreleased_invoices_can_be_updated_line_by_line_and_deleted() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let body = json!({"customerNumber": {"value": "10023"}, "invoiceText": {"value": "Ordre 1"},
                      "invoiceLines": [invoice_line(1.0, 100.0, "3000", "3"), invoice_line(2.0, 50.0, "3010", "31")]});
    assert_eq!(post(&sim, &tok, "/v2/customerinvoice", &body).status(), 201);
    let put = |body: &Value| {
        client()
            .put(format!("{}/v1/customerinvoice/100001", sim.base_url()))
            .bearer_auth(&tok)
            .json(body)
            .send()
            .expect("put")
    };
    let change = json!({"invoiceText": {"value": "Ordre 1 (rettet)"},
                        "invoiceLines": [
                            {"operation": "Update", "lineNumber": {"value": 1}, "quantity": {"value": 3}},
                            {"operation": "Delete", "lineNumber": {"value": 2}},
                            {"operation": "Insert", "quantity": {"value": 1}, "unitPriceInCurrency": {"value": 10},
                             "accountNumber": {"value": "3700"}, "vatCodeId": {"value": "3"}}]});
    assert_eq!(put(&change).status(), 204);
    let inv: Value = get(&sim, &tok, "/v1/customerinvoice/100001")
        .json()
        .expect("json");
    assert_eq!(inv["invoiceText"], "Ordre 1 (rettet)");
    let numbers: Vec<i64> = inv["invoiceLines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["lineNumber"].as_i64())
        .collect();
    assert_eq!(numbers, vec![1, 3]);
    // 300 + 10 = 310 at 25 % → 77.50
    assert_eq!(
        (
            inv["detailTotal"].clone(),
            inv["vatTotal"].clone(),
            inv["amount"].clone()
        ),
        (json!(310.0), json!(77.5), json!(387.5))
    );
    let missing = json!({"invoiceLines": [{"operation": "Delete", "lineNumber": {"value": 9}}]});
    assert_eq!(put(&missing).status(), 400);

    let rel = post(
        &sim,
        &tok,
        "/v1/customerinvoice/100001/action/release",
        &json!({}),
    );
    assert_eq!(rel.status(), 200);
    assert_eq!(
        put(&change).status(),
        400,
        "a released invoice cannot be changed"
    );
    let del = |n: &str| {
        client()
            .delete(format!("{}/v1/customerinvoice/{n}", sim.base_url()))
            .bearer_auth(&tok)
            .send()
            .expect("delete")
    };
    assert_eq!(del("100001").status(), 400);
    assert_eq!(post(&sim, &tok, "/v2/customerinvoice", &body).status(), 201);
    assert_eq!(del("100002").status(), 204);
    assert_eq!(get(&sim, &tok, "/v1/customerinvoice/100002").status(), 404);
    assert_eq!(sim.inspect().store.invoices.len(), 1);
}

#[test]
fn an_invoice_on_hold_is_released_to_open() {
    let (sim, _) = start();
    let tok = token(&sim);
    assert_eq!(
        post(&sim, &tok, "/v1/customer", &customer_body("10023")).status(),
        201
    );
    let body = json!({"customerNumber": {"value": "10023"}, "hold": {"value": true},
                      "invoiceLines": [invoice_line(1.0, 100.0, "3000", "3")]});
    assert_eq!(post(&sim, &tok, "/v2/customerinvoice", &body).status(), 201);
    let inv: Value = get(&sim, &tok, "/v1/customerinvoice/100001")
        .json()
        .expect("json");
    assert_eq!(
        (inv["status"].as_str(), inv["hold"].as_bool()),
        (Some("Hold"), Some(true))
    );
    assert_eq!(
        post(
            &sim,
            &tok,
            "/v1/customerinvoice/100001/action/release",
            &json!({})
        )
        .status(),
        200
    );
    let inv: Value = get(&sim, &tok, "/v1/customerinvoice/100001")
        .json()
        .expect("json");
    assert_eq!(
        (inv["status"].as_str(), inv["hold"].as_bool()),
        (Some("Open"), Some(false))
    );
}
