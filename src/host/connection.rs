//! The host's calls that read from Visma for the plugin's screens: the connection test (which also resumes a
//! paused queue), the company's lists for the settings selects, one order's invoice totals, and the month's
//! documents for the Reconciliation screen — always read back from Visma, never from our own id map.

use super::views::{ConnectionReport, UnknownIdView, VismaDocument, VismaTotals};
use super::{Host, HostError};
use crate::store::DocKind;
use crate::visma::lookups::Lookup;
use crate::visma::read::TaxDetailDto;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

impl Host {
    /// Authenticates, reads the company and counts accounts and VAT categories; failures are reported, not thrown.
    /// A passing test resumes a queue paused by a configuration error (issue #14).
    pub fn test_connection(&mut self) -> ConnectionReport {
        let result = self.engine().and_then(|e| {
            let report = e.test_and_resume().map_err(HostError::from)?;
            // Every id the settings hold, against the company's lists (issue #14).
            let company = e.visma().company_ids().map_err(HostError::from)?;
            let unknown = crate::settings::check::unknown_ids(e.settings(), &company);
            Ok((report, unknown))
        });
        match result {
            Ok((p, unknown)) => ConnectionReport {
                unknown_ids: unknown
                    .into_iter()
                    .map(|u| UnknownIdView {
                        message: u.to_string(),
                        setting: u.setting,
                        id: u.id,
                    })
                    .collect(),
                ok: true,
                company: Some(match (&p.company_id, &p.branch) {
                    (Some(id), Some((_, name))) => format!("{id} ({name})"),
                    (Some(id), None) => id.clone(),
                    (None, Some((_, name))) => name.clone(),
                    (None, None) => "connected".to_owned(),
                }),
                accounts: p.accounts,
                vat_categories: p.vat_categories,
                error: None,
                setting: None,
            },
            Err(e) => ConnectionReport {
                unknown_ids: Vec::new(),
                ok: false,
                company: None,
                accounts: 0,
                vat_categories: 0,
                setting: match &e {
                    HostError::Visma(v) => v.setting_to_fix().map(str::to_owned),
                    HostError::Config(_) => Some("visma_client_secret".to_owned()),
                    _ => None,
                },
                error: Some(e.to_string()),
            },
        }
    }

    /// The company's lists for the settings selects: each a list of `[id, description]`, VAT categories with
    /// their rate and VAT ids, subaccount segments with their values. A list Visma cannot give is empty and named
    /// under `errors`, so one missing endpoint does not hide the others.
    ///
    /// # Errors
    /// Configuration errors (no secret in Visma mode); an authentication failure, since then no list can be read.
    pub fn lookups(&mut self) -> Result<Value, HostError> {
        let visma = self.engine()?.visma();
        let mut out = Map::new();
        let mut errors = Map::new();
        for list in Lookup::ALL {
            match visma.lookup(list) {
                Ok(entries) => {
                    let rows: Vec<Value> = entries
                        .into_iter()
                        .map(|e| json!([e.id, e.description]))
                        .collect();
                    out.insert(list.key().to_owned(), Value::Array(rows));
                }
                Err(e) if e.is_configuration() => return Err(e.into()),
                Err(e) => {
                    out.insert(list.key().to_owned(), Value::Array(Vec::new()));
                    errors.insert(list.key().to_owned(), json!(e.reason_for_merchant()));
                }
            }
        }
        match visma.vat_categories() {
            Ok(categories) => {
                out.insert("vat_categories".to_owned(), json!(categories));
            }
            Err(e) if e.is_configuration() => return Err(e.into()),
            Err(e) => {
                out.insert("vat_categories".to_owned(), json!([]));
                errors.insert("vat_categories".to_owned(), json!(e.reason_for_merchant()));
            }
        }
        match visma.get_dimension("SUBACCOUNT") {
            Ok(dimension) => {
                let segments: Vec<Value> = dimension
                    .segments
                    .into_iter()
                    .map(|s| {
                        let values: Vec<Value> = s
                            .segment_values
                            .into_iter()
                            .filter_map(|v| {
                                Some(json!([v.value_id?, v.description.unwrap_or_default()]))
                            })
                            .collect();
                        json!({"segment_id": s.segment_id, "description": s.description, "values": values})
                    })
                    .collect();
                out.insert("subaccount_segments".to_owned(), Value::Array(segments));
            }
            Err(e) if e.is_configuration() => return Err(e.into()),
            Err(e) => {
                out.insert("subaccount_segments".to_owned(), json!([]));
                errors.insert(
                    "subaccount_segments".to_owned(),
                    json!(e.reason_for_merchant()),
                );
            }
        }
        out.insert("errors".to_owned(), Value::Object(errors));
        Ok(Value::Object(out))
    }

