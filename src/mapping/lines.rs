//! WooCommerce lines (items, shipping, fees; refund lines negated) → document lines whose Visma amount equals
//! WooCommerce's line `total` exactly, and the explicit rounding line. Pure, no I/O.
//!
//! Unit prices (why): Visma's line amount is round(quantity × unit price) − discount. A product line is sent
//! with its real quantity and unit price = `subtotal / quantity` when that division is exact in minor units,
//! and the coupon part (`subtotal − total`) as `discountAmountInCurrency` with `manualDiscount`, so the
//! coupon shows as a line discount. When the division is not exact (776.79 / 6 → 129.465) the ordered
//! quantity is still sent, at the unit price rounded up to the minor unit (129.47), and the excess (0.03)
//! joins the line discount: no unit price with more decimals than the company keeps can shift the amount,
//! and a sales order ships what was ordered. Shipping and fees are quantity 1 × total.
//! A line taxed at several rates (WooCommerce spreads a negative fee over the cart's rates) is split into
//! one line per rate, each net = round(WooCommerce's unrounded tax / rate); a residue larger than rounding
//! is the untaxed share of the cart and goes on an untaxed part, a smaller one on the largest part.

use super::accounts::{required_account, subaccount_for, LineRef};
use super::tax_details;
use super::totals::{totals_with, Totals};
use super::vat::{Category, VatContext};
use super::{MappingError, Rounding};
use crate::money::{Currency, Decimal};
use crate::visma::dto::{
    CustomerInvoiceLinesUpdateDto, DtoDecimal, DtoValue, Operation, SegmentUpdateDto,
};
use crate::woo::order::{FeeLine, LineItem, ShippingLine};
use crate::woo::{LineTax, NumText};
use std::collections::BTreeMap;

/// What a document line stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A product line.
    Item,
    /// A shipping line.
    Shipping,
    /// A fee line (also negative fees).
    Fee,
    /// An amount-only refund's line.
    AmountRefund,
    /// The explicit rounding line.
    Rounding,
}

/// A checked document line, before it becomes a DTO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    /// Kind.
    pub kind: LineKind,
    /// Description.
    pub description: String,
    /// Quantity sent (an integer).
    pub quantity: i64,
    /// Unit price in minor units.
    pub unit_price_minor: i64,
    /// Line discount in minor units (coupons).
    pub discount_minor: i64,
    /// GL account.
    pub account: String,
    /// VAT category.
    pub category: Category,
    /// Subaccount segment values.
    pub subaccount: Vec<String>,
    /// SKU (product lines).
    pub sku: String,
}

impl DocLine {
    /// The line's amount: quantity × unit price − discount.
    pub fn net_minor(&self) -> i64 {
        self.quantity
            .saturating_mul(self.unit_price_minor)
            .saturating_sub(self.discount_minor)
    }

    /// The line as `CustomerInvoiceLinesUpdateDto` (same shape for credit note lines).
    pub fn to_dto(&self, line_number: u32, currency: Currency) -> CustomerInvoiceLinesUpdateDto {
        let d = currency.decimals();
        CustomerInvoiceLinesUpdateDto {
            operation: Operation::Insert,
            line_number: DtoValue { value: line_number },
            inventory_number: None,
            description: DtoValue {
                value: self.description.clone(),
            },
            quantity: DtoValue {
                value: DtoDecimal(Decimal::new(i128::from(self.quantity), 0)),
            },
            unit_price_in_currency: DtoValue {
                value: DtoDecimal(Decimal::from_minor(self.unit_price_minor, d)),
            },
            manual_amount_in_currency: None,
            account_number: DtoValue {
                value: self.account.clone(),
            },
            subaccount: segments(&self.subaccount),
            vat_code_id: DtoValue {
                value: self.category.id.clone(),
            },
            discount_amount_in_currency: (self.discount_minor != 0).then(|| DtoValue {
                value: DtoDecimal(Decimal::from_minor(self.discount_minor, d)),
            }),
            manual_discount: (self.discount_minor != 0).then_some(DtoValue { value: true }),
            note: None,
        }
    }
}

fn segments(values: &[String]) -> Vec<SegmentUpdateDto> {
    (1u32..)
        .zip(values)
        .map(|(segment_id, v)| SegmentUpdateDto {
            segment_id,
            segment_value: v.clone(),
        })
        .collect()
}

/// One WooCommerce line of any kind, as the mapping reads it.
#[derive(Debug, Clone)]
pub struct SourceLine<'a> {
    /// Kind.
    pub kind: LineKind,
    /// `line_items[0] id 239 "Kinobillett"`, for errors.
    pub label: String,
    /// Name for the description.
    pub name: &'a str,
    /// SKU.
    pub sku: &'a str,
    /// Product id.
    pub product_id: i64,
    /// Tax class.
    pub tax_class: &'a str,
    /// WooCommerce does not tax it.
    pub not_taxable: bool,
    /// Quantity (items).
    pub quantity: Option<&'a NumText>,
    /// Net before coupons (items).
    pub subtotal: Option<&'a NumText>,
    /// Net after coupons.
    pub total: &'a NumText,
    /// Unrounded taxes per rate.
    pub taxes: &'a [LineTax],
}

