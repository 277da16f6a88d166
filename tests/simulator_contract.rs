//! Contract: every GET the simulator serves conforms to the reference OpenAPI response schema of that endpoint
//! (SPEC25 for the ERP, SOV3 for SalesOrders v3): each field exists in the schema with the schema's type, and
//! nothing the schema lacks is sent. Documents are created first so the stored shapes are checked too.

use ml_connector::simulator::schema::{check_response, Spec};
use ml_connector::simulator::{SimConfig, Simulator};
use reqwest::blocking::Client;
use serde_json::{json, Value};

fn line(qty: f64, price: f64, vat: &str) -> Value {
    json!({"operation": "Insert", "inventoryNumber": {"value": "UG-001"}, "quantity": {"value": qty},
           "unitPriceInCurrency": {"value": price}, "accountNumber": {"value": "3000"}, "vatCodeId": {"value": vat},
           "discountPercent": {"value": 5}, "description": {"value": "Ullgenser"}, "uom": {"value": "STK"},
           "subaccount": [{"segmentId": 1, "segmentValue": "10"}, {"segmentId": 2, "segmentValue": "100"}]})
}

#[test]
fn every_get_response_matches_the_reference_schema() {
    let sim = Simulator::start(SimConfig::default()).expect("simulator starts");
    let http = Client::new();
    let token: Value = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
        ])
        .send()
        .expect("token")
        .json()
        .expect("json");
    let tok = token["access_token"].as_str().expect("token").to_string();
    let base = sim.base_url();
    let post = |path: &str, body: Value| {
        let r = http
            .post(format!("{base}{path}"))
            .bearer_auth(&tok)
            .json(&body)
            .send()
            .expect("post");
        assert_eq!(r.status(), 201, "{path}: {}", r.text().unwrap_or_default());
    };
    let address = json!({"value": {"addressLine1": {"value": "Gate 1"}, "postalCode": {"value": "0150"},
                                   "city": {"value": "Oslo"}, "countryId": {"value": "NO"}, "county": {"value": "Oslo"}}});
    let contact = json!({"value": {"name": {"value": "Acme AS"}, "email": {"value": "post@acme.no"},
                                   "phone1": {"value": "+47 22 00 00 00"}}});
    post(
        "/v1/customer",
        json!({
            "number": {"value": "10023"}, "name": {"value": "Acme AS"}, "status": {"value": "Active"},
            "customerClassId": {"value": "1"}, "currencyId": {"value": "NOK"}, "creditTermsId": {"value": "14"},
            "corporateId": {"value": "912345678"}, "vatRegistrationId": {"value": "NO912345678MVA"},
            "mainAddress": address, "invoiceAddress": address, "deliveryAddress": address,
            "mainContact": contact, "invoiceContact": contact, "deliveryContact": contact,
            "defaultPaymentMethod": {"value": {"paymentMethodId": {"value": "BANK"}, "isDefault": {"value": true}}},
            "attributeLines": [{"attributeId": {"value": "WOO"}, "attributeValue": {"value": "1"}}],
            "creditLimit": {"value": 1000.5}, "printInvoices": {"value": false}, "overrideWithClassValues": true,
            "note": {"value": "from the shop"}
        }),
    );
    post(
        "/v1/supplier",
        json!({
            "number": {"value": "50001"}, "name": {"value": "Leverandør AS"}, "currencyId": {"value": "NOK"},
            "creditTermsId": {"value": "14"}, "paymentMethodId": {"value": "BANK"}, "mainAddress": address,
            "mainContact": contact, "remitAddress": address, "supplierContact": contact, "note": {"value": "n"}
        }),
    );
    post(
        "/v2/customerinvoice",
        json!({
            "customerNumber": {"value": "10023"}, "documentDate": {"value": "2026-05-01T00:00:00"},
            "externalReference": {"value": "woo:default:1"}, "customerRefNumber": {"value": "woo:default:1"},
            "invoiceText": {"value": "Order 1"}, "paymentMethodId": {"value": "CARD"}, "branchNumber": {"value": "1"},
            "creditTermsId": {"value": "0"}, "note": {"value": "n"},
            "invoiceLines": [line(2.0, 1299.0, "3"), line(1.0, 129.9, "31")]
        }),
    );
    post(
        "/v2/customerCreditNote",
        json!({
            "customerNumber": {"value": "10023"}, "externalReference": {"value": "woo:default:refund:7"},
            "lines": [line(1.0, 1299.0, "3")]
        }),
    );
    // A payment may only name a released invoice (issue #14).
    let released = http
        .post(format!("{base}/v1/customerinvoice/100001/action/release"))
        .bearer_auth(&tok)
        .send()
        .expect("release");
    assert_eq!(released.status(), 200);
    post(
        "/v1/customerPayment",
        json!({
            "type": {"value": "Payment"}, "customer": {"value": "10023"}, "paymentMethod": {"value": "CARD"},
            "cashAccount": {"value": "1930"}, "currency": {"value": "NOK"}, "paymentAmount": {"value": 100.0},
            "paymentRef": {"value": "woo:default:1"},
            "paymentLines": [{"operation": "Insert", "documentType": {"value": "Invoice"}, "refNbr": {"value": "100001"},
                              "amountPaid": {"value": 100.0}}]
        }),
    );
    let so = http
        .post(sim.salesorders_url())
        .bearer_auth(&tok)
        .json(&json!({"type": "SO", "customer": {"id": "10023", "refNo": "woo:default:2", "order": "2"},
                      "description": "Order 2", "orderLines": [{"inventoryId": "MAT-KAFFE", "quantity": 2,
                      "unitPrice": 129.9, "taxCategoryId": "31"}]}))
        .send()
        .expect("post so");
    assert_eq!(so.status(), 201);

    let erp: [(&str, &str, bool); 28] = [
        ("/v1/customer", "CustomerDto", true),
        ("/v1/customer/10023", "CustomerDto", false),
        ("/v1/supplier", "SupplierDto", true),
        ("/v1/supplier/50001", "SupplierDto", false),
        ("/v1/customerinvoice", "CustomerInvoiceDto", true),
        ("/v1/customerinvoice/100001", "CustomerInvoiceDto", false),
        ("/v1/customerCreditNote", "CustomerCreditNoteDto", true),
        (
            "/v1/customerCreditNote/200001",
            "CustomerCreditNoteDto",
            false,
        ),
        ("/v1/customerPayment", "PaymentDto", true),
        ("/v1/customerPayment/300001", "PaymentDto", false),
        ("/v1/account", "AccountDto", true),
        ("/v1/account/3000", "AccountDto", false),
        ("/v1/subaccount", "SubAccountDto", true),
        ("/v1/subaccount/10-100", "SubAccountDto", false),
        ("/v1/dimension/SUBACCOUNT", "DtoDimension", false),
        ("/v1/vatCategory", "VatCategoryDto", true),
        ("/v1/vatCategory/3", "VatCategoryDto", false),
        ("/v1/vat", "VatInformationDto", true),
        ("/v1/vat/31", "VatInformationDto", false),
        ("/v1/currency", "CurrencyDto", true),
        ("/v1/currency/NOK", "CurrencyDto", false),
        ("/v1/paymentmethod", "PaymentMethodDto", true),
        ("/v1/paymentmethod/BANK", "PaymentMethodDto", false),
        ("/v1/branch", "BranchDto", true),
        ("/v1/branch/1", "BranchDto", false),
        ("/v1/creditTerm", "BasePaginationDtoOfCreditTermDto", false),
        ("/v1/customer/customerClass", "CustomerClassDto", true),
        ("/v1/customer/customerClass/1", "CustomerClassDto", false),
    ];
    let mut problems = Vec::new();
    let mut check = |spec: Spec, path: &str, schema: &str, array: bool| {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{base}{path}")
        };
        let r = http.get(&url).bearer_auth(&tok).send().expect("get");
        assert_eq!(r.status(), 200, "{path}");
        let body: Value = r.json().expect("json");
        let items = if array {
            body.as_array().cloned().unwrap_or_default()
        } else {
            vec![body]
        };
        assert!(!items.is_empty(), "{path} returned nothing to check");
        for item in items {
            for v in check_response(spec, schema, &item) {
                problems.push(format!("{path} ({schema}): {v}"));
            }
        }
    };
    for (path, schema, array) in erp {
        check(Spec::Erp, path, schema, array);
    }
    let so_list = sim.salesorders_url();
    check(
        Spec::SalesOrders,
        &so_list,
        "SalesOrderListDtoPagedResult",
        false,
    );
    check(
        Spec::SalesOrders,
        &format!("{so_list}/SO/000001"),
        "SalesOrderDto",
        false,
    );
    assert!(
        problems.is_empty(),
        "simulator drifted from the reference:\n{}",
        problems.join("\n")
    );

    // The dimension list is `string[]`.
    let dims: Vec<Value> = http
        .get(format!("{base}/v1/dimension"))
        .bearer_auth(&tok)
        .send()
        .expect("get")
        .json()
        .expect("json");
    assert!(dims.iter().all(Value::is_string) && dims.contains(&json!("SUBACCOUNT")));
}

#[test]
fn error_bodies_match_their_schemas() {
    let sim = Simulator::start(SimConfig::default()).expect("simulator starts");
    let http = Client::new();
    let token: Value = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
            (
                "scope",
                "visma.net.erp.salesorder:read visma.net.erp.salesorder:write",
            ),
        ])
        .send()
        .expect("token")
        .json()
        .expect("json");
    let tok = token["access_token"].as_str().expect("token");
    let r = http
        .post(sim.salesorders_url())
        .bearer_auth(tok)
        .json(&json!({"type": "SO"}))
        .send()
        .expect("post");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().expect("json");
    assert!(
        check_response(
            Spec::SalesOrders,
            "SalesOrderValidationProblemDetails",
            &body
        )
        .is_empty(),
        "{body}"
    );
    assert_eq!(body["details"][0]["code"], "0001-NullNotAllowed");
    let r = http
        .get(format!("{}/SO/404", sim.salesorders_url()))
        .bearer_auth(tok)
        .send()
        .expect("get");
    assert_eq!(r.status(), 404);
    let body: Value = r.json().expect("json");
    assert!(
        check_response(Spec::SalesOrders, "ProblemDetails", &body).is_empty(),
        "{body}"
    );
}
