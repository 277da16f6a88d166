//! The company a simulator serves (issue #14): accounts, VAT categories with their VAT ids, segments, payment
//! methods, terms, classes, branches, items and the client allowed in. The default is the demo company; `--seed FILE`
//! loads another one, so a test whose settings ignore a choice meets ids that the default would have accepted.
//! Pure data: loading is the caller's (the CLI reads the file).

use super::totals::{Dec, VatRate};
use serde::{Deserialize, Serialize};

const DEFAULT_JSON: &str = include_str!("default-company.json");

/// An id with its description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// The id documents carry.
    pub id: String,
    /// What Visma shows next to it.
    pub description: String,
}

/// A GL account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// `accountCD`.
    pub id: String,
    /// Description.
    pub description: String,
    /// `Asset`, `Liability`, `Income`, `Expense`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A cash account (payments may name it).
    pub cash: bool,
}

/// A VAT category with its one VAT id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatCategory {
    /// `vatCategoryId`.
    pub id: String,
    /// Description.
    pub description: String,
    /// The VAT id in it (`taxId` of tax detail lines).
    pub vat_id: String,
    /// Rate in per cent.
    pub rate: String,
    /// Exempt / outside the VAT area.
    pub exempt: bool,
}

/// A currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Currency {
    /// ISO code.
    pub id: String,
    /// Description.
    pub description: String,
    /// Symbol.
    pub symbol: String,
}

/// A subaccount segment and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// `segmentId`.
    pub id: i64,
    /// Description.
    pub description: String,
    /// Its values.
    pub values: Vec<Named>,
}

/// A payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    /// `paymentMethodID`.
    pub id: String,
    /// `meansOfPayment`.
    pub means: String,
    /// Description.
    pub description: String,
}

/// Credit terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditTerms {
    /// `termsId`.
    pub id: String,
    /// Description.
    pub description: String,
    /// Days until due.
    pub days: i32,
}

/// The simulated company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// A name for people.
    pub name: String,
    /// `ipp-company-id`.
    pub id: String,
    /// The company's tenant id (token `tenant_id`).
    pub tenant_id: String,
    /// The client id the company approved.
    pub client_id: String,
    /// That client's secret (a test fixture, never a real one).
    pub client_secret: String,
    /// The base currency.
    pub base_currency: String,
    /// GL accounts.
    pub accounts: Vec<Account>,
    /// VAT categories.
    pub vat_categories: Vec<VatCategory>,
    /// Currencies (two decimals each).
    pub currencies: Vec<Currency>,
    /// Subaccount segments, segment 1 first.
    pub segments: Vec<Segment>,
    /// Payment methods.
    pub payment_methods: Vec<PaymentMethod>,
    /// Credit terms.
    pub credit_terms: Vec<CreditTerms>,
    /// Customer classes.
    pub customer_classes: Vec<Named>,
    /// Supplier classes.
    pub supplier_classes: Vec<Named>,
    /// Branches (id = branch number).
    pub branches: Vec<Named>,
    /// Warehouses.
    pub warehouses: Vec<Named>,
    /// Inventory item numbers.
    pub inventory: Vec<String>,
    /// Sales order types.
    pub order_types: Vec<String>,
}

impl Default for Company {
    fn default() -> Self {
        // The bundled file is checked by a test; a broken one would be a build defect, not outside data.
        serde_json::from_str(DEFAULT_JSON).unwrap_or_else(|_| Company::empty())
    }
}

impl Company {
    fn empty() -> Self {
        Company {
            name: String::new(),
            id: String::new(),
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            base_currency: "NOK".into(),
            accounts: Vec::new(),
            vat_categories: Vec::new(),
            currencies: Vec::new(),
            segments: Vec::new(),
            payment_methods: Vec::new(),
            credit_terms: Vec::new(),
            customer_classes: Vec::new(),
            supplier_classes: Vec::new(),
            branches: Vec::new(),
            warehouses: Vec::new(),
            inventory: Vec::new(),
            order_types: Vec::new(),
        }
    }

