//! The queue's SQL: enqueue, claim under a lease, complete / retry / fail, replay, and the read side (get, list,
//! counts). Each change is one `BEGIN IMMEDIATE` transaction that also writes its audit row; every UPDATE is keyed
//! by id and expected state (and, for a worker, owner and attempt), and zero rows changed is an error.

use super::audit::{self, Attempt, AuditAction, AuditEvent};
use super::idmap;
use super::queue::{
    ClaimedJob, Completion, Dependency, EnqueueOutcome, Job, JobFilter, JobId, JobKind, JobSource,
    JobState, Lease, NewJob, RetryOutcome, StateCounts,
};
use super::{bounded, parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::time::Duration;

/// SHA-256 of a payload as lower-case hex: the queue's dedupe key and the id map's "what was posted".
pub fn payload_hash(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

const JOB_COLUMNS: &str = "id, source, store_id, kind, woo_id, revision, payload, payload_hash, state, attempts, \
     next_attempt_at, lease_owner, lease_expires_at, last_error, depends_on_job, depends_on_kind, depends_on_woo_id, \
     created_at, updated_at";

fn to_i64(field: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid {
        field,
        reason: "larger than SQLite's integer range".into(),
    })
}

impl Store {
    /// Queues a WooCommerce entity. One short transaction, idempotent, safe from many processes at once:
    /// the same payload again is `Duplicate`; a newer (or equal) revision of a still-pending job replaces its
    /// payload (`Replaced`, due at once, attempts kept); a newer revision of a running/done/failed/dead job is a new job (`Inserted`; the
    /// engine reports "edited after posting"); an older revision than the latest job is `Superseded`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a payload that is not JSON or an empty store id; [`StoreError::Busy`]
    /// (retryable); [`StoreError::Full`]; other SQLite failures. Nothing is written on error.
    pub fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<EnqueueOutcome, StoreError> {
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
        let hash = payload_hash(&job.payload);
        let (dep_job, dep_kind, dep_woo) = match &job.depends_on {
            None => (None, None, None),
            Some(Dependency::Job(id)) => (Some(id.0), None, None),
            Some(Dependency::Woo { kind, woo_id }) => (
                None,
                Some(kind.as_str()),
                Some(to_i64("depends_on", *woo_id)?),
            ),
        };
        let now_s = ts(now);
        let tx = self.begin()?;
        let fail = |e| self.classify("enqueue", e);
        // The exact payload if it is queued, else the entity's latest job.
        let existing: Option<(i64, String, i64, bool)> = tx
            .prepare_cached(
                "SELECT id, state, revision, payload_hash = ?4 FROM jobs WHERE store_id = ?1 AND kind = ?2 \
                 AND woo_id = ?3 ORDER BY payload_hash = ?4 DESC, id DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![job.store_id, job.kind.as_str(), woo_id, hash], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
            })
            .map_err(fail)?;
        let outcome = match existing {
            Some((id, _, _, true)) => EnqueueOutcome::Duplicate(JobId(id)),
            Some((id, _, revision, false)) if job.revision < revision => {
                EnqueueOutcome::Superseded(JobId(id))
            }
            Some((id, state, _, false)) if JobState::parse(&state)? == JobState::Pending => {
                let changed = tx
                    .prepare_cached(
                        "UPDATE jobs SET source = ?2, revision = ?3, payload = ?4, payload_hash = ?5, \
                         depends_on_job = ?6, depends_on_kind = ?7, depends_on_woo_id = ?8, next_attempt_at = ?9, \
                         updated_at = ?9 WHERE id = ?1 AND state = 'pending'",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            job.source.as_str(),
                            job.revision,
                            job.payload,
                            hash,
                            dep_job,
                            dep_kind,
                            dep_woo,
                            now_s
                        ])
                    })
                    .map_err(fail)?;
                expect_one(
                    changed,
                    JobId(id),
                    "enqueue (replace)",
                    "pending",
                    &tx,
                    self,
                )?;
                EnqueueOutcome::Replaced(JobId(id))
            }
            _ => {
                tx.prepare_cached(
                    "INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload, payload_hash, state, \
                     attempts, next_attempt_at, depends_on_job, depends_on_kind, depends_on_woo_id, created_at, \
                     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9, ?10, ?11, ?8, ?8)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        job.source.as_str(),
                        job.store_id,
                        job.kind.as_str(),
                        woo_id,
                        job.revision,
                        job.payload,
                        hash,
                        now_s,
                        dep_job,
                        dep_kind,
                        dep_woo
                    ])
                })
                .map_err(fail)?;
                EnqueueOutcome::Inserted(JobId(tx.last_insert_rowid()))
            }
        };
        let action = match outcome {
            EnqueueOutcome::Inserted(_) => AuditAction::Enqueued,
            EnqueueOutcome::Replaced(_) => AuditAction::Replaced,
            // Nothing changed, so nothing to audit (a checkout retry must not grow the trail).
            EnqueueOutcome::Duplicate(_) | EnqueueOutcome::Superseded(_) => return Ok(outcome),
        };
        audit::insert(
            &tx,
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
        self.commit(tx, "enqueue")?;
        Ok(outcome)
    }

    /// Atomically takes up to `limit` due jobs for `owner` for `lease`: pending jobs whose `next_attempt_at` has
    /// come and whose dependency is posted, and running jobs whose lease expired (a crashed worker; such a job
    /// that already used `max_attempts` claims becomes `dead` instead). Order: kind priority (customers, orders,
    /// refunds/payments), then id. At most one job per WooCommerce entity is ever running. No two workers, in any
    /// process, get the same job.
    ///
    /// # Errors
    /// [`StoreError::Busy`] (retryable); [`StoreError::Full`]; other SQLite failures. On error nothing is claimed.
    pub fn claim(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        if owner.is_empty() {
            return Err(StoreError::Invalid {
                field: "owner",
                reason: "a worker needs a name".into(),
            });
        }
        let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::days(1));
        let (now_s, expires_s) = (ts(now), ts(expires));
        let tx = self.begin()?;
        let fail = |e| self.classify("claim", e);
        let candidates: Vec<Candidate> = tx
            .prepare_cached(
                "SELECT j.id, j.state, j.attempts, j.store_id, j.kind, j.woo_id, j.lease_owner FROM jobs j \
                 WHERE ((j.state = 'pending' AND j.next_attempt_at <= ?1) \
                        OR (j.state = 'running' AND j.lease_expires_at <= ?1)) \
                   AND (j.depends_on_job IS NULL \
                        OR EXISTS (SELECT 1 FROM jobs d WHERE d.id = j.depends_on_job AND d.state = 'done')) \
                   AND (j.depends_on_kind IS NULL \
                        OR EXISTS (SELECT 1 FROM id_map m WHERE m.store_id = j.store_id \
                                   AND m.woo_kind = j.depends_on_kind AND m.woo_id = j.depends_on_woo_id)) \
                   AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.store_id = j.store_id AND r.kind = j.kind \
                                   AND r.woo_id = j.woo_id AND r.id <> j.id AND r.state = 'running' \
                                   AND r.lease_expires_at > ?1) \
                 ORDER BY CASE j.kind WHEN 'customer' THEN 0 WHEN 'order' THEN 1 ELSE 2 END, j.id LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![now_s, i64::from(limit).saturating_mul(4)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })?
                .collect()
            })
            .map_err(fail)?;
        let mut seen = HashSet::new();
        let mut claimed = Vec::new();
        for (id, state, attempts, store_id, kind, woo_id, old_owner) in candidates {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            if !seen.insert((store_id.clone(), kind.clone(), woo_id)) {
                continue;
            }
            let state = JobState::parse(&state)?;
            let kind = JobKind::parse(&kind)?;
            let woo = u64::try_from(woo_id).map_err(|_| StoreError::BadRow {
                table: "jobs",
                column: "woo_id",
                value: woo_id.to_string(),
            })?;
            let reclaim = state == JobState::Running;
            if reclaim && attempts >= self.max_attempts {
                let n = tx
                    .prepare_cached(
                        "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, \
                         last_error = ?3, updated_at = ?2 WHERE id = ?1 AND state = 'running' AND lease_expires_at <= ?2",
                    )
                    .and_then(|mut s| s.execute(params![id, now_s, dead_message(attempts)]))
                    .map_err(fail)?;
                expect_one(n, JobId(id), "claim (dead)", "running", &tx, self)?;
                let mut ev = job_event(JobId(id), &store_id, kind, woo, AuditAction::Dead, now);
                ev.error = Some(dead_message(attempts));
                audit::insert(&tx, &ev).map_err(fail)?;
                continue;
            }
            let n = tx
                .prepare_cached(
                    "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, \
                     attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 AND state = ?5 \
                     AND ((state = 'pending' AND next_attempt_at <= ?4) OR (state = 'running' AND lease_expires_at <= ?4))",
                )
                .and_then(|mut s| s.execute(params![id, owner, expires_s, now_s, state.as_str()]))
                .map_err(fail)?;
            expect_one(n, JobId(id), "claim", state.as_str(), &tx, self)?;
            let mut ev = job_event(JobId(id), &store_id, kind, woo, AuditAction::Claimed, now);
            if reclaim {
                ev.action = AuditAction::Reclaimed;
                ev.error = Some(format!(
                    "lease of {} expired",
                    old_owner.unwrap_or_default()
                ));
            }
            audit::insert(&tx, &ev).map_err(fail)?;
            let job =
                select_job(self, &tx, JobId(id))?.ok_or(StoreError::NotFound { job: JobId(id) })?;
            let lease = Lease {
                job_id: job.id,
                owner: owner.to_string(),
                attempt: job.attempts,
                expires_at: expires,
            };
            claimed.push(ClaimedJob { lease, job });
        }
        self.commit(tx, "claim")?;
        Ok(claimed)
    }

    /// Extends a held lease (a long post, a slow lookup) to `now + lease_for`.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when another worker took the job over; SQLite failures.
    pub fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> Result<Lease, StoreError> {
        let expires =
            now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::days(1));
        let tx = self.begin()?;
        let n = tx
            .prepare_cached(
                "UPDATE jobs SET lease_expires_at = ?4, updated_at = ?5 \
                 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempts = ?3",
            )
            .and_then(|mut s| {
                s.execute(params![
                    lease.job_id.0,
                    lease.owner,
                    lease.attempt,
                    ts(expires),
                    ts(now)
                ])
            })
            .map_err(|e| self.classify("renew lease", e))?;
        check_lease(n, lease, "renew lease")?;
        self.commit(tx, "renew lease")?;
        Ok(Lease {
            expires_at: expires,
            ..lease.clone()
        })
    }

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
        let tx = self.begin()?;
        let job = self.finish(&tx, lease, now, JobState::Done, None, None, "complete")?;
        let (action, attempt, visma_number) = match completion {
            Completion::Posted { mapping, attempt } | Completion::Adopted { mapping, attempt } => {
                idmap::insert(self, &tx, mapping, Some(job.id))?;
                let action = if matches!(completion, Completion::Posted { .. }) {
                    AuditAction::Posted
                } else {
                    AuditAction::Adopted
                };
                (action, attempt.clone(), Some(mapping.visma_number.clone()))
            }
            Completion::AlreadyPosted { visma_number }
            | Completion::EditedAfterPosting { visma_number } => {
                self.expect_mapping(&tx, &job, visma_number)?;
                let action = if matches!(completion, Completion::AlreadyPosted { .. }) {
                    AuditAction::AlreadyPosted
                } else {
                    AuditAction::EditedAfterPosting
                };
                (action, Attempt::default(), Some(visma_number.clone()))
            }
        };
        let mut ev = job_event(job.id, &job.store_id, job.kind, job.woo_id, action, now);
        ev.attempt = attempt;
        ev.visma_number = visma_number;
        audit::insert(&tx, &ev).map_err(|e| self.classify("complete", e))?;
        self.commit(tx, "complete")
    }

    /// "Already posted" must be backed by the id map, or the job would be done with no document on record.
    fn expect_mapping(
        &self,
        tx: &Connection,
        job: &Job,
        visma_number: &str,
    ) -> Result<(), StoreError> {
        let recorded: Option<String> = tx
            .prepare_cached("SELECT visma_number FROM id_map WHERE store_id = ?1 AND woo_kind = ?2 AND woo_id = ?3")
            .and_then(|mut s| {
                s.query_row(params![job.store_id, job.kind.as_str(), to_i64("woo_id", job.woo_id).unwrap_or(-1)], |r| {
                    r.get(0)
                })
                .optional()
            })
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
        let tx = self.begin()?;
        let dead = lease.attempt >= self.max_attempts;
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
            &tx,
            lease,
            now,
            state,
            Some(error),
            Some(next_attempt_at),
            "retry_later",
        )?;
        let mut ev = job_event(job.id, &job.store_id, job.kind, job.woo_id, action, now);
        ev.attempt = attempt.clone();
        ev.error = Some(error.to_string());
        audit::insert(&tx, &ev).map_err(|e| self.classify("retry_later", e))?;
        self.commit(tx, "retry_later")?;
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
        let tx = self.begin()?;
        let job = self.finish(&tx, lease, now, JobState::Failed, Some(error), None, "fail")?;
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
        audit::insert(&tx, &ev).map_err(|e| self.classify("fail", e))?;
        self.commit(tx, "fail")
    }

    /// Moves a held job out of `running`, checked against the lease (owner + attempt).
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        tx: &Connection,
        lease: &Lease,
        now: DateTime<Utc>,
        to: JobState,
        error: Option<&str>,
        next_attempt_at: Option<DateTime<Utc>>,
        op: &'static str,
    ) -> Result<Job, StoreError> {
        let n = tx
            .prepare_cached(
                "UPDATE jobs SET state = ?4, lease_owner = NULL, lease_expires_at = NULL, \
                 last_error = coalesce(?5, last_error), next_attempt_at = coalesce(?6, next_attempt_at), updated_at = ?7 \
                 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempts = ?3",
            )
            .and_then(|mut s| {
                s.execute(params![
                    lease.job_id.0,
                    lease.owner,
                    lease.attempt,
                    to.as_str(),
                    error.map(bounded),
                    next_attempt_at.map(ts),
                    ts(now)
                ])
            })
            .map_err(|e| self.classify(op, e))?;
        check_lease(n, lease, op)?;
        select_job(self, tx, lease.job_id)?.ok_or(StoreError::NotFound { job: lease.job_id })
    }

    /// Queues a `failed` or `dead` job again: `pending`, due `now`, attempts reset.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::StateConflict`] for a job that is not failed or dead; SQLite failures.
    pub fn replay(&self, job: JobId, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.begin()?;
        self.replay_in(&tx, job, now)?;
        self.commit(tx, "replay")
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
        let tx = self.begin()?;
        let ids: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM jobs WHERE state IN ('failed', 'dead') AND (?1 IS NULL OR updated_at >= ?1) ORDER BY id",
            )
            .and_then(|mut s| s.query_map(params![since.map(ts)], |r| r.get(0))?.collect())
            .map_err(|e| self.classify("replay_failed", e))?;
        for id in &ids {
            self.replay_in(&tx, JobId(*id), now)?;
        }
        self.commit(tx, "replay_failed")?;
        Ok(ids.into_iter().map(JobId).collect())
    }

    fn replay_in(&self, tx: &Connection, id: JobId, now: DateTime<Utc>) -> Result<(), StoreError> {
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
            .prepare_cached(
                "UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = ?3, updated_at = ?3 \
                 WHERE id = ?1 AND state = ?2",
            )
            .and_then(|mut s| s.execute(params![id.0, job.state.as_str(), ts(now)]))
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
            "SELECT {JOB_COLUMNS} FROM jobs WHERE (?1 IS NULL OR store_id = ?1) AND (?2 IS NULL OR state = ?2) \
             AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR woo_id = ?4) AND (?5 IS NULL OR id < ?5) \
             ORDER BY id DESC LIMIT ?6"
        );
        let raw: Vec<RawJob> = self
            .conn()?
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(
                    params![
                        filter.store_id,
                        filter.state.map(JobState::as_str),
                        filter.kind.map(JobKind::as_str),
                        woo_id,
                        filter.before.map(JobId::get),
                        limit
                    ],
                    RawJob::read,
                )?
                .collect()
            })
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
            .prepare_cached("SELECT state, count(*) FROM jobs GROUP BY state")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
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

    /// The pending job queued longest ago (for `status`: how far behind the queue is).
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn oldest_pending(&self) -> Result<Option<Job>, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'pending' ORDER BY created_at, id LIMIT 1");
        let raw = self
            .conn()?
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([], RawJob::read).optional())
            .map_err(|e| self.classify("oldest_pending", e))?;
        raw.map(RawJob::into_job).transpose()
    }
}

