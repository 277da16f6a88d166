//! How a held job ends: `complete`, `retry_later` and `fail` one at a time, or [`Store::record_and_claim`] for a
//! worker's whole batch (each job under a savepoint, in one transaction with the next claim). Every change is
//! checked against the lease (owner + attempt) and writes its audit rows, and on completion the id map row, in
//! the same transaction.

use super::audit::{self, Attempt, AuditAction, AuditEvent};
use super::db::{args, Db};
use super::encoding::micros;
use super::idmap::{self, NewMapping};
use super::jobs::{job_event, select_head, to_i64, JobHead};
use super::lease::check_lease;
use super::queue::{ClaimedJob, Completion, JobState, Lease, RetryOutcome};
use super::{bounded, Store, StoreError};
use chrono::{DateTime, Utc};
use std::time::Duration;

impl Store {
    /// Marks a held job `done`, records its id map row (for `Posted`/`Adopted`) and the audit row, all in one
    /// transaction: either everything is written or nothing is.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when another worker took the job over; [`StoreError::AlreadyMapped`] when the
    /// entity or document is already in the id map (the job stays running under this lease);
    /// [`StoreError::Invalid`] when `AlreadyPosted` or `EditedAfterPosting` names a document the id map does not
    /// hold for this entity; SQLite failures.
    pub fn complete(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        completion: &Completion,
    ) -> Result<(), StoreError> {
        self.write("complete", |tx| {
            self.complete_in(tx, lease, now, completion, &[])
        })
    }

    fn complete_in(
        &self,
        tx: &dyn Db,
        lease: &Lease,
        now: DateTime<Utc>,
        completion: &Completion,
        notes: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.note(tx, notes, "complete")?;
        let job = self.finish(tx, lease, now, JobState::Done, None, None, "complete")?;
        let (action, attempt, visma_number) = match completion {
            Completion::Posted { mapping, attempt } | Completion::Adopted { mapping, attempt } => {
                idmap::insert(self, tx, mapping, Some(job.id))?;
                let action = if matches!(completion, Completion::Posted { .. }) {
                    AuditAction::Posted
                } else {
                    AuditAction::Adopted
                };
                (action, attempt.clone(), Some(mapping.visma_number.clone()))
            }
            Completion::AlreadyPosted { visma_number }
            | Completion::EditedAfterPosting { visma_number } => {
                self.expect_mapping(tx, &job, visma_number)?;
                let action = if matches!(completion, Completion::AlreadyPosted { .. }) {
                    AuditAction::AlreadyPosted
                } else {
                    AuditAction::EditedAfterPosting
                };
                (action, Attempt::default(), Some(visma_number.clone()))
            }
            Completion::Skipped { .. } => (AuditAction::Skipped, Attempt::default(), None),
        };
        let mut ev = job_event(job.id, &job.store_id, job.kind, job.woo_id, action, now);
        ev.attempt = attempt;
        ev.visma_number = visma_number;
        if let Completion::Skipped { reason } = completion {
            ev.error = Some(reason.clone());
        }
        audit::insert(tx, &ev).map_err(|e| self.classify("complete", e))
    }

    /// Records how each of a worker's held jobs ended — completed, to retry, or failed, each with its notes — in
    /// one transaction. Issue #8: a commit per job was a fifth of a draining worker's CPU (its WAL frames); a
    /// claimed batch is now recorded with one. Each job is recorded under its own savepoint: one whose lease was
    /// lost (or whose id map row clashes) is left out and reported in its slot, the others are written.
    ///
    /// # Errors
    /// Per job, as [`Store::complete`], [`Store::retry_later`] and [`Store::fail`]; for the whole call, a failed
    /// transaction (busy past the timeout, full disk), in which case nothing was written.
    pub fn record(
        &self,
        jobs: &[Finished<'_>],
    ) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        self.record_and_claim(jobs, None)
            .map(|(recorded, _)| recorded)
    }

