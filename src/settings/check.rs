//! Every Visma id the settings hold, checked against the ids the merchant's company has (issue #14: "Test
//! connection" and `ml-connector visma check` name each configured id the company does not know, with the setting
//! that holds it). Pure: the caller reads the company's lists.

use super::{DocumentType, Settings};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The ids one company has, per list. A list Visma could not give is `None` and not checked.
#[derive(Debug, Clone, Default)]
pub struct CompanyIds {
    /// GL accounts (`accountCD`).
    pub accounts: Option<BTreeSet<String>>,
    /// VAT categories.
    pub vat_categories: Option<BTreeSet<String>>,
    /// The VAT ids in each VAT category.
    pub vat_ids: Option<BTreeMap<String, BTreeSet<String>>>,
    /// Customer classes.
    pub customer_classes: Option<BTreeSet<String>>,
    /// Supplier classes.
    pub supplier_classes: Option<BTreeSet<String>>,
    /// Credit terms.
    pub credit_terms: Option<BTreeSet<String>>,
    /// Payment methods.
    pub payment_methods: Option<BTreeSet<String>>,
    /// Cash accounts.
    pub cash_accounts: Option<BTreeSet<String>>,
    /// Branch numbers.
    pub branches: Option<BTreeSet<String>>,
    /// Sales order types.
    pub order_types: Option<BTreeSet<String>>,
    /// Inventory item ids.
    pub inventory: Option<BTreeSet<String>>,
    /// Warehouse ids.
    pub warehouses: Option<BTreeSet<String>>,
    /// Subaccount segment values, segment 1 first.
    pub segments: Option<Vec<BTreeSet<String>>>,
}

/// A configured id the company does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId {
    /// The dotted setting that holds it, e.g. `accounts.shipping`.
    pub setting: String,
    /// The id.
    pub id: String,
    /// What it should be, e.g. `account`.
    pub what: &'static str,
}

impl fmt::Display for UnknownId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "setting `{}`: {} {:?} is not in the Visma company",
            self.setting, self.what, self.id
        )
    }
}