/// The source lines of an order or refund, in document order: items, shipping, fees.
pub fn sources<'a>(
    items: &'a [LineItem],
    shipping: &'a [ShippingLine],
    fees: &'a [FeeLine],
) -> Vec<SourceLine<'a>> {
    let mut out = Vec::new();
    for (i, l) in items.iter().enumerate() {
        out.push(SourceLine {
            kind: LineKind::Item,
            label: format!("line_items[{i}] id {} {:?}", l.id, l.name),
            name: &l.name,
            sku: &l.sku,
            product_id: l.product_id,
            tax_class: &l.tax_class,
            not_taxable: false,
            quantity: Some(&l.quantity),
            subtotal: Some(&l.subtotal),
            total: &l.total,
            taxes: &l.taxes,
        });
    }
    for (i, l) in shipping.iter().enumerate() {
        out.push(SourceLine {
            kind: LineKind::Shipping,
            label: format!("shipping_lines[{i}] id {} {:?}", l.id, l.method_title),
            name: &l.method_title,
            sku: "",
            product_id: 0,
            tax_class: "",
            not_taxable: false,
            quantity: None,
            subtotal: None,
            total: &l.total,
            taxes: &l.taxes,
        });
    }
    for (i, l) in fees.iter().enumerate() {
        out.push(SourceLine {
            kind: LineKind::Fee,
            label: format!("fee_lines[{i}] id {} {:?}", l.id, l.name),
            name: &l.name,
            sku: "",
            product_id: 0,
            tax_class: &l.tax_class,
            not_taxable: l.is_not_taxable(),
            quantity: None,
            subtotal: None,
            total: &l.total,
            taxes: &l.taxes,
        });
    }
    out
}

fn amount(
    ctx: &VatContext<'_>,
    label: &str,
    field: &'static str,
    text: &NumText,
    c: Currency,
) -> Result<i64, MappingError> {
    c.parse_minor(text.as_str())
        .map_err(|source| MappingError::Amount {
            doc: ctx.doc.clone(),
            line: label.to_owned(),
            field,
            source,
        })
}