    /// The default company as JSON (`--print-seed`, a start for a seed file of one's own).
    pub fn default_json() -> &'static str {
        DEFAULT_JSON
    }

    /// Parses a seed file.
    ///
    /// # Errors
    /// The JSON error, or a description of what is inconsistent (no cash account, a duplicate id, no base currency).
    pub fn from_json(text: &str) -> Result<Company, String> {
        let c: Company = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !c.has_currency(&c.base_currency) {
            return Err(format!(
                "base_currency {} is not among currencies",
                c.base_currency
            ));
        }
        if !c.accounts.iter().any(|a| a.cash) {
            return Err("no cash account".into());
        }
        for v in &c.vat_categories {
            if Dec::parse(&v.rate).is_none() {
                return Err(format!(
                    "VAT category {}: rate {:?} is not a number",
                    v.id, v.rate
                ));
            }
        }
        Ok(c)
    }

    /// The account with this number.
    pub fn account(&self, cd: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == cd)
    }

    fn category(&self, id: &str) -> Option<&VatCategory> {
        self.vat_categories.iter().find(|c| c.id == id)
    }

    /// The VAT rate of a category.
    pub fn vat_rate(&self, id: &str) -> Option<VatRate> {
        let c = self.category(id)?;
        Some(VatRate {
            percent: Dec::parse(&c.rate)?,
            exempt: c.exempt,
        })
    }

    /// A category's description.
    pub fn vat_description(&self, id: &str) -> Option<&str> {
        self.category(id).map(|c| c.description.as_str())
    }

    /// The VAT id of a category.
    pub fn vat_id_of(&self, category: &str) -> Option<&str> {
        self.category(category).map(|c| c.vat_id.as_str())
    }

    /// The category that holds VAT id `vat_id`.
    pub fn category_of_vat_id(&self, vat_id: &str) -> Option<&str> {
        self.vat_categories
            .iter()
            .find(|c| c.vat_id.eq_ignore_ascii_case(vat_id))
            .map(|c| c.id.as_str())
    }

    /// True when the currency exists.
    pub fn has_currency(&self, id: &str) -> bool {
        self.currencies
            .iter()
            .any(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// A payment method's description.
    pub fn payment_method(&self, id: &str) -> Option<&str> {
        self.payment_methods
            .iter()
            .find(|p| p.id.eq_ignore_ascii_case(id))
            .map(|p| p.description.as_str())
    }

    /// Credit terms by id.
    pub fn credit_terms(&self, id: &str) -> Option<&CreditTerms> {
        self.credit_terms.iter().find(|t| t.id == id)
    }

    /// A customer class' description.
    pub fn customer_class(&self, id: &str) -> Option<&str> {
        self.customer_classes
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.description.as_str())
    }

    /// A supplier class' description.
    pub fn supplier_class(&self, id: &str) -> Option<&str> {
        self.supplier_classes
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.description.as_str())
    }

    /// A branch's name.
    pub fn branch(&self, number: &str) -> Option<&str> {
        self.branches
            .iter()
            .find(|b| b.id == number)
            .map(|b| b.description.as_str())
    }

    /// True when the inventory item exists.
    pub fn has_inventory(&self, id: &str) -> bool {
        self.inventory.iter().any(|i| i.eq_ignore_ascii_case(id))
    }

    /// True when the sales order type exists.
    pub fn has_order_type(&self, id: &str) -> bool {
        self.order_types.iter().any(|t| t == id)
    }

    /// (segment description, value description) when both exist.
    pub fn segment_value(&self, segment_id: i64, value: &str) -> Option<(&str, &str)> {
        let seg = self.segments.iter().find(|s| s.id == segment_id)?;
        let val = seg.values.iter().find(|v| v.id == value)?;
        Some((seg.description.as_str(), val.description.as_str()))
    }

    /// A segment's description.
    pub fn segment_name(&self, segment_id: i64) -> Option<&str> {
        self.segments
            .iter()
            .find(|s| s.id == segment_id)
            .map(|s| s.description.as_str())
    }

    /// The first income account: the line account when a document names none (Visma takes the class default).
    pub fn default_sales_account(&self) -> &str {
        self.accounts
            .iter()
            .find(|a| a.kind == "Income")
            .map_or("", |a| a.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_default_company_parses_and_is_consistent() {
        let c = Company::from_json(Company::default_json()).expect("default company");
        assert_eq!(c, Company::default());
        assert_eq!(c.id, "1234567");
        assert!(c.vat_rate("3").is_some());
    }

    #[test]
    fn a_seed_without_a_cash_account_is_refused() {
        let mut c = Company::default();
        for a in &mut c.accounts {
            a.cash = false;
        }
        let text = serde_json::to_string(&c).expect("json");
        assert!(Company::from_json(&text)
            .unwrap_err()
            .contains("cash account"));
    }
}
