//! Table tests for each mapping rule, on real orders from `tests/fixtures/woo/real/` (edited in code where
//! a case needs it, never written from memory).

use ml_connector::mapping::{
    map_customer, map_order, map_refund, visma_totals, MappingError, Party, SalesDocument,
};
use ml_connector::settings::{Settings, EXAMPLE_TOML};
use ml_connector::visma::dto::CustomerInvoiceLinesUpdateDto;
use ml_connector::woo::{Customer, Order, Refund};

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/real");

fn order(id: u32) -> Order {
    let body = std::fs::read(format!("{REAL}/orders/{id}.json")).expect("fixture");
    Order::from_json(&body).expect("order parses")
}

fn refunds(order_id: u32) -> Vec<Refund> {
    let body = std::fs::read(format!("{REAL}/refunds/{order_id}.json")).expect("fixture");
    Refund::list_from_json(&body).expect("refunds parse")
}

fn settings_with(edits: &[(&str, &str)]) -> Settings {
    let mut text = EXAMPLE_TOML.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "example holds {from}");
        text = text.replacen(from, to, 1);
    }
    Settings::from_toml_str(&text).expect("edited settings are valid")
}

/// Removes the example's VAT ids: Visma computes the VAT, and order 70 is 0.01 off (a rounding line).
const NO_VAT_IDS: (&str, &str) = (
    "vat_ids = { \"3\" = \"3\", \"31\" = \"31\", \"33\" = \"33\", \"5\" = \"5\", \"6\" = \"6\", \"52\" = \"52\" }",
    "",
);

fn example() -> Settings {
    settings_with(&[])
}

fn invoice_lines(o: &Order, s: &Settings) -> Vec<CustomerInvoiceLinesUpdateDto> {
    match map_order(o, s).expect("maps").document {
        SalesDocument::Invoice(inv) => inv.invoice_lines,
        SalesDocument::SalesOrder(_) => panic!("invoice expected"),
    }
}

#[test]
fn residue_without_rounding_account_is_an_error_naming_the_order() {
    let s = settings_with(&[("rounding = \"3740\"", ""), NO_VAT_IDS]);
    match map_order(&order(70), &s) {
        Err(e @ MappingError::NoRoundingAccount { .. }) => {
            assert!(e.to_string().contains("order 70"), "{e}")
        }
        other => panic!("expected NoRoundingAccount, got {other:?}"),
    }
    // An order whose VAT rounds the same in Visma needs no rounding account.
    assert!(map_order(&order(52), &s).expect("maps").rounding.is_none());
}

#[test]
fn unmapped_tax_rate_names_the_order_line_and_rate() {
    let s = settings_with(&[(
        "woo_rate_id = 3         # MVA 12% (low-rate)",
        "rate_percent = \"12\"\ncountry = \"SE\"",
    )]);
    match map_order(&order(70), &s) {
        Err(MappingError::MissingVatMapping {
            doc, line, rate_id, ..
        }) => {
            assert_eq!(doc, "order 70");
            assert!(line.contains("id 239"), "{line}");
            assert_eq!(rate_id, 3);
        }
        other => panic!("expected MissingVatMapping, got {other:?}"),
    }
}

#[test]
fn a_category_with_another_rate_than_woocommerce_is_the_wrong_vat_code() {
    let s = settings_with(&[(
        "woo_rate_id = 1         # MVA 25%\ncategory = \"3\"",
        "woo_rate_id = 1\ncategory = \"31\"",
    )]);
    assert!(matches!(
        map_order(&order(70), &s),
        Err(MappingError::VatRateMismatch { rate_id: 1, .. })
    ));
}

#[test]
fn rate_percent_and_country_map_when_no_rate_id_rule_exists() {
    let s = settings_with(&[(
        "woo_rate_id = 3         # MVA 12% (low-rate)",
        "rate_percent = \"12\"\ncountry = \"NO\"",
    )]);
    let lines = invoice_lines(&order(70), &s);
    assert_eq!(
        lines.first().map(|l| l.vat_code_id.value.as_str()),
        Some("33")
    );
}

