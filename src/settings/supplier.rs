//! Settings of the supplier mode (`business_model = "suppliers"`, issue #17): new Visma suppliers get the
//! merchant's supplier class, terms and payment method, and a number of their own.
//!
//! Why a prefix of their own: in Visma.net a customer and a supplier are business accounts with one number
//! series of ids, so supplier `W12` cannot be created while customer `W12` exists. A buyer whose e-mail is
//! also a supplier's stays two accounts (the customer the orders are invoiced to, the supplier), numbered
//! apart by their prefixes.

use serde::Deserialize;

/// `[supplier]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupplierSettings {
    /// Supplier class (else Visma's default class).
    pub class_id: Option<String>,
    /// Credit terms of new suppliers.
    pub credit_terms_id: Option<String>,
    /// Payment method of new suppliers (how the merchant pays them).
    pub payment_method_id: Option<String>,
    /// Supplier number = prefix + WooCommerce customer id (must differ from `customer.number_prefix`).
    pub number_prefix: String,
}

impl Default for SupplierSettings {
    fn default() -> Self {
        SupplierSettings {
            class_id: None,
            credit_terms_id: None,
            payment_method_id: None,
            number_prefix: "S".to_owned(),
        }
    }
}
