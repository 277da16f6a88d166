//! Every real WooCommerce order and refund in `tests/fixtures/woo/real/` (copied from
//! `shared/reference/woocommerce/real/`) maps to Visma documents whose totals, computed the way Visma
//! computes them, equal WooCommerce's to the øre, with sane accounts and VAT categories.

use ml_connector::mapping::{
    credit_note_totals, invoice_totals, map_order, map_refund, SalesDocument,
};
use ml_connector::settings::Settings;
use ml_connector::visma::dto::CustomerInvoiceLinesUpdateDto;
use ml_connector::woo::{Order, Refund};
use std::path::Path;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/real");

fn settings() -> Settings {
    Settings::example().expect("example settings are valid")
}

fn orders() -> Vec<Order> {
    let mut paths: Vec<_> = std::fs::read_dir(Path::new(REAL).join("orders"))
        .expect("orders dir")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| Order::from_json(&std::fs::read(p).expect("read")).expect("order parses"))
        .collect()
}

fn minor(text: &str) -> i64 {
    ml_connector::money::Currency::parse("NOK", &[])
        .expect("NOK")
        .parse_minor(text)
        .expect("amount")
}

fn invoice_lines(doc: &SalesDocument) -> &[CustomerInvoiceLinesUpdateDto] {
    match doc {
        SalesDocument::Invoice(inv) => &inv.invoice_lines,
        SalesDocument::SalesOrder(_) => panic!("example settings make invoices"),
    }
}

#[test]
fn all_30_real_orders_book_woocommerces_vat_and_gross_to_the_ore() {
    // The example settings name each category's VAT id: Visma gets WooCommerce's VAT as tax detail lines.
    let (rounding, differences, vat_exact) = check_real_orders(&settings(), true);
    eprintln!("VAT-exact {vat_exact} of 30, {rounding} rounding lines, {differences} VAT category differences");
    assert_eq!(vat_exact, 30);
}

#[test]
fn without_vat_ids_visma_computes_the_vat_and_every_difference_is_noted() {
    let mut s = settings();
    s.vat.vat_ids.clear();
    let (rounding, differences, vat_exact) = check_real_orders(&s, false);
    eprintln!("VAT-exact {vat_exact} of 30, {rounding} rounding lines, {differences} VAT category differences");
    // The real data exercises both: Visma's VAT rounding differs from WooCommerce's on some orders.
    assert!(rounding > 0 && differences > 0 && vat_exact < 30);
}

