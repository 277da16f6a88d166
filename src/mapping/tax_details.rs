//! WooCommerce's own VAT → Visma tax detail lines (issue #14). Pure, no I/O.
//!
//! Visma computes VAT once per category from the net; WooCommerce rounds per line (or per rate at subtotal), so
//! the two differ by an øre on about one order in five. A category whose Visma VAT id is known
//! (`vat.vat_ids`) gets a tax detail line (taxId, taxableAmount, vatAmount) carrying WooCommerce's tax, and Visma
//! books that instead of recomputing. The VAT sent sums to the document's WooCommerce tax (`total_tax` for an
//! order); a rounding line is then left only for a gross difference (WooCommerce's `total` off its own parts).

use super::totals::Totals;
use crate::money::Currency;
use crate::settings::Settings;
use crate::visma::dto::{DtoDecimal, DtoValue, TaxDetailUpdateDto};
use std::collections::BTreeMap;

/// The VAT per category that Visma is told to book, and what had to be decided to get there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WooVat {
    /// Category → VAT in minor units (every category the document's lines use).
    pub by_category: BTreeMap<String, i64>,
    /// Said on the document and in the audit when WooCommerce's per-rate tax and its total disagree.
    pub note: Option<String>,
}

/// WooCommerce's tax per category, moved to sum to `target` (the order's `total_tax`), for the categories the
/// lines use. `None` (Visma computes the VAT, as before) when a category with tax has no VAT id in settings,
/// WooCommerce charged tax in a category no line uses (Visma refuses a tax detail line for it), or recorded no
/// tax for a category whose lines Visma would tax.
///
/// Where the per-rate `tax_lines` do not sum to `total_tax` (WooCommerce rounds them separately when it rounds
/// at subtotal: 7 of the 322 real orders), Visma gets `total_tax`, the figure WooCommerce's order total, its
/// e-mails and the order screen show; the difference goes to the category with the most VAT and is noted.
pub fn woo_vat(
    lines_totals: &Totals,
    woo_by_category: &BTreeMap<String, i64>,
    target: i64,
    settings: &Settings,
    currency: Currency,
) -> Option<WooVat> {
    let used = &lines_totals.by_category;
    let mut by_category = BTreeMap::new();
    for (category, total) in used {
        let woo = woo_by_category.get(category).copied();
        if woo.is_none() && total.vat_minor != 0 {
            // Lines taxed at this category's rate, but no WooCommerce tax recorded for it (a document without
            // its tax_lines): nothing to send but Visma's own computation.
            return None;
        }
        let woo = woo.unwrap_or(0);
        if settings.vat.vat_ids.contains_key(category) {
            by_category.insert(category.clone(), woo);
        } else if woo != 0 || total.vat_minor != 0 {
            return None;
        }
    }
    if woo_by_category
        .iter()
        .any(|(category, vat)| *vat != 0 && !used.contains_key(category))
    {
        return None;
    }
    let sum: i64 = by_category.values().sum();
    let mut note = None;
    if sum != target {
        let (largest, _) = by_category
            .iter()
            .filter(|(c, _)| settings.category_rate(c).is_some_and(|r| !r.is_zero()))
            .max_by_key(|(_, vat)| vat.abs())?;
        let largest = largest.clone();
        *by_category.entry(largest.clone()).or_insert(0) += target - sum;
        note = Some(format!(
            "WooCommerce's tax per rate sums to {} but its total tax is {}: Visma got the total tax, {} on VAT category {largest}",
            currency.format_minor(sum),
            currency.format_minor(target),
            currency.format_minor(target - sum),
        ));
    }
    Some(WooVat { by_category, note })
}

/// Replaces Visma's computed VAT with `vat` for the categories it names, then the totals.
pub fn apply(totals: &mut Totals, vat: &WooVat) {
    for (category, t) in &mut totals.by_category {
        if let Some(v) = vat.by_category.get(category) {
            t.vat_minor = *v;
        }
    }
    totals.vat_minor = totals.by_category.values().map(|c| c.vat_minor).sum();
    totals.gross_minor = totals.net_minor + totals.vat_minor;
}

/// The tax detail lines for `vat`, the taxable amounts from the document's final totals.
pub fn lines(
    vat: &WooVat,
    totals: &Totals,
    settings: &Settings,
    currency: Currency,
) -> Vec<TaxDetailUpdateDto> {
    let decimal = |minor: i64| DtoValue {
        value: DtoDecimal(crate::money::Decimal::from_minor(
            minor,
            currency.decimals(),
        )),
    };
    vat.by_category
        .iter()
        .filter_map(|(category, v)| {
            let id = settings.vat.vat_ids.get(category)?;
            let net = totals.by_category.get(category).map_or(0, |c| c.net_minor);
            Some(TaxDetailUpdateDto {
                tax_id: DtoValue { value: id.clone() },
                taxable_amount: decimal(net),
                vat_amount: decimal(*v),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::totals::CategoryTotal;

    fn lines_totals(categories: &[(&str, i64, i64)]) -> Totals {
        let mut t = Totals::default();
        for (id, net, vat) in categories {
            t.by_category.insert(
                (*id).to_owned(),
                CategoryTotal {
                    net_minor: *net,
                    vat_minor: *vat,
                },
            );
            t.net_minor += net;
        }
        t
    }

    fn woo(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(c, v)| ((*c).to_owned(), *v)).collect()
    }

    #[test]
    fn total_tax_wins_over_the_per_rate_sum_and_the_difference_is_said() {
        let s = Settings::example().expect("example");
        let nok = s.currency("NOK").expect("NOK");
        let t = lines_totals(&[("3", 4000, 1000), ("31", 1333, 200), ("6", -1, 0)]);
        let got = woo_vat(&t, &woo(&[("3", 999), ("31", 200)]), 1201, &s, nok).expect("sent");
        assert_eq!(got.by_category, woo(&[("3", 1001), ("31", 200), ("6", 0)]));
        let note = got.note.expect("noted");
        assert!(
            note.contains("sums to 11.99 but its total tax is 12.01"),
            "{note}"
        );
        assert!(note.contains("0.02 on VAT category 3"), "{note}");
        // Agreeing figures: no note.
        let got = woo_vat(&t, &woo(&[("3", 999), ("31", 200)]), 1199, &s, nok).expect("sent");
        assert_eq!(got.note, None);
        let mut totals = t.clone();
        apply(&mut totals, &got);
        assert_eq!((totals.vat_minor, totals.gross_minor), (1199, 5332 + 1199));
    }

    #[test]
    fn a_taxed_category_without_a_vat_id_or_without_a_line_leaves_the_vat_to_visma() {
        let mut s = Settings::example().expect("example");
        let nok = s.currency("NOK").expect("NOK");
        let t = lines_totals(&[("3", 4000, 1000)]);
        // WooCommerce taxed category 31 but no line is in it: Visma would refuse the tax detail line.
        assert_eq!(
            woo_vat(&t, &woo(&[("3", 1000), ("31", 5)]), 1005, &s, nok),
            None
        );
        // Lines Visma taxes, but no WooCommerce tax recorded for their category (no tax_lines).
        assert_eq!(woo_vat(&t, &woo(&[]), 0, &s, nok), None);
        s.vat.vat_ids.remove("3");
        assert_eq!(woo_vat(&t, &woo(&[("3", 1000)]), 1000, &s, nok), None);
    }
}
