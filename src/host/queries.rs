//! The host's read side and queue actions for the plugin's screens: status (with the pause and the notes waiting),
//! jobs, audit rows, one order's state, replay, and the dry-run preview. No Visma calls here.

use super::views::{
    self, AuditRow, JobRow, LocalQueueView, OrderState, PauseView, PaymentView, Status,
};
use super::{Host, HostError};
use crate::engine;
use crate::mapping;
use crate::store::audit::AuditQuery;
use crate::store::queue::{DocKind, Job, JobFilter, JobId, JobKind, JobState};
use crate::store::Store;
use crate::woo::Order;
use std::collections::BTreeMap;

/// What the admin screens may ask for in one page.
const MAX_PAGE: u32 = 200;

impl Host {
    /// This server's own SQLite file while it holds a queue not merged into the shared one.
    fn local_queue(&self) -> Option<LocalQueueView> {
        use std::sync::atomic::Ordering::Relaxed;
        if self.local_settled.load(Relaxed) {
            return None;
        }
        let path = self.local_file.as_ref().filter(|p| p.is_file())?;
        let view = |unfinished, notes, error| LocalQueueView {
            path: path.display().to_string(),
            unfinished,
            notes,
            error,
        };
        match super::storage::unmerged(path) {
            Ok(None) => {
                self.local_settled.store(true, Relaxed);
                None
            }
            Ok(Some(q)) => Some(view(q.unfinished, q.notes, None)),
            Err(e) => Some(view(0, 0, Some(e.to_string()))),
        }
    }

    /// Queue counts, oldest pending job, newest failure, the pause in force and the notes waiting for their JSON.
    ///
    /// # Errors
    /// Store errors.
    pub fn status(&self) -> Result<Status, HostError> {
        let store = self.store()?;
        let c = store.counts_by_state()?;
        // Issue #13: a job whose worker stopped is not "running"; it waits to be taken over.
        let stalled = store.stalled_count(self.clock.now())?.min(c.running);
        let counts = BTreeMap::from([
            ("pending", c.pending),
            ("running", c.running - stalled),
            ("stalled", stalled),
            ("done", c.done),
            ("failed", c.failed),
            ("dead", c.dead),
        ]);
        // Issue #15: the newest failure, not the first of the oldest 200 rows.
        let last_error = store
            .audit_entries(&AuditQuery {
                limit: 200,
                newest_first: true,
                ..AuditQuery::default()
            })?
            .into_iter()
            .find(|e| {
                matches!(
                    e.action.as_str(),
                    "failed" | "dead" | "retry" | "rejected" | "merge_conflict" | "merge_failed"
                )
            })
            .and_then(|e| e.error);
        Ok(Status {
            counts,
            oldest_pending_at: store.oldest_pending()?.map(|j| j.created_at.to_rfc3339()),
            last_error,
            paused: store.pause()?.map(|p| PauseView {
                reason: p.reason,
                setting: p.setting,
                since: p.since.to_rfc3339(),
            }),
            notes: store.note_count()?,
            local_queue: self.local_queue(),
        })
    }

    /// Jobs by state/kind/WooCommerce id, newest first, page by page. Every store id's jobs: the history stays
    /// when the merchant changes the store id (issue #13).
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown state or kind; store errors.
    pub fn jobs(
        &self,
        state: Option<&str>,
        kind: Option<&str>,
        woo_id: Option<u64>,
        per_page: u32,
        page: u32,
    ) -> Result<Vec<JobRow>, HostError> {
        let store = self.store()?;
        let per_page = per_page.clamp(1, MAX_PAGE);
        let filter = JobFilter {
            store_id: None,
            state: state
                .map(|s| {
                    JobState::parse(s).map_err(|_| HostError::Input(format!("unknown state {s:?}")))
                })
                .transpose()?,
            kind: kind.map(engine::parse_kind).transpose()?,
            woo_id,
            before: None,
            limit: per_page,
            offset: page.saturating_sub(1).saturating_mul(per_page),
        };
        store
            .list(&filter)?
            .into_iter()
            .map(|j| self.job_row(store, j))
            .collect()
    }

