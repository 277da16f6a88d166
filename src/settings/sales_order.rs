//! Settings of the sales-order mode (`document_type = "sales_order"`, issue #17): the order type, the inventory
//! items of lines without a product, how products find their item, warehouse and branch, and what a payment and
//! a refund become. Every id here is the merchant's company's own; none is built in.

use serde::Deserialize;
use std::collections::BTreeMap;

/// What a paid order's payment becomes in sales-order mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SalesOrderPayments {
    /// A customer payment applied to the sales order (`ordersToApply`). Visma carries it to the invoice made
    /// from the order, so the invoice is paid when it is released.
    #[default]
    ApplyToOrder,
    /// No payment: the merchant records it when invoicing in Visma.
    None,
}

/// What a refund of a sales-order-mode order becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SalesOrderRefunds {
    /// A customer credit note, released; paid out by a customer refund when the order was paid, else left open
    /// for the invoice Visma makes from the order.
    #[default]
    CreditNote,
    /// A return order (`return_order_type`, e.g. `RC`) of the refunded lines: the goods come back through
    /// Visma's returns, which credits the customer when the return is invoiced. A refund of an amount without
    /// lines returns no goods and stays a credit note.
    ReturnOrder,
}

/// `[sales_order]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SalesOrderSettings {
    /// Sales order type (an active type of the company, e.g. `SO`).
    pub order_type: String,
    /// Non-stock inventory item of shipping lines.
    pub shipping_item: Option<String>,
    /// Non-stock inventory item of fee lines (also negative fees).
    pub fee_item: Option<String>,
    /// Non-stock inventory item of the rounding line.
    pub rounding_item: Option<String>,
    /// Item of product lines without a SKU (and of amount-only refund lines).
    pub fallback_item: Option<String>,
    /// SKU → inventory item, where they differ; other SKUs are the item's id.
    pub items: BTreeMap<String, String>,
    /// Warehouse of product lines (else the item's default warehouse).
    pub warehouse: Option<String>,
    /// Branch of the order (else `invoice.branch_number`).
    pub branch: Option<String>,
    /// Payments of paid orders.
    pub payments: SalesOrderPayments,
    /// Refunds: credit notes or return orders.
    pub refunds: SalesOrderRefunds,
    /// Order type of return orders (required with `refunds = "return_order"`).
    pub return_order_type: String,
}

impl SalesOrderSettings {
    /// The inventory item of a product line: the `items` entry for its SKU, the SKU itself, else the fallback.
    pub fn item_for_sku(&self, sku: &str) -> Option<String> {
        let sku = sku.trim();
        if sku.is_empty() {
            return self.fallback_item.clone();
        }
        Some(
            self.items
                .get(sku)
                .cloned()
                .unwrap_or_else(|| sku.to_owned()),
        )
    }

    /// Every item id the settings name, with its setting key (for `visma check`).
    pub fn named_items(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = [
            ("sales_order.shipping_item", &self.shipping_item),
            ("sales_order.fee_item", &self.fee_item),
            ("sales_order.rounding_item", &self.rounding_item),
            ("sales_order.fallback_item", &self.fallback_item),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
        .collect();
        out.extend(
            self.items
                .iter()
                .map(|(sku, item)| (format!("sales_order.items.{sku}"), item.clone())),
        );
        out
    }
}
