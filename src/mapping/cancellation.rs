//! An order cancelled (or failed) after its invoice was posted → a credit note that mirrors the invoice
//! (issue #14: "Cancelled and failed orders: not invoiced, or credited if they were"). Pure, no I/O.
//! The credit note carries the invoice's lines exactly, so it cancels the invoice to the øre; its key is
//! `woo:{store}:cancel:{order id}`.

use super::credit_note::CreditNoteDocument;
use super::{map_order, MappingError, SalesDocument};
use crate::settings::Settings;
use crate::visma::dto::{CustomerCreditNoteUpdateDto, DtoValue};
use crate::woo::Order;

/// `woo:{store}:cancel:{order id}`.
pub fn cancellation_key(store: &str, order_id: i64) -> String {
    format!("woo:{store}:cancel:{order_id}")
}

/// Whether WooCommerce has given the order up: cancelled or failed.
pub fn is_cancelled(order: &Order) -> bool {
    matches!(order.status.trim(), "cancelled" | "failed")
}

/// The credit note that cancels `order`'s invoice.
///
/// # Errors
/// As [`super::map_order`]; [`MappingError::Unsupported`] for an order booked as a sales order (Visma cancels
/// those on the order itself).
pub fn map_cancellation(
    order: &Order,
    settings: &Settings,
) -> Result<CreditNoteDocument, MappingError> {
    let docs = map_order(order, settings)?;
    let SalesDocument::Invoice(invoice) = docs.document else {
        return Err(MappingError::Unsupported {
            doc: format!("order {}", order.id),
            line: "order".to_owned(),
            problem: "a cancelled sales order is cancelled in Visma, not credited".to_owned(),
        });
    };
    let key = cancellation_key(&settings.store_id, order.id);
    let credit_note = CustomerCreditNoteUpdateDto {
        customer_number: invoice.customer_number,
        reference_number: None,
        override_number_series: None,
        document_date: invoice.document_date,
        orig_invoice_date: None,
        currency_id: invoice.currency_id,
        customer_ref_number: DtoValue { value: key.clone() },
        external_reference: DtoValue { value: key.clone() },
        invoice_text: DtoValue {
            value: format!(
                "WooCommerce order {} was {} after it was invoiced",
                order.number,
                order.status.trim()
            ),
        },
        note: invoice.note,
        branch_number: invoice.branch_number,
        hold: DtoValue { value: false },
        lines: invoice.invoice_lines,
        tax_details: invoice.tax_detail_lines,
    };
    Ok(CreditNoteDocument {
        key,
        order_key: docs.key,
        customer_ref: docs.customer_ref,
        credit_note,
        totals: docs.totals,
        rounding: docs.rounding,
        vat_differences: docs.vat_differences,
        vat_note: docs.vat_note,
        cuts: docs.cuts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_order_is_credited_line_for_line() {
        let text = include_str!("../../tests/fixtures/woo/real/orders/70.json");
        let mut order = Order::from_json(text.as_bytes()).expect("real order 70");
        let settings = Settings::example().expect("settings");
        let invoice = match map_order(&order, &settings).expect("maps").document {
            SalesDocument::Invoice(i) => i,
            SalesDocument::SalesOrder(_) => panic!("invoice settings"),
        };
        order.status = "cancelled".to_owned();
        assert!(is_cancelled(&order));
        let note = map_cancellation(&order, &settings).expect("credits");
        assert_eq!(note.key, format!("woo:default:cancel:{}", order.id));
        assert_eq!(note.credit_note.lines, invoice.invoice_lines);
        assert_eq!(note.credit_note.currency_id, invoice.currency_id);
        assert!(note.key.len() <= 40);
    }
}