    /// [`Store::record`], then [`Store::claim`] of the worker's next batch in the same transaction: a worker that
    /// claims one job at a time (the default) commits once per job instead of twice. A failed claim (under its own
    /// savepoint) leaves the records written and is returned in the second slot.
    ///
    /// # Errors
    /// As [`Store::record`].
    pub fn record_and_claim(
        &self,
        jobs: &[Finished<'_>],
        next: Option<NextClaim<'_>>,
    ) -> Result<RecordedAndClaimed, StoreError> {
        // MariaDB under 4 workers broke deadlocks between two workers' records (the backfill bench): given up,
        // the posted invoices a record carries would wait for their leases to expire and be found again.
        self.run_again(|_| false, || self.record_and_claim_once(jobs, next))
    }

    fn record_and_claim_once(
        &self,
        jobs: &[Finished<'_>],
        next: Option<NextClaim<'_>>,
    ) -> Result<RecordedAndClaimed, StoreError> {
        let tx = self.begin()?;
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            tx.batch("SAVEPOINT job")
                .map_err(|e| self.classify("record", e))?;
            let mapped = job
                .mappings
                .iter()
                .try_for_each(|m| idmap::insert_step(self, &*tx, m, Some(job.lease.job_id)));
            let result = match (mapped, &job.outcome) {
                (Err(e), _) => Err(e),
                (Ok(()), outcome) => match outcome {
                    Outcome::Complete(completion) => self
                        .complete_in(&*tx, job.lease, job.now, completion, job.notes)
                        .map(|()| Recorded::Done),
                    Outcome::Retry {
                        next_attempt_at,
                        error,
                        attempt,
                        counts,
                    } => self
                        .retry_in(
                            &*tx,
                            job.lease,
                            job.now,
                            Retry {
                                next_attempt_at: *next_attempt_at,
                                error,
                                attempt,
                                counts: *counts,
                            },
                            job.notes,
                        )
                        .map(|o| match o {
                            RetryOutcome::Scheduled(at) => Recorded::Scheduled(at),
                            RetryOutcome::Dead => Recorded::Dead,
                        }),
                    Outcome::Fail { error, attempt } => self
                        .fail_in(&*tx, job.lease, job.now, error, attempt, job.notes)
                        .map(|()| Recorded::Failed),
                },
            };
            let result = self.end_savepoint(&*tx, "job", "record", result)?;
            results.push(result);
        }
        let claimed = match next {
            None => Ok(Vec::new()),
            Some(n) => {
                tx.batch("SAVEPOINT claim")
                    .map_err(|e| self.classify("claim", e))?;
                let claimed = self.claim_in(&*tx, n.owner, n.now, n.lease, n.limit);
                self.end_savepoint(&*tx, "claim", "claim", claimed)?
            }
        };
        self.commit(tx, "record")?;
        let claimed = match (claimed, next) {
            (Ok(leases), Some(n)) => self.load_claimed(leases, n.now),
            (Ok(_), None) => Ok(Vec::new()),
            (Err(e), _) => Err(e),
        };
        Ok((results, claimed))
    }

    /// Releases savepoint `name` after `result` (rolling back to it first when `result` failed) and hands `result`
    /// back. The outer error is the transaction's end: SQLite rolls the whole transaction back on some errors (a
    /// full disk), the savepoint is then gone, and `result`'s own error is the cause worth reporting. One statement
    /// per call: the MySQL room runs one at a time, and all three engines know `ROLLBACK TO` and `RELEASE SAVEPOINT`.
    fn end_savepoint<T>(
        &self,
        tx: &dyn Db,
        name: &str,
        op: &'static str,
        result: Result<T, StoreError>,
    ) -> Result<Result<T, StoreError>, StoreError> {
        let ended = if result.is_ok() {
            tx.batch(&format!("RELEASE SAVEPOINT {name}"))
        } else {
            tx.batch(&format!("ROLLBACK TO {name}"))
                .and_then(|()| tx.batch(&format!("RELEASE SAVEPOINT {name}")))
        };
        match (ended, result) {
            (Ok(()), result) => Ok(result),
            (Err(_), Err(cause)) => Err(cause),
            (Err(e), Ok(_)) => Err(self.classify(op, e)),
        }
    }

    /// "Already posted" must be backed by the id map, or the job would be done with no document on record.
    fn expect_mapping(
        &self,
        tx: &dyn Db,
        job: &JobHead,
        visma_number: &str,
    ) -> Result<(), StoreError> {
        let recorded: Option<String> = tx
            // Any company's row: the engine found it in the books it posts to (issue #13: the id map is per company).
            .row_opt("SELECT visma_number FROM id_map WHERE store_ref = (SELECT id FROM names WHERE name = ?1) \
                 AND woo_kind = ?2 AND woo_id = ?3 ORDER BY visma_number = ?4 DESC LIMIT 1", args![
                        job.store_id,
                        job.kind.as_str(),
                        to_i64("woo_id", job.woo_id).unwrap_or(-1),
                        visma_number
                    ], |r| r.get(0))
            .map_err(|e| self.classify("complete", e))?;
        if recorded.as_deref() == Some(visma_number) {
            Ok(())
        } else {
            Err(StoreError::Invalid {
                field: "completion",
                reason: format!(
                    "job {} says {} {} is already posted as {visma_number}, but the id map holds {recorded:?}",
                    job.id, job.kind, job.woo_id
                ),
            })
        }
    }

    /// Puts a held job back to `pending` until `next_attempt_at` after a retryable failure, or makes it `dead`
    /// when it has used `max_attempts` claims.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`]; SQLite failures.
    pub fn retry_later(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        next_attempt_at: DateTime<Utc>,
        error: &str,
        attempt: &Attempt,
    ) -> Result<RetryOutcome, StoreError> {
        self.write("retry_later", |tx| {
            let retry = Retry {
                next_attempt_at,
                error,
                attempt,
                counts: true,
            };
            self.retry_in(tx, lease, now, retry, &[])
        })
    }

    fn retry_in(
        &self,
        tx: &dyn Db,
        lease: &Lease,
        now: DateTime<Utc>,
        retry: Retry<'_>,
        notes: &[AuditEvent],
    ) -> Result<RetryOutcome, StoreError> {
        let Retry {
            next_attempt_at,
            error,
            attempt,
            counts,
        } = retry;
        self.note(tx, notes, "retry_later")?;
        let dead = counts && lease.attempt >= self.max_attempts;
        let (state, action, outcome) = if dead {
            (JobState::Dead, AuditAction::Dead, RetryOutcome::Dead)
        } else {
            (
                JobState::Pending,
                AuditAction::Retry,
                RetryOutcome::Scheduled(next_attempt_at),
            )
        };
        let job = self.finish(
            tx,
            lease,
            now,
            state,
            Some(error),
            Some(next_attempt_at),
            "retry_later",
        )?;
        if !counts {
            // Visma asked us to wait (429, Retry-After) or the job was given back untried: waiting heals that,
            // so it does not bring the job closer to `dead` (engine_hostile: a refund died of throttling alone).
            tx.exec("UPDATE jobs SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = ?1 AND state = 'pending'", args![lease.job_id.0])
            .map_err(|e| self.classify("retry_later", e))?;
        }
        let mut ev = job_event(job.id, &job.store_id, job.kind, job.woo_id, action, now);
        ev.attempt = attempt.clone();
        ev.error = Some(error.to_string());
        audit::insert(tx, &ev).map_err(|e| self.classify("retry_later", e))?;
        Ok(outcome)
    }

    /// Stops a held job on a permanent failure (`failed`), with the reason the merchant can act on.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`]; SQLite failures.
    pub fn fail(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        error: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        self.write("fail", |tx| {
            self.fail_in(tx, lease, now, error, attempt, &[])
        })
    }

    fn fail_in(
        &self,
        tx: &dyn Db,
        lease: &Lease,
        now: DateTime<Utc>,
        error: &str,
        attempt: &Attempt,
        notes: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.note(tx, notes, "fail")?;
        let job = self.finish(tx, lease, now, JobState::Failed, Some(error), None, "fail")?;
        let mut ev = job_event(
            job.id,
            &job.store_id,
            job.kind,
            job.woo_id,
            AuditAction::Failed,
            now,
        );
        ev.attempt = attempt.clone();
        ev.error = Some(error.to_string());
        audit::insert(tx, &ev).map_err(|e| self.classify("fail", e))
    }

    /// Writes a worker's notes inside `tx`. Issue #8: each was its own transaction (a WAL commit) before.
    fn note(&self, tx: &dyn Db, notes: &[AuditEvent], op: &'static str) -> Result<(), StoreError> {
        for ev in notes {
            audit::insert(tx, ev).map_err(|e| self.classify(op, e))?;
        }
        Ok(())
    }

    /// Moves a held job out of `running`, checked against the lease (owner + attempt).
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        tx: &dyn Db,
        lease: &Lease,
        now: DateTime<Utc>,
        to: JobState,
        error: Option<&str>,
        next_attempt_at: Option<DateTime<Utc>>,
        op: &'static str,
    ) -> Result<JobHead, StoreError> {
        let n = tx
            .exec("UPDATE jobs SET state = ?4, lease_owner = NULL, lease_expires_at = NULL, \
                 last_error = coalesce(?5, last_error), next_attempt_at = coalesce(?6, next_attempt_at), updated_at = ?7 \
                 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempts = ?3", args![
                    lease.job_id.0,
                    lease.owner,
                    lease.attempt,
                    to.as_str(),
                    error.map(bounded),
                    next_attempt_at.map(micros),
                    micros(now)
                ])
            .map_err(|e| self.classify(op, e))?;
        check_lease(n, lease, op)?;
        select_head(self, tx, lease.job_id)?.ok_or(StoreError::NotFound { job: lease.job_id })
    }
}

