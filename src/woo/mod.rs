//! WooCommerce REST v3 input: orders ([`order`]), refunds ([`refund`]) and customers ([`customer`]) exactly as
//! `GET /wp-json/wc/v3/...` and webhooks send them. Parsing is tolerant (unknown fields ignored, missing
//! fields defaulted, numbers accepted as strings and strings as numbers); the typed accessors are strict
//! (money becomes integer minor units through [`crate::money`]). No I/O here.

pub mod client;
pub mod customer;
pub mod order;
pub mod refund;
pub mod webhook;

pub use customer::Customer;
pub use order::Order;
pub use refund::Refund;

use serde::{Deserialize, Deserializer};

/// Why a WooCommerce document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WooError {
    /// The body is not the JSON shape we expect.
    #[error("{what} is not valid WooCommerce JSON")]
    Json {
        /// Which document (`order`, `refund`, `customer`).
        what: &'static str,
        /// The parser's reason (position and field, never the body).
        #[source]
        source: serde_json::Error,
    },
}

/// Numeric text as WooCommerce sent it: a JSON string (`"10.00"`), a number (`575.936`, kept as the text
/// serde_json prints for it) or null/absent (empty text). Parsed into money only by the mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumText(pub String);

impl NumText {
    /// The text (empty for null).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NumText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(NumText(match v {
            serde_json::Value::String(s) => s,
            // Without serde_json's arbitrary_precision a float is reprinted in its shortest round-trip
            // form; only `line_items[].price` arrives as a float and it is never used as an amount.
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
            _ => String::new(),
        }))
    }
}

/// An id or count that may arrive as a number or as numeric text (`"id": ""` appears on images).
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64().unwrap_or_default(),
        serde_json::Value::String(s) => s.trim().parse().unwrap_or_default(),
        _ => 0,
    })
}

/// A string that may be null.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

/// A boolean that may be a string (`"yes"`, `"1"`) or null.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => matches!(s.as_str(), "1" | "yes" | "true"),
        serde_json::Value::Number(n) => n.as_i64().is_some_and(|i| i != 0),
        _ => false,
    })
}

/// One `meta_data[]` entry. `value` may be any JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// The meta key, e.g. `_billing_vat_number`.
    #[serde(deserialize_with = "lenient_string")]
    pub key: String,
    /// The value as sent.
    pub value: serde_json::Value,
}

/// The value of the first meta entry with `key` as text, if it is a non-empty string or a number.
pub fn meta_text<'a>(meta: &'a [Meta], key: &str) -> Option<&'a str> {
    meta.iter()
        .find(|m| m.key == key)
        .and_then(|m| m.value.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A billing or shipping address (`shipping` has no email).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Address {
    #[serde(deserialize_with = "lenient_string")]
    pub first_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub last_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub company: String,
    #[serde(deserialize_with = "lenient_string")]
    pub address_1: String,
    #[serde(deserialize_with = "lenient_string")]
    pub address_2: String,
    #[serde(deserialize_with = "lenient_string")]
    pub city: String,
    #[serde(deserialize_with = "lenient_string")]
    pub state: String,
    #[serde(deserialize_with = "lenient_string")]
    pub postcode: String,
    #[serde(deserialize_with = "lenient_string")]
    pub country: String,
    #[serde(deserialize_with = "lenient_string")]
    pub email: String,
    #[serde(deserialize_with = "lenient_string")]
    pub phone: String,
}

impl Address {
    /// "First Last", trimmed.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim())
            .trim()
            .to_owned()
    }

    /// Whether no field that identifies a place is set.
    pub fn is_empty(&self) -> bool {
        self.address_1.trim().is_empty()
            && self.city.trim().is_empty()
            && self.country.trim().is_empty()
    }
}

/// One entry of a line's `taxes[]`: rate id and the unrounded tax text (`"16.943478"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LineTax {
    /// WooCommerce tax rate id (`tax_lines[].rate_id`).
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Unrounded tax on the line total.
    pub total: NumText,
    /// Unrounded tax on the line subtotal (`""` on shipping and fees).
    pub subtotal: NumText,
}