    fn job_row(&self, store: &Store, j: Job) -> Result<JobRow, HostError> {
        let books = crate::store::Books::new(j.store_id.clone(), self.books.company.clone());
        let visma_number = store
            .lookup_mapping(&books, j.kind, j.woo_id)?
            .map(|m| m.mapping.visma_number);
        // Issue #13: a finished job showed the error of an attempt that later succeeded.
        let last_error = if j.state == JobState::Done {
            None
        } else {
            j.last_error
        };
        Ok(JobRow {
            id: j.id.get(),
            store_id: j.store_id,
            kind: j.kind.as_str(),
            woo_id: j.woo_id,
            state: j.state.as_str(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at.to_rfc3339(),
            lease_expires_at: j.lease_expires_at.map(|t| t.to_rfc3339()),
            last_error,
            visma_number,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
        })
    }

    /// Audit rows, newest first; with `kind` and `woo_id` only that entity's rows (issue #15: customer 117's rows
    /// appeared on order 117).
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown kind; store errors.
    pub fn audit(
        &self,
        job_id: Option<i64>,
        kind: Option<&str>,
        woo_id: Option<u64>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, HostError> {
        let rows = self.store()?.audit_entries(&AuditQuery {
            job_id: job_id.map(JobId::new),
            store_id: None,
            woo_kind: kind.map(engine::parse_kind).transpose()?,
            woo_id,
            since,
            limit,
            newest_first: true,
        })?;
        Ok(rows.into_iter().map(views::audit_row).collect())
    }

    /// The sync state of order `order_id`: its newest job, its invoice and its payment in the current books.
    ///
    /// # Errors
    /// Store errors.
    pub fn order_state(&self, order_id: u64) -> Result<OrderState, HostError> {
        let store = self.store()?;
        let visma_number = store
            .lookup_mapping(&self.books, DocKind::Order, order_id)?
            .map(|m| m.mapping.visma_number);
        let payment = store
            .lookup_mapping(&self.books, DocKind::Payment, order_id)?
            .map(|m| PaymentView {
                visma_number: m.mapping.visma_number,
            });
        let newest = store
            .list(&JobFilter {
                kind: Some(JobKind::Order),
                woo_id: Some(order_id),
                limit: 1,
                ..JobFilter::default()
            })?
            .into_iter()
            .next();
        let paused = store.pause()?.is_some();
        Ok(OrderState {
            state: match &newest {
                Some(j) if paused && j.state == JobState::Pending => "paused",
                Some(j) => j.state.as_str(),
                None => "none",
            },
            last_error: newest
                .filter(|j| j.state != JobState::Done)
                .and_then(|j| j.last_error),
            visma_number,
            payment,
        })
    }

    /// Queues a failed or dead job again.
    ///
    /// # Errors
    /// Store errors (unknown job, job not failed).
    pub fn replay(&self, job_id: i64) -> Result<(), HostError> {
        Ok(self.store()?.replay(JobId::new(job_id), self.clock.now())?)
    }

    /// Queues every failed and dead job (since `since`) again; returns how many.
    ///
    /// # Errors
    /// Store errors.
    pub fn replay_failed(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<usize, HostError> {
        Ok(self.store()?.replay_failed(since, self.clock.now())?.len())
    }

    /// The Visma payload(s) `order_json` would become, pretty-printed.
    ///
    /// # Errors
    /// The order's parse or mapping error.
    pub fn map_preview(&self, order_json: &str) -> Result<String, HostError> {
        let order = Order::from_json(order_json.as_bytes())?;
        let docs = mapping::map_order(&order, &self.settings)?;
        serde_json::to_string_pretty(&mapping::preview(&docs, &[]))
            .map_err(|e| HostError::Input(format!("cannot print the preview: {e}")))
    }
}
