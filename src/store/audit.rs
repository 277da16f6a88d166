//! The audit trail: append-only rows saying what happened to each job and WooCommerce entity (when, action,
//! endpoint, HTTP status, duration, Visma number, error). Rows describing a job change are written by the queue in
//! the same transaction as that change; [`Store::audit`] records events without one (a rejected webhook, an HTTP
//! call inside an attempt). No field can carry a body: endpoints are `&'static str` names, errors are bounded.

use super::db::{args, Db, DbError, Val};
use super::encoding::{from_micros, micros};
use super::queue::{JobId, JobKind};
use super::{bounded, Store, StoreError};
use chrono::{DateTime, Utc};
use std::fmt;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A new job.
    Enqueued,
    /// A pending job got a newer payload.
    Replaced,
    /// A worker claimed the job.
    Claimed,
    /// A worker took over a job whose lease had expired (the previous worker crashed or hung).
    Reclaimed,
    /// A document was created in Visma.
    Posted,
    /// An existing document was found and adopted.
    Adopted,
    /// Already posted with the same payload; nothing sent.
    AlreadyPosted,
    /// Changed after posting; reported, not re-posted.
    EditedAfterPosting,
    /// A retryable failure; the job waits.
    Retry,
    /// A permanent failure.
    Failed,
    /// Attempts exhausted.
    Dead,
    /// Failed or dead job queued again by hand.
    Replayed,
    /// A webhook failed verification.
    RejectedWebhook,
    /// Nothing to post for this revision (order not in a status that is invoiced); the detail says why.
    Skipped,
    /// A document carries an explicit rounding line; the detail column explains it.
    Rounded,
    /// A payload refused at intake (malformed JSON, unknown kind): nothing was queued.
    Rejected,
    /// An HTTP call inside an attempt (lookups before create, token refresh).
    Call,
    /// Issue #16: another server's queue was merged into this one; the detail says what arrived.
    Merged,
    /// Issue #16: the merged queue had posted an entity this queue had posted as another document.
    MergeConflict,
    /// Issue #16: another server's queue could not be merged into this one; the detail says why.
    MergeFailed,
}

impl AuditAction {
    /// The text stored in SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enqueued => "enqueued",
            Self::Replaced => "replaced",
            Self::Claimed => "claimed",
            Self::Reclaimed => "reclaimed",
            Self::Posted => "posted",
            Self::Adopted => "adopted",
            Self::AlreadyPosted => "already_posted",
            Self::EditedAfterPosting => "edited_after_posting",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Replayed => "replayed",
            Self::RejectedWebhook => "rejected_webhook",
            Self::Rejected => "rejected",
            Self::Rounded => "rounded",
            Self::Skipped => "skipped",
            Self::Call => "call",
            Self::Merged => "merged",
            Self::MergeConflict => "merge_conflict",
            Self::MergeFailed => "merge_failed",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts of one HTTP call, when a job change or an event came from one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempt {
    /// The endpoint's name as the Visma client spells it (`"POST /v1/customerinvoice"`): a static name, never a URL
    /// with query values, never a body.
    pub endpoint: Option<&'static str>,
    /// The HTTP status, when a response came back.
    pub http_status: Option<u16>,
    /// How long the call took.
    pub duration_ms: Option<u64>,
}

/// An event to record with [`Store::audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The job, if any.
    pub job_id: Option<JobId>,
    /// The shop, if known (with a job: the job's, which its rows are read back with).
    pub store_id: Option<String>,
    /// The WooCommerce entity kind, if known (with a job: the job's).
    pub woo_kind: Option<JobKind>,
    /// The WooCommerce id, if known.
    pub woo_id: Option<u64>,
    /// What happened.
    pub action: AuditAction,
    /// The HTTP call, if one was made.
    pub attempt: Attempt,
    /// The Visma document number, if one is known.
    pub visma_number: Option<String>,
    /// The error message (kept to 500 characters; never a body or a secret).
    pub error: Option<String>,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Row id (insertion order).
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The job, if any.
    pub job_id: Option<JobId>,
    /// The shop.
    pub store_id: Option<String>,
    /// The WooCommerce entity kind.
    pub woo_kind: Option<JobKind>,
    /// The WooCommerce id.
    pub woo_id: Option<u64>,
    /// What happened (as stored).
    pub action: String,
    /// The endpoint name.
    pub endpoint: Option<String>,
    /// The HTTP status.
    pub http_status: Option<u16>,
    /// How long the call took.
    pub duration_ms: Option<u64>,
    /// The Visma document number.
    pub visma_number: Option<String>,
    /// The error message.
    pub error: Option<String>,
}

