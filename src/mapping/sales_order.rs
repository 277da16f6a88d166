//! An order's document lines → SalesOrders v3 `NewSalesOrderCommand` (plain JSON). Pure, no I/O.
//! woo sku → inventoryId (shipping, fee and rounding lines use the non-stock items FRAKT, GEBYR, AVRUNDING);
//! the order key → customer.refNo; the unit price is manual so Visma's price list cannot change the total.

use super::lines::{DocLine, LineKind};
use super::vat::VatContext;
use super::MappingError;
use crate::money::{Currency, Decimal};
use crate::settings::Settings;
use crate::visma::dto::{
    DtoDecimal, NewSalesOrderCommand, NewSalesOrderCustomerDto, NewSalesOrderLineDto,
    NewSalesOrderPaymentSettings,
};
use crate::woo::Order;

/// Non-stock items of the demo company for lines without a product.
const SHIPPING_ITEM: &str = "FRAKT";
const FEE_ITEM: &str = "GEBYR";
const ROUNDING_ITEM: &str = "AVRUNDING";

/// At most `max` characters (SalesOrders v3 limits descriptions).
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Builds the sales order.
///
/// # Errors
/// [`MappingError::Unsupported`] for a product line without SKU (Visma needs an inventory id).
#[allow(clippy::too_many_arguments)] // Each argument is a distinct, already-checked input of the command.
pub fn build(
    order: &Order,
    settings: &Settings,
    ctx: &VatContext<'_>,
    lines: &[DocLine],
    currency: Currency,
    key: &str,
    date: &str,
    customer_number: Option<&str>,
) -> Result<NewSalesOrderCommand, MappingError> {
    let d = currency.decimals();
    let mut order_lines = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let inventory_id = match l.kind {
            LineKind::Item | LineKind::AmountRefund if l.sku.trim().is_empty() => {
                return Err(MappingError::Unsupported {
                    doc: ctx.doc.clone(),
                    line: format!("line {} {:?}", i + 1, l.description),
                    problem: "a sales order line needs a SKU (Visma inventoryId)".to_owned(),
                })
            }
            LineKind::Item | LineKind::AmountRefund => l.sku.trim().to_owned(),
            LineKind::Shipping => SHIPPING_ITEM.to_owned(),
            LineKind::Fee => FEE_ITEM.to_owned(),
            LineKind::Rounding => ROUNDING_ITEM.to_owned(),
        };
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
            doc: ctx.doc.clone(),
            line: "order".to_owned(),
            problem: format!("own order number {id:?} is longer than Visma's 15 characters"),
        });
    }
    Ok(NewSalesOrderCommand {
        order_type: settings.invoice.sales_order_type.clone(),
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
        branch_id: settings.invoice.branch_number.clone(),
    })
}
