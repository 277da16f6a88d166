//! `woo::Order`: the REST v3 order (`GET /wc/v3/orders/{id}`, webhook `order.*` bodies) with every line array.
//! Tolerant serde only; amounts stay [`NumText`] until the mapping reads them in the order's currency.
//! No I/O here.

use super::{lenient_bool, lenient_i64, lenient_string, Address, LineTax, Meta, NumText, WooError};
use serde::Deserialize;

/// A WooCommerce order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Order id (`woo:{store}:{id}` is the document key).
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Order number as displayed (usually the id).
    #[serde(deserialize_with = "lenient_string")]
    pub number: String,
    /// Status (`processing`, `completed`, `refunded`, …).
    #[serde(deserialize_with = "lenient_string")]
    pub status: String,
    /// ISO currency code.
    #[serde(deserialize_with = "lenient_string")]
    pub currency: String,
    /// Whether catalogue prices included tax when the order was made.
    #[serde(deserialize_with = "lenient_bool")]
    pub prices_include_tax: bool,
    /// Local creation time, `YYYY-MM-DDTHH:MM:SS`.
    #[serde(deserialize_with = "lenient_string")]
    pub date_created: String,
    /// Local paid time or empty.
    #[serde(deserialize_with = "lenient_string")]
    pub date_paid: String,
    /// Local completion time or empty.
    #[serde(deserialize_with = "lenient_string")]
    pub date_completed: String,
    /// Coupon discount, excluding tax.
    pub discount_total: NumText,
    /// Tax part of the coupon discount.
    pub discount_tax: NumText,
    /// Shipping, excluding tax.
    pub shipping_total: NumText,
    /// Tax on shipping.
    pub shipping_tax: NumText,
    /// Tax on items and fees.
    pub cart_tax: NumText,
    /// What the customer paid (gross).
    pub total: NumText,
    /// Total tax.
    pub total_tax: NumText,
    /// Customer id, 0 for guests.
    #[serde(deserialize_with = "lenient_i64")]
    pub customer_id: i64,
    /// Billing address (with email and phone).
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Gateway id (`bacs`, `cod`, …).
    #[serde(deserialize_with = "lenient_string")]
    pub payment_method: String,
    /// Gateway title.
    #[serde(deserialize_with = "lenient_string")]
    pub payment_method_title: String,
    /// Gateway transaction id.
    #[serde(deserialize_with = "lenient_string")]
    pub transaction_id: String,
    /// Customer's note.
    #[serde(deserialize_with = "lenient_string")]
    pub customer_note: String,
    /// Order meta (`_billing_vat_number`, …).
    pub meta_data: Vec<Meta>,
    /// Product lines.
    pub line_items: Vec<LineItem>,
    /// Tax totals per rate.
    pub tax_lines: Vec<TaxLine>,
    /// Shipping lines.
    pub shipping_lines: Vec<ShippingLine>,
    /// Fee lines (also negative fees).
    pub fee_lines: Vec<FeeLine>,
    /// Coupons applied.
    pub coupon_lines: Vec<CouponLine>,
    /// Refund summaries `{id, reason, total (negative)}`.
    pub refunds: Vec<RefundSummary>,
}

impl Order {
    /// Parses an order body.
    ///
    /// # Errors
    /// [`WooError::Json`] when it is not JSON of an order's shape.
    pub fn from_json(body: &[u8]) -> Result<Order, WooError> {
        serde_json::from_slice(body).map_err(|source| WooError::Json {
            what: "order",
            source,
        })
    }

    /// The destination country: shipping country, else billing country (WooCommerce taxes on shipping).
    pub fn destination_country(&self) -> &str {
        let ship = self.shipping.country.trim();
        if ship.is_empty() {
            self.billing.country.trim()
        } else {
            ship
        }
    }
}

