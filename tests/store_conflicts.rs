//! A transaction the database server rolls back to break a deadlock (MariaDB 1213, PostgreSQL 40P01/40001) is
//! run again: recording a posted invoice must not be lost to a lock conflict between workers. The server is
//! played by a SQLite connection whose commit fails the way MariaDB's does, so the test is exact about how often.

mod store_support;

use ml_connector::store::db::sqlite::SqliteDb;
use ml_connector::store::db::{Backend, Db, DbError, Row, Val};
use ml_connector::store::{
    Finished, JobKind, NextClaim, Outcome, Recorded, Store, StoreError, StoreOptions,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store_support::{at, job, posted, t0};

const LEASE: Duration = Duration::from_secs(60);

/// SQLite whose next `fail` commits end like MariaDB's deadlock: the transaction rolled back, error 1213.
struct DeadlockingCommits {
    inner: SqliteDb,
    fail: Arc<AtomicU32>,
    commits: Arc<AtomicU32>,
}

fn deadlock() -> DbError {
    DbError::MySql(mysql::Error::MySqlError(mysql::MySqlError {
        state: "40001".into(),
        message: "Deadlock found when trying to get lock; try restarting transaction".into(),
        code: 1213,
    }))
}

impl Db for DeadlockingCommits {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn exec(&self, sql: &str, args: &[Val]) -> Result<usize, DbError> {
        self.inner.exec(sql, args)
    }
    fn insert(&self, sql: &str, args: &[Val]) -> Result<i64, DbError> {
        self.inner.insert(sql, args)
    }
    fn query(
        &self,
        sql: &str,
        args: &[Val],
        each: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        self.inner.query(sql, args, each)
    }
    fn batch(&self, sql: &str) -> Result<(), DbError> {
        self.inner.batch(sql)
    }
    fn begin(&self) -> Result<(), DbError> {
        self.inner.begin()
    }
    fn commit(&self) -> Result<(), DbError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        let armed = self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if armed {
            self.inner.rollback()?;
            return Err(deadlock());
        }
        self.inner.commit()
    }
    fn rollback(&self) -> Result<(), DbError> {
        self.inner.rollback()
    }
    fn try_lock(&self, key: &str) -> Result<bool, DbError> {
        self.inner.try_lock(key)
    }
    fn schema_version(&self) -> Result<i64, DbError> {
        self.inner.schema_version()
    }
    fn set_schema_version(&self, version: i64) -> Result<(), DbError> {
        self.inner.set_schema_version(version)
    }
    fn lock_migrations(&self) -> Result<(), DbError> {
        self.inner.lock_migrations()
    }
    fn unlock_migrations(&self) -> Result<(), DbError> {
        self.inner.unlock_migrations()
    }
    fn bytes_used(&self) -> Result<i64, DbError> {
        self.inner.bytes_used()
    }
    fn drop_tables(&self) -> Result<(), DbError> {
        self.inner.drop_tables()
    }
    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        self.inner.sqlite()
    }
    fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        self.inner.sqlite_mut()
    }
}

struct Harness {
    store: Store,
    fail: Arc<AtomicU32>,
    commits: Arc<AtomicU32>,
}

fn harness() -> Harness {
    let (fail, commits) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    let db = DeadlockingCommits {
        inner: SqliteDb::new(conn, ":memory:".into()),
        fail: fail.clone(),
        commits: commits.clone(),
    };
    let store = Store::open_server(Box::new(db), &StoreOptions::default()).expect("store");
    Harness {
        store,
        fail,
        commits,
    }
}

/// What the record returned (each job's result and how many jobs it claimed), and how many commits it tried.
type Tried = (
    Result<(Vec<Result<Recorded, StoreError>>, usize), StoreError>,
    u32,
);

/// Records job 1 as posted and claims the next job, with `deadlocks` commits failing first.
fn record_with_deadlocks(h: &Harness, deadlocks: u32) -> Tried {
    for id in 1..=2 {
        h.store
            .enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    let first = h.store.claim("w1", t0(), LEASE, 1).expect("claim");
    let done = posted(JobKind::Order, first[0].job.woo_id, "100001");
    let finished = [Finished {
        lease: &first[0].lease,
        now: at(1),
        outcome: Outcome::Complete(&done),
        notes: &[],
        mappings: &[],
    }];
    let next = NextClaim {
        owner: "w1",
        now: at(1),
        lease: LEASE,
        limit: 1,
    };
    h.fail.store(deadlocks, Ordering::SeqCst);
    let before = h.commits.load(Ordering::SeqCst);
    let result = h
        .store
        .record_and_claim(&finished, Some(next))
        .map(|(recorded, claimed)| (recorded, claimed.map_or(0, |c| c.len())));
    (result, h.commits.load(Ordering::SeqCst) - before)
}

#[test]
fn a_record_the_server_rolled_back_for_a_deadlock_runs_again() {
    let h = harness();
    let (result, commits) = record_with_deadlocks(&h, 2);
    let (recorded, claimed) = result.expect("written on the third try");
    assert_eq!(
        commits, 3,
        "two rolled-back tries and the one that committed"
    );
    assert_eq!(recorded[0].as_ref().ok(), Some(&Recorded::Done));
    assert_eq!(
        claimed, 1,
        "the next job was claimed in the same transaction"
    );
    let jobs = h.store.counts_by_state().expect("counts");
    assert_eq!((jobs.done, jobs.running), (1, 1), "{jobs:?}");
    // The tries that were rolled back left nothing behind: one posted row, one id map row.
    let posted_rows = h
        .store
        .audit_entries(&ml_connector::store::AuditQuery {
            woo_id: Some(1),
            ..Default::default()
        })
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == ml_connector::store::AuditAction::Posted.as_str())
        .count();
    assert_eq!(posted_rows, 1);
}