/// Which audit rows to read: all given conditions hold; oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this job.
    pub job_id: Option<JobId>,
    /// Only this shop.
    pub store_id: Option<String>,
    /// Only this entity kind.
    pub woo_kind: Option<JobKind>,
    /// Only this WooCommerce id.
    pub woo_id: Option<u64>,
    /// Only rows at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Row cap; 0 means 200, capped at 10 000.
    pub limit: u32,
    /// Issue #15: the newest rows (the cap then keeps the latest, not the first ever written).
    pub newest_first: bool,
}

/// Appends one row on `conn` (inside the caller's transaction).
pub(crate) fn insert(conn: &dyn Db, e: &AuditEvent) -> Result<(), DbError> {
    let woo_id = e
        .woo_id
        .map(i64::try_from)
        .transpose()
        .map_err(|_| DbError::Setup("a WooCommerce id above 2^63 reached the audit".into()))?;
    let duration = e
        .attempt
        .duration_ms
        .map(|d| i64::try_from(d).unwrap_or(i64::MAX));
    // Issue #16: a job's rows leave its store and kind to the job (read back through it): 14 bytes of every row.
    let (store_id, woo_kind) = match e.job_id {
        Some(_) => (None, None),
        None => (e.store_id.as_deref(), e.woo_kind.map(JobKind::as_str)),
    };
    conn.exec(
        "INSERT INTO audit (at, job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms, \
         visma_number, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        args![
        micros(e.at),
        e.job_id.map(JobId::get),
        store_id,
        woo_kind,
        woo_id,
        e.action.as_str(),
        e.attempt.endpoint,
        e.attempt.http_status,
        duration,
        e.visma_number,
        e.error.as_deref().map(bounded),
        ],
    )?;
    Ok(())
}

impl Store {
    /// Records an event that comes with no job change (a rejected webhook, a lookup call inside an attempt).
    ///
    /// # Errors
    /// [`StoreError::Busy`] (retryable), [`StoreError::Full`], or another SQLite failure.
    pub fn audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.write("audit", |tx| {
            insert(tx, event).map_err(|e| self.classify("audit", e))
        })
    }

    /// Reads audit rows, oldest first (newest first with [`AuditQuery::newest_first`]).
    ///
    /// # Errors
    /// SQLite failures, or [`StoreError::BadRow`] for a row this build cannot read.
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn()?;
        let woo_id = q
            .woo_id
            .map(i64::try_from)
            .transpose()
            .map_err(|_| invalid_id())?;
        let limit = match q.limit {
            0 => 200,
            n => n.min(10_000),
        };
        let (sql, values) = select(q, woo_id, limit);
        let raw = conn
            .rows(&sql, &values, |r| {
                Ok(RawAudit {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    job_id: r.get(2)?,
                    store_id: r.get(3)?,
                    woo_kind: r.get(4)?,
                    woo_id: r.get(5)?,
                    action: r.get(6)?,
                    endpoint: r.get(7)?,
                    http_status: r.get(8)?,
                    duration_ms: r.get(9)?,
                    visma_number: r.get(10)?,
                    error: r.get(11)?,
                })
            })
            .map_err(|e| self.classify("audit query", e))?;
        raw.into_iter().map(RawAudit::into_entry).collect()
    }

    /// The number of audit rows (for tests and `status`).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn audit_count(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = self
            .conn()?
            .row_opt("SELECT count(*) FROM audit", args![], |r| r.get(0))
            .map_err(|e| self.classify("audit count", e))?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

/// The read for `q` (a job's rows take its store and kind from the job): only the conditions given, so the
/// planner sees them (`(x = ?1 OR ?1 IS NULL)` made every query read the whole trail). A job's rows are found
/// through its WooCommerce id: `audit_woo` is the trail's one index. Parameters are numbered in order (PostgreSQL
/// cannot type one no condition uses).
fn select(q: &AuditQuery, woo_id: Option<i64>, limit: u32) -> (String, Vec<Val>) {
    let given: [(Option<Val>, &str); 5] = [
        (
            q.job_id.map(|j| Val::Int(j.get())),
            "a.job_id = ?N AND a.woo_id = (SELECT woo_id FROM jobs WHERE id = ?N)",
        ),
        (
            q.store_id.clone().map(Val::Text),
            "coalesce(a.store_id, j.store_id) = ?N",
        ),
        (
            q.woo_kind.map(|k| Val::Text(k.as_str().into())),
            "coalesce(a.woo_kind, j.kind) = ?N",
        ),
        (woo_id.map(Val::Int), "a.woo_id = ?N"),
        (q.since.map(|t| Val::Int(micros(t))), "a.at >= ?N"),
    ];
    let mut conditions = vec!["1 = 1".to_string()];
    let mut values = Vec::new();
    for (value, condition) in given {
        if let Some(v) = value {
            values.push(v);
            conditions.push(condition.replace("?N", &format!("?{}", values.len())));
        }
    }
    values.push(Val::Int(i64::from(limit)));
    let sql = format!(
        "SELECT a.id, a.at, a.job_id, coalesce(a.store_id, j.store_id), coalesce(a.woo_kind, j.kind), a.woo_id, \
         a.action, a.endpoint, a.http_status, a.duration_ms, a.visma_number, a.error \
         FROM audit a LEFT JOIN jobs j ON j.id = a.job_id WHERE {} ORDER BY a.id {} LIMIT ?{}",
        conditions.join(" AND "),
        if q.newest_first { "DESC" } else { "ASC" },
        values.len()
    );
    (sql, values)
}

