//! The queue's row mapping and read side (get, list, counts, oldest pending), plus the helpers the writing
//! modules share: the payload hash, the audit event for a job, and "zero rows changed" reporting. The writes live
//! in `enqueue.rs` (enqueue, replay) and `lease.rs` (claim, complete, retry, fail).

use super::audit::{Attempt, AuditAction, AuditEvent};
use super::db::{args, Db, DbError, Row};
use super::encoding::{from_micros, hash_text, micros};
use super::queue::{Dependency, Job, JobFilter, JobId, JobKind, JobSource, JobState, StateCounts};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// SHA-256 of a payload as lower-case hex: the queue's dedupe key and the id map's "what was posted".
pub fn payload_hash(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

pub(super) const JOB_COLUMNS: &str = "id, source, store_id, kind, woo_id, revision, job_payloads.payload, payload_hash, \
     state, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, depends_on_job, depends_on_kind, \
     depends_on_woo_id, created_at, updated_at";

/// The jobs table with each job's payload (migration 0005 keeps payloads in a table of their own).
pub(super) const JOBS_WITH_PAYLOAD: &str =
    "jobs JOIN job_payloads ON job_payloads.job_id = jobs.id";

pub(super) fn to_i64(field: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid {
        field,
        reason: "larger than SQLite's integer range".into(),
    })
}

impl Store {
    /// One job with its payload.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn get(&self, job: JobId) -> Result<Option<Job>, StoreError> {
        select_job(self, self.conn()?, job)
    }

    /// Jobs matching `filter`, newest first.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn list(&self, filter: &JobFilter) -> Result<Vec<Job>, StoreError> {
        let woo_id = filter.woo_id.map(|w| to_i64("woo_id", w)).transpose()?;
        let limit = match filter.limit {
            0 => 50,
            n => n.min(1000),
        };
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM {JOBS_WITH_PAYLOAD} WHERE (store_id = ?1 OR ?1 IS NULL) AND (state = ?2 OR ?2 IS NULL) \
             AND (kind = ?3 OR ?3 IS NULL) AND (woo_id = ?4 OR ?4 IS NULL) AND (id < ?5 OR ?5 IS NULL) \
             ORDER BY id DESC LIMIT ?6 OFFSET ?7"
        );
        let raw: Vec<RawJob> = self
            .conn()?
            .rows(
                &sql,
                args![
                    filter.store_id,
                    filter.state.map(JobState::as_str),
                    filter.kind.map(JobKind::as_str),
                    woo_id,
                    filter.before.map(JobId::get),
                    limit,
                    filter.offset
                ],
                RawJob::read,
            )
            .map_err(|e| self.classify("list", e))?;
        raw.into_iter().map(RawJob::into_job).collect()
    }

    /// How many jobs are in each state.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn counts_by_state(&self) -> Result<StateCounts, StoreError> {
        let rows: Vec<(String, i64)> = self
            .conn()?
            .rows(
                "SELECT state, count(*) FROM jobs GROUP BY state",
                args![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.classify("counts", e))?;
        let mut c = StateCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match JobState::parse(&state)? {
                JobState::Pending => c.pending = n,
                JobState::Running => c.running = n,
                JobState::Done => c.done = n,
                JobState::Failed => c.failed = n,
                JobState::Dead => c.dead = n,
            }
        }
        Ok(c)
    }

    /// Running jobs whose lease ran out at `now`: their worker stopped (killed, timed out) and the next drain takes
    /// them over. Issue #13: the queue page showed them as "running" for good.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn stalled_count(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .row(
                "SELECT count(*) FROM jobs WHERE state = 'running' AND lease_expires_at <= ?1",
                args![micros(now)],
                |r| r.get(0),
            )
            .map_err(|e| self.classify("stalled_count", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The pending job queued longest ago (for `status`: how far behind the queue is).
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn oldest_pending(&self) -> Result<Option<Job>, StoreError> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM {JOBS_WITH_PAYLOAD} WHERE state = 'pending' ORDER BY created_at, id LIMIT 1"
        );
        let raw = self
            .conn()?
            .row_opt(&sql, args![], RawJob::read)
            .map_err(|e| self.classify("oldest_pending", e))?;
        raw.map(RawJob::into_job).transpose()
    }
}

pub(super) fn job_event(
    id: JobId,
    store_id: &str,
    kind: JobKind,
    woo_id: u64,
    action: AuditAction,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        at,
        job_id: Some(id),
        store_id: Some(store_id.to_string()),
        woo_kind: Some(kind),
        woo_id: Some(woo_id),
        action,
        attempt: Attempt::default(),
        visma_number: None,
        error: None,
    }
}

