//! A WooCommerce order generator for property tests and the committed corpus. It computes orders the way
//! WooCommerce 9.9 does (per `shared/reference/woocommerce/real/README.md`): line taxes unrounded in
//! `taxes[].total` (6 decimals), line `total_tax` rounded per line; with "round tax at subtotal" the tax
//! per rate is rounded once over the unrounded sum, and with prices incl. tax the customer pays the gross
//! prices, so `total` can differ from Σ net + `total_tax` by a cent or two, as in the real captures.
//! Negative fees spread their tax over the cart's rates; non-taxable fees carry `tax_class "0"`.
//! Deterministic: a SplitMix64 seeded per order (no dependence on rand's algorithm choice).

use ml_connector::money::{round_div, split_proportionally};
use serde_json::{json, Value};

/// SplitMix64: small, stable across versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }
    pub fn chance(&mut self, percent: i64) -> bool {
        self.range(0, 99) < percent
    }
}

/// Rate id → (percent, class) of the generated shop; categories in [`SETTINGS`] match.
pub const RATES: &[(i64, i64, &str)] = &[
    (1, 25, ""),
    (2, 15, "reduced-rate"),
    (3, 14, "middle-rate"),
    (4, 12, "low-rate"),
    (5, 6, "six-rate"),
    (6, 0, "zero-rate"),
];

/// Settings for generated orders: the example's structure with all six rates and 0/2/3-decimal currencies.
pub fn settings_toml() -> String {
    let base = ml_connector::settings::EXAMPLE_TOML;
    let mut text = base
        .replacen("currencies = [\"NOK\", \"SEK\", \"EUR\"]", "currencies = [\"NOK\", \"JPY\", \"KWD\"]", 1)
        .replacen(
            "categories = { \"3\" = \"25\", \"31\" = \"15\", \"33\" = \"12\", \"5\" = \"0\", \"6\" = \"0\", \"52\" = \"0\" }",
            "categories = { \"3\" = \"25\", \"31\" = \"15\", \"32\" = \"14\", \"33\" = \"12\", \"34\" = \"6\", \"5\" = \"0\", \"6\" = \"0\", \"52\" = \"0\" }",
            1,
        )
        .replacen(
            "vat_ids = { \"3\" = \"3\", ",
            "vat_ids = { \"32\" = \"32\", \"34\" = \"34\", \"3\" = \"3\", ",
            1,
        );
    text.push_str(
        "\n[[vat.rates]]\nwoo_rate_id = 5\ncategory = \"34\"\n\n[[vat.rates]]\nwoo_rate_id = 6\ncategory = \"5\"\n",
    );
    // The example maps rate 3 to 12 % and 4 to 0 %; the generated shop has 3 = 14 %, 4 = 12 %.
    text.replacen(
        "woo_rate_id = 3         # MVA 12% (low-rate)\ncategory = \"33\"",
        "woo_rate_id = 3\ncategory = \"32\"",
        1,
    )
    .replacen(
        "woo_rate_id = 4         # MVA 0% (zero-rate)\ncategory = \"5\"",
        "woo_rate_id = 4\ncategory = \"33\"",
        1,
    )
}

/// Knobs of one generated order.
#[derive(Debug, Clone, Copy)]
pub struct Knobs {
    pub seed: u64,
    pub decimals: u32,
    pub prices_include_tax: bool,
    pub round_at_subtotal: bool,
    pub max_lines: i64,
}

fn currency(decimals: u32) -> &'static str {
    match decimals {
        0 => "JPY",
        3 => "KWD",
        _ => "NOK",
    }
}

/// Minor units → decimal text.
fn money(minor: i64, d: u32) -> String {
    ml_connector::money::Decimal::from_minor(minor, d).to_string()
}

/// Micro-units of the major unit (WooCommerce's 6-decimal unrounded tax) → text.
fn micro_text(micro: i128) -> String {
    ml_connector::money::Decimal::new(micro, 6).to_string()
}

fn micro_to_minor(micro: i128, d: u32) -> i64 {
    i64::try_from(round_div(micro, 10i128.pow(6 - d))).unwrap_or(0)
}

fn minor_to_micro(minor: i64, d: u32) -> i128 {
    i128::from(minor) * 10i128.pow(6 - d)
}

struct Taxed {
    net: i64,
    tax_micro: i128,
    tax: i64,
}

/// Net and tax of an amount entered incl. or excl. tax, rounded the WooCommerce way.
fn tax_of(amount: i64, rate: i64, incl: bool, d: u32) -> Taxed {
    let a = minor_to_micro(amount, d);
    if incl {
        let tax_micro = round_div(a * i128::from(rate), 100 + i128::from(rate));
        let tax = micro_to_minor(tax_micro, d);
        Taxed {
            net: amount - tax,
            tax_micro,
            tax,
        }
    } else {
        let tax_micro = round_div(a * i128::from(rate), 100);
        Taxed {
            net: amount,
            tax_micro,
            tax: micro_to_minor(tax_micro, d),
        }
    }
}

