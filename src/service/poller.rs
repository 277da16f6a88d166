//! The REST poller: the path that catches what webhooks missed (WooCommerce never retries a failed delivery
//! and disables a webhook on the 7th consecutive failure, NOTES §1.6).
//!
//! Orders: `modified_after = cursor − overlap`, `dates_are_gmt=true`, `orderby=modified`, all pages. Each order
//! is queued in canonical form, so one already queued by a webhook (or by the previous poll's overlap) is a
//! duplicate and changes nothing. The cursor moves to the newest `date_modified_gmt` seen, only after every
//! order of the run is queued: a crash mid-run re-reads the window. Orders listing refunds get their refunds
//! fetched and queued as `{"order","refund"}` envelopes. Customers: a full scan by id (no `modified_after` on
//! `/customers`); the queue's payload hash is the per-customer change detector. Network calls run without the
//! queue lock.

use super::intake::{self, canonical};
use super::receiver::Cell;
use super::ServiceError;
use crate::engine;
use crate::store::queue::{EnqueueOutcome, JobKind, JobSource};
use crate::woo::client::WooClient;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::time::Duration;

/// The cursor holding the newest `date_modified_gmt` the order poller has queued (RFC 3339).
pub const ORDERS_CURSOR: &str = "woo.orders.modified_after";

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PollReport {
    /// Orders listed by WooCommerce.
    pub orders_seen: u64,
    /// Orders, refunds and customers that were new to the queue (inserted or replacing a pending job).
    pub queued: u64,
    /// Documents already queued in this exact state.
    pub unchanged: u64,
    /// Documents refused at intake (audited there).
    pub refused: u64,
    /// Customers listed.
    pub customers_seen: u64,
}

impl PollReport {
    fn count(
        &mut self,
        outcome: Result<EnqueueOutcome, engine::IntakeError>,
    ) -> Result<(), ServiceError> {
        match outcome {
            Ok(EnqueueOutcome::Inserted(_) | EnqueueOutcome::Replaced(_)) => self.queued += 1,
            Ok(EnqueueOutcome::Duplicate(_) | EnqueueOutcome::Superseded(_)) => self.unchanged += 1,
            Err(engine::IntakeError::Malformed { .. } | engine::IntakeError::UnknownKind(_)) => {
                self.refused += 1
            }
            Err(engine::IntakeError::Store { source, .. }) => {
                return Err(ServiceError::store("", *source))
            }
        }
        Ok(())
    }
}

/// Polls the store's orders once (see the module docs).
///
/// # Errors
/// [`ServiceError::Woo`] when a page or a refund list cannot be read (the cursor does not move);
/// [`ServiceError::Store`] when the queue fails.
pub fn poll_orders(
    cell: &Cell,
    woo: &WooClient,
    overlap: Duration,
    initial_lookback: Duration,
) -> Result<PollReport, ServiceError> {
    let store_err = |source| ServiceError::store(&cell.id, source);
    let now = cell.now();
    let cursor = cell
        .store()
        .cursor(&cell.id, ORDERS_CURSOR)
        .map_err(store_err)?
        .and_then(|c| DateTime::parse_from_rfc3339(&c.value).ok())
        .map(|t| t.with_timezone(&Utc));
    let start = cursor.unwrap_or_else(|| now - to_chrono(initial_lookback));
    let since = start - to_chrono(overlap);
    let orders = woo
        .orders_modified_after(since)
        .map_err(|source| ServiceError::Woo {
            store: cell.id.clone(),
            source,
        })?;
    let mut report = PollReport::default();
    let mut newest = start;
    for order in orders {
        report.orders_seen += 1;
        if let Some(m) = modified_gmt(&order) {
            newest = newest.max(m);
        }
        let refunds = intake::refund_ids(&order);
        let id = order.get("id").and_then(Value::as_u64);
        let payload = canonical(order);
        let outcome = engine::enqueue(
            &cell.store(),
            &cell.id,
            JobKind::Order,
            &payload,
            JobSource::Poll,
            now,
        );
        report.count(outcome).map_err(|e| with_store(e, &cell.id))?;
        if let (Some(id), false) = (id, refunds.is_empty()) {
            queue_refunds(cell, woo, id, &payload, JobSource::Poll, &mut report)?;
        }
    }
    if cursor.is_none_or(|c| newest > c) {
        cell.store()
            .set_cursor(&cell.id, ORDERS_CURSOR, &newest.to_rfc3339(), now)
            .map_err(store_err)?;
    }
    if report.queued > 0 {
        cell.wake();
    }
    Ok(report)
}

/// Scans every customer once and queues the changed ones.
///
/// # Errors
/// [`ServiceError::Woo`] or [`ServiceError::Store`].
pub fn poll_customers(cell: &Cell, woo: &WooClient) -> Result<PollReport, ServiceError> {
    let customers = woo.customers().map_err(|source| ServiceError::Woo {
        store: cell.id.clone(),
        source,
    })?;
    let now = cell.now();
    let mut report = PollReport::default();
    for c in customers {
        report.customers_seen += 1;
        let outcome = engine::enqueue(
            &cell.store(),
            &cell.id,
            JobKind::Customer,
            &canonical(c),
            JobSource::Poll,
            now,
        );
        report.count(outcome).map_err(|e| with_store(e, &cell.id))?;
    }
    if report.queued > 0 {
        cell.wake();
    }
    Ok(report)
}

/// Fetches an order's refunds and queues each with the order.
///
/// # Errors
/// [`ServiceError::Woo`] or [`ServiceError::Store`].
pub fn queue_refunds(
    cell: &Cell,
    woo: &WooClient,
    order_id: u64,
    order_payload: &str,
    source: JobSource,
    report: &mut PollReport,
) -> Result<(), ServiceError> {
    let refunds = woo.refunds(order_id).map_err(|source| ServiceError::Woo {
        store: cell.id.clone(),
        source,
    })?;
    let now = cell.now();
    for refund in refunds {
        let Some(envelope) = intake::refund_envelope(order_payload, refund) else {
            report.refused += 1;
            continue;
        };
        let outcome = engine::enqueue(
            &cell.store(),
            &cell.id,
            JobKind::Refund,
            &envelope,
            source,
            now,
        );
        report.count(outcome).map_err(|e| with_store(e, &cell.id))?;
    }
    Ok(())
}

fn with_store(e: ServiceError, id: &str) -> ServiceError {
    match e {
        ServiceError::Store { source, .. } => ServiceError::Store {
            store: id.to_owned(),
            source,
        },
        other => other,
    }
}

fn modified_gmt(order: &Value) -> Option<DateTime<Utc>> {
    let text = order.get("date_modified_gmt")?.as_str()?;
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1))
}
