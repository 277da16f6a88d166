//! A WooCommerce order → [`OrderDocuments`]: customer, invoice (or sales order), payment. Pure, no I/O.
//!
//! woo id → externalReference = customerRefNumber = `woo:{store}:{id}`; number → referenceNumber (own
//! numbering with overrideNumberSeries); date_paid/date_created → documentDate; currency → currencyId;
//! payment_method → paymentMethodId + cashAccount; lines → invoiceLines (see `lines`); a rounding line's
//! explanation → note.

use super::lines::{self, DocLine};
use super::tax_details;
use super::text;
use super::totals::{self, VatDifference};
use super::vat::VatContext;
use super::{
    customer, document_date, order_key, payment, sales_order, MappingError, OrderDocuments,
    Rounding, SalesDocument,
};
use crate::money::Currency;
use crate::settings::{DocumentDate, DocumentType, Settings};
use crate::visma::dto::{val, CustomerInvoiceUpdateDto, DtoValue};
use crate::woo::Order;

/// The document note: the rounding line's explanation and any per-category VAT difference.
pub(crate) fn document_note(
    rounding: Option<&Rounding>,
    vat_note: Option<&str>,
    diffs: &[VatDifference],
    currency: Currency,
) -> Option<String> {
    let parts: Vec<String> = rounding
        .map(|r| r.explanation.clone())
        .into_iter()
        .chain(vat_note.map(str::to_owned))
        .chain(totals::describe_differences(diffs, currency))
        .collect();
    (!parts.is_empty()).then(|| parts.join(". "))
}

/// The order's currency, if settings allow it.
pub(crate) fn currency_of(
    doc: &str,
    code: &str,
    settings: &Settings,
) -> Result<Currency, MappingError> {
    settings.currency(code).map_err(|_| MappingError::Currency {
        doc: doc.to_owned(),
        code: code.to_owned(),
    })
}

/// The VAT context of an order.
pub(crate) fn order_context<'a>(
    order: &'a Order,
    settings: &'a Settings,
    doc: String,
) -> VatContext<'a> {
    VatContext {
        settings,
        doc,
        destination: order.destination_country().to_ascii_uppercase(),
        buyer_has_vat_number: customer::vat_number(&order.meta_data, settings).is_some(),
        tax_lines: order.tax_lines.iter().collect(),
    }
}

/// The order's document lines before rounding, with Visma's expected gross and WooCommerce's tax.
pub(crate) fn order_lines(
    order: &Order,
    ctx: &VatContext<'_>,
    currency: Currency,
) -> Result<(Vec<DocLine>, i64, i64), MappingError> {
    let sources = lines::sources(&order.line_items, &order.shipping_lines, &order.fee_lines);
    let mut doc_lines = lines::build(&sources, ctx, currency, 1)?;
    super::accounts::apply_order_meta_segments(&mut doc_lines, ctx.settings, &order.meta_data);
    let parse = |field: &'static str, text: &str| {
        currency
            .parse_minor(text)
            .map_err(|source| MappingError::Amount {
                doc: ctx.doc.clone(),
                line: "order".to_owned(),
                field,
                source,
            })
    };
    Ok((
        doc_lines,
        parse("total", order.total.as_str())?,
        parse("total_tax", order.total_tax.as_str())?,
    ))
}

/// Whether the order's status is one settings `invoice.statuses` turns into documents (default
/// `processing`, `completed`, `refunded`); drafts, pending, on-hold, cancelled and failed orders wait or are skipped.
pub fn should_map(order: &Order, settings: &Settings) -> bool {
    let status = order.status.trim();
    if settings.invoice.statuses.is_empty() {
        matches!(status, "processing" | "completed" | "refunded")
    } else {
        settings.invoice.statuses.iter().any(|s| s == status)
    }
}

