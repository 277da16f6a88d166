//! The company's lists the merchant chooses ids from (issue #14: every id on a document comes from the merchant's
//! own Visma company): classes, credit terms, cash accounts, branches, currencies, inventory items, warehouses,
//! VAT categories with their VAT ids and rates. Read as plain JSON and reduced to `(id, description)` pairs, so a
//! field Visma adds or drops never breaks the settings page. Paths and field names: SPEC25 GET DTOs.

use crate::settings::check::CompanyIds;
use crate::visma::client::{Call, Client, Service};
use crate::visma::error::VismaError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// A list of the company's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `GET /v1/account` (`accountCD`).
    Accounts,
    /// `GET /v1/cashaccount` (`number`).
    CashAccounts,
    /// `GET /v1/customer/customerClass` (`id`).
    CustomerClasses,
    /// `GET /v1/supplier/supplierClass` (`id`).
    SupplierClasses,
    /// `GET /v1/creditTerm`, a `BasePaginationDto` envelope (`records[].termsId`).
    CreditTerms,
    /// `GET /v1/paymentmethod` (`paymentMethodID`).
    PaymentMethods,
    /// `GET /v1/branch` (`number`, `name`).
    Branches,
    /// `GET /v1/currency` (`id`).
    Currencies,
    /// `GET /v1/inventory` (`inventoryNumber`).
    InventoryItems,
    /// `GET /v1/warehouse` (`warehouseID`).
    Warehouses,
    /// `GET /v1/vat` (`vatId`).
    VatIds,
    /// `GET /v1/salesordertype` (`orderType`).
    OrderTypes,
}

impl Lookup {
    /// Every list, in the order the settings page shows them.
    pub const ALL: [Lookup; 12] = [
        Self::Accounts,
        Self::CashAccounts,
        Self::CustomerClasses,
        Self::SupplierClasses,
        Self::CreditTerms,
        Self::PaymentMethods,
        Self::Branches,
        Self::Currencies,
        Self::InventoryItems,
        Self::Warehouses,
        Self::VatIds,
        Self::OrderTypes,
    ];

    /// The key the plugin reads it under.
    pub fn key(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::CashAccounts => "cash_accounts",
            Self::CustomerClasses => "customer_classes",
            Self::SupplierClasses => "supplier_classes",
            Self::CreditTerms => "credit_terms",
            Self::PaymentMethods => "payment_methods",
            Self::Branches => "branches",
            Self::Currencies => "currencies",
            Self::InventoryItems => "inventory_items",
            Self::Warehouses => "warehouses",
            Self::VatIds => "vat_ids",
            Self::OrderTypes => "order_types",
        }
    }

    fn endpoint(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Accounts => ("account.list", &["v1", "account"]),
            Self::CashAccounts => ("cashaccount.list", &["v1", "cashaccount"]),
            Self::CustomerClasses => ("customerclass.list", &["v1", "customer", "customerClass"]),
            Self::SupplierClasses => ("supplierclass.list", &["v1", "supplier", "supplierClass"]),
            Self::CreditTerms => ("creditterm.list", &["v1", "creditTerm"]),
            Self::PaymentMethods => ("paymentmethod.list", &["v1", "paymentmethod"]),
            Self::Branches => ("branch.list", &["v1", "branch"]),
            Self::Currencies => ("currency.list", &["v1", "currency"]),
            Self::InventoryItems => ("inventory.list", &["v1", "inventory"]),
            Self::Warehouses => ("warehouse.list", &["v1", "warehouse"]),
            Self::VatIds => ("vat.list", &["v1", "vat"]),
            Self::OrderTypes => ("salesordertype.list", &["v1", "salesordertype"]),
        }
    }

    /// (id field, description field) of one entry.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Self::Accounts => ("accountCD", "description"),
            Self::CashAccounts => ("number", "description"),
            Self::CustomerClasses | Self::SupplierClasses | Self::Currencies => {
                ("id", "description")
            }
            Self::CreditTerms => ("termsId", "description"),
            Self::PaymentMethods => ("paymentMethodID", "description"),
            Self::Branches => ("number", "name"),
            Self::InventoryItems => ("inventoryNumber", "description"),
            Self::Warehouses => ("warehouseID", "description"),
            Self::VatIds => ("vatId", "description"),
            Self::OrderTypes => ("orderType", "description"),
        }
    }
}