/// Per-rate accumulation for `tax_lines`.
#[derive(Default, Clone, Copy)]
struct RateSum {
    rounded: i64,
    micro: i128,
    shipping_rounded: i64,
    shipping_micro: i128,
}

/// One generated order and its refunds as WooCommerce JSON.
pub fn generate(k: Knobs) -> (Value, Vec<Value>) {
    let mut rng = Rng::new(k.seed);
    let d = k.decimals;
    let unit = 10i64.pow(d); // one major unit in minor units
    let incl = k.prices_include_tax;
    let order_id = 1000 + i64::try_from(k.seed % 1_000_000).unwrap_or(0);
    let n = rng.range(1, k.max_lines);
    let mut sums = [RateSum::default(); 6];
    let mut items = Vec::new();
    let mut gross_paid: i64 = 0; // incl. prices: what the customer pays for lines
    let mut net_sum: i64 = 0;
    // Prices and quantities, then coupons.
    let mut raw: Vec<(i64, i64, usize)> = Vec::new();
    for _ in 0..n {
        // Shop prices: whole units, quarters, or any minor amount (as merchants type them).
        let price = match rng.range(0, 2) {
            0 => rng.range(1, 2000) * unit,
            1 => rng.range(1, 8000) * unit / 4,
            _ => rng.range(1, 2000 * unit),
        };
        let qty = rng.range(1, 6);
        let rate_idx = usize::try_from(rng.range(0, 5)).unwrap_or(0);
        raw.push((price.max(1), qty, rate_idx));
    }
    let percent = if rng.chance(30) {
        [5, 10, 15, 33][usize::try_from(rng.range(0, 3)).unwrap_or(0)]
    } else {
        0
    };
    let line_amounts: Vec<i64> = raw.iter().map(|(p, q, _)| p * q).collect();
    let fixed_cart = if rng.chance(25) {
        (line_amounts.iter().sum::<i64>() / 10).min(50 * unit)
    } else {
        0
    };
    let fixed_shares = split_proportionally(fixed_cart, &line_amounts);
    let mut item_net_by_rate = [0i64; 6];
    for (i, ((_, qty, rate_idx), amount)) in raw.iter().zip(&line_amounts).enumerate() {
        let (rate_id, rate, class) = RATES[*rate_idx];
        let pct_discount =
            i64::try_from(round_div(i128::from(*amount) * i128::from(percent), 100)).unwrap_or(0);
        let discount = (pct_discount + fixed_shares.get(i).copied().unwrap_or(0)).min(*amount);
        let sub = tax_of(*amount, rate, incl, d);
        let tot = tax_of(amount - discount, rate, incl, d);
        let s = &mut sums[*rate_idx];
        s.rounded += tot.tax;
        s.micro += tot.tax_micro;
        gross_paid += if incl {
            amount - discount
        } else {
            tot.net + tot.tax
        };
        net_sum += tot.net;
        item_net_by_rate[*rate_idx] += tot.net;
        items.push(json!({
            "id": order_id * 100 + i64::try_from(i).unwrap_or(0), "name": format!("Item {i}"),
            "product_id": 10 + i, "variation_id": 0, "quantity": qty, "tax_class": class,
            "subtotal": money(sub.net, d), "subtotal_tax": money(sub.tax, d),
            "total": money(tot.net, d), "total_tax": money(tot.tax, d),
            "taxes": [{"id": rate_id, "total": micro_text(tot.tax_micro), "subtotal": micro_text(sub.tax_micro)}],
            "sku": format!("SKU-{i}"), "price": 0,
        }));
    }
    // Shipping (ex tax, taxed at a cart rate).
    let mut shipping = Vec::new();
    for j in 0..rng.range(0, 2) {
        let cost = rng.range(0, 300) * unit / 4;
        let idx = usize::try_from(rng.range(0, 5)).unwrap_or(0);
        let (rate_id, rate, _) = RATES[idx];
        let t = tax_of(cost, rate, false, d);
        let s = &mut sums[idx];
        s.shipping_rounded += t.tax;
        s.shipping_micro += t.tax_micro;
        gross_paid += t.net + t.tax;
        net_sum += t.net;
        shipping.push(json!({
            "id": order_id * 100 + 50 + j, "method_title": "Frakt", "method_id": "flat_rate",
            "total": money(t.net, d), "total_tax": money(t.tax, d),
            "taxes": [{"id": rate_id, "total": micro_text(t.tax_micro), "subtotal": ""}],
        }));
    }
    // Fees: positive taxable, non-taxable (tax_class "0"), negative spread over the cart's rates.
    let mut fees = Vec::new();
    for j in 0..rng.range(0, 3) {
        let kind = rng.range(0, 2);
        let amount = rng.range(1, 400) * unit / 4 * if kind == 2 { -1 } else { 1 };
        let id = order_id * 100 + 70 + j;
        if kind == 1 {
            gross_paid += amount;
            net_sum += amount;
            fees.push(
                json!({"id": id, "name": "Miljøgebyr", "tax_class": "0", "tax_status": "taxable",
                "total": money(amount, d), "total_tax": money(0, d), "taxes": []}),
            );
            continue;
        }
        let weights: Vec<i64> = if kind == 2 {
            item_net_by_rate.to_vec()
        } else {
            vec![1, 0, 0, 0, 0, 0]
        };
        let shares = split_proportionally(amount, &weights);
        let mut taxes = Vec::new();
        let mut fee_tax_micro: i128 = 0;
        for (idx, share) in shares.iter().enumerate() {
            if *share == 0 {
                continue;
            }
            let (rate_id, rate, _) = RATES[idx];
            let t = tax_of(*share, rate, false, d);
            sums[idx].micro += t.tax_micro;
            sums[idx].rounded += t.tax;
            fee_tax_micro += t.tax_micro;
            taxes.push(json!({"id": rate_id, "total": micro_text(t.tax_micro), "subtotal": ""}));
        }
        let fee_tax = micro_to_minor(fee_tax_micro, d);
        gross_paid += amount + fee_tax;
        net_sum += amount;
        fees.push(json!({"id": id, "name": if kind == 2 { "Mengderabatt" } else { "Gebyr" }, "tax_class": "",
            "tax_status": "taxable", "total": money(amount, d), "total_tax": money(fee_tax, d), "taxes": taxes}));
    }
    // Order tax lines and totals.
    let mut tax_lines = Vec::new();
    let mut total_tax = 0i64;
    for (idx, s) in sums.iter().enumerate() {
        let (rate_id, rate, _) = RATES[idx];
        if s.micro == 0 && s.shipping_micro == 0 && s.rounded == 0 {
            continue;
        }
        let (items_tax, ship_tax) = if k.round_at_subtotal {
            (
                micro_to_minor(s.micro, d),
                micro_to_minor(s.shipping_micro, d),
            )
        } else {
            (s.rounded, s.shipping_rounded)
        };
        total_tax += items_tax + ship_tax;
        tax_lines.push(json!({"id": order_id * 100 + 90 + i64::try_from(idx).unwrap_or(0), "rate_code": format!("GEN-{rate}"),
            "rate_id": rate_id, "label": format!("VAT {rate}%"), "compound": false,
            "tax_total": money(items_tax, d), "shipping_tax_total": money(ship_tax, d), "rate_percent": rate}));
    }
    // Prices incl. tax: the customer pays the gross prices (per-line rounding keeps them); at subtotal
    // WooCommerce's total is Σ net + rounded rate totals, which can drift from the gross by a cent.
    let total = if incl && !k.round_at_subtotal {
        gross_paid
    } else {
        net_sum + total_tax
    };
    let refunds = make_refunds(&mut rng, order_id, d, &items, &shipping);
    let refund_summaries: Vec<Value> = refunds
        .iter()
        .map(|r| json!({"id": r["id"], "reason": "", "total": format!("-{}", r["amount"].as_str().unwrap_or("0"))}))
        .collect();
    let order = json!({
        "id": order_id, "number": order_id.to_string(), "status": "completed", "currency": currency(d),
        "prices_include_tax": incl, "date_created": "2026-11-24T10:00:00", "date_paid": "2026-11-24T10:05:00",
        "total": money(total, d), "total_tax": money(total_tax, d), "customer_id": 0,
        "billing": {"first_name": "Gen", "last_name": "Erated", "email": format!("gen{}@example.com", k.seed % 97), "country": "NO"},
        "shipping": {"country": "NO"}, "payment_method": "bacs", "transaction_id": format!("BANK-{order_id}"),
        "meta_data": [], "line_items": items, "tax_lines": tax_lines, "shipping_lines": shipping, "fee_lines": fees,
        "coupon_lines": [], "refunds": refund_summaries,
    });
    (order, refunds)
}

