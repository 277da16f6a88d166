//! The SalesOrders v3 service (`https://salesorder.visma.net/api/v3/SalesOrders`, SOV3; NOTES §3, §4.5): create,
//! get, list (zero-based `pageIndex`, envelope `{value, nextPage, totalCount}`) and find by our document key in
//! `customer.refNo`, plus the v3 GET response shapes. Write bodies are plain JSON (no value wrapper), defined by
//! the mapping area.
//!
//! Build, send, parse only.

use crate::visma::client::{last_segments, Call, Client, Service};
use crate::visma::error::VismaError;
use crate::visma::read::Decimal;
use chrono::{DateTime, Utc};
use reqwest::header::LOCATION;
use serde::{Deserialize, Serialize};

/// Page size for v3 lists (SOV3 default 100; max 100 when `expand` is used, D-SOV3).
const V3_PAGE_SIZE: u32 = 100;
/// Upper bound on pages read by one list call.
const MAX_PAGES: u32 = 10_000;

/// SalesOrders v3 `SalesOrderCustomerDto`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderCustomerDto {
    /// Customer number.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Customer's order number.
    pub order: Option<String>,
    /// Third-party reference (our document key).
    pub ref_no: Option<String>,
}

/// SalesOrders v3 `SalesOrderStatusDto`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderStatusDto {
    /// Status text.
    pub description: Option<String>,
    /// Cancelled.
    pub cancelled: Option<bool>,
    /// On hold.
    pub hold: Option<bool>,
}

/// SalesOrders v3 `SalesOrderTotalsDto` (the parts we check).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderTotalsDto {
    /// Total, VAT included.
    pub order_total: Option<Decimal>,
    /// VAT total.
    pub tax_total: Option<Decimal>,
}

/// SalesOrders v3 `SalesOrderDto` (GET one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderDto {
    /// Order type, e.g. `SO`.
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    /// Order number.
    pub order_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Currency.
    pub currency_id: Option<String>,
    /// Status.
    pub status: Option<SalesOrderStatusDto>,
    /// Customer, with `refNo`.
    pub customer: Option<SalesOrderCustomerDto>,
    /// Totals.
    pub totals: Option<SalesOrderTotalsDto>,
}

/// SalesOrders v3 `SalesOrderListDto` (list item).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderListItemDto {
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    /// Order number.
    pub order_id: Option<String>,
    /// Status text.
    pub status: Option<String>,
    /// Customer number.
    pub customer_id: Option<String>,
    /// Customer's order number.
    pub customer_order: Option<String>,
    /// Third-party reference (our document key).
    pub customer_ref_no: Option<String>,
    /// Total.
    pub order_total: Option<Decimal>,
    /// VAT total.
    pub tax_total: Option<Decimal>,
    /// Order date.
    pub date: Option<String>,
    /// Currency.
    pub currency: Option<String>,
}

/// SalesOrders v3 `SalesOrderListDtoPagedResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderPage {
    /// This page.
    #[serde(default)]
    pub value: Vec<SalesOrderListItemDto>,
    /// Link to the next page, absent on the last.
    pub next_page: Option<String>,
    /// All matches.
    pub total_count: Option<u64>,
}

/// A sales order's identity: order type and number (the last two segments of its `Location`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrderKey {
    /// Order type, e.g. `SO`.
    pub order_type: String,
    /// Order number.
    pub order_id: String,
}

/// Filters for [`Client::list_sales_orders`]; `None` leaves a filter out.
#[derive(Debug, Clone, Default)]
pub struct SalesOrderQuery {
    /// `customerId`.
    pub customer_id: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `modifiedSince` (sent as RFC 3339 UTC).
    pub modified_since: Option<DateTime<Utc>>,
    /// `filter` (SOV3: matched against OrderId, CustomerOrderNumber and CustomerName — not `refNo`).
    pub filter: Option<String>,
}

