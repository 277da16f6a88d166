//! `woo::Customer`: `GET /wc/v3/customers/{id}` and `customer.*` webhook bodies. No I/O here.

use super::{lenient_i64, lenient_string, Address, Meta, WooError};
use serde::Deserialize;

/// A registered WooCommerce customer (guests exist only on orders).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// Customer (WordPress user) id.
    #[serde(deserialize_with = "lenient_i64")]
    pub id: i64,
    /// Account email.
    #[serde(deserialize_with = "lenient_string")]
    pub email: String,
    /// First name.
    #[serde(deserialize_with = "lenient_string")]
    pub first_name: String,
    /// Last name.
    #[serde(deserialize_with = "lenient_string")]
    pub last_name: String,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// User meta (`billing_vat_number` on seeded B2B customers).
    pub meta_data: Vec<Meta>,
}

impl Customer {
    /// Parses a customer body.
    ///
    /// # Errors
    /// [`WooError::Json`] when it is not JSON of a customer's shape.
    pub fn from_json(body: &[u8]) -> Result<Customer, WooError> {
        serde_json::from_slice(body).map_err(|source| WooError::Json {
            what: "customer",
            source,
        })
    }
}
