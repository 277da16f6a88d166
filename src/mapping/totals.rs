//! THE totals function: a document's net, VAT and gross computed the way Visma computes them.
//! Per line: amount = round(quantity × unit price, currency decimals) − discount (or the manual amount);
//! per VAT category: VAT = round(Σ line amounts × category rate). Pure, no I/O; rounding via `money`.

use crate::money::{Currency, Decimal, VatRate};
use crate::settings::Settings;
use crate::visma::dto::{
    CustomerCreditNoteUpdateDto, CustomerInvoiceLinesUpdateDto, CustomerInvoiceUpdateDto,
    NewSalesOrderLineDto, TaxDetailUpdateDto,
};
use std::collections::BTreeMap;

/// A document line as Visma reads it.
pub trait VismaLine {
    /// Quantity.
    fn quantity(&self) -> Decimal;
    /// Unit price in the document currency.
    fn unit_price(&self) -> Decimal;
    /// Discount amount in the document currency (zero if none).
    fn discount(&self) -> Decimal;
    /// Manual amount, which replaces quantity × unit price when set.
    fn manual_amount(&self) -> Option<Decimal>;
    /// VAT category id.
    fn vat_category(&self) -> &str;
}

impl VismaLine for CustomerInvoiceLinesUpdateDto {
    fn quantity(&self) -> Decimal {
        self.quantity.value.0
    }
    fn unit_price(&self) -> Decimal {
        self.unit_price_in_currency.value.0
    }
    fn discount(&self) -> Decimal {
        self.discount_amount_in_currency
            .as_ref()
            .map_or(Decimal::ZERO, |d| d.value.0)
    }
    fn manual_amount(&self) -> Option<Decimal> {
        self.manual_amount_in_currency.as_ref().map(|d| d.value.0)
    }
    fn vat_category(&self) -> &str {
        &self.vat_code_id.value
    }
}

impl VismaLine for NewSalesOrderLineDto {
    fn quantity(&self) -> Decimal {
        self.quantity.0
    }
    fn unit_price(&self) -> Decimal {
        self.unit_price.0
    }
    fn discount(&self) -> Decimal {
        self.discount_amount.map_or(Decimal::ZERO, |d| d.0)
    }
    fn manual_amount(&self) -> Option<Decimal> {
        None
    }
    fn vat_category(&self) -> &str {
        &self.tax_category_id
    }
}

/// Net and VAT of one VAT category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CategoryTotal {
    /// Σ line amounts.
    pub net_minor: i64,
    /// round(net × rate).
    pub vat_minor: i64,
}

/// A document's totals as Visma computes them, in minor units of the document currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Σ line amounts.
    pub net_minor: i64,
    /// Σ per-category VAT.
    pub vat_minor: i64,
    /// net + VAT.
    pub gross_minor: i64,
    /// Per VAT category id.
    pub by_category: BTreeMap<String, CategoryTotal>,
}

/// A line's VAT category has no rate in settings, or an amount overflowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct TotalsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// One line's amount as Visma computes it.
pub fn line_amount<L: VismaLine>(
    line: &L,
    currency: Currency,
) -> Result<i64, crate::money::MoneyError> {
    let d = currency.decimals();
    match line.manual_amount() {
        Some(m) => m.round_to(d),
        None => {
            Ok(line.quantity().times(line.unit_price()).round_to(d)?
                - line.discount().round_to(d)?)
        }
    }
}

/// Net, VAT and gross of `lines` the way Visma computes them, with category rates from `settings`.
///
/// # Errors
/// [`TotalsError`] for a category without a rate or an amount out of range.
pub fn visma_totals<L: VismaLine>(
    lines: &[L],
    settings: &Settings,
    currency: Currency,
) -> Result<Totals, TotalsError> {
    totals_with(lines, currency, |c| settings.category_rate(c))
}

