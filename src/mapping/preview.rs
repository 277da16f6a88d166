//! The dry-run preview: the Visma payload(s) an order (and its refunds) would become, as one JSON value, with
//! Visma's totals and any rounding line explained. Shown by `ml-connector map`, `wp ml-connector map` and the
//! plugin. Pure: serialisation only.

use super::{CreditNoteDocument, OrderDocuments, Rounding, SalesDocument, Totals, VatDifference};
use serde_json::{json, Value};

fn totals(t: &Totals) -> Value {
    let by_category: serde_json::Map<String, Value> = t
        .by_category
        .iter()
        .map(|(id, c)| {
            (
                id.clone(),
                json!({"net_minor": c.net_minor, "vat_minor": c.vat_minor}),
            )
        })
        .collect();
    json!({"net_minor": t.net_minor, "vat_minor": t.vat_minor, "gross_minor": t.gross_minor, "by_category": by_category})
}

fn rounding(r: Option<&Rounding>) -> Value {
    r.map_or(Value::Null, |r| {
        json!({"amount_minor": r.amount_minor, "vat_difference_minor": r.vat_difference_minor, "explanation": r.explanation})
    })
}

fn differences(diffs: &[VatDifference]) -> Value {
    diffs
        .iter()
        .map(|d| json!({"category": d.category, "visma_minor": d.visma_minor, "woo_minor": d.woo_minor}))
        .collect()
}

/// The preview of `docs` and the credit notes of its refunds.
pub fn preview(docs: &OrderDocuments, notes: &[CreditNoteDocument]) -> Value {
    let (kind, body) = match &docs.document {
        SalesDocument::Invoice(inv) => ("customer_invoice", serde_json::to_value(inv)),
        SalesDocument::SalesOrder(so) => ("sales_order", serde_json::to_value(so)),
    };
    let credit_notes: Vec<Value> = notes
        .iter()
        .map(|n| {
            json!({"key": n.key, "customer_credit_note": serde_json::to_value(&n.credit_note).unwrap_or(Value::Null),
                   "totals": totals(&n.totals), "rounding": rounding(n.rounding.as_ref()),
                   "vat_differences": differences(&n.vat_differences)})
        })
        .collect();
    json!({
        "key": docs.key,
        "customer_ref": {"number": docs.customer_ref.number, "email_key": docs.customer_ref.email_key},
        "customer": docs.customer.as_ref().map(serde_json::to_value).transpose().unwrap_or(None),
        kind: body.unwrap_or(Value::Null),
        "payment": docs.payment.as_ref().map(serde_json::to_value).transpose().unwrap_or(None),
        "totals": totals(&docs.totals),
        "rounding": rounding(docs.rounding.as_ref()),
        "vat_differences": differences(&docs.vat_differences),
        "credit_notes": credit_notes,
    })
}