#[test]
fn currency_not_in_settings_is_an_error() {
    let mut o = order(52);
    o.currency = "JPY".to_owned();
    assert!(matches!(
        map_order(&o, &example()),
        Err(MappingError::Currency { .. })
    ));
}

#[test]
fn non_taxable_fee_with_tax_class_zero_is_exempt_on_the_fee_account() {
    let lines = invoice_lines(&order(70), &example());
    let fee = lines
        .iter()
        .find(|l| l.description.value == "Miljøgebyr")
        .expect("fee line");
    assert_eq!(
        (
            fee.account_number.value.as_str(),
            fee.vat_code_id.value.as_str()
        ),
        ("3710", "6")
    );
}

#[test]
fn negative_fee_taxed_at_several_rates_is_split_per_category_and_sums_to_its_total() {
    let lines = invoice_lines(&order(70), &example());
    let nok = example().currency("NOK").expect("NOK");
    let parts: Vec<_> = lines
        .iter()
        .filter(|l| l.description.value.starts_with("Mengderabatt"))
        .collect();
    assert_eq!(parts.len(), 4, "12 %, 15 %, 25 % and the untaxed share");
    let sum: i64 = parts
        .iter()
        .map(|l| ml_connector::mapping::totals::line_amount(*l, nok).expect("amount"))
        .sum();
    assert_eq!(sum, -10000);
}

#[test]
fn coupon_becomes_a_line_discount_and_the_line_nets_to_woocommerce_total() {
    let o = order(52);
    let s = example();
    let nok = s.currency("NOK").expect("NOK");
    let lines = invoice_lines(&o, &s);
    let discounted: Vec<_> = lines
        .iter()
        .filter(|l| l.discount_amount_in_currency.is_some())
        .collect();
    assert!(!discounted.is_empty(), "rabatt10 shows as line discounts");
    for (woo, visma) in o.line_items.iter().zip(&lines) {
        assert_eq!(
            ml_connector::mapping::totals::line_amount(visma, nok).expect("amount"),
            nok.parse_minor(woo.total.as_str()).expect("total"),
            "{}",
            woo.name
        );
    }
}

#[test]
fn orders_abroad_go_to_export_and_eu_b2b_to_reverse_charge() {
    // 134: SE consumer, no VAT number. 117: FI business with VAT number.
    let s = settings_with(&[
        ("\"52\" = \"0\"", "\"52\" = \"0\", \"53\" = \"0\""),
        ("reverse_charge = \"52\"", "reverse_charge = \"53\""),
    ]);
    let consumer = invoice_lines(&order(134), &s);
    let item = consumer.first().expect("line");
    assert_eq!(
        (
            item.account_number.value.as_str(),
            item.vat_code_id.value.as_str()
        ),
        ("3200", "52")
    );
    let business = invoice_lines(&order(117), &s);
    assert_eq!(
        business.first().map(|l| l.vat_code_id.value.as_str()),
        Some("53")
    );
}

#[test]
fn paid_order_with_unmapped_gateway_is_an_error_unpaid_is_not() {
    let mut paid = order(52);
    paid.payment_method = "stripe".to_owned();
    assert!(matches!(
        map_order(&paid, &example()),
        Err(MappingError::MissingPaymentMethod { .. })
    ));
    let unpaid = order(352); // on-hold bacs
    let docs = map_order(&unpaid, &example()).expect("maps");
    assert!(docs.payment.is_none());
}

#[test]
fn paid_order_gets_a_payment_of_the_order_total() {
    let docs = map_order(&order(52), &example()).expect("maps");
    let p = docs.payment.expect("paid bacs order has a payment");
    assert_eq!(
        p.payment_amount.value.0.to_string(),
        order(52).total.as_str()
    );
    let v = serde_json::to_value(&p).expect("json");
    assert_eq!(v["paymentMethod"]["value"], "BANK");
    assert_eq!(v["cashAccount"]["value"], "1920");
    assert_eq!(v["paymentRef"]["value"], "BANK-52");
}