/// A product line (`line_items[]`; in refunds quantities and totals are negative).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LineItem {
    /// Line id.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Product name.
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    /// Product id.
    #[serde(deserialize_with = "lenient_i64")]
    pub product_id: i64,
    /// Variation id (0 if none).
    #[serde(deserialize_with = "lenient_i64")]
    pub variation_id: i64,
    /// Quantity (integer in WooCommerce core).
    pub quantity: NumText,
    /// Tax class (`""` standard, `reduced-rate`, …).
    #[serde(deserialize_with = "lenient_string")]
    pub tax_class: String,
    /// Net before coupons.
    pub subtotal: NumText,
    /// Tax before coupons.
    pub subtotal_tax: NumText,
    /// Net after coupons: what the Visma line's net must equal.
    pub total: NumText,
    /// Tax after coupons.
    pub total_tax: NumText,
    /// Unrounded taxes per rate.
    pub taxes: Vec<LineTax>,
    /// Line meta (`_refunded_item_id` on refunds).
    pub meta_data: Vec<Meta>,
    /// SKU.
    #[serde(deserialize_with = "lenient_string")]
    pub sku: String,
}

/// A `shipping_lines[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShippingLine {
    /// Line id.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Method title, e.g. "Sending med Posten".
    #[serde(deserialize_with = "lenient_string")]
    pub method_title: String,
    /// Method id (`flat_rate`, `free_shipping`).
    #[serde(deserialize_with = "lenient_string")]
    pub method_id: String,
    /// Net.
    pub total: NumText,
    /// Tax.
    pub total_tax: NumText,
    /// Unrounded taxes per rate.
    pub taxes: Vec<LineTax>,
    /// Line meta.
    pub meta_data: Vec<Meta>,
}

/// A `fee_lines[]` entry. A non-taxable fee has `tax_class: "0"` (see the real README).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FeeLine {
    /// Line id.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Fee name.
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    /// Tax class (`"0"` = not taxable).
    #[serde(deserialize_with = "lenient_string")]
    pub tax_class: String,
    /// `taxable` or `none`.
    #[serde(deserialize_with = "lenient_string")]
    pub tax_status: String,
    /// Net (negative for discounts).
    pub total: NumText,
    /// Tax.
    pub total_tax: NumText,
    /// Unrounded taxes per rate (a negative fee spreads over several rates).
    pub taxes: Vec<LineTax>,
    /// Line meta.
    pub meta_data: Vec<Meta>,
}

impl FeeLine {
    /// Whether WooCommerce treats the fee as not taxable.
    pub fn is_not_taxable(&self) -> bool {
        self.tax_status == "none" || self.tax_class.trim() == "0"
    }
}

/// A `tax_lines[]` entry: the order's tax per rate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TaxLine {
    /// Rate id.
    #[serde(deserialize_with = "lenient_i64")]
    pub rate_id: i64,
    /// Rate code, e.g. `NO-MVA 25%-1`.
    #[serde(deserialize_with = "lenient_string")]
    pub rate_code: String,
    /// Label.
    #[serde(deserialize_with = "lenient_string")]
    pub label: String,
    /// Items + fees tax at this rate.
    pub tax_total: NumText,
    /// Shipping tax at this rate.
    pub shipping_tax_total: NumText,
    /// Rate in per cent.
    pub rate_percent: NumText,
    /// Compound rate.
    #[serde(deserialize_with = "lenient_bool")]
    pub compound: bool,
}

/// A `coupon_lines[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CouponLine {
    /// Coupon code.
    #[serde(deserialize_with = "lenient_string")]
    pub code: String,
    /// Discount excluding tax.
    pub discount: NumText,
    /// Tax part of the discount.
    pub discount_tax: NumText,
}

/// A `refunds[]` summary on the order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RefundSummary {
    /// Refund id.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Reason.
    #[serde(deserialize_with = "lenient_string")]
    pub reason: String,
    /// Negative amount.
    pub total: NumText,
}
