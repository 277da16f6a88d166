//! [`Settings::validate`]: every reference and domain checked once, at load time. No I/O here.

use super::{
    invalid, BusinessModel, CustomerIdentity, CustomerNumbering, DocumentType, Settings,
    SettingsError,
};
use crate::money::{Currency, VatRate};

impl Settings {
    /// Checks every reference and domain. Called by the constructors.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the first bad key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let id_ok = |s: &str| {
            !s.trim().is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        // Keys `woo:{store}:refund:{id}` must fit Visma's 40-character reference fields.
        if self.store_id.len() > 16 {
            return Err(invalid(
                "store_id",
                "at most 16 characters (document keys must fit 40)",
            ));
        }
        if !id_ok(&self.store_id) {
            return Err(invalid(
                "store_id",
                "must be non-empty letters, digits, '-', '_' or '.'",
            ));
        }
        if self.base_country.len() != 2 {
            return Err(invalid("base_country", "must be a two-letter country code"));
        }
        if self.currencies.is_empty() {
            return Err(invalid("currencies", "list at least one currency"));
        }
        let configured = self.configured_decimals();
        for (i, c) in self
            .currencies
            .iter()
            .chain(std::iter::once(&self.base_currency))
            .enumerate()
        {
            Currency::parse(c, &configured)
                .map_err(|e| invalid(format!("currencies[{i}]"), e.to_string()))?;
        }
        self.validate_accounts()?;
        self.validate_vat()?;
        for (gateway, pm) in &self.payment_methods {
            if pm.payment_method_id.trim().is_empty() || pm.cash_account.trim().is_empty() {
                return Err(invalid(
                    format!("payment_methods.{gateway}"),
                    "needs payment_method_id and cash_account",
                ));
            }
        }
        if self.customer.identity == CustomerIdentity::Generic
            && self
                .customer
                .generic_number
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            return Err(invalid(
                "customer.generic_number",
                "required with identity = \"generic\"",
            ));
        }
        if self.customer.numbering == CustomerNumbering::Prefix
            && self.customer.number_prefix.trim().is_empty()
        {
            return Err(invalid(
                "customer.number_prefix",
                "required with numbering = \"prefix\"",
            ));
        }
        if self.invoice.override_number_series && self.invoice.number_prefix.trim().is_empty() {
            return Err(invalid(
                "invoice.number_prefix",
                "required with override_number_series",
            ));
        }
        if self.document_type == DocumentType::SalesOrder
            && self.sales_order.order_type.trim().is_empty()
        {
            return Err(invalid(
                "sales_order.order_type",
                "required with document_type = \"sales_order\"",
            ));
        }
        if self.document_type == DocumentType::SalesOrder
            && self.sales_order.refunds == super::SalesOrderRefunds::ReturnOrder
            && self.sales_order.return_order_type.trim().is_empty()
        {
            return Err(invalid(
                "sales_order.return_order_type",
                "required with refunds = \"return_order\"",
            ));
        }
        for (key, item) in self.sales_order.named_items() {
            if item.trim().is_empty() {
                return Err(invalid(key, "empty; remove the key instead"));
            }
        }
        if self.business_model == BusinessModel::Suppliers {
            let prefix = self.supplier.number_prefix.trim();
            if prefix.is_empty() {
                return Err(invalid(
                    "supplier.number_prefix",
                    "required with business_model = \"suppliers\" (a supplier's number is prefix + customer id)",
                ));
            }
            if self.customer.numbering == CustomerNumbering::Prefix
                && prefix.eq_ignore_ascii_case(self.customer.number_prefix.trim())
            {
                return Err(invalid(
                    "supplier.number_prefix",
                    "must differ from customer.number_prefix: Visma keeps customers and suppliers in one \
                     series of account numbers",
                ));
            }
        }
        if self.queue.payload_retention_days > 3660 {
            return Err(invalid(
                "queue.payload_retention_days",
                "at most 3660 (ten years); the audit keeps the facts for good",
            ));
        }
        if let Some(c) = &self.connection {
            if let Some(s) = c
                .scopes
                .iter()
                .find(|s| s.starts_with("visma.net.erp.salesorder"))
            {
                return Err(invalid(
                    "connection.scopes",
                    format!(
                        "{s:?} is a SalesOrders scope: list it in connection.sales_order_scopes"
                    ),
                ));
            }
        }
        for (key, seg) in [
            ("subaccounts.item", &self.subaccounts.item),
            ("subaccounts.shipping", &self.subaccounts.shipping),
            ("subaccounts.fee", &self.subaccounts.fee),
            ("subaccounts.rounding", &self.subaccounts.rounding),
        ] {
            if seg.iter().any(|v| v.trim().is_empty()) {
                return Err(invalid(key, "segment values must not be empty"));
            }
        }
        for (segment, key) in &self.subaccounts.from_order_meta {
            if segment.parse::<u32>().map_or(true, |n| n == 0) || key.trim().is_empty() {
                return Err(invalid(
                    format!("subaccounts.from_order_meta.{segment}"),
                    "needs a segment number ≥ 1 and a meta key",
                ));
            }
        }
        if let Some(c) = &self.connection {
            if c.client_secret_env.trim().is_empty() && !c.client_id.is_empty() {
                return Err(invalid(
                    "connection.client_secret_env",
                    "name the env var holding the secret",
                ));
            }
        }
        Ok(())
    }

    fn validate_accounts(&self) -> Result<(), SettingsError> {
        // accounts.sales/shipping/fee may be unset (the plugin's page before the merchant chose them): a job that
        // needs one fails naming it (MappingError::MissingSetting), never with a guessed account.
        for (key, value) in [
            ("accounts.rounding", &self.accounts.rounding),
            ("accounts.refund", &self.accounts.refund),
            ("accounts.sales_foreign", &self.accounts.sales_foreign),
        ] {
            if value.as_deref().is_some_and(|a| a.trim().is_empty()) {
                return Err(invalid(key, "empty; remove the key instead"));
            }
        }
        for (i, rule) in self.accounts.rules.iter().enumerate() {
            let matchers = [&rule.sku_prefix, &rule.category, &rule.tax_class]
                .iter()
                .filter(|m| m.is_some())
                .count();
            if matchers != 1 {
                return Err(invalid(
                    format!("accounts.rules[{i}]"),
                    "set exactly one of sku_prefix, category, tax_class",
                ));
            }
            if rule.account.trim().is_empty() {
                return Err(invalid(format!("accounts.rules[{i}].account"), "required"));
            }
            if let Some(cat) = &rule.category {
                if !self.accounts.product_categories.values().any(|c| c == cat) {
                    return Err(invalid(
                        format!("accounts.rules[{i}].category"),
                        format!("no product in accounts.product_categories has category {cat:?}"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_vat(&self) -> Result<(), SettingsError> {
        for (id, rate) in &self.vat.categories {
            VatRate::parse_percent(rate)
                .map_err(|e| invalid(format!("vat.categories.{id}"), e.to_string()))?;
        }
        let known = |key: String, cat: &str| -> Result<(), SettingsError> {
            if self.vat.categories.contains_key(cat) {
                Ok(())
            } else {
                Err(invalid(
                    key,
                    format!("VAT category {cat:?} is not in vat.categories"),
                ))
            }
        };
        for (cat, id) in &self.vat.vat_ids {
            known(format!("vat.vat_ids.{cat}"), cat)?;
            if id.trim().is_empty() {
                return Err(invalid(format!("vat.vat_ids.{cat}"), "empty VAT id"));
            }
        }
        for (i, rule) in self.vat.rates.iter().enumerate() {
            known(format!("vat.rates[{i}].category"), &rule.category)?;
            let by_id = rule.woo_rate_id.is_some();
            let by_rate = rule.rate_percent.is_some() && rule.country.is_some();
            if by_id == by_rate {
                return Err(invalid(
                    format!("vat.rates[{i}]"),
                    "set either woo_rate_id or rate_percent + country",
                ));
            }
            if let Some(p) = &rule.rate_percent {
                let r = VatRate::parse_percent(p)
                    .map_err(|e| invalid(format!("vat.rates[{i}].rate_percent"), e.to_string()))?;
                if self.category_rate(&rule.category) != Some(r) {
                    return Err(invalid(
                        format!("vat.rates[{i}]"),
                        format!(
                            "rate {p} % differs from category {:?}'s rate",
                            rule.category
                        ),
                    ));
                }
            }
        }
        for (key, cat) in [
            ("vat.not_taxable", &self.vat.not_taxable),
            ("vat.untaxed_domestic", &self.vat.untaxed_domestic),
            ("vat.export", &self.vat.export),
            ("vat.reverse_charge", &self.vat.reverse_charge),
            ("vat.rounding", &self.vat.rounding),
        ] {
            // Unset: only the orders that need this category fail, naming the key (MappingError::MissingSetting).
            if cat.trim().is_empty() {
                continue;
            }
            known(key.to_owned(), cat)?;
            if self.category_rate(cat).is_some_and(|r| !r.is_zero()) {
                return Err(invalid(
                    key,
                    format!("category {cat:?} must be a 0 % category"),
                ));
            }
        }
        Ok(())
    }
}