#[test]
fn settings_choose_numbering_dates_and_generic_customer() {
    let s = settings_with(&[
        (
            "override_number_series = false",
            "override_number_series = true",
        ),
        (
            "identity = \"per_email\"",
            "identity = \"generic\"\ngeneric_number = \"WEB\"",
        ),
        ("document_date = \"paid\"", "document_date = \"created\""),
    ]);
    let docs = map_order(&order(70), &s).expect("maps");
    assert!(docs.customer.is_none());
    let SalesDocument::Invoice(inv) = docs.document else {
        panic!("invoice")
    };
    assert_eq!(inv.customer_number.map(|n| n.value), Some("WEB".to_owned()));
    assert_eq!(
        inv.reference_number.map(|n| n.value),
        Some("WO70".to_owned())
    );
    assert_eq!(inv.document_date.value, "2026-11-24T00:00:00");
}

#[test]
fn b2b_order_customer_carries_vat_and_org_number() {
    let docs = map_order(&order(82), &example()).expect("maps");
    let c = docs.customer.expect("customer body");
    assert_eq!(
        c.vat_registration_id.map(|v| v.value),
        Some("NO934567890MVA".to_owned())
    );
    assert_eq!(
        c.corporate_id.map(|v| v.value),
        Some("934567890".to_owned())
    );
    assert_eq!(
        docs.customer_ref.email_key,
        order(82).billing.email.to_lowercase()
    );
}

#[test]
fn registered_customer_maps_to_customer_or_supplier() {
    let body = std::fs::read(format!("{REAL}/customers/11.json")).expect("fixture");
    let cust = Customer::from_json(&body).expect("customer parses");
    let (r, party) = map_customer(&cust, &example()).expect("maps");
    assert_eq!(r.email_key, "ingeborg.jensen@example.no");
    let Party::Customer(c) = party else {
        panic!("customer")
    };
    assert_eq!(c.name.map(|n| n.value), Some("Ingeborg Jensen".to_owned()));
    // Suppliers are numbered with their own prefix, whatever the customers' numbering (Visma keeps customers and
    // suppliers in one series of account numbers).
    let s = settings_with(&[(
        "business_model = \"customers\"",
        "business_model = \"suppliers\"",
    )]);
    let (r, party) = map_customer(&cust, &s).expect("maps");
    assert_eq!(r.number.as_deref(), Some("S11"));
    let Party::Supplier(supplier) = party else {
        panic!("supplier")
    };
    // No supplier class, terms or payment method chosen: none is sent (Visma applies its class's), never the
    // customer ones.
    assert_eq!(supplier.supplier_class_id, None);
    assert_eq!(supplier.credit_terms_id, None);
    assert_eq!(supplier.payment_method_id, None);
    let s = settings_with(&[
        (
            "business_model = \"customers\"",
            "business_model = \"suppliers\"",
        ),
        (
            "# class_id = \"1\"\n# credit_terms_id = \"30\"\n# payment_method_id = \"BANK\"",
            "class_id = \"LEV\"\ncredit_terms_id = \"30\"\npayment_method_id = \"BANK\"",
        ),
    ]);
    let (_, party) = map_customer(&cust, &s).expect("maps");
    let Party::Supplier(supplier) = party else {
        panic!("supplier")
    };
    assert_eq!(
        (
            supplier.supplier_class_id.map(|v| v.value),
            supplier.credit_terms_id.map(|v| v.value),
            supplier.payment_method_id.map(|v| v.value),
        ),
        (
            Some("LEV".to_owned()),
            Some("30".to_owned()),
            Some("BANK".to_owned())
        )
    );
}

