//! `Client::ping`: the connection check behind `ml-connector visma ping` and the admin health view. Fetches a
//! token, then the branches (which name the company), the chart of accounts and the VAT categories, and reports
//! what it found. A failure is the first [`VismaError`], whose `reason_for_merchant` says what to fix.
//!
//! Read-only: never creates or changes anything in Visma.

use crate::visma::client::Client;
use crate::visma::error::VismaError;

/// What a successful ping found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingReport {
    /// The configured `ipp-company-id`, if any.
    pub company_id: Option<String>,
    /// The main branch (or the first one): number and name, which name the company.
    pub branch: Option<(String, String)>,
    /// Number of GL accounts.
    pub accounts: usize,
    /// Number of VAT categories.
    pub vat_categories: usize,
}

impl std::fmt::Display for PingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("company ")?;
        match (&self.company_id, &self.branch) {
            (Some(id), Some((number, name))) => write!(f, "{id} (branch {number} {name})")?,
            (None, Some((number, name))) => write!(f, "of the token (branch {number} {name})")?,
            (Some(id), None) => write!(f, "{id}")?,
            (None, None) => f.write_str("of the token")?,
        }
        write!(
            f,
            ": {} accounts, {} VAT categories",
            self.accounts, self.vat_categories
        )
    }
}

impl Client {
    /// Checks credentials, company and licence with three read-only calls.
    ///
    /// # Errors
    /// The first [`VismaError`]: auth (bad secret, wrong tenant), fault 12027 (no licence), 12002 (wrong company
    /// id), or transport (unreachable).
    pub fn ping(&self) -> Result<PingReport, VismaError> {
        let branches = self.list_branches()?;
        let main = branches
            .iter()
            .find(|b| b.is_main_branch == Some(true))
            .or_else(|| branches.first());
        let branch = main.map(|b| {
            (
                b.number.clone().unwrap_or_default(),
                b.name.clone().unwrap_or_default(),
            )
        });
        let accounts = self.list_accounts()?.len();
        let vat_categories = self.list_vat_categories()?.len();
        Ok(PingReport {
            company_id: self.config().company_id.clone(),
            branch,
            accounts,
            vat_categories,
        })
    }
}