/// Builds the document lines; `sign` is −1 for refunds (WooCommerce's negative refund lines become a
/// credit note's positive lines). Zero shipping and fee lines (free shipping) are left out.
///
/// # Errors
/// [`MappingError`] for a bad amount or a tax rate without (or with the wrong) VAT category.
pub fn build(
    sources: &[SourceLine<'_>],
    ctx: &VatContext<'_>,
    currency: Currency,
    sign: i64,
) -> Result<Vec<DocLine>, MappingError> {
    let mut out = Vec::new();
    for src in sources {
        let total = sign * amount(ctx, &src.label, "total", src.total, currency)?;
        let parts = tax_parts(src, ctx, currency, sign, total)?;
        if total == 0 && src.kind != LineKind::Item && parts.len() <= 1 {
            continue;
        }
        let abroad = ctx.is_abroad();
        let account = required_account(
            ctx.settings,
            &ctx.doc,
            LineRef {
                kind: src.kind,
                sku: src.sku,
                product_id: src.product_id,
                tax_class: src.tax_class,
            },
            abroad,
        )?;
        let category = match parts.first() {
            Some(p) => p.0.clone(),
            None => ctx.untaxed(src.not_taxable)?,
        };
        let base = DocLine {
            kind: src.kind,
            description: src.name.trim().to_owned(),
            quantity: 1,
            unit_price_minor: total,
            discount_minor: 0,
            account,
            category,
            subaccount: subaccount_for(ctx.settings, src.kind),
            sku: src.sku.to_owned(),
        };
        if let [(category, _)] = parts.as_slice() {
            let mut line = DocLine {
                category: category.clone(),
                ..base
            };
            if let (Some(q), Some(s)) = (src.quantity, src.subtotal) {
                // A fractional quantity (plugins allow them) is never rounded: the line goes as 1 × subtotal.
                let qty_millionths = Decimal::parse(q.as_str())
                    .and_then(|d| d.round_to(6))
                    .map_err(|source| MappingError::Amount {
                        doc: ctx.doc.clone(),
                        line: src.label.clone(),
                        field: "quantity",
                        source,
                    })?
                    * sign;
                let qty = if qty_millionths % 1_000_000 == 0 {
                    qty_millionths / 1_000_000
                } else {
                    0
                };
                let subtotal = sign * amount(ctx, &src.label, "subtotal", s, currency)?;
                if qty == 0 {
                    let text = Decimal::new(i128::from(qty_millionths), 6).to_string();
                    let text = text.trim_end_matches('0').trim_end_matches('.');
                    line.description = format!("{} (× {text})", line.description);
                }
                set_price(&mut line, qty, subtotal, total).map_err(|problem| {
                    MappingError::Unsupported {
                        doc: ctx.doc.clone(),
                        line: src.label.clone(),
                        problem,
                    }
                })?;
            }
            out.push(line);
        } else {
            for (category, net) in parts {
                let description = format!("{} ({})", base.description, category.rate);
                out.push(DocLine {
                    description,
                    unit_price_minor: net,
                    category,
                    ..base.clone()
                });
            }
        }
    }
    Ok(out)
}

/// Quantity, unit price and coupon discount so that the Visma amount is exactly `total`.
///
/// Issue #17: the ordered quantity is always sent (a sales order ships and invoices it). When `gross / qty` is
/// not whole in minor units the unit price is rounded up and the few minor units too many (< qty) join the
/// line discount, so quantity × unit price − discount is still exactly WooCommerce's total. `qty == 0` is a
/// fractional quantity (plugins allow them): 1 × gross, the caller names the quantity in the description.
///
/// Issue #15: nothing is silently fixed. A negative quantity or a negative price is sent as it is when its
/// unit price is whole in minor units (−2 × 50.00); otherwise, or with a coupon on it, the line is refused with
/// the reason, never turned into quantity 1.
///
/// # Errors
/// The reason, for a negative line that has no exact unit price.
fn set_price(line: &mut DocLine, qty: i64, subtotal: i64, total: i64) -> Result<(), String> {
    let discount = subtotal - total;
    let discount_ok = discount == 0
        || (discount.signum() == subtotal.signum() && discount.abs() <= subtotal.abs());
    let (gross, discount) = if discount_ok {
        (subtotal, discount)
    } else {
        (total, 0)
    };
    let negative = qty < 0 || gross < 0;
    if qty != 0 && gross % qty == 0 && !(negative && discount != 0) {
        line.quantity = qty;
        line.unit_price_minor = gross / qty;
        line.discount_minor = discount;
    } else if qty > 1 && gross > 0 {
        let unit = gross / qty + 1;
        line.quantity = qty;
        line.unit_price_minor = unit;
        line.discount_minor = discount + (unit * qty - gross);
    } else if qty == 0 {
        line.quantity = 1;
        line.unit_price_minor = gross;
        line.discount_minor = discount;
    } else {
        return Err(format!(
            "quantity {qty} with a line total of {gross} minor units{} has no exact unit price; WooCommerce \
             allows such a line, Visma needs quantity × unit price − discount to equal it",
            if discount == 0 {
                String::new()
            } else {
                format!(" less a discount of {discount}")
            }
        ));
    }
    Ok(())
}

/// The VAT categories of a line and the net on each (one part unless taxed at several categories).
fn tax_parts(
    src: &SourceLine<'_>,
    ctx: &VatContext<'_>,
    currency: Currency,
    sign: i64,
    total: i64,
) -> Result<Vec<(Category, i64)>, MappingError> {
    let mut parts: Vec<(Category, i64, bool)> = Vec::new();
    for tax in src.taxes {
        let category = ctx.for_rate(&src.label, tax.id)?;
        let exact = Decimal::parse(tax.total.as_str()).map_err(|source| MappingError::Amount {
            doc: ctx.doc.clone(),
            line: src.label.clone(),
            field: "taxes[].total",
            source,
        })?;
        let net = category
            .rate
            .net_for_exact_vat(exact, currency.decimals())
            .map(|n| n * sign);
        match parts.iter_mut().find(|p| p.0 == category) {
            Some(p) => p.1 += net.unwrap_or(0),
            None => parts.push((category, net.unwrap_or(0), net.is_none())),
        }
    }
    if parts.is_empty() {
        return Ok(vec![(ctx.untaxed(src.not_taxable)?, total)]);
    }
    if parts.len() == 1 {
        return Ok(parts.into_iter().map(|(c, _, _)| (c, total)).collect());
    }
    let residue = total - parts.iter().map(|p| p.1).sum::<i64>();
    let tolerance = i64::try_from(parts.len()).unwrap_or(i64::MAX);
    if let Some(zero) = parts.iter_mut().find(|p| p.2) {
        zero.1 += residue;
    } else if residue.abs() <= tolerance {
        if let Some(largest) = parts.iter_mut().max_by_key(|p| p.1.abs()) {
            largest.1 += residue;
        }
    } else {
        parts.push((ctx.untaxed(false)?, residue, true));
    }
    Ok(parts
        .into_iter()
        .filter(|p| p.1 != 0)
        .map(|(c, n, _)| (c, n))
        .collect())
}

/// Computes Visma's totals of `lines` and, when they miss `expected_gross`, appends the explicit rounding
/// line. `woo_tax_minor` is WooCommerce's tax total, reported against Visma's VAT.
///
/// # Errors
/// [`MappingError::NoRoundingAccount`] when a residue needs a rounding line and none is configured,
/// [`MappingError::ResidueTooLarge`] when the residue is more than rounding can explain.
pub fn finish(
    mut lines: Vec<DocLine>,
    expected_gross: i64,
    woo_tax_minor: i64,
    woo_by_category: Option<&BTreeMap<String, i64>>,
    ctx: &VatContext<'_>,
    currency: Currency,
) -> Result<Finished, MappingError> {
    let mut before = totals_of(&lines, ctx, currency)?;
    // WooCommerce's VAT, sent as tax detail lines, replaces Visma's computed VAT before the residue is measured.
    let woo_vat = woo_by_category.and_then(|by_category| {
        tax_details::woo_vat(&before, by_category, woo_tax_minor, ctx.settings, currency)
    });
    if let Some(vat) = &woo_vat {
        tax_details::apply(&mut before, vat);
    }
    let residue = expected_gross - before.gross_minor;
    if residue == 0 {
        return Ok(Finished {
            lines,
            totals: before,
            rounding: None,
            woo_vat,
        });
    }
    // Visma rounds VAT once per category, WooCommerce per line (or per rate at subtotal), and
    // WooCommerce's own `total` can be off its parts by ±0.02: at most about one minor unit per line.
    let limit = i64::try_from(lines.len())
        .unwrap_or(i64::MAX)
        .saturating_add(2);
    if residue.abs() > limit {
        return Err(MappingError::ResidueTooLarge {
            doc: ctx.doc.clone(),
            residue: currency.format_minor(residue) + " " + currency.code(),
            limit: currency.format_minor(limit) + " " + currency.code(),
        });
    }
    let Some(account) = ctx.settings.accounts.rounding.clone() else {
        return Err(MappingError::NoRoundingAccount {
            doc: ctx.doc.clone(),
            residue: currency.format_minor(residue) + " " + currency.code(),
        });
    };
    let explanation = format!(
        "rounding {} {c}: Visma VAT {} vs WooCommerce tax {}, Visma gross {} vs WooCommerce {}",
        currency.format_minor(residue),
        currency.format_minor(before.vat_minor),
        currency.format_minor(woo_tax_minor),
        currency.format_minor(before.gross_minor),
        currency.format_minor(expected_gross),
        c = currency.code()
    );
    lines.push(DocLine {
        kind: LineKind::Rounding,
        description: "Øreavrunding (VAT rounding difference)".to_owned(),
        quantity: 1,
        unit_price_minor: residue,
        discount_minor: 0,
        account,
        category: ctx.rounding()?,
        subaccount: subaccount_for(ctx.settings, LineKind::Rounding),
        sku: String::new(),
    });
    let mut after = totals_of(&lines, ctx, currency)?;
    if let Some(vat) = &woo_vat {
        tax_details::apply(&mut after, vat);
    }
    let rounding = Rounding {
        amount_minor: residue,
        vat_difference_minor: after.vat_minor - woo_tax_minor,
        explanation,
    };
    Ok(Finished {
        lines,
        totals: after,
        rounding: Some(rounding),
        woo_vat,
    })
}

/// A document's lines with the rounding line (if any), its totals as Visma will hold them, and the VAT sent
/// as tax detail lines (when every taxed category has a VAT id).
#[derive(Debug)]
pub struct Finished {
    /// Document lines, the rounding line last.
    pub lines: Vec<DocLine>,
    /// Visma's totals, with WooCommerce's VAT where it is sent.
    pub totals: Totals,
    /// The rounding line's amount and explanation.
    pub rounding: Option<Rounding>,
    /// WooCommerce's VAT per category, sent as tax detail lines.
    pub woo_vat: Option<tax_details::WooVat>,
}

/// Visma's totals of document lines (through their DTO form, exactly what is sent).
///
/// # Errors
/// [`MappingError::Unsupported`] if a category has no rate (settings validation prevents it).
pub fn totals_of(
    lines: &[DocLine],
    ctx: &VatContext<'_>,
    currency: Currency,
) -> Result<Totals, MappingError> {
    let dtos: Vec<_> = (1u32..)
        .zip(lines)
        .map(|(n, l)| l.to_dto(n, currency))
        .collect();
    totals_with(&dtos, currency, |c| ctx.settings.category_rate(c)).map_err(|e| {
        MappingError::Unsupported {
            doc: ctx.doc.clone(),
            line: format!("line {}", e.line),
            problem: e.problem,
        }
    })
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
