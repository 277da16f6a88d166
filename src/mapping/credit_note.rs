//! A WooCommerce refund → Visma `CustomerCreditNoteUpdateDto`. Pure, no I/O.
//!
//! Refund lines (negative in WooCommerce) become positive credit note lines on the same accounts and VAT
//! categories as the order's; a refunded negative fee becomes a negative line. An amount-only refund (no
//! lines, e.g. goodwill) becomes one line per VAT category of the order on `accounts.refund`, the amount
//! split in proportion to the order's gross per category (explicitly labelled). woo refund amount → the
//! credit note's gross (a rounding line covers Visma's VAT rounding); id → `woo:{store}:refund:{id}`.

use super::invoice::{currency_of, order_context, order_lines};
use super::lines::{self, DocLine, LineKind};
use super::totals::{self, Totals, VatDifference};
use super::vat::VatContext;
use super::{customer, document_date, order_key, refund_key, CustomerRef, MappingError, Rounding};
use crate::money::{split_proportionally, Currency};
use crate::settings::{AmountOnlyVat, Settings};
use crate::visma::dto::{val, CustomerCreditNoteUpdateDto, DtoValue};
use crate::woo::{Order, Refund};

/// A refund's credit note, ready to post after the order's invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditNoteDocument {
    /// `woo:{store}:refund:{refund id}` (externalReference and customerRefNumber).
    pub key: String,
    /// The refunded order's key.
    pub order_key: String,
    /// The order's customer.
    pub customer_ref: CustomerRef,
    /// The body for `POST /v1/customerCreditNote`.
    pub credit_note: CustomerCreditNoteUpdateDto,
    /// Visma's totals of the credit note (positive for a refund).
    pub totals: Totals,
    /// The rounding line added, if any.
    pub rounding: Option<Rounding>,
    /// VAT categories where Visma's VAT differs from the refund's WooCommerce tax (line refunds only;
    /// WooCommerce records no tax for amount-only refunds).
    pub vat_differences: Vec<VatDifference>,
    /// A VAT decision the accountant should see in the audit (how an amount-only refund was taxed, total tax
    /// chosen over the per-rate sum).
    pub vat_note: Option<String>,
    /// Text cut to fit Visma (issue #15), for the audit.
    pub cuts: Vec<String>,
}

/// Maps one refund of `order` to a credit note.
///
/// # Errors
/// [`MappingError::Refund`] when the refund is not listed on the order; otherwise as [`super::map_order`].
pub fn map_refund(
    refund: &Refund,
    order: &Order,
    settings: &Settings,
) -> Result<CreditNoteDocument, MappingError> {
    refund_with_lines(refund, order, settings).map(|(note, _, _)| note)
}

/// [`map_refund`], with the checked lines and the currency (a return order is built from them, issue #17).
pub(super) fn refund_with_lines(
    refund: &Refund,
    order: &Order,
    settings: &Settings,
) -> Result<(CreditNoteDocument, Vec<DocLine>, Currency), MappingError> {
    let doc = format!("refund {} of order {}", refund.id, order.id);
    if !order.refunds.is_empty() && !order.refunds.iter().any(|r| r.id == refund.id) {
        return Err(MappingError::Refund {
            doc,
            problem: "the order does not list this refund".to_owned(),
        });
    }
    let currency = currency_of(&doc, &order.currency, settings)?;
    let mut ctx = order_context(order, settings, doc.clone());
    ctx.tax_lines = refund
        .tax_lines
        .iter()
        .chain(order.tax_lines.iter())
        .collect();
    let amount = currency
        .parse_minor(refund.amount.as_str())
        .map_err(|source| MappingError::Amount {
            doc: doc.clone(),
            line: "refund".to_owned(),
            field: "amount",
            source,
        })?;
    let mut woo_tax = 0i64;
    for t in &refund.tax_lines {
        for (field, text) in [
            ("tax_lines[].tax_total", &t.tax_total),
            ("tax_lines[].shipping_tax_total", &t.shipping_tax_total),
        ] {
            woo_tax -=
                currency
                    .parse_minor(text.as_str())
                    .map_err(|source| MappingError::Amount {
                        doc: doc.clone(),
                        line: format!("tax_lines rate {}", t.rate_id),
                        field,
                        source,
                    })?;
        }
    }
    let mut doc_lines = if refund.is_amount_only() {
        amount_only_lines(refund, order, &ctx, currency, amount)?
    } else {
        let sources = lines::sources(
            &refund.line_items,
            &refund.shipping_lines,
            &refund.fee_lines,
        );
        lines::build(&sources, &ctx, currency, -1)?
    };
    super::accounts::apply_order_meta_segments(&mut doc_lines, settings, &order.meta_data);
    // The refund's own tax per category; an amount-only refund records none, so Visma computes its VAT.
    let woo_vat = if refund.is_amount_only() {
        None
    } else {
        Some(ctx.woo_tax_by_category(&refund.tax_lines, currency, -1)?)
    };
    let lines::Finished {
        lines: doc_lines,
        totals,
        rounding,
        woo_vat: sent_vat,
    } = lines::finish(doc_lines, amount, woo_tax, woo_vat.as_ref(), &ctx, currency)?;
    let vat_differences = woo_vat
        .as_ref()
        .map(|w| totals::vat_differences(&totals, w))
        .unwrap_or_default();
    let amount_only = refund.is_amount_only().then_some(match settings.vat.amount_only_refunds {
        AmountOnlyVat::Split => "amount-only refund: its VAT is split over the order's rates in proportion \
                                 (vat.amount_only_refunds = split)",
        AmountOnlyVat::None => {
            "amount-only refund: booked without VAT on the refund account (vat.amount_only_refunds = none)"
        }
    });
    let vat_note = [
        amount_only.map(str::to_owned),
        sent_vat.as_ref().and_then(|v| v.note.clone()),
    ]
    .into_iter()
    .flatten()
    .reduce(|a, b| format!("{a}; {b}"));
    let key = refund_key(&settings.store_id, refund.id);
    let (customer_ref, _) = customer::map_order_customer(order, settings)?;
    let mut cuts = super::text::Cuts::default();
    let doc_lines = super::invoice::fit_descriptions(doc_lines, &mut cuts);
    let date_text = if refund.date_created.trim().is_empty() {
        &order.date_created
    } else {
        &refund.date_created
    };
    let reason = refund.reason.trim();
    let credit_note = CustomerCreditNoteUpdateDto {
        customer_number: customer_ref.number.clone().and_then(val),
        reference_number: settings
            .invoice
            .override_number_series
            .then(|| format!("{}{}", settings.invoice.credit_note_prefix, refund.id))
            .and_then(val),
        override_number_series: settings
            .invoice
            .override_number_series
            .then_some(DtoValue { value: true }),
        document_date: DtoValue {
            value: document_date(&doc, "date_created", date_text)?,
        },
        orig_invoice_date: None,
        currency_id: DtoValue {
            value: currency.code().to_owned(),
        },
        customer_ref_number: DtoValue { value: key.clone() },
        external_reference: DtoValue { value: key.clone() },
        invoice_text: DtoValue {
            value: cuts.fit(
                "credit note text",
                &if reason.is_empty() {
                    format!("Refund {} of WooCommerce order {}", refund.id, order.number)
                } else {
                    format!(
                        "Refund {} of WooCommerce order {}: {reason}",
                        refund.id, order.number
                    )
                },
                super::text::DOCUMENT_TEXT,
            ),
        },
        note: super::invoice::document_note(
            rounding.as_ref(),
            sent_vat.as_ref().and_then(|v| v.note.as_deref()),
            &[],
            currency,
        )
        .and_then(val),
        branch_number: settings.invoice.branch_number.clone().and_then(val),
        hold: DtoValue { value: false },
        lines: (1u32..)
            .zip(&doc_lines)
            .map(|(n, l)| l.to_dto(n, currency))
            .collect(),
        tax_details: sent_vat
            .as_ref()
            .map(|v| super::tax_details::lines(v, &totals, settings, currency))
            .unwrap_or_default(),
    };
    Ok((
        CreditNoteDocument {
            key,
            order_key: order_key(&settings.store_id, order.id),
            customer_ref,
            credit_note,
            totals,
            rounding,
            vat_differences,
            vat_note,
            cuts: cuts.0,
        },
        doc_lines,
        currency,
    ))
}

