//! Property tests over generated WooCommerce orders (`tests/support/woo_gen.rs`) and the replay of the
//! committed corpus `tests/fixtures/generated/orders.jsonl` (regenerate with
//! `cargo test --test mapping_generated -- --ignored regenerate_corpus`). Each order and refund must map,
//! and Visma's totals must equal WooCommerce's to the minor unit.

mod support {
    pub mod woo_gen;
}

use ml_connector::mapping::{map_order, map_refund, visma_totals, SalesDocument};
use ml_connector::settings::Settings;
use ml_connector::woo::{Order, Refund};
use proptest::prelude::*;
use serde_json::Value;
use support::woo_gen::{corpus_knobs, generate, settings_toml, Knobs};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/generated/orders.jsonl"
);
const CORPUS_SIZE: u64 = 1000;

fn settings() -> Settings {
    Settings::from_toml_str(&settings_toml()).expect("generated-shop settings are valid")
}

/// The invariant, checked on one order and its refunds. Returns a description of the first breach.
fn check(order_json: &Value, refunds_json: &[Value], s: &Settings) -> Result<bool, String> {
    let order = Order::from_json(order_json.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let currency = s.currency(&order.currency).map_err(|e| e.to_string())?;
    let minor = |t: &str| currency.parse_minor(t).map_err(|e| e.to_string());
    let docs = map_order(&order, s).map_err(|e| format!("map_order: {e}"))?;
    let SalesDocument::Invoice(inv) = &docs.document else {
        return Err("invoice expected".into());
    };
    let totals = visma_totals(&inv.invoice_lines, s, currency).map_err(|e| e.to_string())?;
    let woo_total = minor(order.total.as_str())?;
    if totals.gross_minor != woo_total {
        return Err(format!(
            "order {}: Visma gross {} vs WooCommerce {}",
            order.id, totals.gross_minor, woo_total
        ));
    }
    let mut woo_net = 0;
    for t in order
        .line_items
        .iter()
        .map(|l| &l.total)
        .chain(order.shipping_lines.iter().map(|l| &l.total))
        .chain(order.fee_lines.iter().map(|l| &l.total))
    {
        woo_net += minor(t.as_str())?;
    }
    let rounding = docs.rounding.as_ref().map_or(0, |r| r.amount_minor);
    if totals.net_minor - rounding != woo_net {
        return Err(format!(
            "order {}: line nets {} vs WooCommerce {}",
            order.id,
            totals.net_minor - rounding,
            woo_net
        ));
    }
    let lines = i64::try_from(inv.invoice_lines.len()).unwrap_or(i64::MAX);
    let woo_tax = minor(order.total_tax.as_str())?;
    if (totals.vat_minor - woo_tax).abs() > lines + 2 {
        return Err(format!(
            "order {}: VAT {} vs WooCommerce {}",
            order.id, totals.vat_minor, woo_tax
        ));
    }
    for r in refunds_json {
        let refund = Refund::from_json(r.to_string().as_bytes()).map_err(|e| e.to_string())?;
        let cn = map_refund(&refund, &order, s).map_err(|e| format!("map_refund: {e}"))?;
        let t = visma_totals(&cn.credit_note.lines, s, currency).map_err(|e| e.to_string())?;
        let amount = minor(refund.amount.as_str())?;
        if t.gross_minor != amount {
            return Err(format!(
                "refund {}: Visma gross {} vs WooCommerce amount {}",
                refund.id, t.gross_minor, amount
            ));
        }
    }
    Ok(docs.rounding.is_some())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]
    #[test]
    fn generated_orders_total_to_the_minor_unit(
        seed in any::<u64>(),
        decimals in prop::sample::select(vec![0u32, 2, 3]),
        prices_include_tax in any::<bool>(),
        round_at_subtotal in any::<bool>(),
    ) {
        let knobs = Knobs { seed, decimals, prices_include_tax, round_at_subtotal, max_lines: 30 };
        let (order, refunds) = generate(knobs);
        let s = settings();
        let checked = check(&order, &refunds, &s);
        prop_assert!(checked.is_ok(), "knobs {:?}: {:?}", knobs, checked);
    }
}

#[test]
fn committed_corpus_replays_clean() {
    let text = std::fs::read_to_string(CORPUS).expect("corpus file (regenerate: see file doc)");
    let s = settings();
    let mut count = 0u64;
    let mut rounded = 0u64;
    for (n, line) in text.lines().enumerate() {
        let entry: Value = serde_json::from_str(line).expect("corpus line is JSON");
        let refunds = entry["refunds"].as_array().cloned().unwrap_or_default();
        match check(&entry["order"], &refunds, &s) {
            Ok(needed_rounding) => rounded += u64::from(needed_rounding),
            Err(e) => panic!("corpus line {} (knobs {}): {e}", n + 1, entry["knobs"]),
        }
        count += 1;
    }
    assert!(count >= CORPUS_SIZE, "corpus has {count} orders");
    // The corpus exercises both paths: documents that total exactly and ones that need a rounding line.
    assert!(
        rounded > 50 && rounded < count,
        "{rounded} of {count} needed rounding"
    );
    eprintln!("{rounded} of {count} corpus orders needed a rounding line");
}

#[test]
fn corpus_is_what_the_generator_makes() {
    // The committed file must be reproducible from the generator (deterministic seed).
    let text = std::fs::read_to_string(CORPUS).expect("corpus file");
    for (i, line) in (0u64..).zip(text.lines()).take(25) {
        let entry: Value = serde_json::from_str(line).expect("JSON");
        let (order, refunds) = generate(corpus_knobs(i));
        assert_eq!(entry["order"], order, "corpus line {}", i + 1);
        assert_eq!(entry["refunds"], Value::Array(refunds));
    }
}

#[test]
#[ignore = "writes tests/fixtures/generated/orders.jsonl; run on purpose"]
fn regenerate_corpus() {
    let mut out = String::new();
    for i in 0..CORPUS_SIZE {
        let k = corpus_knobs(i);
        let (order, refunds) = generate(k);
        let knobs = serde_json::json!({"seed": k.seed, "decimals": k.decimals,
            "prices_include_tax": k.prices_include_tax, "round_at_subtotal": k.round_at_subtotal});
        out.push_str(
            &serde_json::json!({"knobs": knobs, "order": order, "refunds": refunds}).to_string(),
        );
        out.push('\n');
    }
    std::fs::write(CORPUS, out).expect("write corpus");
}