/// One id of the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The id the documents carry.
    pub id: String,
    /// Its description.
    pub description: String,
}

/// A VAT category with the VAT ids in it and its current rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatCategory {
    /// `vatCategoryId`.
    pub id: String,
    /// Its description.
    pub description: String,
    /// The rate in per cent (the sum of its VAT ids' newest rates), when Visma says.
    pub rate: Option<String>,
    /// The VAT ids (`vatCategoryLines[].vatId`), for tax detail lines.
    pub vat_ids: Vec<String>,
}

/// A field's text, whatever its JSON case (Visma binds JSON names case-insensitively, NOTES §4.1).
fn text(entry: &Value, field: &str) -> Option<String> {
    let map = entry.as_object()?;
    let value = map.get(field).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v)
    })?;
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The entries of a list answer: a plain array, or a `BasePaginationDto` with `records`.
fn entries(answer: Value) -> Vec<Value> {
    match answer {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("records") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Client {
    /// The ids of one of the company's lists.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn lookup(&self, list: Lookup) -> Result<Vec<Entry>, VismaError> {
        let (endpoint, path) = list.endpoint();
        let mut call = Call::get(endpoint, Service::Erp, path);
        if matches!(
            list,
            Lookup::CreditTerms | Lookup::InventoryItems | Lookup::OrderTypes
        ) {
            call = call.with_query(vec![
                ("pageNumber", "1".to_owned()),
                ("pageSize", "1000".to_owned()),
            ]);
        }
        let answer: Value = self.get_json(&call)?;
        let (id_field, description_field) = list.fields();
        Ok(entries(answer)
            .iter()
            .filter_map(|e| {
                Some(Entry {
                    id: text(e, id_field)?,
                    description: text(e, description_field).unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Every id the settings may name, per list, for [`crate::settings::check::unknown_ids`]. A list Visma cannot
    /// give (an endpoint the client is not subscribed to) is left unchecked; a configuration error ends the read.
    ///
    /// # Errors
    /// A configuration [`VismaError`] (credentials, company, licence).
    pub fn company_ids(&self) -> Result<CompanyIds, VismaError> {
        let ids = |list: Lookup| -> Result<Option<BTreeSet<String>>, VismaError> {
            match self.lookup(list) {
                Ok(entries) => Ok(Some(entries.into_iter().map(|e| e.id).collect())),
                Err(e) if e.is_configuration() => Err(e),
                Err(_) => Ok(None),
            }
        };
        let (vat_categories, vat_ids) = match self.vat_categories() {
            Ok(cats) => (
                Some(cats.iter().map(|c| c.id.clone()).collect()),
                Some(
                    cats.into_iter()
                        .map(|c| (c.id, c.vat_ids.into_iter().collect()))
                        .collect(),
                ),
            ),
            Err(e) if e.is_configuration() => return Err(e),
            Err(_) => (None, None),
        };
        let segments = match self.get_dimension("SUBACCOUNT") {
            Ok(d) => Some(
                d.segments
                    .into_iter()
                    .map(|s| {
                        s.segment_values
                            .into_iter()
                            .filter_map(|v| v.value_id)
                            .collect()
                    })
                    .collect(),
            ),
            Err(e) if e.is_configuration() => return Err(e),
            Err(_) => None,
        };
        Ok(CompanyIds {
            accounts: ids(Lookup::Accounts)?,
            vat_categories,
            vat_ids,
            customer_classes: ids(Lookup::CustomerClasses)?,
            supplier_classes: ids(Lookup::SupplierClasses)?,
            credit_terms: ids(Lookup::CreditTerms)?,
            payment_methods: ids(Lookup::PaymentMethods)?,
            cash_accounts: ids(Lookup::CashAccounts)?,
            branches: ids(Lookup::Branches)?,
            order_types: ids(Lookup::OrderTypes)?,
            inventory: ids(Lookup::InventoryItems)?,
            warehouses: ids(Lookup::Warehouses)?,
            segments,
        })
    }

    /// The VAT categories with their VAT ids and current rates.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn vat_categories(&self) -> Result<Vec<VatCategory>, VismaError> {
        let answer: Value = self.get_json(&Call::get(
            "vatcategory.list",
            Service::Erp,
            &["v1", "vatCategory"],
        ))?;
        Ok(entries(answer).iter().filter_map(vat_category).collect())
    }
}

fn vat_category(entry: &Value) -> Option<VatCategory> {
    let id = text(entry, "vatCategoryId")?;
    let lines = entry
        .get("vatCategoryLines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut vat_ids = Vec::new();
    let mut rate_ppm: i64 = 0;
    let mut any_rate = false;
    for line in &lines {
        if let Some(vat_id) = text(line, "vatId") {
            vat_ids.push(vat_id);
        }
        // The newest rate of the line (by start date; ISO dates sort as text).
        let newest = line
            .get("vatRates")
            .and_then(Value::as_array)
            .and_then(|rates| {
                rates
                    .iter()
                    .max_by_key(|r| text(r, "startDate").unwrap_or_default())
            })
            .and_then(|r| text(r, "vatRate"))
            .and_then(|t| crate::money::VatRate::parse_percent(&t).ok());
        if let Some(r) = newest {
            rate_ppm = rate_ppm.saturating_add(r.ppm());
            any_rate = true;
        }
    }
    Some(VatCategory {
        id,
        description: text(entry, "description").unwrap_or_default(),
        rate: any_rate.then(|| percent_text(rate_ppm)),
        vat_ids,
    })
}

/// A rate in parts per million of the base as per-cent text without trailing zeros: 250000 → "25", 125000 → "12.5".
fn percent_text(ppm: i64) -> String {
    let whole = ppm / 10_000;
    let rest = (ppm % 10_000).abs();
    if rest == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{rest:04}")
            .trim_end_matches('0')
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_envelopes_become_id_description_pairs() {
        let plain =
            serde_json::json!([{"id": "1", "description": "Innenlands"}, {"description": "no id"}]);
        let rows: Vec<_> = entries(plain)
            .iter()
            .filter_map(|e| text(e, "id"))
            .collect();
        assert_eq!(rows, vec!["1".to_owned()]);
        let envelope = serde_json::json!({"pageNumber": 1, "records": [{"termsId": "14", "Description": "14 dager"}]});
        let e = entries(envelope);
        assert_eq!(text(&e[0], "termsId").as_deref(), Some("14"));
        assert_eq!(text(&e[0], "description").as_deref(), Some("14 dager"));
    }

    #[test]
    fn a_vat_categorys_rate_is_its_ids_newest_rates() {
        let c = vat_category(&serde_json::json!({
            "vatCategoryId": "3", "description": "Høy sats",
            "vatCategoryLines": [{"vatId": "UTG25", "vatRates": [
                {"vatRate": 24.0, "startDate": "2005-01-01T00:00:00"},
                {"vatRate": 25.0, "startDate": "2013-01-01T00:00:00"}]}]
        }))
        .expect("category");
        assert_eq!(c.vat_ids, vec!["UTG25".to_owned()]);
        assert_eq!(c.rate.as_deref(), Some("25"));
        assert_eq!(percent_text(125_000), "12.5");
        let none = vat_category(&serde_json::json!({"vatCategoryId": "6"})).expect("category");
        assert_eq!(none.rate, None);
    }
}
