//! The connector's settings: one [`Settings`] value, parsed from a TOML file (CLI) or from JSON of the same
//! shape (the plugin's option array), then validated once, at load time. A setting that refers to something
//! missing (a VAT category without a rate, a payment method without a cash account) is an error here, not
//! when an order is posted. The Visma secret is never in this file (only the name of the env var holding it).
//! No I/O here: callers read the file and hand over its text. Validation is in `validate.rs`; the example
//! file is `example.toml`. Tests: `tests/mapping_settings.rs`.

use crate::money::{Currency, VatRate};
use serde::Deserialize;
use std::collections::BTreeMap;

pub mod check;
mod sales_order;
mod supplier;
mod validate;

pub use sales_order::{SalesOrderPayments, SalesOrderRefunds, SalesOrderSettings};
pub use supplier::SupplierSettings;

/// A complete, commented settings file that works with the seeded simulator company and the real shop.
pub const EXAMPLE_TOML: &str = include_str!("example.toml");

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Not valid TOML of the settings' shape.
    #[error("settings file is not valid: {0}")]
    Toml(String),
    /// Not valid JSON of the settings' shape.
    #[error("settings JSON is not valid: {0}")]
    Json(String),
    /// A value is out of its domain or refers to something missing.
    #[error("setting `{key}`: {problem}")]
    Invalid {
        /// Dotted key, e.g. `vat.rates[2].category`.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// A TOML error as "line L, column C: message", without the parser's quote of the line: a value typed in the
/// wrong place (a secret, say) is never repeated in a log or on a screen (issue #15).
pub fn toml_problem(text: &str, e: &toml::de::Error) -> String {
    let message = masked(e.message());
    let Some(at) = e.span().map(|s| s.start.min(text.len())) else {
        return message;
    };
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: {message}")
}

/// A parser message without the values it quotes: serde puts a wrong value in double quotes (`invalid type:
/// string "…"`) and an unknown variant in backticks (`unknown variant `…``); field names, also in backticks,
/// stay (found by fuzzing: a mistyped value was repeated in the error).
fn masked(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('"').enumerate() {
        if i > 0 {
            out.push('"');
        }
        out.push_str(if i % 2 == 1 { "…" } else { part });
    }
    const VARIANT: &str = "unknown variant `";
    if let Some(start) = out.find(VARIANT).map(|i| i + VARIANT.len()) {
        if let Some(len) = out[start..].find('`') {
            out.replace_range(start..start + len, "…");
        }
    }
    out
}

pub(crate) fn invalid(key: impl Into<String>, problem: impl Into<String>) -> SettingsError {
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
    /// Category → the Visma VAT id inside it (`vatCategoryLines[].vatId`). A category listed here gets a tax detail
    /// line with WooCommerce's own VAT, so Visma books the tax the shopper paid instead of recomputing it; a
    /// category without one keeps Visma's computed VAT (and a rounding line for the gross).
    pub vat_ids: BTreeMap<String, String>,
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
    /// The VAT of an amount-only refund (WooCommerce records no tax on it).
    pub amount_only_refunds: AmountOnlyVat,
}

/// How an amount-only refund (a sum refunded without lines; WooCommerce records no tax on it) is taxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AmountOnlyVat {
    /// Split over the order's VAT categories in proportion to the order's gross in each. The default: money
    /// given back on a taxed sale is a price reduction, and a price reduction lowers the output VAT owed on
    /// that sale (the credit note corrects it), so leaving it at 0 % would overstate the VAT payable.
    #[default]
    Split,
    /// No VAT: one line on `accounts.refund` in the `vat.not_taxable` category, for compensation that is not a
    /// price reduction of the sale (damages, goodwill outside the sale).
    None,
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

/// What happens to an order's invoice when the order is cancelled (or fails) after it was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CancelPolicy {
    /// A credit note cancels the invoice (applied to it while it is unpaid); the books follow WooCommerce.
    #[default]
    Credit,
    /// Nothing is posted; the job reports "edited after posting" for the accountant to act on.
    Report,
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
    /// Order statuses that become documents (see `mapping::should_map`); default processing, completed, refunded.
    pub statuses: Vec<String>,
    /// Leave invoices and credit notes on hold for review instead of releasing them (issue #14). Visma refuses a
    /// payment to an unreleased document, so payments and refund settlements then wait until the accountant has
    /// released the document and the order is sent again.
    pub leave_on_hold: bool,
    /// An order cancelled (or failed) after its invoice was posted: credit it (default) or only report it.
    pub on_cancel: CancelPolicy,
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
    /// ERP API scopes (default: the four `vismanet_erp_service_api:*`).
    pub scopes: Vec<String>,
    /// SalesOrders v3 scopes, requested only in sales-order mode (default `visma.net.erp.salesorder:read/write`).
    pub sales_order_scopes: Vec<String>,
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
    /// Sales-order mode options.
    #[serde(default)]
    pub sales_order: SalesOrderSettings,
    /// Supplier mode options.
    #[serde(default)]
    pub supplier: SupplierSettings,
    /// The queue's own housekeeping (issue #16).
    #[serde(default)]
    pub queue: QueueSettings,
    /// Visma connection.
    #[serde(default)]
    pub connection: Option<ConnectionSettings>,
}

/// `[queue]`: how long the queue keeps what it no longer needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueSettings {
    /// Days a done job keeps its WooCommerce payload (for looking into what was sent); then only the audit,
    /// the id map and the job's facts remain. 0 drops it at the first housekeeping after the job is done.
    pub payload_retention_days: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            payload_retention_days: 30,
        }
    }
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
        let s: Settings =
            toml::from_str(text).map_err(|e| SettingsError::Toml(toml_problem(text, &e)))?;
        s.validate()?;
        Ok(s)
    }

    /// Parses and validates settings JSON (the plugin's option array, same shape as the TOML).
    ///
    /// # Errors
    /// [`SettingsError::Json`] for syntax/shape, [`SettingsError::Invalid`] from [`Settings::validate`].
    pub fn from_json_str(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings = serde_json::from_str(text).map_err(|e| {
            SettingsError::Json(format!(
                "line {}, column {}: {}",
                e.line(),
                e.column(),
                masked(&e.to_string())
            ))
        })?;
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
}
