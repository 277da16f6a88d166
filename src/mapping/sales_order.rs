//! An order's document lines → SalesOrders v3 `NewSalesOrderCommand` (plain JSON). Pure, no I/O.
//! Issue #17: every inventory id comes from the settings (`[sales_order]`): products by SKU (or the `items` map,
//! or the fallback item), shipping, fee and rounding lines by their own non-stock items; a line whose item is not
//! set fails naming the setting. The order key → customer.refNo; the unit price is manual so Visma's price list
//! cannot change the total; the quantity is the ordered one (`lines::set_price` keeps the amount exact).

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
                doc: format!("{} line {} {:?}", ctx.doc, i + 1, l.description),
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
            doc: ctx.doc.clone(),
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