#[test]
fn a_deadlock_that_keeps_coming_back_is_reported_and_nothing_is_written() {
    let h = harness();
    let (result, commits) = record_with_deadlocks(&h, u32::MAX);
    assert!(matches!(result, Err(StoreError::Busy { .. })), "{result:?}");
    assert_eq!(commits, 5, "run five times in all, then given up");
    let jobs = h.store.counts_by_state().expect("counts");
    assert_eq!(
        (jobs.done, jobs.running, jobs.pending),
        (0, 1, 1),
        "the first job still running, as before the record: {jobs:?}"
    );
}

#[test]
fn a_checkout_enqueue_the_server_rolled_back_for_a_deadlock_runs_again() {
    let h = harness();
    h.fail.store(2, Ordering::SeqCst);
    let outcome = h
        .store
        .enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("queued on the third try");
    assert!(
        matches!(outcome, ml_connector::store::EnqueueOutcome::Inserted(_)),
        "{outcome:?}"
    );
    let jobs = h.store.counts_by_state().expect("counts");
    assert_eq!(jobs.pending, 1, "one job, not three: {jobs:?}");
}

/// Runs `op` with the next commit failing like MariaDB's deadlock; returns its result and how many commits it
/// tried.
fn deadlocked_once<T>(h: &Harness, op: impl FnOnce(&Store) -> T) -> (T, u32) {
    h.fail.store(1, Ordering::SeqCst);
    let before = h.commits.load(Ordering::SeqCst);
    let out = op(&h.store);
    assert_eq!(
        h.fail.load(Ordering::SeqCst),
        0,
        "the operation never tried to commit, so the deadlock was not met"
    );
    (out, h.commits.load(Ordering::SeqCst) - before)
}

#[test]
fn every_write_the_server_rolled_back_for_a_deadlock_runs_again_once() {
    let h = harness();
    for id in 1..=3 {
        h.store
            .enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    // The claim, the lease's renewal and each way a job ends.
    let (claimed, commits) = deadlocked_once(&h, |s| s.claim("w1", t0(), LEASE, 3));
    let claimed = claimed.expect("claimed on the second try");
    assert_eq!((claimed.len(), commits), (3, 2));
    let (renewed, commits) =
        deadlocked_once(&h, |s| s.renew_lease(&claimed[0].lease, at(1), LEASE));
    assert_eq!((renewed.is_ok(), commits), (true, 2), "{renewed:?}");
    let lease = renewed.expect("renewed");
    let done = posted(JobKind::Order, claimed[0].job.woo_id, "100001");
    let (r, commits) = deadlocked_once(&h, |s| s.complete(&lease, at(2), &done));
    assert_eq!((r.is_ok(), commits), (true, 2), "{r:?}");
    let attempt = ml_connector::store::Attempt::default();
    let (r, commits) = deadlocked_once(&h, |s| {
        s.retry_later(&claimed[1].lease, at(2), at(60), "503", &attempt)
    });
    assert_eq!((r.is_ok(), commits), (true, 2), "{r:?}");
    let (r, commits) = deadlocked_once(&h, |s| {
        s.fail(&claimed[2].lease, at(2), "refused", &attempt)
    });
    assert_eq!((r.is_ok(), commits), (true, 2), "{r:?}");
    let jobs = h.store.counts_by_state().expect("counts");
    assert_eq!(
        (jobs.done, jobs.pending, jobs.failed, jobs.running),
        (1, 1, 1, 0),
        "{jobs:?}"
    );
    let (r, commits) = deadlocked_once(&h, |s| s.replay(claimed[2].job.id, at(3)));
    assert_eq!((r.is_ok(), commits), (true, 2), "{r:?}");
    // The checkout's note, the customer-creation claim, the poll cursor, the pause and an instance lease.
    let (r, commits) = deadlocked_once(&h, |s| s.note_changed("s1", JobKind::Order, 9, 0, at(3)));
    assert_eq!((r.ok(), commits), (Some(true), 2));
    assert_eq!(h.store.notes(10).expect("notes").len(), 1, "one note");
    let (r, commits) = deadlocked_once(&h, |s| {
        s.claim_customer_creation("s1", "a@example.com", "w1", at(3), LEASE)
    });
    assert_eq!((r.ok(), commits), (Some(true), 2));
    let (r, commits) = deadlocked_once(&h, |s| s.set_cursor("s1", "orders", "42", at(3)));
    assert_eq!((r.is_ok(), commits), (true, 2), "{r:?}");
    assert_eq!(
        h.store
            .cursor("s1", "orders")
            .expect("cursor")
            .map(|c| c.value),
        Some("42".to_owned())
    );
    let pause = ml_connector::store::Pause {
        reason: "Visma refused the client secret".into(),
        setting: None,
        since: at(3),
        tested_at: at(3),
    };
    let (r, commits) = deadlocked_once(&h, |s| s.set_pause(&pause));
    assert_eq!((r.ok(), commits), (Some(true), 2));
    let (r, commits) = deadlocked_once(&h, |s| {
        s.hold_lease(
            ml_connector::store::InstanceLease::Drain,
            "i1",
            at(3),
            LEASE,
        )
    });
    assert_eq!((r.ok(), commits), (Some(true), 2));
    // The audit: the rolled-back runs left no rows, so each write that audits did so once.
    let audit = h
        .store
        .audit_entries(&ml_connector::store::AuditQuery::default())
        .expect("audit");
    let rows = |action: ml_connector::store::AuditAction| {
        audit.iter().filter(|e| e.action == action.as_str()).count()
    };
    use ml_connector::store::AuditAction::{Claimed, Posted};
    assert_eq!((rows(Claimed), rows(Posted)), (3, 1), "{audit:?}");
}
