//! `woo::Refund`: one element of `GET /wc/v3/orders/{id}/refunds`. Lines carry negative quantities and
//! totals and meta `_refunded_item_id`; an amount-only refund has no lines. No I/O here.

use super::order::{FeeLine, LineItem, ShippingLine, TaxLine};
use super::{lenient_i64, lenient_string, Meta, NumText, WooError};
use serde::Deserialize;

/// A WooCommerce refund.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Refund {
    /// Refund id (same sequence as order ids); `woo:{store}:refund:{id}` is the credit note key.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Local creation time.
    #[serde(deserialize_with = "lenient_string")]
    pub date_created: String,
    /// Positive gross amount refunded.
    pub amount: NumText,
    /// Reason typed by the shop manager.
    #[serde(deserialize_with = "lenient_string")]
    pub reason: String,
    /// Refund meta.
    pub meta_data: Vec<Meta>,
    /// Refunded product lines (negative).
    pub line_items: Vec<LineItem>,
    /// Refunded shipping (negative).
    pub shipping_lines: Vec<ShippingLine>,
    /// Refunded fees (negative; positive for a refunded negative fee).
    pub fee_lines: Vec<FeeLine>,
    /// Tax per rate of the refund (negative).
    pub tax_lines: Vec<TaxLine>,
}

impl Refund {
    /// Parses one refund object.
    ///
    /// # Errors
    /// [`WooError::Json`] when it is not JSON of a refund's shape.
    pub fn from_json(body: &[u8]) -> Result<Refund, WooError> {
        serde_json::from_slice(body).map_err(|source| WooError::Json {
            what: "refund",
            source,
        })
    }

    /// Parses the array `GET /orders/{id}/refunds` returns.
    ///
    /// # Errors
    /// [`WooError::Json`] when it is not a JSON array of refunds.
    pub fn list_from_json(body: &[u8]) -> Result<Vec<Refund>, WooError> {
        serde_json::from_slice(body).map_err(|source| WooError::Json {
            what: "refund list",
            source,
        })
    }

    /// Whether the refund has no line of any kind (an amount-only refund).
    pub fn is_amount_only(&self) -> bool {
        self.line_items.is_empty() && self.shipping_lines.is_empty() && self.fee_lines.is_empty()
    }
}