/// Maps every real order and checks its totals; returns (orders with a rounding line, VAT category
/// differences, orders whose VAT equals `total_tax`).
fn check_real_orders(s: &Settings, exact_vat: bool) -> (usize, usize, usize) {
    let s = s.clone();
    let nok = s.currency("NOK").expect("NOK");
    let all = orders();
    assert_eq!(all.len(), 30);
    let mut with_rounding = 0;
    let mut with_differences = 0;
    let mut vat_exact = 0;
    for order in &all {
        let docs = map_order(order, &s).unwrap_or_else(|e| panic!("order {}: {e}", order.id));
        let lines = invoice_lines(&docs.document);
        let SalesDocument::Invoice(inv) = &docs.document else {
            panic!("invoice")
        };
        let totals = invoice_totals(inv, &s, nok).expect("totals");
        assert_eq!(
            inv.tax_detail_lines.is_empty(),
            !exact_vat,
            "order {}: tax detail lines exactly when VAT ids are set",
            order.id
        );
        assert_eq!(
            totals.gross_minor,
            minor(order.total.as_str()),
            "order {} gross",
            order.id
        );
        assert_eq!(
            totals, docs.totals,
            "order {}: reported totals are Visma's",
            order.id
        );
        // Every line but the rounding line carries WooCommerce's own net: Σ line totals.
        let woo_net: i64 = order
            .line_items
            .iter()
            .map(|l| minor(l.total.as_str()))
            .sum::<i64>()
            + order
                .shipping_lines
                .iter()
                .map(|l| minor(l.total.as_str()))
                .sum::<i64>()
            + order
                .fee_lines
                .iter()
                .map(|l| minor(l.total.as_str()))
                .sum::<i64>();
        let rounding = docs.rounding.as_ref().map_or(0, |r| r.amount_minor);
        assert_eq!(
            totals.net_minor - rounding,
            woo_net,
            "order {} net",
            order.id
        );
        // The rounding line explains exactly the VAT difference (plus WooCommerce's own total drift).
        let woo_tax = minor(order.total_tax.as_str());
        vat_exact += usize::from(totals.vat_minor == woo_tax);
        assert!(
            !exact_vat || totals.vat_minor == woo_tax,
            "order {} VAT {} vs total_tax {}",
            order.id,
            totals.vat_minor,
            woo_tax
        );
        assert!(
            (totals.vat_minor - woo_tax).abs() <= 3,
            "order {} VAT {} vs {}",
            order.id,
            totals.vat_minor,
            woo_tax
        );
        if let Some(r) = &docs.rounding {
            with_rounding += 1;
            let last = lines.last().expect("rounding line");
            assert_eq!(last.vat_code_id.value, "6", "rounding line is 0 % exempt");
            assert_eq!(last.account_number.value, "3740");
            assert!(
                r.amount_minor.abs() <= 3,
                "order {} rounding {}",
                order.id,
                r.amount_minor
            );
            eprintln!("order {}: {}", order.id, r.explanation);
        }
        // Per-rate VAT within rounding of WooCommerce's tax_lines.
        for tl in &order.tax_lines {
            let cat = match tl.rate_id {
                1 => "3",
                2 => "31",
                3 => "33",
                _ => "5",
            };
            let woo = minor(tl.tax_total.as_str()) + minor(tl.shipping_tax_total.as_str());
            let visma = totals.by_category.get(cat).map_or(0, |c| c.vat_minor);
            assert!(
                (visma - woo).abs() <= 3,
                "order {} rate {}: {visma} vs {woo}",
                order.id,
                tl.rate_id
            );
        }
        // Per-category VAT differences are listed and written to the invoice note, never silent.
        let note = inv
            .note
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default();
        for d in &docs.vat_differences {
            with_differences += 1;
            assert!(
                note.contains(&format!("VAT category {}", d.category)),
                "order {}: {note}",
                order.id
            );
            assert!((d.visma_minor - d.woo_minor).abs() <= 3);
        }
        assert_eq!(
            docs.rounding.is_some(),
            note.contains("rounding"),
            "order {}",
            order.id
        );
        assert_eq!(docs.key, format!("woo:default:{}", order.id));
        sane_accounts(order, lines);
        // Independently of mapping::totals: recompute from the serialized body, per category.
        let body = serde_json::to_value(inv).expect("json");
        assert_eq!(
            gross_from_json(&body["invoiceLines"], &body["taxDetailLines"]),
            minor(order.total.as_str()),
            "order {} body",
            order.id
        );
    }
    (with_rounding, with_differences, vat_exact)
}

fn sane_accounts(order: &Order, lines: &[CustomerInvoiceLinesUpdateDto]) {
    let abroad = order.destination_country() != "NO";
    for l in lines {
        let (acc, cat) = (
            l.account_number.value.as_str(),
            l.vat_code_id.value.as_str(),
        );
        let ok = match acc {
            "3000" => cat == "3",
            "3010" => cat == "31",
            "3020" => cat == "33",
            "3100" => cat == "5",
            "3200" => abroad && cat == "52",
            "3700" | "3710" => true,
            "3740" => cat == "6",
            _ => false,
        };
        assert!(
            ok,
            "order {}: line {:?} on {acc} with VAT {cat}",
            order.id, l.description.value
        );
        if abroad {
            assert!(
                ["52", "6"].contains(&cat),
                "order {} abroad has VAT {cat}",
                order.id
            );
        }
    }
}

#[test]
fn every_real_refund_becomes_a_credit_note_of_its_amount() {
    let s = settings();
    let nok = s.currency("NOK").expect("NOK");
    let mut count = 0;
    for order in orders() {
        let path = Path::new(REAL)
            .join("refunds")
            .join(format!("{}.json", order.id));
        let Ok(body) = std::fs::read(&path) else {
            continue;
        };
        for refund in Refund::list_from_json(&body).expect("refunds parse") {
            count += 1;
            let cn = map_refund(&refund, &order, &s)
                .unwrap_or_else(|e| panic!("refund {}: {e}", refund.id));
            let totals = credit_note_totals(&cn.credit_note, &s, nok).expect("totals");
            assert_eq!(
                totals.gross_minor,
                minor(refund.amount.as_str()),
                "refund {} gross",
                refund.id
            );
            // The refund's own tax, to the øre (amount-only refunds record none; see the credit note module).
            if !refund.is_amount_only() {
                let tax: i64 = refund
                    .tax_lines
                    .iter()
                    .map(|t| -minor(t.tax_total.as_str()) - minor(t.shipping_tax_total.as_str()))
                    .sum();
                assert_eq!(totals.vat_minor, tax, "refund {} VAT", refund.id);
            }
            assert_eq!(cn.key, format!("woo:default:refund:{}", refund.id));
            assert!(cn
                .credit_note
                .lines
                .iter()
                .all(|l| l.account_number.value != "3740" || l.vat_code_id.value == "6"));
            if refund.is_amount_only() {
                assert!(
                    cn.credit_note
                        .lines
                        .iter()
                        .any(|l| l.description.value.contains("amount-only")),
                    "refund {}",
                    refund.id
                );
            }
            if let Some(r) = &cn.rounding {
                eprintln!("refund {}: {}", refund.id, r.explanation);
            }
        }
    }
    assert_eq!(count, 7, "all refunds of the subset");
}

