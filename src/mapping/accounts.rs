//! Which GL account and subaccount a line goes to. Pure, no I/O.
//!
//! Product lines: settings `accounts.rules` by SKU prefix, then category (`accounts.product_categories`),
//! then `accounts.sales_foreign` for orders abroad, then rules by tax class, then `accounts.sales`.
//! Shipping, fee, refund (amount-only) and rounding lines have their own accounts.

use super::lines::{DocLine, LineKind};
use super::MappingError;
use crate::settings::Settings;
use crate::woo::{meta_text, Meta};

/// The account for a line of `kind`; `None` only for a rounding line without `accounts.rounding`.
pub fn account_for(
    settings: &Settings,
    kind: LineKind,
    sku: &str,
    product_id: i64,
    tax_class: &str,
    abroad: bool,
) -> Option<String> {
    let a = &settings.accounts;
    match kind {
        LineKind::Shipping => Some(a.shipping.clone()),
        LineKind::Fee => Some(a.fee.clone()),
        LineKind::Rounding => a.rounding.clone(),
        LineKind::AmountRefund => Some(a.refund.clone().unwrap_or_else(|| a.sales.clone())),
        LineKind::Item => {
            let by_sku = a.rules.iter().find(|r| {
                r.sku_prefix
                    .as_deref()
                    .is_some_and(|p| !sku.is_empty() && sku.starts_with(p))
            });
            let category = a.product_categories.get(&product_id.to_string());
            let by_category = a
                .rules
                .iter()
                .find(|r| r.category.is_some() && r.category.as_ref() == category);
            let by_class = a
                .rules
                .iter()
                .find(|r| r.tax_class.as_deref() == Some(tax_class));
            let foreign = if abroad {
                a.sales_foreign.as_ref()
            } else {
                None
            };
            Some(
                by_sku
                    .or(by_category)
                    .map(|r| r.account.clone())
                    .or_else(|| foreign.cloned())
                    .or_else(|| by_class.map(|r| r.account.clone()))
                    .unwrap_or_else(|| a.sales.clone()),
            )
        }
    }
}

/// The account of a line that must have one: [`account_for`], falling back to `accounts.sales`; an empty
/// choice fails naming the setting the merchant has to make (issue #14: never a guessed account).
///
/// # Errors
/// [`MappingError::MissingSetting`] naming `accounts.shipping`, `accounts.fee` or `accounts.sales`.
pub fn required_account(
    settings: &Settings,
    doc: &str,
    line: LineRef<'_>,
    abroad: bool,
) -> Result<String, MappingError> {
    let account = account_for(
        settings,
        line.kind,
        line.sku,
        line.product_id,
        line.tax_class,
        abroad,
    )
    .unwrap_or_else(|| settings.accounts.sales.clone());
    if !account.trim().is_empty() {
        return Ok(account);
    }
    let key = match line.kind {
        LineKind::Shipping => "accounts.shipping",
        LineKind::Fee => "accounts.fee",
        LineKind::Rounding => "accounts.rounding",
        LineKind::Item | LineKind::AmountRefund => "accounts.sales",
    };
    Err(MappingError::MissingSetting {
        doc: doc.to_owned(),
        key,
    })
}

/// What [`required_account`] needs to know of a line.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// Line type.
    pub kind: LineKind,
    /// SKU (`""` if none).
    pub sku: &'a str,
    /// WooCommerce product id (0 if none).
    pub product_id: i64,
    /// WooCommerce tax class (`""` = standard).
    pub tax_class: &'a str,
}

/// Subaccount segment values for a line of `kind`, segment 1 first.
pub fn subaccount_for(settings: &Settings, kind: LineKind) -> Vec<String> {
    let s = &settings.subaccounts;
    match kind {
        LineKind::Item | LineKind::AmountRefund => s.item.clone(),
        LineKind::Shipping => s.shipping.clone(),
        LineKind::Fee => s.fee.clone(),
        LineKind::Rounding => s.rounding.clone(),
    }
}

/// Replaces subaccount segments with order meta values per `subaccounts.from_order_meta` (not on the
/// rounding line). A segment one past the configured ones is appended; a meta key that is absent or
/// empty leaves the configured value.
pub fn apply_order_meta_segments(lines: &mut [DocLine], settings: &Settings, meta: &[Meta]) {
    for (segment, key) in &settings.subaccounts.from_order_meta {
        let (Ok(n), Some(value)) = (segment.parse::<usize>(), meta_text(meta, key)) else {
            continue;
        };
        let Some(index) = n.checked_sub(1) else {
            continue;
        };
        for line in lines.iter_mut().filter(|l| l.kind != LineKind::Rounding) {
            if let Some(slot) = line.subaccount.get_mut(index) {
                value.clone_into(slot);
            } else if line.subaccount.len() == index {
                line.subaccount.push(value.to_owned());
            }
        }
    }
}