#[test]
fn a_supplier_configuration_that_cannot_work_is_refused_at_load() {
    let suppliers = (
        "business_model = \"customers\"",
        "business_model = \"suppliers\"",
    );
    for (edits, key) in [
        (
            vec![suppliers, ("number_prefix = \"S\"", "number_prefix = \"\"")],
            "supplier.number_prefix",
        ),
        (
            vec![
                suppliers,
                ("numbering = \"visma_series\"", "numbering = \"prefix\""),
                ("number_prefix = \"S\"", "number_prefix = \"W\""),
            ],
            "supplier.number_prefix",
        ),
    ] {
        let mut text = EXAMPLE_TOML.to_owned();
        for (from, to) in edits {
            text = text.replacen(from, to, 1);
        }
        let err = Settings::from_toml_str(&text).expect_err("refused");
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn amount_only_refund_splits_over_the_orders_vat_categories_explicitly() {
    let s = example();
    let nok = s.currency("NOK").expect("NOK");
    let o = order(228);
    let r = refunds(228).into_iter().next().expect("refund");
    assert!(r.is_amount_only());
    let cn = map_refund(&r, &o, &s).expect("maps");
    let totals = visma_totals(&cn.credit_note.lines, &s, nok).expect("totals");
    assert_eq!(totals.gross_minor, 10000);
    assert!(cn
        .credit_note
        .lines
        .iter()
        .all(|l| l.account_number.value == "3000" || l.account_number.value == "3740"));
    assert!(cn
        .credit_note
        .lines
        .iter()
        .all(|l| l.description.value.contains("amount-only") || l.account_number.value == "3740"));
    // The default splits the VAT over the order's rates (a price reduction lowers the VAT owed) and says so.
    assert!(totals.vat_minor > 0, "{totals:?}");
    assert!(cn.credit_note.lines[0]
        .description
        .value
        .contains("VAT split over the order's rates"));
}

#[test]
fn amount_only_refund_without_vat_is_one_line_on_the_refund_account_when_chosen() {
    let s = settings_with(&[(
        "rounding = \"6\"          # the rounding line's category: must be 0 %",
        "rounding = \"6\"\namount_only_refunds = \"none\"",
    )]);
    let nok = s.currency("NOK").expect("NOK");
    let r = refunds(228).into_iter().next().expect("refund");
    let cn = map_refund(&r, &order(228), &s).expect("maps");
    let totals = visma_totals(&cn.credit_note.lines, &s, nok).expect("totals");
    assert_eq!((totals.gross_minor, totals.vat_minor), (10000, 0));
    assert_eq!(cn.credit_note.lines.len(), 1);
    let line = &cn.credit_note.lines[0];
    assert_eq!(line.account_number.value, "3000", "accounts.refund");
    assert_eq!(line.vat_code_id.value, "6", "vat.not_taxable");
    assert!(line
        .description
        .value
        .contains("no VAT: vat.amount_only_refunds = none"));
}

#[test]
fn shipping_only_refund_credits_the_shipping_account() {
    let cn = map_refund(&refunds(233).remove(0), &order(233), &example()).expect("maps");
    let first = cn.credit_note.lines.first().expect("line");
    assert_eq!(first.account_number.value, "3700");
    assert_eq!(first.unit_price_in_currency.value.0.to_string(), "79.20");
}

#[test]
fn refund_of_another_order_is_refused() {
    let r = refunds(70).remove(0);
    assert!(matches!(
        map_refund(&r, &order(82), &example()),
        Err(MappingError::Refund { .. })
    ));
}

#[test]
fn sales_order_mode_uses_skus_and_non_stock_items_and_keeps_the_total() {
    let s = settings_with(&[(
        "document_type = \"invoice\"",
        "document_type = \"sales_order\"",
    )]);
    let nok = s.currency("NOK").expect("NOK");
    let o = order(70);
    let docs = map_order(&o, &s).expect("maps");
    let SalesDocument::SalesOrder(so) = docs.document else {
        panic!("sales order")
    };
    assert_eq!(so.customer.ref_no, "woo:default:70");
    assert_eq!(
        so.order_lines.first().map(|l| l.inventory_id.as_str()),
        Some("OPP-KINO")
    );
    assert!(so.order_lines.iter().any(|l| l.inventory_id == "FRAKT"));
    let totals = visma_totals(&so.order_lines, &s, nok).expect("totals");
    assert_eq!(
        totals.gross_minor,
        nok.parse_minor(o.total.as_str()).expect("total")
    );
}

#[test]
fn order_meta_fills_a_subaccount_segment_except_on_the_rounding_line() {
    let s = settings_with(&[
        (
            "# [subaccounts.from_order_meta]\n# \"2\" = \"_ml_connector_channel\"",
            "[subaccounts.from_order_meta]\n\"2\" = \"is_vat_exempt\"",
        ),
        NO_VAT_IDS,
    ]);
    let lines = invoice_lines(&order(70), &s); // meta is_vat_exempt = "no"
    let first = lines.first().expect("line");
    assert_eq!(
        first.subaccount.get(1).map(|g| g.segment_value.as_str()),
        Some("no")
    );
    let rounding = lines.last().expect("rounding line");
    assert_eq!(
        rounding.subaccount.get(1).map(|g| g.segment_value.as_str()),
        Some("000")
    );
}

#[test]
fn only_accepted_statuses_are_mapped() {
    use ml_connector::mapping::should_map;
    let s = example();
    // (order id, status in the fixture) → mapped?
    for (id, want) in [
        (52, true),
        (105, true),
        (352, false),
        (363, false),
        (239, false),
        (118, true),
    ] {
        assert_eq!(
            should_map(&order(id), &s),
            want,
            "order {id} ({})",
            order(id).status
        );
    }
}

#[test]
fn fractional_quantity_is_never_rounded_the_line_goes_as_one_times_subtotal() {
    let mut o = order(52);
    if let Some(first) = o.line_items.first_mut() {
        first.quantity = ml_connector::woo::NumText("1.5".to_owned());
    }
    let s = example();
    let lines = invoice_lines(&o, &s);
    let first = lines.first().expect("line");
    assert!(
        first.description.value.ends_with("(× 1.5)"),
        "{}",
        first.description.value
    );
    assert_eq!(first.quantity.value.0.to_string(), "1");
    let nok = s.currency("NOK").expect("NOK");
    assert_eq!(
        visma_totals(&lines, &s, nok).expect("totals").gross_minor,
        nok.parse_minor(o.total.as_str()).expect("total")
    );
}

#[test]
fn customer_number_found_later_fills_document_and_payment() {
    let mut docs = map_order(&order(52), &example()).expect("maps");
    assert_eq!(
        docs.customer_ref.number, None,
        "Visma's series numbers new customers"
    );
    docs.set_customer_number("10023");
    let SalesDocument::Invoice(inv) = &docs.document else {
        panic!("invoice")
    };
    assert_eq!(
        inv.customer_number.as_ref().map(|n| n.value.as_str()),
        Some("10023")
    );
    let mut payment = docs.payment.clone().expect("payment");
    assert_eq!(
        payment.customer.as_ref().map(|n| n.value.as_str()),
        Some("10023")
    );
    payment.apply_to("10023", "100045");
    assert_eq!(
        payment
            .payment_lines
            .first()
            .and_then(|l| l.ref_nbr.as_ref())
            .map(|r| r.value.as_str()),
        Some("100045")
    );
}

// Issue #14: a setting the merchant has not chosen is never replaced by an example id; only the orders that need
// it fail, naming the key, and the others map.
#[test]
fn an_unchosen_account_or_category_fails_naming_the_setting() {
    for (edit, key) in [
        (
            ("shipping = \"3700\"", "shipping = \"\""),
            "accounts.shipping",
        ),
        (("fee = \"3710\"", "fee = \"\""), "accounts.fee"),
        (
            ("not_taxable = \"6\"", "not_taxable = \"\""),
            "vat.not_taxable",
        ),
    ] {
        let s = settings_with(&[edit]);
        match map_order(&order(70), &s) {
            Err(e @ MappingError::MissingSetting { .. }) => {
                let text = e.to_string();
                assert!(text.contains(key) && text.contains("order 70"), "{text}");
            }
            other => panic!("{key}: expected MissingSetting, got {other:?}"),
        }
    }
    let s = settings_with(&[("sales = \"3000\" ", "sales = \"\" ")]);
    match map_order(&order(228), &s) {
        Err(e @ MappingError::MissingSetting { .. }) => {
            assert!(e.to_string().contains("accounts.sales"), "{e}")
        }
        other => panic!("expected MissingSetting, got {other:?}"),
    }
    // Order 228 has no fee: an unchosen fee account does not stop it.
    let s = settings_with(&[("fee = \"3710\"", "fee = \"\"")]);
    assert!(map_order(&order(228), &s).is_ok());
}