/// Every configured id that `company` does not have, in settings order.
pub fn unknown_ids(settings: &Settings, company: &CompanyIds) -> Vec<UnknownId> {
    let mut out = Vec::new();
    let mut check =
        |list: &Option<BTreeSet<String>>, what: &'static str, setting: String, id: &str| {
            let id = id.trim();
            if let Some(known) = list {
                if !id.is_empty() && !known.contains(id) {
                    out.push(UnknownId {
                        setting,
                        id: id.to_owned(),
                        what,
                    });
                }
            }
        };
    let a = &settings.accounts;
    let accounts = &company.accounts;
    for (key, value) in [
        ("accounts.sales", Some(&a.sales)),
        ("accounts.sales_foreign", a.sales_foreign.as_ref()),
        ("accounts.shipping", Some(&a.shipping)),
        ("accounts.fee", Some(&a.fee)),
        ("accounts.refund", a.refund.as_ref()),
        ("accounts.rounding", a.rounding.as_ref()),
    ] {
        if let Some(v) = value {
            check(accounts, "account", key.to_owned(), v);
        }
    }
    for (i, rule) in a.rules.iter().enumerate() {
        check(
            accounts,
            "account",
            format!("accounts.rules[{i}].account"),
            &rule.account,
        );
    }
    let vat = &settings.vat;
    let cats = &company.vat_categories;
    for id in vat.categories.keys() {
        check(cats, "VAT category", format!("vat.categories.{id}"), id);
    }
    for (cat, id) in &vat.vat_ids {
        let in_category = company
            .vat_ids
            .as_ref()
            .map(|m| m.get(cat).cloned().unwrap_or_default());
        check(
            &in_category,
            "VAT id of that category",
            format!("vat.vat_ids.{cat}"),
            id,
        );
    }
    for (i, rule) in vat.rates.iter().enumerate() {
        check(
            cats,
            "VAT category",
            format!("vat.rates[{i}].category"),
            &rule.category,
        );
    }
    for (key, id) in [
        ("vat.not_taxable", &vat.not_taxable),
        ("vat.untaxed_domestic", &vat.untaxed_domestic),
        ("vat.export", &vat.export),
        ("vat.reverse_charge", &vat.reverse_charge),
        ("vat.rounding", &vat.rounding),
    ] {
        check(cats, "VAT category", key.to_owned(), id);
    }
    let c = &settings.customer;
    for (list, what, key, value) in [
        (
            &company.customer_classes,
            "customer class",
            "customer.class_id",
            &c.class_id,
        ),
        (
            &company.customer_classes,
            "customer class",
            "customer.foreign_class_id",
            &c.foreign_class_id,
        ),
        (
            &company.supplier_classes,
            "supplier class",
            "supplier.class_id",
            &settings.supplier.class_id,
        ),
        (
            &company.credit_terms,
            "credit terms",
            "supplier.credit_terms_id",
            &settings.supplier.credit_terms_id,
        ),
        (
            &company.payment_methods,
            "payment method",
            "supplier.payment_method_id",
            &settings.supplier.payment_method_id,
        ),
        (
            &company.credit_terms,
            "credit terms",
            "customer.credit_terms_id",
            &c.credit_terms_id,
        ),
        (
            &company.credit_terms,
            "credit terms",
            "invoice.credit_terms_id",
            &settings.invoice.credit_terms_id,
        ),
        (
            &company.branches,
            "branch",
            "invoice.branch_number",
            &settings.invoice.branch_number,
        ),
    ] {
        if let Some(v) = value {
            check(list, what, key.to_owned(), v);
        }
    }
    for (gateway, pm) in &settings.payment_methods {
        check(
            &company.payment_methods,
            "payment method",
            format!("payment_methods.{gateway}.payment_method_id"),
            &pm.payment_method_id,
        );
        check(
            &company.cash_accounts,
            "cash account",
            format!("payment_methods.{gateway}.cash_account"),
            &pm.cash_account,
        );
    }
    if settings.document_type == DocumentType::SalesOrder {
        let so = &settings.sales_order;
        check(
            &company.order_types,
            "sales order type",
            "sales_order.order_type".to_owned(),
            &so.order_type,
        );
        if so.refunds == super::SalesOrderRefunds::ReturnOrder {
            check(
                &company.order_types,
                "sales order type",
                "sales_order.return_order_type".to_owned(),
                &so.return_order_type,
            );
        }
        for (key, item) in so.named_items() {
            check(&company.inventory, "inventory item", key, &item);
        }
        if let Some(w) = &so.warehouse {
            check(
                &company.warehouses,
                "warehouse",
                "sales_order.warehouse".to_owned(),
                w,
            );
        }
        if let Some(b) = &so.branch {
            check(
                &company.branches,
                "branch",
                "sales_order.branch".to_owned(),
                b,
            );
        }
    }
    let s = &settings.subaccounts;
    for (kind, values) in [
        ("item", &s.item),
        ("shipping", &s.shipping),
        ("fee", &s.fee),
        ("rounding", &s.rounding),
    ] {
        for (i, value) in values.iter().enumerate() {
            let segment = company
                .segments
                .as_ref()
                .map(|segs| segs.get(i).cloned().unwrap_or_default());
            check(
                &segment,
                "subaccount segment value",
                format!("subaccounts.{kind}[{i}]"),
                value,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> Option<BTreeSet<String>> {
        Some(ids.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn every_unknown_id_is_named_with_its_setting_and_unread_lists_are_skipped() {
        let settings = Settings::example().expect("example");
        let company = CompanyIds {
            accounts: set(&[
                "3000", "3010", "3020", "3100", "3200", "3700", "3710", "3740",
            ]),
            vat_categories: set(&["3", "31", "33", "5", "6"]),
            // Category 31's VAT id is named differently in this company.
            vat_ids: Some(
                [
                    ("3", "3"),
                    ("31", "MVA15"),
                    ("33", "33"),
                    ("5", "5"),
                    ("6", "6"),
                ]
                .iter()
                .map(|(c, id)| ((*c).to_owned(), [(*id).to_owned()].into()))
                .collect(),
            ),
            customer_classes: set(&["1"]),
            credit_terms: set(&["0"]),
            payment_methods: set(&["BANK"]),
            cash_accounts: set(&["1920"]),
            segments: Some(vec![
                ["10", "00"].iter().map(|s| (*s).to_owned()).collect(),
                ["100"].iter().map(|s| (*s).to_owned()).collect(),
            ]),
            ..CompanyIds::default()
        };
        let found: Vec<String> = unknown_ids(&settings, &company)
            .iter()
            .map(|u| format!("{}={}", u.setting, u.id))
            .collect();
        assert_eq!(
            found,
            [
                "vat.categories.52=52",
                "vat.vat_ids.31=31",
                "vat.vat_ids.52=52",
                "vat.export=52",
                "vat.reverse_charge=52",
                "customer.foreign_class_id=2",
                "payment_methods.cod.payment_method_id=COD",
                "subaccounts.rounding[1]=000",
            ],
            "branches were not read, so the branch is not checked"
        );
        let all = CompanyIds {
            accounts: set(&[]),
            ..CompanyIds::default()
        };
        let text = unknown_ids(&settings, &all)[0].to_string();
        assert_eq!(
            text,
            "setting `accounts.sales`: account \"3000\" is not in the Visma company"
        );
    }
}