fn invalid_id() -> StoreError {
    StoreError::Invalid {
        field: "woo_id",
        reason: "larger than SQLite's integer range".into(),
    }
}

struct RawAudit {
    id: i64,
    at: i64,
    job_id: Option<i64>,
    store_id: Option<String>,
    woo_kind: Option<String>,
    woo_id: Option<i64>,
    action: String,
    endpoint: Option<String>,
    http_status: Option<i64>,
    duration_ms: Option<i64>,
    visma_number: Option<String>,
    error: Option<String>,
}

impl RawAudit {
    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        let bad = |column: &'static str, v: i64| StoreError::BadRow {
            table: "audit",
            column,
            value: v.to_string(),
        };
        Ok(AuditEntry {
            id: self.id,
            at: from_micros("audit", "at", self.at)?,
            job_id: self.job_id.map(JobId),
            store_id: self.store_id,
            woo_kind: self.woo_kind.as_deref().map(JobKind::parse).transpose()?,
            woo_id: self
                .woo_id
                .map(|v| u64::try_from(v).map_err(|_| bad("woo_id", v)))
                .transpose()?,
            action: self.action,
            endpoint: self.endpoint,
            http_status: self
                .http_status
                .map(|v| u16::try_from(v).map_err(|_| bad("http_status", v)))
                .transpose()?,
            duration_ms: self
                .duration_ms
                .map(|v| u64::try_from(v).map_err(|_| bad("duration_ms", v)))
                .transpose()?,
            visma_number: self.visma_number,
            error: self.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(store: &Store, q: &AuditQuery) -> String {
        let woo_id = q.woo_id.and_then(|w| i64::try_from(w).ok());
        let (sql, values) = select(q, woo_id, 200);
        let conn = store.conn().expect("conn");
        let rows: Vec<String> = conn
            .rows(&format!("EXPLAIN QUERY PLAN {sql}"), &values, |r| r.get(3))
            .expect("plan");
        rows.join("; ")
    }

    /// Issue #16: an order's or a job's rows are searched in `audit_woo`, not found by reading every row.
    #[test]
    fn an_entity_or_job_read_searches_the_index() {
        let store = Store::open_in_memory().expect("open");
        let order = AuditQuery {
            woo_kind: Some(JobKind::Order),
            woo_id: Some(7),
            newest_first: true,
            ..AuditQuery::default()
        };
        let job = AuditQuery {
            job_id: Some(JobId::new(3)),
            ..AuditQuery::default()
        };
        for q in [order, job] {
            let p = plan(&store, &q);
            assert!(p.contains("USING INDEX audit_woo"), "{q:?}: {p}");
        }
        // The newest rows, unfiltered, walk the rowid backwards (no sort).
        let newest = plan(
            &store,
            &AuditQuery {
                newest_first: true,
                ..AuditQuery::default()
            },
        );
        assert!(!newest.contains("TEMP B-TREE"), "{newest}");
    }

    /// Issue #16: a job's rows store no store or kind of their own, and read back with the job's.
    #[test]
    fn a_jobs_rows_read_back_with_its_store_and_kind() {
        use super::super::queue::{JobSource, NewJob};
        let store = Store::open_in_memory().expect("open");
        let now = DateTime::from_timestamp(1_777_629_600, 0).expect("a time");
        let job = NewJob {
            source: JobSource::Hook,
            store_id: "shop-a".into(),
            kind: JobKind::Refund,
            woo_id: 42,
            revision: 1,
            payload: "{}".into(),
            depends_on: None,
        };
        store.enqueue(&job, now).expect("enqueue");
        let stored: (Option<String>, Option<String>, Option<i64>) = store
            .conn()
            .expect("conn")
            .row(
                "SELECT store_id, woo_kind, woo_id FROM audit",
                args![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("row");
        assert_eq!(stored, (None, None, Some(42)));
        let read = store
            .audit_entries(&AuditQuery {
                store_id: Some("shop-a".into()),
                woo_kind: Some(JobKind::Refund),
                ..AuditQuery::default()
            })
            .expect("read");
        assert_eq!(read.len(), 1);
        assert_eq!(
            (
                read[0].store_id.as_deref(),
                read[0].woo_kind,
                read[0].woo_id
            ),
            (Some("shop-a"), Some(JobKind::Refund), Some(42))
        );
    }
}