/// A claimable row: id, state, attempts, store id, kind, woo id, previous lease owner.
type Candidate = (i64, String, u32, String, String, i64, Option<String>);

fn dead_message(attempts: u32) -> String {
    format!("lease expired after {attempts} attempts: the worker crashed or hung every time")
}

fn job_event(
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

fn check_lease(changed: usize, lease: &Lease, op: &'static str) -> Result<(), StoreError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost {
            job: lease.job_id,
            owner: lease.owner.clone(),
            attempt: lease.attempt,
            op,
        })
    }
}

/// Zero rows changed means another process moved the job first: report the state it is in now.
fn expect_one(
    changed: usize,
    job: JobId,
    op: &'static str,
    expected: &'static str,
    conn: &Connection,
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

fn select_job(store: &Store, conn: &Connection, id: JobId) -> Result<Option<Job>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params![id.0], RawJob::read).optional())
        .map_err(|e| store.classify("get job", e))?;
    raw.map(RawJob::into_job).transpose()
}

/// A row as SQLite returns it, before the enums and times are checked.
struct RawJob {
    id: i64,
    source: String,
    store_id: String,
    kind: String,
    woo_id: i64,
    revision: i64,
    payload: String,
    payload_hash: String,
    state: String,
    attempts: i64,
    next_attempt_at: String,
    lease_owner: Option<String>,
    lease_expires_at: Option<String>,
    last_error: Option<String>,
    depends_on_job: Option<i64>,
    depends_on_kind: Option<String>,
    depends_on_woo_id: Option<i64>,
    created_at: String,
    updated_at: String,
}

impl RawJob {
    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            source: r.get(1)?,
            store_id: r.get(2)?,
            kind: r.get(3)?,
            woo_id: r.get(4)?,
            revision: r.get(5)?,
            payload: r.get(6)?,
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
            payload: self.payload,
            payload_hash: self.payload_hash,
            state: JobState::parse(&self.state)?,
            attempts: u32::try_from(self.attempts).map_err(|_| bad("attempts", self.attempts))?,
            next_attempt_at: parse_ts("jobs", "next_attempt_at", &self.next_attempt_at)?,
            lease_owner: self.lease_owner,
            lease_expires_at: self
                .lease_expires_at
                .as_deref()
                .map(|t| parse_ts("jobs", "lease_expires_at", t))
                .transpose()?,
            last_error: self.last_error,
            depends_on,
            created_at: parse_ts("jobs", "created_at", &self.created_at)?,
            updated_at: parse_ts("jobs", "updated_at", &self.updated_at)?,
        })
    }
}