impl Client {
    /// `POST /api/v3/SalesOrders` (`NewSalesOrderCommand`); returns the new order's type and number.
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again (or use
    /// [`Client::create_sales_order_once`]).
    pub fn create_sales_order(&self, body: &impl Serialize) -> Result<SalesOrderKey, VismaError> {
        const ENDPOINT: &str = "salesorder.create";
        let reply = self.create(
            ENDPOINT,
            Service::SalesOrders,
            &["api", "v3", "SalesOrders"],
            body,
        )?;
        let key = reply
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|loc| last_segments(loc, &reply.url, 2))
            .and_then(|mut segs| {
                let order_id = segs.pop()?;
                let order_type = segs.pop()?;
                Some(SalesOrderKey {
                    order_type,
                    order_id,
                })
            })
            .filter(|k| {
                !k.order_id.is_empty() && !k.order_type.eq_ignore_ascii_case("SalesOrders")
            });
        key.ok_or(VismaError::InvalidResponse {
            endpoint: ENDPOINT,
            status: reply.status,
            reason: "created, but no readable Location header".into(),
            outcome_unknown: true,
        })
    }

    /// `GET /api/v3/SalesOrders/{type}/{orderId}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_sales_order(
        &self,
        key: &SalesOrderKey,
    ) -> Result<Option<SalesOrderDto>, VismaError> {
        let call = Call::get(
            "salesorder.get",
            Service::SalesOrders,
            &["api", "v3", "SalesOrders", &key.order_type, &key.order_id],
        );
        match self.get_json(&call) {
            Ok(order) => Ok(Some(order)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One read of the SalesOrders service (`GET /api/v3/SalesOrders?pageSize=1`): its token's scopes and the
    /// subscription work (issue #17: the connection test of sales-order mode).
    ///
    /// # Errors
    /// Any [`VismaError`], e.g. `invalid_scope` for a client not subscribed to SalesOrders v3.
    pub fn ping_sales_orders(&self) -> Result<(), VismaError> {
        let call = Call::get(
            "salesorder.list",
            Service::SalesOrders,
            &["api", "v3", "SalesOrders"],
        )
        .with_query(vec![
            ("pageSize", "1".to_owned()),
            ("pageIndex", "0".to_owned()),
        ]);
        let _: SalesOrderPage = self.get_json(&call)?;
        Ok(())
    }

    /// `GET /api/v3/SalesOrders`, every page (`pageIndex` from 0 until no `nextPage`).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_sales_orders(
        &self,
        query: &SalesOrderQuery,
    ) -> Result<Vec<SalesOrderListItemDto>, VismaError> {
        const ENDPOINT: &str = "salesorder.list";
        let mut base = Vec::new();
        if let Some(v) = &query.customer_id {
            base.push(("customerId", v.clone()));
        }
        if let Some(v) = &query.status {
            base.push(("status", v.clone()));
        }
        if let Some(v) = &query.modified_since {
            base.push((
                "modifiedSince",
                v.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
        }
        if let Some(v) = &query.filter {
            base.push(("filter", v.clone()));
        }
        let mut all = Vec::new();
        for page_index in 0..MAX_PAGES {
            let mut q = base.clone();
            q.push(("pageSize", V3_PAGE_SIZE.to_string()));
            q.push(("pageIndex", page_index.to_string()));
            let call = Call::get(
                ENDPOINT,
                Service::SalesOrders,
                &["api", "v3", "SalesOrders"],
            )
            .with_query(q);
            let page: SalesOrderPage = self.get_json(&call)?;
            let empty = page.value.is_empty();
            all.extend(page.value);
            let below_total = page
                .total_count
                .is_some_and(|total| u64::try_from(all.len()).unwrap_or(u64::MAX) < total);
            if empty || (page.next_page.is_none() && !below_total) {
                return Ok(all);
            }
        }
        Err(VismaError::InvalidResponse {
            endpoint: ENDPOINT,
            status: 200,
            reason: format!("list did not end within {MAX_PAGES} pages"),
            outcome_unknown: false,
        })
    }

    /// Sales orders whose `customer.refNo` (list field `customerRefNo`) or `customer.order` equals `ref_no`,
    /// looked up among the orders of `customer_id` when given (SOV3 `filter` does not cover `refNo`).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_sales_orders_by_ref(
        &self,
        customer_id: Option<&str>,
        ref_no: &str,
    ) -> Result<Vec<SalesOrderListItemDto>, VismaError> {
        let query = SalesOrderQuery {
            customer_id: customer_id.map(str::to_owned),
            ..SalesOrderQuery::default()
        };
        let all = self.list_sales_orders(&query)?;
        Ok(all
            .into_iter()
            .filter(|o| {
                o.customer_ref_no.as_deref() == Some(ref_no)
                    || o.customer_order.as_deref() == Some(ref_no)
            })
            .collect())
    }
}