    /// The invoice Visma holds for order `order_id` (read from Visma, not from our records), for
    /// `wp ml-connector reconcile`. Orders not posted, or posted as sales orders, give no amounts.
    ///
    /// # Errors
    /// Visma and store errors.
    pub fn visma_totals(&mut self, order_id: u64) -> Result<VismaTotals, HostError> {
        let number = self
            .store()?
            .lookup_mapping(&self.books, DocKind::Order, order_id)?
            .map(|m| m.mapping.visma_number);
        let mut totals = VismaTotals {
            visma_number: number.clone(),
            amount_minor: None,
            vat_minor: None,
            currency: None,
        };
        let Some(number) = number else {
            return Ok(totals);
        };
        let Some(invoice) = self.engine()?.visma().get_invoice(&number)? else {
            return Ok(totals);
        };
        let decimals = self.decimals(invoice.currency_id.as_deref());
        totals.amount_minor = invoice
            .amount_in_currency
            .and_then(|a| a.to_minor(decimals));
        totals.vat_minor = invoice
            .vat_total_in_currency
            .and_then(|a| a.to_minor(decimals));
        totals.currency = invoice.currency_id;
        Ok(totals)
    }

    fn decimals(&self, currency: Option<&str>) -> u32 {
        currency
            .and_then(|c| self.settings.currency(c).ok())
            .map_or(2, |c| c.decimals())
    }

    /// Every invoice and credit note Visma holds for this store dated in `[from, to]` (`YYYY-MM-DD`), read from
    /// Visma, for the Reconciliation screen. Documents are recognised by this store's key in `externalReference`
    /// (`woo:{store}:{order}`, `woo:{store}:refund:{id}`, `woo:{store}:cancel:{order}`).
    ///
    /// # Errors
    /// [`HostError::Input`] for a date that is not `YYYY-MM-DD`; Visma errors.
    pub fn visma_documents(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<VismaDocument>, HostError> {
        for (name, d) in [("from", from), ("to", to)] {
            if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                return Err(HostError::Input(format!(
                    "{name} must be a date YYYY-MM-DD"
                )));
            }
        }
        let prefix = format!("woo:{}:", self.settings.store_id);
        let in_range = |date: Option<&str>| {
            date.and_then(|d| d.get(..10))
                .is_some_and(|d| d >= from && d <= to)
        };
        let visma = self.engine()?.visma();
        let invoices = visma.list_invoices_from(from)?;
        let credit_notes = visma.list_credit_notes_from(from)?;
        let mut out = Vec::new();
        for i in invoices {
            let Some(reference) = i.external_reference.as_deref() else {
                continue;
            };
            let Some((order, refund)) = parse_key(&prefix, reference) else {
                continue;
            };
            if !in_range(i.document_date.as_deref()) || refund.is_some() {
                continue;
            }
            let decimals = self.decimals(i.currency_id.as_deref());
            out.push(VismaDocument {
                kind: "invoice",
                visma_number: i.reference_number.unwrap_or_default(),
                woo_order_id: order,
                woo_refund_id: None,
                date: i.document_date.unwrap_or_default(),
                currency: i.currency_id.unwrap_or_default(),
                amount_minor: i
                    .amount_in_currency
                    .and_then(|a| a.to_minor(decimals))
                    .unwrap_or(0),
                vat_minor: i
                    .vat_total_in_currency
                    .and_then(|a| a.to_minor(decimals))
                    .unwrap_or(0),
                vat_by_id: vat_by_id(&i.tax_details, decimals),
                status: i.status.unwrap_or_default(),
            });
        }
        for c in credit_notes {
            let Some(reference) = c.external_reference.as_deref() else {
                continue;
            };
            let Some((order, refund)) = parse_key(&prefix, reference) else {
                continue;
            };
            if !in_range(c.document_date.as_deref()) {
                continue;
            }
            let decimals = self.decimals(c.currency_id.as_deref());
            out.push(VismaDocument {
                kind: "credit_note",
                visma_number: c.reference_number.unwrap_or_default(),
                woo_order_id: order,
                woo_refund_id: refund,
                date: c.document_date.unwrap_or_default(),
                currency: c.currency_id.unwrap_or_default(),
                amount_minor: c
                    .amount_in_currency
                    .and_then(|a| a.to_minor(decimals))
                    .unwrap_or(0),
                vat_minor: c
                    .vat_total_in_currency
                    .and_then(|a| a.to_minor(decimals))
                    .unwrap_or(0),
                vat_by_id: vat_by_id(&c.tax_details, decimals),
                status: c.status.unwrap_or_default(),
            });
        }
        // Sales orders count in either mode (a merchant may switch modes within a month); in invoice mode a client
        // without the SalesOrders API simply has none.
        match self.sales_orders_in(from, &prefix, &in_range) {
            Ok(found) => out.extend(found),
            Err(e) if self.settings.document_type == crate::settings::DocumentType::SalesOrder => {
                return Err(e)
            }
            Err(e) => tracing::debug!(error = %e, "no sales orders read (invoice mode)"),
        }
        Ok(out)
    }