/// An invoice's totals as Visma holds them: [`visma_totals`] of its lines, then its tax detail lines' VAT.
///
/// # Errors
/// As [`visma_totals`]; a tax detail line whose VAT id is in no category of `vat.vat_ids`.
pub fn invoice_totals(
    invoice: &CustomerInvoiceUpdateDto,
    settings: &Settings,
    currency: Currency,
) -> Result<Totals, TotalsError> {
    let totals = visma_totals(&invoice.invoice_lines, settings, currency)?;
    with_tax_details(totals, &invoice.tax_detail_lines, settings, currency)
}

/// [`invoice_totals`] for a credit note (its tax detail lines are named `taxDetails`).
///
/// # Errors
/// As [`invoice_totals`].
pub fn credit_note_totals(
    note: &CustomerCreditNoteUpdateDto,
    settings: &Settings,
    currency: Currency,
) -> Result<Totals, TotalsError> {
    let totals = visma_totals(&note.lines, settings, currency)?;
    with_tax_details(totals, &note.tax_details, settings, currency)
}

/// Visma books a tax detail line's VAT for the category holding its VAT id instead of its own computation.
fn with_tax_details(
    mut totals: Totals,
    details: &[TaxDetailUpdateDto],
    settings: &Settings,
    currency: Currency,
) -> Result<Totals, TotalsError> {
    for d in details {
        let category = settings
            .vat
            .vat_ids
            .iter()
            .find(|(_, id)| **id == d.tax_id.value)
            .map(|(c, _)| c.clone())
            .ok_or_else(|| TotalsError {
                line: 0,
                problem: format!(
                    "VAT id {:?} is in no category of vat.vat_ids",
                    d.tax_id.value
                ),
            })?;
        let vat = d
            .vat_amount
            .value
            .0
            .round_to(currency.decimals())
            .map_err(|e| TotalsError {
                line: 0,
                problem: e.to_string(),
            })?;
        totals.by_category.entry(category).or_default().vat_minor = vat;
    }
    totals.vat_minor = totals.by_category.values().map(|c| c.vat_minor).sum();
    totals.gross_minor = totals.net_minor + totals.vat_minor;
    Ok(totals)
}

/// [`visma_totals`] with the category rates given as a function (for tests and other rate sources).
///
/// # Errors
/// [`TotalsError`] for a category without a rate or an amount out of range.
pub fn totals_with<L: VismaLine>(
    lines: &[L],
    currency: Currency,
    rate_of: impl Fn(&str) -> Option<VatRate>,
) -> Result<Totals, TotalsError> {
    let mut by_category: BTreeMap<String, CategoryTotal> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let amount = line_amount(line, currency).map_err(|e| TotalsError {
            line: i + 1,
            problem: e.to_string(),
        })?;
        let entry = by_category
            .entry(line.vat_category().to_owned())
            .or_default();
        entry.net_minor += amount;
    }
    let mut totals = Totals::default();
    for (category, t) in &mut by_category {
        let rate = rate_of(category).ok_or_else(|| TotalsError {
            line: 0,
            problem: format!("VAT category {category:?} has no rate"),
        })?;
        t.vat_minor = rate.vat_on(t.net_minor);
        totals.net_minor += t.net_minor;
        totals.vat_minor += t.vat_minor;
    }
    totals.gross_minor = totals.net_minor + totals.vat_minor;
    totals.by_category = by_category;
    Ok(totals)
}

/// A VAT category whose VAT, as Visma computes it, differs from WooCommerce's tax at the mapped rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatDifference {
    /// Visma VAT category id.
    pub category: String,
    /// Visma's VAT in the category.
    pub visma_minor: i64,
    /// WooCommerce's tax (`tax_lines[]` tax + shipping tax) at the rates mapped to the category.
    pub woo_minor: i64,
}