/// A retryable end of one attempt (see [`Outcome::Retry`]).
struct Retry<'a> {
    next_attempt_at: DateTime<Utc>,
    error: &'a str,
    attempt: &'a Attempt,
    counts: bool,
}

/// How a held job ended, for [`Store::record`].
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// As [`Store::complete`].
    Complete(&'a Completion),
    /// As [`Store::retry_later`].
    Retry {
        /// When it may run again.
        next_attempt_at: DateTime<Utc>,
        /// Why it did not complete.
        error: &'a str,
        /// The call that failed.
        attempt: &'a Attempt,
        /// Whether this attempt counts towards `max_attempts` (not when Visma asked us to wait, nor when the job
        /// was given back untried).
        counts: bool,
    },
    /// As [`Store::fail`].
    Fail {
        /// Why it stopped.
        error: &'a str,
        /// The call that failed.
        attempt: &'a Attempt,
    },
}

/// One held job's end, with the audit rows its worker made on the way.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// The worker's lease on the job.
    pub lease: &'a Lease,
    /// When it ended.
    pub now: DateTime<Utc>,
    /// How.
    pub outcome: Outcome<'a>,
    /// Audit rows written before the job's own row.
    pub notes: &'a [AuditEvent],
    /// Documents of the job's steps (a payment, a settlement, a cancellation's credit note) recorded in the id map
    /// whatever the outcome: they exist in Visma even when a later step failed.
    pub mappings: &'a [NewMapping],
}

/// What [`Store::record_and_claim`] did: each job's record in order, and the next claim (which can fail alone).
pub type RecordedAndClaimed = (
    Vec<Result<Recorded, StoreError>>,
    Result<Vec<ClaimedJob>, StoreError>,
);

/// The claim [`Store::record_and_claim`] makes after recording: as [`Store::claim`]'s arguments.
#[derive(Debug, Clone, Copy)]
pub struct NextClaim<'a> {
    /// The worker.
    pub owner: &'a str,
    /// The claim's time.
    pub now: DateTime<Utc>,
    /// How long the claimed jobs are the worker's.
    pub lease: Duration,
    /// At most this many jobs.
    pub limit: u32,
}

/// What [`Store::record`] did with one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// `done`.
    Done,
    /// `pending` again from this time.
    Scheduled(DateTime<Utc>),
    /// Attempts ran out: `dead`.
    Dead,
    /// `failed`.
    Failed,
}
