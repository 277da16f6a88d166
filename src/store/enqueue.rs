//! How jobs enter the queue: `enqueue` (idempotent, one short transaction, on the checkout path) and `replay`
//! (failed or dead jobs queued again by hand). Each change writes its audit row in the same transaction.

use super::audit::{self, AuditAction};
use super::db::{args, Db, Failure};
use super::encoding::{hash_bytes, micros};
use super::jobs::{expect_one, job_event, payload_hash, select_job, to_i64};
use super::queue::{Dependency, EnqueueOutcome, JobId, JobState, NewJob};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};

impl Store {
    /// Queues a WooCommerce entity. One short transaction, idempotent, safe from many processes at once:
    /// the same payload again is `Duplicate`; a newer (or equal) revision of a still-pending job replaces its
    /// payload (`Replaced`, due at once, attempts kept); a newer revision of a `failed` or `dead` job replaces it
    /// too and makes it pending with attempts reset (`Replaced`: the merchant fixed the order); a newer revision of
    /// a running or done job is a new job (`Inserted`; the engine reports "edited after posting"); an older
    /// revision than the latest job is `Superseded`.
    ///
    /// Any note of the entity (see [`super::notes`]) is cleared in the same transaction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a payload that is not JSON or an empty store id; [`StoreError::Busy`]
    /// (retryable); [`StoreError::Full`]; other SQLite failures. Nothing is written on error.
    pub fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<EnqueueOutcome, StoreError> {
        self.enqueue_noted(job, now, None)
    }

    /// [`Store::enqueue`] for the background runner that built the JSON of a note it read: the note is cleared only
    /// if it still has `note_seq` (noted again since means the entity changed after its JSON was built).
    ///
    /// # Errors
    /// As [`Store::enqueue`].
    pub fn enqueue_noted(
        &self,
        job: &NewJob,
        now: DateTime<Utc>,
        note_seq: Option<i64>,
    ) -> Result<EnqueueOutcome, StoreError> {
        // Issue #16: on a database server two processes can queue the same payload at the same moment; both find
        // nothing and the second insert meets the unique key. Run again, it finds the first one's job: Duplicate.
        // (SQLite's write lock makes the two one after the other.) A deadlock the server broke runs again too.
        let unique = |e: &StoreError| matches!(e, StoreError::Database { source, .. } if source.failure() == Failure::Unique);
        self.run_again(unique, || self.enqueue_attempt(job, now, note_seq))
    }