    /// Issue #17: in sales-order mode an order's document is its sales order (Visma invoices it when it ships).
    fn sales_orders_in(
        &mut self,
        from: &str,
        prefix: &str,
        in_range: &dyn Fn(Option<&str>) -> bool,
    ) -> Result<Vec<VismaDocument>, HostError> {
        // An order dated in the range was created, so last modified, at or after its date.
        let since = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let query = crate::visma::SalesOrderQuery {
            modified_since: since,
            ..Default::default()
        };
        let mut out = Vec::new();
        for so in self.engine()?.visma().list_sales_orders(&query)? {
            let Some((order, None)) = so
                .customer_ref_no
                .as_deref()
                .and_then(|k| parse_key(prefix, k))
            else {
                continue;
            };
            if !in_range(so.date.as_deref()) {
                continue;
            }
            let decimals = self.decimals(so.currency.as_deref());
            let minor = |d: Option<crate::visma::read::Decimal>| {
                d.and_then(|a| a.to_minor(decimals)).unwrap_or(0)
            };
            out.push(VismaDocument {
                kind: "sales_order",
                visma_number: format!(
                    "{} {}",
                    so.order_type.unwrap_or_default(),
                    so.order_id.unwrap_or_default()
                ),
                woo_order_id: order,
                woo_refund_id: None,
                date: so.date.unwrap_or_default(),
                currency: so.currency.unwrap_or_default(),
                amount_minor: minor(so.order_total),
                vat_minor: minor(so.tax_total),
                vat_by_id: BTreeMap::new(),
                status: so.status.unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

/// `(order id, refund id)` from a document key of this store; a refund key names no order (0: the screen joins
/// refunds by id), a cancellation key names its order.
fn parse_key(prefix: &str, key: &str) -> Option<(u64, Option<u64>)> {
    let rest = key.strip_prefix(prefix)?;
    if let Some(id) = rest.strip_prefix("refund:") {
        return Some((0, Some(id.parse().ok()?)));
    }
    if let Some(id) = rest.strip_prefix("cancel:") {
        return Some((id.parse().ok()?, None));
    }
    Some((rest.parse().ok()?, None))
}

fn vat_by_id(details: &[TaxDetailDto], decimals: u32) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for d in details {
        if let (Some(id), Some(vat)) = (
            d.tax_id.clone(),
            d.vat_amount.and_then(|v| v.to_minor(decimals)),
        ) {
            *out.entry(id).or_insert(0) += vat;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_keys_name_their_order_or_refund() {
        let p = "woo:shop:";
        assert_eq!(parse_key(p, "woo:shop:70"), Some((70, None)));
        assert_eq!(parse_key(p, "woo:shop:refund:71"), Some((0, Some(71))));
        assert_eq!(parse_key(p, "woo:shop:cancel:70"), Some((70, None)));
        assert_eq!(parse_key(p, "woo:other:70"), None);
        assert_eq!(parse_key(p, "woo:shop:x"), None);
    }
}
