//! A paid order → Visma `PaymentUpdateDto` (customer payment) applied to the order's invoice, or in sales-order
//! mode reserved for the sales order (`ordersToApply`, issue #17). Pure, no I/O.
//! woo payment_method (gateway id) → settings `payment_methods` → paymentMethod + cashAccount;
//! woo total → paymentAmount; date_paid → applicationDate; transaction_id (else the order key) → paymentRef.

use super::{document_date, MappingError};
use crate::money::{Currency, Decimal};
use crate::settings::{DocumentType, SalesOrderPayments, Settings};
use crate::visma::dto::{
    val, DtoDecimal, DtoValue, Operation, PaymentLinesUpdateDto, PaymentOrdersLinesUpdateDto,
    PaymentUpdateDto,
};
use crate::woo::Order;

/// Statuses in which WooCommerce has taken the money (a later refund is a credit note, not an unpaid order).
const PAID_STATUSES: &[&str] = &["processing", "completed", "refunded"];

/// Whether the order is paid: it has `date_paid` and a paid status.
pub fn is_paid(order: &Order) -> bool {
    !order.date_paid.trim().is_empty() && PAID_STATUSES.contains(&order.status.as_str())
}

/// The payment for a paid order (when `invoice.post_payments` is on), else `None`.
///
/// # Errors
/// [`MappingError::MissingPaymentMethod`] for a paid order whose gateway is not mapped; date errors.
pub fn for_order(
    order: &Order,
    settings: &Settings,
    key: &str,
    currency: Currency,
    gross_minor: i64,
    customer_number: Option<&str>,
) -> Result<Option<PaymentUpdateDto>, MappingError> {
    let to_order = settings.document_type == DocumentType::SalesOrder;
    if !settings.invoice.post_payments
        || !is_paid(order)
        || (to_order && settings.sales_order.payments == SalesOrderPayments::None)
    {
        return Ok(None);
    }
    let doc = format!("order {}", order.id);
    let method = settings
        .payment_methods
        .get(&order.payment_method)
        .ok_or_else(|| MappingError::MissingPaymentMethod {
            doc: doc.clone(),
            gateway: order.payment_method.clone(),
        })?;
    let date = document_date(&doc, "date_paid", &order.date_paid)?;
    let reference = if order.transaction_id.trim().is_empty() {
        key.to_owned()
    } else {
        order.transaction_id.trim().to_owned()
    };
    let amount = DtoDecimal(Decimal::from_minor(gross_minor, currency.decimals()));
    Ok(Some(PaymentUpdateDto {
        reference_number: None,
        payment_type: DtoValue {
            value: "Payment".to_owned(),
        },
        hold: DtoValue { value: false },
        application_date: DtoValue { value: date },
        payment_ref: DtoValue { value: reference },
        customer: customer_number.and_then(|n| val(n.to_owned())),
        payment_method: Some(DtoValue {
            value: method.payment_method_id.clone(),
        }),
        cash_account: Some(DtoValue {
            value: method.cash_account.clone(),
        }),
        currency: DtoValue {
            value: currency.code().to_owned(),
        },
        payment_amount: DtoValue { value: amount },
        invoice_text: DtoValue {
            value: format!("WooCommerce order {} ({key})", order.number),
        },
        branch: to_order
            .then(|| settings.sales_order.branch.clone())
            .flatten()
            .or_else(|| settings.invoice.branch_number.clone())
            .and_then(val),
        payment_lines: if to_order {
            Vec::new()
        } else {
            vec![PaymentLinesUpdateDto {
                operation: Operation::Insert,
                document_type: DtoValue {
                    value: "Invoice".to_owned(),
                },
                ref_nbr: settings
                    .invoice
                    .override_number_series
                    .then(|| format!("{}{}", settings.invoice.number_prefix, order.number))
                    .and_then(val),
                amount_paid: DtoValue { value: amount },
            }]
        },
        orders_to_apply: if to_order {
            vec![PaymentOrdersLinesUpdateDto {
                operation: Operation::Insert,
                order_type: DtoValue {
                    value: settings.sales_order.order_type.clone(),
                },
                order_number: DtoValue {
                    value: String::new(),
                },
                applied_to_order: DtoValue { value: amount },
            }]
        } else {
            Vec::new()
        },
    }))
}