/// Visma's gross from a serialized `invoiceLines` array with integer arithmetic written here, not in the
/// crate: amount = round(qty × price) − discount; VAT per category = round(Σ amount × rate).
fn gross_from_json(lines: &serde_json::Value, tax_details: &serde_json::Value) -> i64 {
    let cents = |v: &serde_json::Value| -> i128 {
        let d = ml_connector::money::Decimal::parse(&v.to_string()).expect("number");
        i128::from(d.round_to(6).expect("fits")) // micro-units
    };
    let mut by_cat: std::collections::BTreeMap<String, i128> = Default::default();
    for l in lines.as_array().expect("array") {
        let qty = cents(&l["quantity"]["value"]);
        let price = cents(&l["unitPriceInCurrency"]["value"]);
        let disc = if l["discountAmountInCurrency"].is_null() {
            0
        } else {
            cents(&l["discountAmountInCurrency"]["value"])
        };
        // qty × price in micro² → øre, half away from zero.
        let prod = qty * price; // 10^-12
        let amount = (prod.abs() + 5_000_000_000) / 10_000_000_000 * prod.signum() - disc / 10_000;
        *by_cat
            .entry(l["vatCodeId"]["value"].as_str().expect("cat").to_owned())
            .or_default() += amount;
    }
    let rate = |c: &str| -> i128 {
        match c {
            "3" => 25,
            "31" => 15,
            "33" => 12,
            _ => 0,
        }
    };
    // A tax detail line's VAT replaces the computed one (the example company's VAT ids are its category ids).
    let sent = |c: &str| -> Option<i128> {
        let d = tax_details
            .as_array()?
            .iter()
            .find(|d| d["taxId"]["value"] == c)?;
        Some(cents(&d["vatAmount"]["value"]) / 10_000)
    };
    by_cat
        .iter()
        .map(|(c, net)| {
            let vat100 = net * rate(c);
            net + sent(c).unwrap_or((vat100.abs() + 50) / 100 * vat100.signum())
        })
        .sum::<i128>()
        .try_into()
        .expect("fits i64")
}

#[test]
fn every_product_line_is_sent_with_its_ordered_quantity() {
    // Issue #17: a sales order ships and invoices the quantity it carries, so "3 × coffee" must not become
    // "1 × coffee (× 3)". The amount stays WooCommerce's (checked above); here the quantity is.
    let s = settings();
    let (mut checked, mut several) = (0, 0);
    for order in orders() {
        let docs = map_order(&order, &s).expect("maps");
        let lines = invoice_lines(&docs.document);
        for item in &order.line_items {
            let Ok(qty) = item.quantity.as_str().parse::<i64>() else {
                continue;
            };
            let sent: Vec<_> = lines
                .iter()
                .filter(|l| l.description.value.starts_with(item.name.trim()))
                .collect();
            assert!(
                !sent.is_empty(),
                "order {}: {:?} not sent",
                order.id,
                item.name
            );
            for l in sent {
                assert_eq!(
                    l.quantity.value.0.to_string().trim_end_matches(".00"),
                    qty.to_string(),
                    "order {}: {:?}",
                    order.id,
                    l.description.value
                );
                assert!(
                    !l.description.value.contains('×'),
                    "{}",
                    l.description.value
                );
            }
            checked += 1;
            several += usize::from(qty > 1);
        }
    }
    eprintln!("{checked} product lines checked, {several} with quantity > 1");
    assert!(checked >= 60 && several >= 10, "{checked} {several}");
}
