//! The connector's settings: one [`Settings`] value, parsed from a TOML file (CLI) or from JSON of the same
//! shape (the plugin's option array), then validated once, at load time. A setting that refers to something
//! missing (a VAT category without a rate, a payment method without a cash account) is an error here, not
//! when an order is posted. The Visma secret is never in this file (only the name of the env var holding it).
//! No I/O here: callers read the file and hand over its text. Tests: `tests/mapping_settings.rs`.

use crate::money::{Currency, VatRate};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A complete, commented settings file that works with the seeded simulator company and the real shop.
pub const EXAMPLE_TOML: &str = include_str!("settings_example.toml");

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Not valid TOML of the settings' shape.
    #[error("settings file is not valid: {source}")]
    Toml {
        /// Parser error with line and column (settings hold no secrets).
        #[source]
        source: toml::de::Error,
    },
    /// Not valid JSON of the settings' shape.
    #[error("settings JSON is not valid: {source}")]
    Json {
        /// Parser error.
        #[source]
        source: serde_json::Error,
    },
    /// A value is out of its domain or refers to something missing.
    #[error("setting `{key}`: {problem}")]
    Invalid {
        /// Dotted key, e.g. `vat.rates[2].category`.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

/// Customers become Visma customers or suppliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BusinessModel {
    /// WooCommerce customers are Visma customers (a web shop selling).
    #[default]
    Customers,
    /// WooCommerce customers are Visma suppliers (a marketplace buying).
    Suppliers,
}

/// Orders become customer invoices or SalesOrders v3 orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// `POST /v2/customerinvoice`.
    #[default]
    Invoice,
    /// SalesOrders v3 `NewSalesOrderCommand`.
    SalesOrder,
}

/// Which date becomes the document date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DocumentDate {
    /// `date_paid`, falling back to `date_created` for unpaid orders.
    #[default]
    Paid,
    /// `date_created`.
    Created,
}

/// Who the invoice's customer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CustomerIdentity {
    /// One Visma customer per normalised billing email (guests included).
    #[default]
    PerEmail,
    /// Every order goes to one generic web customer (`customer.generic_number`).
    Generic,
}

/// How a new Visma customer gets its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CustomerNumbering {
    /// Visma's number series assigns it (no `number` sent; the client reads it from `Location`).
    #[default]
    VismaSeries,
    /// `number_prefix` + WooCommerce customer id (guests: prefix + `G` + order id).
    Prefix,
}

/// Customer identity and defaults for new Visma customers/suppliers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerSettings {
    /// Per-email or generic.
    pub identity: CustomerIdentity,
    /// The generic customer's Visma number (required with `identity = "generic"`).
    pub generic_number: Option<String>,
    /// Visma series or prefix + Woo id.
    pub numbering: CustomerNumbering,
    /// Prefix for `numbering = "prefix"`.
    pub number_prefix: String,
    /// Customer class for the base country.
    pub class_id: Option<String>,
    /// Customer class for other countries.
    pub foreign_class_id: Option<String>,
    /// Credit terms for new customers.
    pub credit_terms_id: Option<String>,
    /// Order/customer meta keys holding the VAT/org number, first non-empty wins.
    pub vat_number_meta_keys: Vec<String>,
}

impl Default for CustomerSettings {
    fn default() -> Self {
        CustomerSettings {
            identity: CustomerIdentity::PerEmail,
            generic_number: None,
            numbering: CustomerNumbering::VismaSeries,
            number_prefix: "W".to_owned(),
            class_id: None,
            foreign_class_id: None,
            credit_terms_id: None,
            vat_number_meta_keys: vec![
                "_billing_vat_number".to_owned(),
                "billing_vat_number".to_owned(),
            ],
        }
    }
}

/// An account override for product lines, matched by exactly one of SKU prefix, category or tax class.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRule {
    /// Matches SKUs starting with this.
    pub sku_prefix: Option<String>,
    /// Matches products of this category (via `accounts.product_categories`).
    pub category: Option<String>,
    /// Matches this WooCommerce tax class (`""` = standard).
    pub tax_class: Option<String>,
    /// The Visma GL account (`accountCD`).
    pub account: String,
}