/// Maps an order to everything it becomes in Visma.
///
/// # Errors
/// [`MappingError`] naming the order, the line and the missing setting; never a silent fallback.
pub fn map_order(order: &Order, settings: &Settings) -> Result<OrderDocuments, MappingError> {
    let doc = format!("order {}", order.id);
    let currency = currency_of(&doc, &order.currency, settings)?;
    let ctx = order_context(order, settings, doc.clone());
    let (doc_lines, gross, woo_tax) = order_lines(order, &ctx, currency)?;
    let woo_vat = ctx.woo_tax_by_category(&order.tax_lines, currency, 1)?;
    let lines::Finished {
        lines: doc_lines,
        totals,
        rounding,
        woo_vat: sent_vat,
    } = lines::finish(
        doc_lines,
        gross,
        woo_tax,
        // SalesOrders v3 takes no tax detail lines: Visma computes a sales order's VAT.
        (settings.document_type == DocumentType::Invoice).then_some(&woo_vat),
        &ctx,
        currency,
    )?;
    let key = order_key(&settings.store_id, order.id);
    let (customer_ref, customer) = customer::map_order_customer(order, settings)?;
    let mut cuts = text::Cuts(customer_ref.cuts.clone());
    let doc_lines = fit_descriptions(doc_lines, &mut cuts);
    let (field, date) = match settings.document_date {
        DocumentDate::Paid if !order.date_paid.trim().is_empty() => ("date_paid", &order.date_paid),
        _ => ("date_created", &order.date_created),
    };
    let date = document_date(&doc, field, date)?;
    let method = settings.payment_methods.get(&order.payment_method);
    let vat_differences = totals::vat_differences(&totals, &woo_vat);
    let vat_note = sent_vat.as_ref().and_then(|v| v.note.clone());
    let note = document_note(
        rounding.as_ref(),
        sent_vat.as_ref().and_then(|v| v.note.as_deref()),
        &vat_differences,
        currency,
    );
    let document = match settings.document_type {
        DocumentType::Invoice => SalesDocument::Invoice(CustomerInvoiceUpdateDto {
            customer_number: customer_ref.number.clone().and_then(val),
            reference_number: settings
                .invoice
                .override_number_series
                .then(|| format!("{}{}", settings.invoice.number_prefix, order.number))
                .and_then(val),
            override_number_series: settings
                .invoice
                .override_number_series
                .then_some(DtoValue { value: true }),
            document_date: DtoValue { value: date },
            currency_id: DtoValue {
                value: currency.code().to_owned(),
            },
            credit_terms_id: settings.invoice.credit_terms_id.clone().and_then(val),
            payment_method_id: method.map(|m| m.payment_method_id.clone()).and_then(val),
            cash_account: method.map(|m| m.cash_account.clone()).and_then(val),
            customer_ref_number: DtoValue { value: key.clone() },
            external_reference: DtoValue { value: key.clone() },
            invoice_text: DtoValue {
                value: cuts.fit(
                    "invoice text",
                    &format!("WooCommerce order {}", order.number),
                    text::DOCUMENT_TEXT,
                ),
            },
            note: note.and_then(val),
            branch_number: settings.invoice.branch_number.clone().and_then(val),
            hold: DtoValue { value: false },
            invoice_lines: (1u32..)
                .zip(&doc_lines)
                .map(|(n, l)| l.to_dto(n, currency))
                .collect(),
            tax_detail_lines: sent_vat
                .as_ref()
                .map(|v| tax_details::lines(v, &totals, settings, currency))
                .unwrap_or_default(),
        }),
        DocumentType::SalesOrder => SalesDocument::SalesOrder(sales_order::build(
            order,
            settings,
            &ctx.doc,
            &doc_lines,
            currency,
            &key,
            &date,
            customer_ref.number.as_deref(),
        )?),
    };
    let mut payment = payment::for_order(
        order,
        settings,
        &key,
        currency,
        gross,
        customer_ref.number.as_deref(),
    )?;
    if let Some(p) = payment.as_mut() {
        p.payment_ref.value = cuts.fit("payment reference", &p.payment_ref.value, text::REFERENCE);
    }
    Ok(OrderDocuments {
        key,
        customer_ref,
        customer,
        document,
        payment,
        totals,
        rounding,
        vat_differences,
        vat_note,
        cuts: cuts.0,
    })
}

/// Each line's description cleaned and cut to Visma's length ([`text`]).
pub(super) fn fit_descriptions(mut lines: Vec<DocLine>, cuts: &mut text::Cuts) -> Vec<DocLine> {
    for (i, l) in lines.iter_mut().enumerate() {
        let field = format!("line {} description", i + 1);
        l.description = cuts.fit(&field, &l.description, text::LINE_DESCRIPTION);
    }
    lines
}