/// An amount-only refund: the gross split over the order's VAT categories by the order's gross in each.
fn amount_only_lines(
    refund: &Refund,
    order: &Order,
    ctx: &VatContext<'_>,
    currency: Currency,
    amount: i64,
) -> Result<Vec<DocLine>, MappingError> {
    if ctx.settings.vat.amount_only_refunds == AmountOnlyVat::None {
        let account = refund_account(ctx)?;
        return Ok(vec![DocLine {
            kind: LineKind::AmountRefund,
            description: format!(
                "{} (amount-only refund, no VAT: vat.amount_only_refunds = none)",
                reason_of(refund)
            ),
            quantity: 1,
            unit_price_minor: amount,
            discount_minor: 0,
            account,
            subaccount: super::accounts::subaccount_for(ctx.settings, LineKind::AmountRefund),
            category: ctx.untaxed(true)?,
            sku: String::new(),
        }]);
    }
    let order_ctx = order_context(order, ctx.settings, ctx.doc.clone());
    let (order_doc_lines, _, _) = order_lines(order, &order_ctx, currency)?;
    let order_totals = lines::totals_of(&order_doc_lines, ctx, currency)?;
    let mut categories = Vec::new();
    let mut weights = Vec::new();
    for (id, t) in &order_totals.by_category {
        let gross = t.net_minor + t.vat_minor;
        if gross > 0 {
            if let Some(line) = order_doc_lines.iter().find(|l| &l.category.id == id) {
                categories.push(line.category.clone());
                weights.push(gross);
            }
        }
    }
    if categories.is_empty() {
        categories.push(ctx.untaxed(false)?);
        weights.push(1);
    }
    let account = refund_account(ctx)?;
    let reason = reason_of(refund);
    let shares = split_proportionally(amount, &weights);
    Ok(categories
        .into_iter()
        .zip(shares)
        .map(|(category, gross)| DocLine {
            kind: LineKind::AmountRefund,
            description: format!(
                "{reason} (amount-only refund, {} share: VAT split over the order's rates)",
                category.rate
            ),
            quantity: 1,
            unit_price_minor: category.rate.net_in_gross(gross),
            discount_minor: 0,
            account: account.clone(),
            subaccount: super::accounts::subaccount_for(ctx.settings, LineKind::AmountRefund),
            category,
            sku: String::new(),
        })
        .collect())
}

/// The refund's reason, or "Refund".
fn reason_of(refund: &Refund) -> String {
    if refund.reason.trim().is_empty() {
        "Refund".to_owned()
    } else {
        refund.reason.trim().to_owned()
    }
}

/// The account of amount-only refund lines (`accounts.refund`, else sales).
fn refund_account(ctx: &VatContext<'_>) -> Result<String, MappingError> {
    super::accounts::required_account(
        ctx.settings,
        &ctx.doc,
        super::accounts::LineRef {
            kind: LineKind::AmountRefund,
            sku: "",
            product_id: 0,
            tax_class: "",
        },
        false,
    )
}