/// General-ledger accounts.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AccountSettings {
    /// Default sales account for product lines.
    pub sales: String,
    /// Sales account for orders to other countries (export), if different.
    pub sales_foreign: Option<String>,
    /// Shipping lines.
    pub shipping: String,
    /// Fee lines.
    pub fee: String,
    /// Amount-only refunds (goodwill); defaults to `sales`.
    pub refund: Option<String>,
    /// Rounding lines. Without it a VAT rounding residue is a mapping error.
    pub rounding: Option<String>,
    /// Overrides for product lines, first match wins.
    pub rules: Vec<AccountRule>,
    /// Product id → category (the order JSON has no categories; the plugin fills this in).
    pub product_categories: BTreeMap<String, String>,
}

/// One WooCommerce tax rate → Visma VAT category, by rate id or by rate % + country.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatRule {
    /// WooCommerce tax rate id (`tax_lines[].rate_id`, `taxes[].id`).
    pub woo_rate_id: Option<i64>,
    /// Or: rate in per cent …
    pub rate_percent: Option<String>,
    /// … and destination country.
    pub country: Option<String>,
    /// Visma `vatCategoryId`.
    pub category: String,
}

/// VAT categories and the map from WooCommerce taxes to them.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct VatSettings {
    /// Visma VAT categories used, id → rate in per cent. Visma computes each category's VAT from its rate.
    pub categories: BTreeMap<String, String>,
    /// WooCommerce rates → categories.
    pub rates: Vec<VatRule>,
    /// Category for lines WooCommerce does not tax (fee `tax_class "0"`, `tax_status "none"`).
    pub not_taxable: String,
    /// Category for taxable lines saved without tax in a domestic order (the headless negative fee).
    pub untaxed_domestic: String,
    /// Category for untaxed lines of an order to another country (export, zero-rated).
    pub export: String,
    /// Category for untaxed lines to a buyer with a VAT number in another `eu_countries` country.
    pub reverse_charge: String,
    /// Countries where reverse charge applies.
    pub eu_countries: Vec<String>,
    /// Category of the rounding line; must be a 0 % category so it moves only the gross.
    pub rounding: String,
}

/// Visma payment method and cash account for one WooCommerce gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodMap {
    /// Visma `paymentMethodId`.
    pub payment_method_id: String,
    /// Visma cash account (`accountCD`).
    pub cash_account: String,
}

/// Subaccount segment values per line type, segment 1 first.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SubaccountSettings {
    /// Product lines.
    pub item: Vec<String>,
    /// Shipping lines.
    pub shipping: Vec<String>,
    /// Fee lines.
    pub fee: Vec<String>,
    /// Rounding lines.
    pub rounding: Vec<String>,
    /// Segment number (`"2"`) → order meta key whose non-empty value replaces that segment on every line
    /// but the rounding line (dimension values from the order, e.g. a sales channel).
    pub from_order_meta: BTreeMap<String, String>,
}

/// Invoice header options.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct InvoiceSettings {
    /// Send our own `referenceNumber` (prefix + order number) with `overrideNumberSeries`.
    pub override_number_series: bool,
    /// Prefix of our own invoice numbers.
    pub number_prefix: String,
    /// Prefix of our own credit note numbers.
    pub credit_note_prefix: String,
    /// Credit terms on invoices (else the customer's).
    pub credit_terms_id: Option<String>,
    /// Branch number.
    pub branch_number: Option<String>,
    /// Build a customer payment for paid orders.
    pub post_payments: bool,
    /// Sales order type for `document_type = "sales_order"`.
    pub sales_order_type: String,
    /// Order statuses that become documents (see `mapping::should_map`); default processing, completed.
    pub statuses: Vec<String>,
}

/// Visma connection (read by the client wiring; the secret comes from the env var named here).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// ERP API base URL.
    pub api_base_url: String,
    /// SalesOrders v3 base URL.
    pub sales_order_base_url: String,
    /// Visma Connect token URL.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// Env var holding the client secret.
    pub client_secret_env: String,
    /// Visma Connect tenant id.
    pub tenant_id: String,
    /// `ipp-company-id`.
    pub company_id: String,
    /// OAuth scopes.
    pub scopes: Vec<String>,
}

