//! The Visma client against the in-process simulator (seeded demo company, 127.0.0.1:0): every endpoint —
//! lookups, customers and suppliers with delta lists, invoices with exact totals and release, credit notes,
//! payments, SalesOrders v3 — exactly-once creates, HTTP Basic client auth, the legacy path prefix, and ping.

mod visma_support;

use ml_connector::secret::Secret;
use ml_connector::visma::{Client, CreateOutcome, SalesOrderKey, SalesOrderQuery, VismaError};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use visma_support::sim::{
    credit_note_body, customer_body, invoice_body, rig, rig_with, sales_order_body, supplier_body,
    Rig,
};
use visma_support::start_time;

#[test]
fn lookups_return_the_seeded_demo_company() {
    let Rig {
        sim: _sim, client, ..
    } = rig();
    let accounts = client.list_accounts().expect("accounts");
    assert_eq!(accounts.len(), 14);
    assert!(accounts
        .iter()
        .any(|a| a.account_cd.as_deref() == Some("1920") && a.cash_account == Some(true)));
    let vat: Vec<String> = client
        .list_vat_categories()
        .expect("vat")
        .into_iter()
        .filter_map(|v| v.vat_category_id)
        .collect();
    for id in ["3", "31", "33", "5", "6", "52"] {
        assert!(vat.iter().any(|v| v == id), "VAT category {id} in {vat:?}");
    }
    let currencies = client.list_currencies().expect("currencies");
    assert_eq!(currencies.len(), 3);
    let base: Vec<_> = currencies
        .iter()
        .filter(|c| c.is_base_currency == Some(true))
        .collect();
    assert_eq!(base.first().and_then(|c| c.id.as_deref()), Some("NOK"));
    let methods: Vec<String> = client
        .list_payment_methods()
        .expect("methods")
        .into_iter()
        .filter_map(|m| m.payment_method_id)
        .collect();
    assert_eq!(methods.len(), 3, "{methods:?}");
    let branches = client.list_branches().expect("branches");
    assert_eq!(
        branches.first().and_then(|b| b.name.as_deref()),
        Some("Hovedkontor")
    );
    assert!(!client.list_subaccounts().expect("subaccounts").is_empty());
    let dimension = client.get_dimension("SUBACCOUNT").expect("dimension");
    assert_eq!(dimension.segments.len(), 2);
    let avdeling: Vec<String> = dimension
        .segments
        .iter()
        .find(|s| s.segment_id == Some(1))
        .map(|s| {
            s.segment_values
                .iter()
                .filter_map(|v| v.value_id.clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(avdeling, ["00", "10", "20"]);
}

#[test]
fn customers_and_suppliers_are_created_read_updated_and_listed_by_delta() {
    let Rig {
        sim: _sim,
        client,
        clock,
    } = rig();
    assert_eq!(
        client
            .create_customer(&customer_body("20001", "Kari Nordmann"))
            .expect("create"),
        "20001"
    );
    let kari = client.get_customer("20001").expect("get").expect("exists");
    assert_eq!(kari.name.as_deref(), Some("Kari Nordmann"));
    assert_eq!(
        kari.main_address.and_then(|a| a.city).as_deref(),
        Some("Oslo")
    );
    assert_eq!(client.get_customer("99999").expect("404 is None"), None);

    clock.advance(Duration::from_secs(3600));
    let since = (start_time() + chrono::Duration::minutes(30)).naive_utc();
    client
        .update_customer("20001", &json!({"name": {"value": "Kari N. Hansen"}}))
        .expect("update");
    client
        .create_customer(&customer_body("20002", "Ola Nordmann"))
        .expect("second");
    let all = client.list_customers(None).expect("all");
    assert_eq!(all.len(), 2);
    let changed: Vec<String> = client
        .list_customers(Some(since))
        .expect("delta")
        .into_iter()
        .filter_map(|c| c.name)
        .collect();
    assert_eq!(changed, ["Kari N. Hansen", "Ola Nordmann"]);
    let later = (start_time() + chrono::Duration::hours(2)).naive_utc();
    assert!(client.list_customers(Some(later)).expect("none").is_empty());

    assert_eq!(
        client
            .create_supplier(&supplier_body("50001", "Kaffebrenneriet AS"))
            .expect("supplier"),
        "50001"
    );
    client
        .update_supplier("50001", &json!({"name": {"value": "Kaffebrenneriet"}}))
        .expect("update supplier");
    let supplier = client.get_supplier("50001").expect("get").expect("exists");
    assert_eq!(supplier.name.as_deref(), Some("Kaffebrenneriet"));
    assert_eq!(client.list_suppliers(None).expect("list").len(), 1);
}

#[test]
fn a_rejected_document_carries_visma_s_message() {
    let Rig {
        sim: _sim, client, ..
    } = rig();
    let err = client
        .create_invoice(&invoice_body("77777", "woo:default:1"))
        .expect_err("unknown customer");
    match &err {
        VismaError::Rejected {
            endpoint: "customerinvoice.create",
            status: 400,
            message,
        } => {
            assert!(message.text.contains("77777"), "{}", message.text);
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[test]
fn invoices_are_created_once_read_with_exact_totals_found_and_released() {
    let Rig { sim, client, .. } = rig();
    client
        .create_customer(&customer_body("20001", "Kari Nordmann"))
        .expect("customer");
    let key = "woo:default:1001";
    let first = client
        .create_invoice_once(key, &invoice_body("20001", key))
        .expect("created");
    let CreateOutcome::Created(number) = first.clone() else {
        panic!("expected Created, got {first:?}")
    };
    let again = client
        .create_invoice_once(key, &invoice_body("20001", key))
        .expect("adopted");
    assert_eq!(again, CreateOutcome::Adopted(number.clone()));
    assert_eq!(sim.inspect().store.invoices.len(), 1, "no duplicate");

    let invoice = client.get_invoice(&number).expect("get").expect("exists");
    assert_eq!(invoice.external_reference.as_deref(), Some(key));
    assert_eq!(
        invoice.vat_total_in_currency.and_then(|d| d.to_minor(2)),
        Some(3_000)
    );
    assert_eq!(
        invoice.amount_in_currency.and_then(|d| d.to_minor(2)),
        Some(23_000)
    );
    assert_eq!(invoice.invoice_lines.len(), 1);
    let by_ref = client
        .find_invoices_by_customer_ref(key)
        .expect("by customer ref");
    assert_eq!(
        by_ref.first().and_then(|i| i.reference_number.clone()),
        Some(number.clone())
    );
    assert!(client
        .find_invoices_by_external_reference("woo:default:9")
        .expect("none")
        .is_empty());
    assert_eq!(client.get_invoice("999999").expect("404"), None);

    let released = client.release_invoice(&number).expect("release");
    assert_eq!(released.action_result.as_deref(), Some("Done"));
    let after = client.get_invoice(&number).expect("get").expect("exists");
    assert_eq!(after.status.as_deref(), Some("Open"));

    let payment = json!({
        "type": {"value": "Payment"},
        "customer": {"value": "20001"},
        "paymentMethod": {"value": "BANK"},
        "cashAccount": {"value": "1920"},
        "currency": {"value": "NOK"},
        "applicationDate": {"value": "2026-05-03T00:00:00"},
        "paymentAmount": {"value": 230.0},
        "paymentLines": [{"operation": "Insert", "documentType": {"value": "Invoice"}, "refNbr": {"value": number}, "amountPaid": {"value": 230.0}}]
    });
    let payment_number = client.create_customer_payment(&payment).expect("payment");
    assert!(!payment_number.is_empty());
    assert_eq!(sim.inspect().store.payments.len(), 1);
}

#[test]
fn credit_notes_are_created_once_and_found_by_external_reference() {
    let Rig { sim, client, .. } = rig();
    client
        .create_customer(&customer_body("20001", "Kari Nordmann"))
        .expect("customer");
    let key = "woo:default:refund:501";
    let created = client
        .create_credit_note_once(key, &credit_note_body("20001", key))
        .expect("created");
    assert!(!created.was_adopted());
    let adopted = client
        .create_credit_note_once(key, &credit_note_body("20001", key))
        .expect("adopted");
    assert_eq!(adopted, CreateOutcome::Adopted(created.number().clone()));
    assert_eq!(sim.inspect().store.credit_notes.len(), 1);
    let note = client
        .get_credit_note(created.number())
        .expect("get")
        .expect("exists");
    assert_eq!(
        note.amount_in_currency.and_then(|d| d.to_minor(2)),
        Some(11_500)
    );
    let found = client
        .find_credit_notes_by_external_reference(key)
        .expect("found");
    assert_eq!(found.len(), 1);
}

#[test]
fn customers_are_created_once_by_number() {
    let Rig { sim, client, .. } = rig();
    let first = client
        .create_customer_once("20010", &customer_body("20010", "Per"))
        .expect("created");
    assert_eq!(first, CreateOutcome::Created("20010".into()));
    let second = client
        .create_customer_once("20010", &customer_body("20010", "Per"))
        .expect("adopted");
    assert_eq!(second, CreateOutcome::Adopted("20010".into()));
    assert_eq!(sim.inspect().store.customers.len(), 1);
}

#[test]
fn sales_orders_v3_are_created_once_read_and_listed() {
    let Rig { sim, client, .. } = rig();
    client
        .create_customer(&customer_body("20001", "Kari Nordmann"))
        .expect("customer");
    let key = "woo:default:2002";
    let created = client
        .create_sales_order_once("20001", key, &sales_order_body("20001", key))
        .expect("created");
    assert!(!created.was_adopted());
    let SalesOrderKey {
        order_type,
        order_id,
    } = created.number().clone();
    assert_eq!(order_type, "SO");
    let again = client
        .create_sales_order_once("20001", key, &sales_order_body("20001", key))
        .expect("adopted");
    assert!(again.was_adopted());
    assert_eq!(sim.inspect().store.sales_orders.len(), 1);

    let order = client
        .get_sales_order(created.number())
        .expect("get")
        .expect("exists");
    assert_eq!(order.order_id.as_deref(), Some(order_id.as_str()));
    assert_eq!(order.customer.and_then(|c| c.ref_no).as_deref(), Some(key));
    let listed = client
        .list_sales_orders(&SalesOrderQuery {
            customer_id: Some("20001".into()),
            ..SalesOrderQuery::default()
        })
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].customer_ref_no.as_deref(), Some(key));
    let missing = SalesOrderKey {
        order_type: "SO".into(),
        order_id: "999999".into(),
    };
    assert_eq!(client.get_sales_order(&missing).expect("404"), None);
    let sos: Vec<_> = sim
        .inspect()
        .requests
        .into_iter()
        .filter(|r| r.path.to_lowercase().starts_with("/api/v3"))
        .collect();
    assert!(
        sos.iter().all(|r| r.company_id.is_none()),
        "ipp-company-id is an ERP header"
    );
}

#[test]
fn ping_reports_the_company_or_the_reason() {
    let Rig {
        sim: _sim, client, ..
    } = rig();
    let report = client.ping().expect("connected");
    assert_eq!(
        report.to_string(),
        "company 1234567 (branch 1 Hovedkontor): 14 accounts, 6 VAT categories"
    );

    let wrong = rig_with(|_| {}, |c| c.company_id = Some("7654321".into()));
    let err = wrong.client.ping().expect_err("wrong company");
    assert_eq!(err.fault_code(), Some("12002"));
    assert!(err.is_configuration());

    let bad_secret = rig_with(|_| {}, |c| c.client_secret = Secret::new("nope"));
    let err = bad_secret.client.ping().expect_err("bad secret");
    assert!(
        err.reason_for_merchant().contains("invalid_client"),
        "{}",
        err.reason_for_merchant()
    );

    let wrong_tenant = rig_with(|_| {}, |c| c.tenant_id = "other-tenant".into());
    let err = wrong_tenant.client.ping().expect_err("wrong tenant");
    assert!(
        err.reason_for_merchant()
            .contains("not approved for this company"),
        "{}",
        err.reason_for_merchant()
    );
}

#[test]
fn basic_client_auth_and_the_legacy_path_prefix_work_against_the_simulator() {
    let Rig { sim, client, .. } = rig_with(
        |_| {},
        |c| c.client_auth = ml_connector::visma::ClientAuth::Basic,
    );
    assert_eq!(client.list_currencies().expect("basic auth").len(), 3);
    let legacy = rig_with(|_| {}, |_| {});
    let mut config = legacy.client.config().clone();
    config.api_base_url = format!("{}/API/controller/api", legacy.sim.base_url());
    let client = Client::new(config, Arc::new(legacy.clock.clone())).expect("valid config");
    assert_eq!(client.list_accounts().expect("legacy prefix").len(), 14);
    let paths: Vec<String> = legacy
        .sim
        .inspect()
        .requests
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(
        paths.iter().any(|p| p == "/API/controller/api/v1/account"),
        "{paths:?}"
    );
    assert_eq!(sim.inspect().tokens_issued, 1);
}