/// Zero rows changed means another process moved the job first: report the state it is in now.
pub(super) fn expect_one(
    changed: usize,
    job: JobId,
    op: &'static str,
    expected: &'static str,
    conn: &dyn Db,
    store: &Store,
) -> Result<(), StoreError> {
    if changed == 1 {
        return Ok(());
    }
    match select_job(store, conn, job)? {
        Some(found) => Err(StoreError::StateConflict {
            job,
            op,
            expected,
            actual: found.state,
        }),
        None => Err(StoreError::NotFound { job }),
    }
}

pub(super) fn select_job(
    store: &Store,
    conn: &dyn Db,
    id: JobId,
) -> Result<Option<Job>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM {JOBS_WITH_PAYLOAD} WHERE id = ?1");
    let raw = conn
        .row_opt(&sql, args![id.0], RawJob::read)
        .map_err(|e| store.classify("get job", e))?;
    raw.map(RawJob::into_job).transpose()
}

/// What a job change needs to name the job in its audit row and id map row: no payload, no times.
pub(super) struct JobHead {
    pub id: JobId,
    pub store_id: String,
    pub kind: JobKind,
    pub woo_id: u64,
}

/// The head of job `id` (issue #8: the whole row with its payload was read after every state change).
pub(super) fn select_head(
    store: &Store,
    conn: &dyn Db,
    id: JobId,
) -> Result<Option<JobHead>, StoreError> {
    let raw: Option<(String, String, i64)> = conn
        .row_opt(
            "SELECT store_id, kind, woo_id FROM jobs WHERE id = ?1",
            args![id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| store.classify("get job", e))?;
    raw.map(|(store_id, kind, woo_id)| {
        Ok(JobHead {
            id,
            store_id,
            kind: JobKind::parse(&kind)?,
            woo_id: super::stored_woo_id("jobs", woo_id)?,
        })
    })
    .transpose()
}

/// A row as SQLite returns it, before the enums and times are checked.
struct RawJob {
    id: i64,
    source: String,
    store_id: String,
    kind: String,
    woo_id: i64,
    revision: i64,
    /// As stored (see `payload.rs`).
    payload: super::db::Val,
    payload_hash: Vec<u8>,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    depends_on_job: Option<i64>,
    depends_on_kind: Option<String>,
    depends_on_woo_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl RawJob {
    fn read(r: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: r.get(0)?,
            source: r.get(1)?,
            store_id: r.get(2)?,
            kind: r.get(3)?,
            woo_id: r.get(4)?,
            revision: r.get(5)?,
            payload: r.get::<super::db::Val>(6)?,
            payload_hash: r.get(7)?,
            state: r.get(8)?,
            attempts: r.get(9)?,
            next_attempt_at: r.get(10)?,
            lease_owner: r.get(11)?,
            lease_expires_at: r.get(12)?,
            last_error: r.get(13)?,
            depends_on_job: r.get(14)?,
            depends_on_kind: r.get(15)?,
            depends_on_woo_id: r.get(16)?,
            created_at: r.get(17)?,
            updated_at: r.get(18)?,
        })
    }

    fn into_job(self) -> Result<Job, StoreError> {
        let bad = |column: &'static str, v: i64| StoreError::BadRow {
            table: "jobs",
            column,
            value: v.to_string(),
        };
        let depends_on = match (
            self.depends_on_job,
            self.depends_on_kind,
            self.depends_on_woo_id,
        ) {
            (Some(id), _, _) => Some(Dependency::Job(JobId(id))),
            (None, Some(kind), Some(w)) => Some(Dependency::Woo {
                kind: JobKind::parse(&kind)?,
                woo_id: u64::try_from(w).map_err(|_| bad("depends_on_woo_id", w))?,
            }),
            _ => None,
        };
        Ok(Job {
            id: JobId(self.id),
            source: JobSource::parse(&self.source)?,
            store_id: self.store_id,
            kind: JobKind::parse(&self.kind)?,
            woo_id: u64::try_from(self.woo_id).map_err(|_| bad("woo_id", self.woo_id))?,
            revision: self.revision,
            payload: super::payload::unpack(self.payload, self.id)?,
            payload_hash: hash_text("jobs", &self.payload_hash)?,
            state: JobState::parse(&self.state)?,
            attempts: u32::try_from(self.attempts).map_err(|_| bad("attempts", self.attempts))?,
            next_attempt_at: from_micros("jobs", "next_attempt_at", self.next_attempt_at)?,
            lease_owner: self.lease_owner,
            lease_expires_at: self
                .lease_expires_at
                .map(|t| from_micros("jobs", "lease_expires_at", t))
                .transpose()?,
            last_error: self.last_error,
            depends_on,
            created_at: from_micros("jobs", "created_at", self.created_at)?,
            updated_at: from_micros("jobs", "updated_at", self.updated_at)?,
        })
    }
}
