//! Sales-order mode's steps (issue #17). Visma makes the invoice from a sales order when the merchant ships it,
//! so the connector never knows that invoice:
//! - a paid order's payment is reserved for the sales order (`ordersToApply`) and released; Visma carries it to
//!   the invoice made from the order;
//! - a refund of a paid order is a credit note paid out by a customer refund (as in invoice mode); a refund of an
//!   unpaid order is a credit note left open, for the accountant to apply to the order's invoice;
//! - with `sales_order.refunds = "return_order"`, a refund with lines is a return order of those lines instead
//!   (`post::return_order`); Visma credits the customer when the return is invoiced;
//! - an order cancelled after it was sent is reported: the sales order is cancelled in Visma (SalesOrders v3 has
//!   no cancel call), and nothing is credited that was never invoiced.

use super::steps::{self, audit_note};
use super::{Engine, Held, JobFailure};
use crate::settings::DocumentType;
use crate::store::queue::Completion;
use crate::store::DocKind;
use crate::visma::dto::PaymentUpdateDto;
use crate::visma::{Prior, Releasable};
use crate::woo::Order;
use std::time::Instant;

/// True in sales-order mode.
pub(crate) fn active(engine: &Engine) -> bool {
    engine.settings().document_type == DocumentType::SalesOrder
}

/// True when this refund becomes a return order (sales-order mode, `refunds = "return_order"`, and goods come
/// back: a refund of an amount without lines stays a credit note).
pub(crate) fn returns_goods(engine: &Engine, refund: &crate::woo::Refund) -> bool {
    active(engine)
        && engine.settings().sales_order.refunds == crate::settings::SalesOrderRefunds::ReturnOrder
        && !refund.is_amount_only()
}

/// `"SO 000123"` (the id map's name of a sales order) → (`SO`, `000123`).
pub(crate) fn split(name: &str) -> Option<(&str, &str)> {
    name.split_once(' ')
        .filter(|(t, n)| !t.is_empty() && !n.is_empty())
}

/// A paid order's payment reserved for its sales order `name`, once, and released.
pub(crate) fn pay(
    engine: &Engine,
    held: &Held<'_>,
    order_id: u64,
    name: &str,
    key: &str,
    payment: &mut PaymentUpdateDto,
    prior: Prior,
) -> Result<(), JobFailure> {
    if let Some(done) = engine
        .store()
        .lookup_mapping(engine.books(), DocKind::Payment, order_id)?
    {
        if steps::releases(engine) {
            let number = done.mapping.visma_number;
            steps::release(engine, held, Releasable::Payment, &number, false)?;
        }
        return Ok(());
    }
    let Some((order_type, order_no)) = split(name) else {
        return Err(JobFailure::permanent(format!(
            "sales order {name:?} on record has no type and number"
        )));
    };
    let customer = payment.customer_number();
    payment.apply_to_order(&customer, order_type, order_no);
    engine.keep_lease(held).map_err(JobFailure::from)?;
    let started = Instant::now();
    let made = engine
        .visma()
        .create_order_payment_once(&customer, (order_type, order_no), prior, payment)
        .map_err(|e| JobFailure::visma("customerpayment.create", &e))?;
    let target = format!("sales order {name}");
    steps::paid(
        engine,
        held,
        order_id,
        key,
        &made,
        started,
        ("reserved for", &target),
    )
}

/// Why an unpaid order's credit note stays open in sales-order mode.
pub(crate) fn unpaid_credit_note(credit_note: &str, sales_order: &str) -> String {
    format!(
        "credit note {credit_note} left open: sales order {sales_order} was not paid, and its invoice is made in \
         Visma; apply the credit note to that invoice when it is released"
    )
}

/// An order cancelled after its sales order was sent: reported, with what to do.
pub(crate) fn cancelled(engine: &Engine, held: &Held<'_>, order: &Order, name: &str) -> Completion {
    audit_note(
        engine,
        held,
        None,
        Some(name),
        format!(
            "order {} is {} after sales order {name} was sent: cancel the sales order in Visma (a paid order's \
             payment stays reserved for it until then)",
            order.id, order.status
        ),
    );
    Completion::EditedAfterPosting {
        visma_number: name.to_owned(),
    }
}