/// The validated settings. Build with [`Settings::from_toml_str`] or [`Settings::from_json_str`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Store id in document keys `woo:{store}:{order id}`.
    #[serde(default = "default_store")]
    pub store_id: String,
    /// Customers or suppliers.
    #[serde(default)]
    pub business_model: BusinessModel,
    /// Invoice or sales order.
    #[serde(default)]
    pub document_type: DocumentType,
    /// Paid or created date.
    #[serde(default)]
    pub document_date: DocumentDate,
    /// The shop's country (VAT home), e.g. `NO`.
    pub base_country: String,
    /// The company's base currency.
    pub base_currency: String,
    /// Currencies orders may be in.
    pub currencies: Vec<String>,
    /// Decimals of currencies not built in.
    #[serde(default)]
    pub currency_decimals: BTreeMap<String, u32>,
    /// Customer identity and numbering.
    #[serde(default)]
    pub customer: CustomerSettings,
    /// GL accounts.
    pub accounts: AccountSettings,
    /// VAT map.
    pub vat: VatSettings,
    /// Gateway id → payment method.
    #[serde(default)]
    pub payment_methods: BTreeMap<String, PaymentMethodMap>,
    /// Subaccounts per line type.
    #[serde(default)]
    pub subaccounts: SubaccountSettings,
    /// Invoice options.
    #[serde(default)]
    pub invoice: InvoiceSettings,
    /// Visma connection.
    #[serde(default)]
    pub connection: Option<ConnectionSettings>,
}

fn default_store() -> String {
    "default".to_owned()
}

impl Settings {
    /// Parses and validates a TOML settings file.
    ///
    /// # Errors
    /// [`SettingsError::Toml`] for syntax/shape, [`SettingsError::Invalid`] from [`Settings::validate`].
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings = toml::from_str(text).map_err(|source| SettingsError::Toml { source })?;
        s.validate()?;
        Ok(s)
    }

    /// Parses and validates settings JSON (the plugin's option array, same shape as the TOML).
    ///
    /// # Errors
    /// [`SettingsError::Json`] for syntax/shape, [`SettingsError::Invalid`] from [`Settings::validate`].
    pub fn from_json_str(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings =
            serde_json::from_str(text).map_err(|source| SettingsError::Json { source })?;
        s.validate()?;
        Ok(s)
    }

    /// The bundled example settings, parsed.
    ///
    /// # Errors
    /// Only if the bundled example were broken (a test checks it is not).
    pub fn example() -> Result<Settings, SettingsError> {
        Settings::from_toml_str(EXAMPLE_TOML)
    }

    fn configured_decimals(&self) -> Vec<(String, u32)> {
        self.currency_decimals
            .iter()
            .map(|(c, d)| (c.clone(), *d))
            .collect()
    }

    /// The currency of an order, if allowed.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] when `code` is not in `currencies` or its decimals are unknown.
    pub fn currency(&self, code: &str) -> Result<Currency, SettingsError> {
        if !self
            .currencies
            .iter()
            .any(|c| c.eq_ignore_ascii_case(code.trim()))
        {
            return Err(invalid(
                "currencies",
                format!("{code:?} is not an allowed currency"),
            ));
        }
        Currency::parse(code, &self.configured_decimals())
            .map_err(|e| invalid("currency_decimals", e.to_string()))
    }

    /// The rate of a configured Visma VAT category.
    pub fn category_rate(&self, category: &str) -> Option<VatRate> {
        self.vat
            .categories
            .get(category)
            .and_then(|r| VatRate::parse_percent(r).ok())
    }

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
            && self.invoice.sales_order_type.trim().is_empty()
        {
            return Err(invalid(
                "invoice.sales_order_type",
                "required with document_type = \"sales_order\"",
            ));
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
        for (key, value) in [
            ("accounts.sales", &self.accounts.sales),
            ("accounts.shipping", &self.accounts.shipping),
            ("accounts.fee", &self.accounts.fee),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(key, "required"));
            }
        }
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
