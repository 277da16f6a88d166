//! Work under a lease: `claim` hands due jobs to one worker at a time and `renew_lease` extends a held one; how a
//! held job ends (complete, retry, fail) is in `outcome.rs`, checked against the same lease (owner + attempt).

use super::audit::{self, AuditAction};
use super::db::{args, Backend, Db};
use super::encoding::micros;
use super::jobs::{expect_one, job_event, select_job};
use super::queue::{ClaimedJob, JobId, JobKind, JobState, Lease};
use super::{ts, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

impl Store {
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
        let leases = self.write("claim", |tx| self.claim_in(tx, owner, now, lease, limit))?;
        self.load_claimed(leases, now)
    }

    /// The jobs of leases just claimed, read after the claim committed: reading and decompressing a payload
    /// inside it held the write lock every other worker of a SQLite file waits for (the job is this worker's
    /// now, so nothing changes it meanwhile). A job that cannot be read ends `failed` with the reason, instead
    /// of failing every claim that finds it.
    ///
    /// # Errors
    /// Database failures of the read or of failing an unreadable job.
    pub(super) fn load_claimed(
        &self,
        leases: Vec<Lease>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let mut claimed = Vec::with_capacity(leases.len());
        for lease in leases {
            match select_job(self, self.conn()?, lease.job_id) {
                Ok(Some(job)) => claimed.push(ClaimedJob { lease, job }),
                Ok(None) => return Err(StoreError::NotFound { job: lease.job_id }),
                Err(e @ (StoreError::BadRow { .. } | StoreError::Corrupt { .. })) => {
                    let reason = format!("the queued job cannot be read: {e}");
                    self.fail(&lease, now, &reason, &super::Attempt::default())?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(claimed)
    }

    /// Claims in `tx` (see [`Store::claim`]); the jobs are read after it commits ([`Store::load_claimed`]).
    pub(super) fn claim_in(
        &self,
        tx: &dyn Db,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Lease>, StoreError> {
        if owner.is_empty() {
            return Err(StoreError::Invalid {
                field: "owner",
                reason: "a worker needs a name".into(),
            });
        }
        let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::days(1));
        let (now_s, expires_s) = (micros(now), micros(expires));
        let fail = |e| self.classify("claim", e);
        // Two searches instead of one `pending OR expired-running` query: that OR made SQLite sort every due
        // job on each claim (60 ms per claim at 100,000 pending). Pending jobs walk `jobs_claim` (migration 0003)
        // in claim order and stop at the limit; expired leases are few. Merged below in the same order.
        let want = i64::from(limit).saturating_mul(4);
        let mut candidates: Vec<Candidate> = Vec::new();
        let server = tx.backend() != Backend::Sqlite;
        let searches = if server {
            [CLAIM_PENDING_LOCKED, CLAIM_EXPIRED_LOCKED]
        } else {
            [CLAIM_PENDING, CLAIM_EXPIRED]
        };
        for sql in searches {
            let found: Vec<Candidate> = tx
                .rows(sql, args![now_s, want], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .map_err(fail)?;
            candidates.extend(found);
        }
        candidates.sort_by_key(|c| (kind_priority(&c.4), c.0));
        candidates.truncate(usize::try_from(want).unwrap_or(usize::MAX));
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
            let woo = super::stored_woo_id("jobs", woo_id)?;
            if server && !self.entity_free(tx, id, &store_id, kind.as_str(), woo_id, now_s)? {
                continue;
            }
            let reclaim = state == JobState::Running;
            if reclaim && attempts >= self.max_attempts {
                let n = tx
                    .exec("UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, \
                         last_error = ?3, updated_at = ?2 WHERE id = ?1 AND state = 'running' AND lease_expires_at <= ?2", args![id, now_s, dead_message(attempts)])
                    .map_err(fail)?;
                expect_one(n, JobId(id), "claim (dead)", "running", tx, self)?;
                let mut ev = job_event(JobId(id), &store_id, kind, woo, AuditAction::Dead, now);
                ev.error = Some(dead_message(attempts));
                audit::insert(tx, &ev).map_err(fail)?;
                continue;
            }
            let n = tx
                .exec("UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, \
                     attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 AND state = ?5 \
                     AND ((state = 'pending' AND next_attempt_at <= ?4) OR (state = 'running' AND lease_expires_at <= ?4))", args![id, owner, expires_s, now_s, state.as_str()])
                .map_err(fail)?;
            expect_one(n, JobId(id), "claim", state.as_str(), tx, self)?;
            let mut ev = job_event(JobId(id), &store_id, kind, woo, AuditAction::Claimed, now);
            if reclaim {
                ev.action = AuditAction::Reclaimed;
                ev.error = Some(format!(
                    "lease of {} expired",
                    old_owner.unwrap_or_default()
                ));
            }
            audit::insert(tx, &ev).map_err(fail)?;
            claimed.push(Lease {
                job_id: JobId(id),
                owner: owner.to_string(),
                // The claim's own `attempts + 1`.
                attempt: attempts.saturating_add(1),
                expires_at: expires,
            });
        }
        Ok(claimed)
    }

    /// On a database server several claims run at once, each seeing only committed rows: two could take two
    /// revisions of one order. The entity's lock (held to the end of this transaction) lets one claim at a time
    /// look at an entity, and the second look, after the lock, sees every claim committed before it. SQLite's
    /// write lock already makes claims one at a time.
    fn entity_free(
        &self,
        tx: &dyn Db,
        id: i64,
        store_id: &str,
        kind: &str,
        woo_id: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        let fail = |e| self.classify("claim", e);
        if !tx
            .try_lock(&format!("job {store_id} {kind} {woo_id}"))
            .map_err(fail)?
        {
            return Ok(false);
        }
        let busy: i64 = tx
            .row(
                "SELECT count(*) FROM jobs WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3 AND id <> ?4 \
                 AND state = 'running' AND lease_expires_at > ?5",
                args![store_id, kind, woo_id, id, now_s],
                |r| r.get(0),
            )
            .map_err(fail)?;
        Ok(busy == 0)
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
        self.write("renew lease", |tx| {
            let n = tx
                .exec(
                    "UPDATE jobs SET lease_expires_at = ?4, updated_at = ?5 \
                     WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempts = ?3",
                    args![
                        lease.job_id.0,
                        lease.owner,
                        lease.attempt,
                        micros(expires),
                        micros(now)
                    ],
                )
                .map_err(|e| self.classify("renew lease", e))?;
            check_lease(n, lease, "renew lease")
        })?;
        Ok(Lease {
            expires_at: expires,
            ..lease.clone()
        })
    }
}

impl Store {
    /// Issue #16: a worker's heartbeat. Extends every job lease and customer-creation claim `owner` holds to
    /// `now + lease_for`, whatever its jobs are doing, and returns how many jobs it holds. A process that
    /// keeps this going from a thread of its own can take short leases: a slow Visma call keeps its job, and
    /// a killed process's jobs come back one short lease later instead of after the long default.
    ///
    /// # Errors
    /// Database failures.
    pub fn keep_leases_alive(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> Result<usize, StoreError> {
        let expires =
            now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::minutes(1));
        let fail = |e| self.classify("keep leases alive", e);
        self.write("keep leases alive", |tx| {
            // Only leases still ours and still live: one that ran out may already be another worker's.
            let n = tx
                .exec(
                    "UPDATE jobs SET lease_expires_at = ?2 WHERE state = 'running' AND lease_owner = ?1 \
                     AND lease_expires_at > ?3 AND lease_expires_at < ?2",
                    args![owner, micros(expires), micros(now)],
                )
                .map_err(fail)?;
            tx.exec(
                "UPDATE customer_claims SET expires_at = ?2 WHERE owner = ?1 AND expires_at > ?3 \
                 AND expires_at < ?2",
                args![owner, ts(expires), ts(now)],
            )
            .map_err(fail)?;
            Ok(n)
        })
    }
}

/// A claimable row: id, state, attempts, store id, kind, woo id, previous lease owner.
type Candidate = (i64, String, u32, String, String, i64, Option<String>);

/// The conditions every claimable job meets besides its state: its dependency is posted and no other job of
/// the same entity holds a live lease.
macro_rules! claimable {
    () => {
        " AND (j.depends_on_job IS NULL \
                OR EXISTS (SELECT 1 FROM jobs d WHERE d.id = j.depends_on_job AND d.state = 'done')) \
           AND (j.depends_on_kind IS NULL \
                OR EXISTS (SELECT 1 FROM id_map m JOIN names n ON n.id = m.store_ref WHERE n.name = j.store_id \
                           AND m.woo_kind = j.depends_on_kind AND m.woo_id = j.depends_on_woo_id)) \
           AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.store_id = j.store_id AND r.kind = j.kind \
                           AND r.woo_id = j.woo_id AND r.id <> j.id AND r.state = 'running' \
                           AND r.lease_expires_at > ?1) \
         ORDER BY CASE j.kind WHEN 'customer' THEN 0 WHEN 'order' THEN 1 ELSE 2 END, j.id LIMIT ?2"
    };
}

/// Due pending jobs in claim order. `INDEXED BY`: without statistics SQLite prefers `jobs_due` and sorts.
const CLAIM_PENDING: &str = concat!(
    "SELECT j.id, j.state, j.attempts, j.store_id, j.kind, j.woo_id, j.lease_owner FROM jobs j INDEXED BY jobs_claim \
     WHERE j.state = 'pending' AND j.next_attempt_at <= ?1",
    claimable!()
);

/// Running jobs whose lease expired (a crashed worker), in claim order.
const CLAIM_EXPIRED: &str = concat!(
    "SELECT j.id, j.state, j.attempts, j.store_id, j.kind, j.woo_id, j.lease_owner FROM jobs j \
     WHERE j.state = 'running' AND j.lease_expires_at <= ?1",
    claimable!()
);

/// [`CLAIM_PENDING`] on a database server: rows another claim holds are skipped, not waited for, and the
/// ones found stay locked until the claim commits.
const CLAIM_PENDING_LOCKED: &str = concat!(
    "SELECT j.id, j.state, j.attempts, j.store_id, j.kind, j.woo_id, j.lease_owner FROM jobs j \
     WHERE j.state = 'pending' AND j.next_attempt_at <= ?1",
    claimable!(),
    " FOR UPDATE SKIP LOCKED"
);

/// [`CLAIM_EXPIRED`] on a database server.
const CLAIM_EXPIRED_LOCKED: &str = concat!(
    "SELECT j.id, j.state, j.attempts, j.store_id, j.kind, j.woo_id, j.lease_owner FROM jobs j \
     WHERE j.state = 'running' AND j.lease_expires_at <= ?1",
    claimable!(),
    " FOR UPDATE SKIP LOCKED"
);

/// The claim order of a kind, as the `ORDER BY CASE` above and the `jobs_claim` index.
fn kind_priority(kind: &str) -> u8 {
    match kind {
        "customer" => 0,
        "order" => 1,
        _ => 2,
    }
}

fn dead_message(attempts: u32) -> String {
    format!("lease expired after {attempts} attempts: the worker crashed or hung every time")
}

pub(super) fn check_lease(
    changed: usize,
    lease: &Lease,
    op: &'static str,
) -> Result<(), StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(store: &Store, sql: &str) -> Vec<String> {
        let conn = store.sqlite("plan").expect("open");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("the claim query compiles against the schema");
        let rows = stmt
            .query_map(rusqlite::params!["2026-01-01T00:00:00.000000Z", 20], |r| {
                r.get::<_, String>(3)
            })
            .expect("plan");
        rows.map(|r| r.expect("row")).collect()
    }

    // Issue #8: the pending claim walks `jobs_claim` in claim order instead of sorting every due job.
    #[test]
    fn the_pending_claim_reads_the_claim_index_in_order_without_sorting() {
        let store = Store::open_in_memory().expect("store");
        let steps = plan(&store, CLAIM_PENDING);
        assert!(
            steps.iter().any(|s| s.contains("USING INDEX jobs_claim")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|s| s.contains("TEMP B-TREE")),
            "{steps:?}"
        );
    }

    #[test]
    fn kind_priority_matches_the_sql_order() {
        assert!(kind_priority("customer") < kind_priority("order"));
        assert!(kind_priority("order") < kind_priority("refund"));
        assert_eq!(kind_priority("refund"), kind_priority("payment"));
    }
}
