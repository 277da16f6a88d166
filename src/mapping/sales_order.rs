//! An order's document lines → SalesOrders v3 `NewSalesOrderCommand` (plain JSON). Pure, no I/O.
//! Issue #17: every inventory id comes from the settings (`[sales_order]`): products by SKU (or the `items` map,
//! or the fallback item), shipping, fee and rounding lines by their own non-stock items; a line whose item is not
//! set fails naming the setting. The order key → customer.refNo; the unit price is manual so Visma's price list
//! cannot change the total; the quantity is the ordered one (`lines::set_price` keeps the amount exact).

use super::lines::{DocLine, LineKind};
use super::MappingError;
use crate::money::{Currency, Decimal};
use crate::settings::Settings;
use crate::visma::dto::{
    DtoDecimal, NewSalesOrderCommand, NewSalesOrderCustomerDto, NewSalesOrderLineDto,
    NewSalesOrderPaymentSettings,
};
use crate::woo::Order;

/// At most `max` characters (SalesOrders v3 limits descriptions).
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Builds the sales order.
///
/// # Errors
/// [`MappingError::MissingSetting`] for a line whose inventory item the settings do not name;
/// [`MappingError::Unsupported`] for an own order number longer than Visma's 15 characters.
#[allow(clippy::too_many_arguments)] // Each argument is a distinct, already-checked input of the command.
pub fn build(
    order: &Order,
    settings: &Settings,
    doc: &str,
    lines: &[DocLine],
    currency: Currency,
    key: &str,
    date: &str,
    customer_number: Option<&str>,
) -> Result<NewSalesOrderCommand, MappingError> {
    let d = currency.decimals();
    let mut order_lines = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let so = &settings.sales_order;
        let (item, setting) = match l.kind {
            LineKind::Item | LineKind::AmountRefund => (
                so.item_for_sku(&l.sku),
                if l.sku.trim().is_empty() {
                    "sales_order.fallback_item"
                } else {
                    "sales_order.items"
                },
            ),
            LineKind::Shipping => (so.shipping_item.clone(), "sales_order.shipping_item"),
            LineKind::Fee => (so.fee_item.clone(), "sales_order.fee_item"),
            LineKind::Rounding => (so.rounding_item.clone(), "sales_order.rounding_item"),
        };
        let Some(inventory_id) = item else {
            return Err(MappingError::MissingSetting {
                doc: format!("{doc} line {} {:?}", i + 1, l.description),
                key: setting,
            });
        };
        let stocked = matches!(l.kind, LineKind::Item);
        order_lines.push(NewSalesOrderLineDto {
            inventory_id,
            description: truncate(&l.description, 256),
            quantity: DtoDecimal(Decimal::new(i128::from(l.quantity), 0)),
            unit_price: DtoDecimal(Decimal::from_minor(l.unit_price_minor, d)),
            has_manual_price: true,
            discount_amount: (l.discount_minor != 0)
                .then(|| DtoDecimal(Decimal::from_minor(l.discount_minor, d))),
            has_manual_discount: l.discount_minor != 0,
            tax_category_id: l.category.id.clone(),
            sales_account_id: l.account.clone(),
            warehouse_id: so.warehouse.clone().filter(|_| stocked),
            subaccount: (1..)
                .zip(&l.subaccount)
                .map(|(n, v): (u32, &String)| (n.to_string(), v.clone()))
                .collect(),
        });
    }
    let method = settings.payment_methods.get(&order.payment_method);
    let order_id = settings
        .invoice
        .override_number_series
        .then(|| format!("{}{}", settings.invoice.number_prefix, order.number));
    // SalesOrders v3: orderId max 15 characters.
    if let Some(id) = order_id.as_ref().filter(|id| id.chars().count() > 15) {
        return Err(MappingError::Unsupported {
            doc: doc.to_owned(),
            line: "order".to_owned(),
            problem: format!("own order number {id:?} is longer than Visma's 15 characters"),
        });
    }
    Ok(NewSalesOrderCommand {
        order_type: settings.sales_order.order_type.clone(),
        order_id,
        override_number_series: settings.invoice.override_number_series,
        currency_id: currency.code().to_owned(),
        date: date.to_owned(),
        description: format!("WooCommerce order {}", order.number),
        customer: NewSalesOrderCustomerDto {
            id: customer_number.map(str::to_owned),
            order: Some(order.number.clone()).filter(|n| !n.is_empty()),
            ref_no: key.to_owned(),
        },
        order_lines,
        payment_settings: method.map(|m| NewSalesOrderPaymentSettings {
            payment_method_id: m.payment_method_id.clone(),
            cash_account_id: m.cash_account.clone(),
            payment_reference: Some(order.transaction_id.clone()).filter(|t| !t.is_empty()),
        }),
        branch_id: settings
            .sales_order
            .branch
            .clone()
            .or_else(|| settings.invoice.branch_number.clone()),
    })
}

/// A refund's return order (settings `sales_order.refunds = "return_order"`): the refunded lines, positive, on an
/// order of `sales_order.return_order_type` keyed by the refund (`customer.refNo`), without payment settings.
/// The amounts are the credit note's (`super::map_refund`), so Visma credits what WooCommerce refunded.
///
/// # Errors
/// [`MappingError::Unsupported`] for an amount-only refund (no goods come back); otherwise as
/// [`super::map_refund`] and [`build`].
pub fn map_return_order(
    refund: &crate::woo::Refund,
    order: &Order,
    settings: &Settings,
) -> Result<ReturnOrderDocument, MappingError> {
    let doc = format!("refund {} of order {}", refund.id, order.id);
    if refund.is_amount_only() {
        return Err(MappingError::Unsupported {
            doc,
            line: "refund".to_owned(),
            problem: "a refund of an amount without lines returns no goods: it is a credit note"
                .to_owned(),
        });
    }
    let (note, lines, currency) = super::credit_note::refund_with_lines(refund, order, settings)?;
    let customer = note.customer_ref.number.clone();
    let date = note.credit_note.document_date.value.clone();
    let mut command = build(
        order,
        settings,
        &doc,
        &lines,
        currency,
        &note.key,
        &date,
        customer.as_deref(),
    )?;
    command.order_type = settings.sales_order.return_order_type.clone();
    command.order_id = None;
    command.override_number_series = false;
    command.payment_settings = None;
    command.description = format!(
        "Return: refund {} of WooCommerce order {}",
        refund.id, order.number
    );
    command.customer.order = Some(order.number.clone()).filter(|n| !n.is_empty());
    Ok(ReturnOrderDocument {
        key: note.key,
        customer_ref: note.customer_ref,
        command,
    })
}

/// A refund as a return order, ready to post after the order's sales order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnOrderDocument {
    /// `woo:{store}:refund:{refund id}` (`customer.refNo`).
    pub key: String,
    /// The order's customer.
    pub customer_ref: super::CustomerRef,
    /// The body for `POST /api/v3/SalesOrders`.
    pub command: NewSalesOrderCommand,
}