fn text_minor(v: &Value, d: u32) -> i64 {
    ml_connector::money::Decimal::parse(v.as_str().unwrap_or("0"))
        .and_then(|x| x.round_to(d))
        .unwrap_or(0)
}

/// Partial refunds: some units of some lines (WooCommerce's refund screen prorates per unit and rounds),
/// sometimes the shipping, sometimes an amount only.
fn make_refunds(
    rng: &mut Rng,
    order_id: i64,
    d: u32,
    items: &[Value],
    shipping: &[Value],
) -> Vec<Value> {
    let mut out = Vec::new();
    if !rng.chance(40) {
        return out;
    }
    let id = order_id * 10 + 1;
    if rng.chance(25) {
        let amount = rng.range(1, 200) * 10i64.pow(d) / 2;
        out.push(json!({"id": id, "date_created": "2026-11-25T09:00:00", "amount": money(amount, d), "reason": "Goodwill",
            "line_items": [], "shipping_lines": [], "fee_lines": [], "tax_lines": []}));
        return out;
    }
    let mut lines = Vec::new();
    let mut per_rate: Vec<(i64, i64, i64)> = Vec::new(); // rate id, items tax, shipping tax
    let mut amount = 0i64;
    for item in items {
        if !rng.chance(40) {
            continue;
        }
        let qty = item["quantity"].as_i64().unwrap_or(1);
        let k = rng.range(1, qty);
        let net = i64::try_from(round_div(
            i128::from(text_minor(&item["total"], d)) * i128::from(k),
            i128::from(qty),
        ))
        .unwrap_or(0);
        let tax = i64::try_from(round_div(
            i128::from(text_minor(&item["total_tax"], d)) * i128::from(k),
            i128::from(qty),
        ))
        .unwrap_or(0);
        let rate_id = item["taxes"][0]["id"].as_i64().unwrap_or(1);
        amount += net + tax;
        add_rate(&mut per_rate, rate_id, tax, 0);
        lines.push(json!({"id": id * 100 + i64::try_from(lines.len()).unwrap_or(0), "name": item["name"], "product_id": item["product_id"],
            "quantity": -k, "tax_class": item["tax_class"], "subtotal": money(-net, d), "subtotal_tax": money(-tax, d),
            "total": money(-net, d), "total_tax": money(-tax, d),
            "taxes": [{"id": rate_id, "total": money(-tax, d), "subtotal": money(-tax, d)}],
            "meta_data": [{"key": "_refunded_item_id", "value": item["id"].to_string()}], "sku": item["sku"]}));
    }
    let mut ship_lines = Vec::new();
    if let Some(s) = shipping.first().filter(|_| rng.chance(30)) {
        let net = text_minor(&s["total"], d);
        let tax = text_minor(&s["total_tax"], d);
        let rate_id = s["taxes"][0]["id"].as_i64().unwrap_or(1);
        amount += net + tax;
        add_rate(&mut per_rate, rate_id, 0, tax);
        ship_lines.push(json!({"id": id * 100 + 60, "method_title": s["method_title"], "method_id": "flat_rate",
            "total": money(-net, d), "total_tax": money(-tax, d), "taxes": [{"id": rate_id, "total": money(-tax, d), "subtotal": ""}]}));
    }
    if lines.is_empty() && ship_lines.is_empty() {
        return out;
    }
    let tax_lines: Vec<Value> = per_rate
        .iter()
        .map(|(rate_id, t, st)| {
            let rate = RATES.iter().find(|r| r.0 == *rate_id).map_or(0, |r| r.1);
            json!({"rate_id": rate_id, "rate_percent": rate, "tax_total": money(-t, d), "shipping_tax_total": money(-st, d)})
        })
        .collect();
    out.push(json!({"id": id, "date_created": "2026-11-25T09:00:00", "amount": money(amount, d), "reason": "Retur",
        "line_items": lines, "shipping_lines": ship_lines, "fee_lines": [], "tax_lines": tax_lines}));
    out
}

fn add_rate(per_rate: &mut Vec<(i64, i64, i64)>, rate_id: i64, tax: i64, shipping_tax: i64) {
    match per_rate.iter_mut().find(|r| r.0 == rate_id) {
        Some(r) => {
            r.1 += tax;
            r.2 += shipping_tax;
        }
        None => per_rate.push((rate_id, tax, shipping_tax)),
    }
}

/// The knobs of corpus order `i` (deterministic).
pub fn corpus_knobs(i: u64) -> Knobs {
    let mut rng = Rng::new(0xC0FFEE ^ i.wrapping_mul(0x9E37_79B9));
    Knobs {
        seed: rng.next(),
        decimals: [2, 2, 0, 3][usize::try_from(rng.range(0, 3)).unwrap_or(0)],
        prices_include_tax: rng.chance(50),
        round_at_subtotal: rng.chance(50),
        // Most corpus orders have up to 10 lines (keeps the file ~2.5 MB); one in ten up to 30.
        max_lines: if rng.chance(10) { 30 } else { 10 },
    }
}