    fn enqueue_attempt(
        &self,
        job: &NewJob,
        now: DateTime<Utc>,
        note_seq: Option<i64>,
    ) -> Result<EnqueueOutcome, StoreError> {
        if serde_json::from_str::<serde::de::IgnoredAny>(&job.payload).is_err() {
            return Err(StoreError::Invalid {
                field: "payload",
                reason: format!("{} {} is not valid JSON", job.kind, job.woo_id),
            });
        }
        if job.store_id.is_empty() || job.store_id.len() > 100 {
            return Err(StoreError::Invalid {
                field: "store_id",
                reason: "must be 1 to 100 bytes".into(),
            });
        }
        let woo_id = to_i64("woo_id", job.woo_id)?;
        let hash = hash_bytes(&payload_hash(&job.payload))?;
        let (dep_job, dep_kind, dep_woo) = match &job.depends_on {
            None => (None, None, None),
            Some(Dependency::Job(id)) => (Some(id.0), None, None),
            Some(Dependency::Woo { kind, woo_id }) => (
                None,
                Some(kind.as_str()),
                Some(to_i64("depends_on", *woo_id)?),
            ),
        };
        let now_s = micros(now);
        let tx = self.begin()?;
        let fail = |e| self.classify("enqueue", e);
        super::notes::clear_in(self, &*tx, &job.store_id, job.kind, woo_id, note_seq)?;
        // The exact payload if it is queued, else the entity's latest job.
        let existing: Option<(i64, String, i64, bool)> = tx
            .row_opt("SELECT id, state, revision, payload_hash = ?4 FROM jobs WHERE store_id = ?1 AND kind = ?2 \
                 AND woo_id = ?3 ORDER BY payload_hash = ?4 DESC, id DESC LIMIT 1", args![job.store_id, job.kind.as_str(), woo_id, hash], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
            .map_err(fail)?;
        let outcome = match existing {
            Some((id, _, _, true)) => EnqueueOutcome::Duplicate(JobId(id)),
            Some((id, _, revision, false)) if job.revision < revision => {
                EnqueueOutcome::Superseded(JobId(id))
            }
            Some((id, state, _, false))
                if matches!(
                    JobState::parse(&state)?,
                    JobState::Pending | JobState::Failed | JobState::Dead
                ) =>
            {
                // A failed or dead job that gets a newer revision (the merchant fixed the order) starts over.
                let changed = tx
                    .exec("UPDATE jobs SET source = ?2, revision = ?3, payload_hash = ?4, \
                         depends_on_job = ?5, depends_on_kind = ?6, depends_on_woo_id = ?7, next_attempt_at = ?8, \
                         updated_at = ?8, attempts = CASE WHEN state = 'pending' THEN attempts ELSE 0 END, \
                         state = 'pending' WHERE id = ?1 AND state = ?9", args![
                            id,
                            job.source.as_str(),
                            job.revision,
                            hash,
                            dep_job,
                            dep_kind,
                            dep_woo,
                            now_s,
                            state
                        ])
                    .map_err(fail)?;
                expect_one(
                    changed,
                    JobId(id),
                    "enqueue (replace)",
                    "pending, failed or dead",
                    &*tx,
                    self,
                )?;
                tx.exec(
                    "UPDATE job_payloads SET payload = ?2 WHERE job_id = ?1",
                    args![id, super::payload::pack(&job.payload)],
                )
                .map_err(fail)?;
                EnqueueOutcome::Replaced(JobId(id))
            }
            _ => {
                let id = tx.insert("INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload_hash, state, \
                     attempts, next_attempt_at, depends_on_job, depends_on_kind, depends_on_woo_id, created_at, \
                     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?8, ?9, ?10, ?7, ?7)", args![
                        job.source.as_str(),
                        job.store_id,
                        job.kind.as_str(),
                        woo_id,
                        job.revision,
                        hash,
                        now_s,
                        dep_job,
                        dep_kind,
                        dep_woo
                    ])
                .map_err(fail)?;
                tx.exec(
                    "INSERT INTO job_payloads (job_id, payload) VALUES (?1, ?2)",
                    args![id, super::payload::pack(&job.payload)],
                )
                .map_err(fail)?;
                EnqueueOutcome::Inserted(JobId(id))
            }
        };
        let action = match outcome {
            EnqueueOutcome::Inserted(_) => AuditAction::Enqueued,
            EnqueueOutcome::Replaced(_) => AuditAction::Replaced,
            // Nothing changed, so nothing to audit (a checkout retry must not grow the trail); the note is cleared.
            EnqueueOutcome::Duplicate(_) | EnqueueOutcome::Superseded(_) => {
                self.commit(tx, "enqueue")?;
                return Ok(outcome);
            }
        };
        audit::insert(
            &*tx,
            &job_event(
                outcome.job_id(),
                &job.store_id,
                job.kind,
                job.woo_id,
                action,
                now,
            ),
        )
        .map_err(fail)?;
        tx.announce().map_err(fail)?;
        self.commit(tx, "enqueue")?;
        Ok(outcome)
    }

    /// Queues a `failed` or `dead` job again: `pending`, due `now`, attempts reset.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::StateConflict`] for a job that is not failed or dead; SQLite failures.
    pub fn replay(&self, job: JobId, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write("replay", |tx| self.replay_in(tx, job, now))
    }

    /// Replays every `failed` and `dead` job last changed at or after `since` (all when `None`), in one
    /// transaction. Returns the replayed ids.
    ///
    /// # Errors
    /// SQLite failures; nothing is replayed on error.
    pub fn replay_failed(
        &self,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<JobId>, StoreError> {
        let ids = self.write("replay_failed", |tx| {
            let ids: Vec<i64> = tx
                .rows("SELECT id FROM jobs WHERE state IN ('failed', 'dead') AND (updated_at >= ?1 OR ?1 IS NULL) ORDER BY id", args![since.map(micros)], |r| r.get(0))
                .map_err(|e| self.classify("replay_failed", e))?;
            for id in &ids {
                self.replay_in(tx, JobId(*id), now)?;
            }
            Ok(ids)
        })?;
        Ok(ids.into_iter().map(JobId).collect())
    }

    fn replay_in(&self, tx: &dyn Db, id: JobId, now: DateTime<Utc>) -> Result<(), StoreError> {
        let job = select_job(self, tx, id)?.ok_or(StoreError::NotFound { job: id })?;
        if !matches!(job.state, JobState::Failed | JobState::Dead) {
            return Err(StoreError::StateConflict {
                job: id,
                op: "replay",
                expected: "failed or dead",
                actual: job.state,
            });
        }
        let n = tx
            .exec("UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = ?3, updated_at = ?3 \
                 WHERE id = ?1 AND state = ?2", args![id.0, job.state.as_str(), micros(now)])
            .map_err(|e| self.classify("replay", e))?;
        expect_one(n, id, "replay", "failed or dead", tx, self)?;
        audit::insert(
            tx,
            &job_event(
                id,
                &job.store_id,
                job.kind,
                job.woo_id,
                AuditAction::Replayed,
                now,
            ),
        )
        .map_err(|e| self.classify("replay", e))
    }
}