/// Categories where Visma's VAT differs from WooCommerce's per-rate tax (both directions; a category
/// missing on one side counts as 0). Shown on the document next to any rounding line.
pub fn vat_differences(
    totals: &Totals,
    woo_by_category: &BTreeMap<String, i64>,
) -> Vec<VatDifference> {
    let mut ids: Vec<&String> = totals
        .by_category
        .keys()
        .chain(woo_by_category.keys())
        .collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let visma = totals.by_category.get(id).map_or(0, |c| c.vat_minor);
            let woo = woo_by_category.get(id).copied().unwrap_or(0);
            (visma != woo).then(|| VatDifference {
                category: id.clone(),
                visma_minor: visma,
                woo_minor: woo,
            })
        })
        .collect()
}

/// Human text for differences: `"VAT category 3: Visma 1098.66, WooCommerce 1098.67"`.
pub fn describe_differences(diffs: &[VatDifference], currency: Currency) -> Option<String> {
    if diffs.is_empty() {
        return None;
    }
    let parts: Vec<String> = diffs
        .iter()
        .map(|d| {
            format!(
                "VAT category {}: Visma {}, WooCommerce {}",
                d.category,
                currency.format_minor(d.visma_minor),
                currency.format_minor(d.woo_minor)
            )
        })
        .collect();
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visma::dto::{DtoDecimal, DtoValue, Operation};

    fn line(
        qty: &str,
        price: &str,
        discount: Option<&str>,
        cat: &str,
    ) -> CustomerInvoiceLinesUpdateDto {
        let dec = |t: &str| DtoDecimal(Decimal::parse(t).expect("decimal"));
        CustomerInvoiceLinesUpdateDto {
            operation: Operation::Insert,
            line_number: DtoValue { value: 1 },
            inventory_number: None,
            description: DtoValue {
                value: "x".to_owned(),
            },
            quantity: DtoValue { value: dec(qty) },
            unit_price_in_currency: DtoValue { value: dec(price) },
            manual_amount_in_currency: None,
            account_number: DtoValue {
                value: "3000".to_owned(),
            },
            subaccount: Vec::new(),
            vat_code_id: DtoValue {
                value: cat.to_owned(),
            },
            discount_amount_in_currency: discount.map(|d| DtoValue { value: dec(d) }),
            manual_discount: None,
            note: None,
        }
    }

    fn rate(cat: &str) -> Option<VatRate> {
        match cat {
            "3" => Some(VatRate::from_percent(25)),
            "33" => Some(VatRate::from_percent(12)),
            "6" => Some(VatRate::ZERO),
            _ => None,
        }
    }

    #[test]
    fn vat_is_rounded_once_per_category_not_per_line() {
        let nok = Currency::parse("NOK", &[]).expect("NOK");
        // Two lines of 0.02 at 25 %: per line 0.005 → 0.01 each would be 0.02; per category 0.04 × 25 % = 0.01.
        let t = totals_with(
            &[line("1", "0.02", None, "3"), line("1", "0.02", None, "3")],
            nok,
            rate,
        )
        .expect("totals");
        assert_eq!((t.net_minor, t.vat_minor, t.gross_minor), (4, 1, 5));
        // quantity × price rounded to the currency, minus discount; 0 % category adds no VAT.
        let t = totals_with(
            &[
                line("3", "6.87", None, "33"),
                line("2", "50.00", Some("10.00"), "33"),
                line("1", "-0.27", None, "6"),
            ],
            nok,
            rate,
        )
        .expect("totals");
        assert_eq!(
            t.by_category.get("33").map(|c| (c.net_minor, c.vat_minor)),
            Some((11061, 1327))
        );
        assert_eq!(
            (t.net_minor, t.vat_minor, t.gross_minor),
            (11034, 1327, 12361)
        );
    }

    #[test]
    fn unknown_category_is_an_error_not_zero_vat() {
        let nok = Currency::parse("NOK", &[]).expect("NOK");
        assert!(totals_with(&[line("1", "1.00", None, "99")], nok, rate).is_err());
    }
}
