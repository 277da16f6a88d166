//! Issue #16: a queue moves from SQLite into the WordPress database (MariaDB) or PostgreSQL and back without losing
//! or re-sending anything: jobs keep their states and attempts, the id map what was posted, the audit its rows,
//! credentials open with the same key, and the old queue refuses writes from then on.

mod store_support;

use ml_connector::secret::Secret;
use ml_connector::store::{
    Attempt, Books, JobKind, JobState, Key, Store, StoreError, StoreOptions,
};
use std::time::Duration;
use store_support::backends::{Backend, TestDb};
use store_support::{at, job, posted, t0};

const LEASE: Duration = Duration::from_secs(60);

/// A queue with a posted, a failed, a running and a pending order, a credential and a cursor.
fn busy_queue(s: &Store, key: &Key) {
    for id in 1..=4 {
        s.enqueue(&job(JobKind::Order, id, 100), t0())
            .expect("enqueue");
    }
    let claimed = s.claim("w", at(1), LEASE, 2).expect("claim");
    s.complete(
        &claimed[0].lease,
        at(2),
        &posted(JobKind::Order, 1, "INV-1"),
    )
    .expect("complete");
    s.fail(
        &claimed[1].lease,
        at(2),
        "Visma refused it",
        &Attempt::default(),
    )
    .expect("fail");
    s.put_credential("visma_client_secret", &Secret::new("s3cret"), key, t0())
        .expect("credential");
    s.set_cursor("default", "orders", "2026-05-01T09:00:00", t0())
        .expect("cursor");
}

fn books() -> Books {
    Books::new("default", "")
}

/// What must survive a move.
fn facts(s: &Store, key: &Key) -> (u64, u64, u64, u64, bool, String, String) {
    let c = s.counts_by_state().expect("counts");
    (
        c.pending,
        c.done,
        c.failed,
        s.audit_count().expect("audit"),
        s.lookup_mapping(&books(), JobKind::Order, 1)
            .expect("map")
            .is_some(),
        s.get_credential("visma_client_secret", key)
            .expect("credential")
            .map(|v| v.expose().to_owned())
            .unwrap_or_default(),
        s.cursor("default", "orders")
            .expect("cursor")
            .map(|c| c.value)
            .unwrap_or_default(),
    )
}

fn round_trip(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::generate();
    let source = Store::open(dir.path().join("first.sqlite")).expect("sqlite");
    busy_queue(&source, &key);
    let before = facts(&source, &key);
    assert_eq!((before.0, before.1, before.2), (2, 1, 1), "{before:?}");

    let server = TestDb::new(backend, dir.path());
    let dest = server.open();
    let moved = source.move_into(&dest, at(10)).expect("move");
    assert_eq!(moved.of("jobs"), 4);
    assert_eq!(moved.of("audit"), before.3);
    assert_eq!(facts(&dest, &key), before, "everything arrived");

    // The old queue refuses writes, naming where the queue went (never with a password).
    let err = source
        .enqueue(&job(JobKind::Order, 9, 100), at(11))
        .expect_err("moved");
    match &err {
        StoreError::Moved { to } => assert!(!to.contains("s3cret") && !to.is_empty(), "{to}"),
        other => panic!("expected Moved, got {other:?}"),
    }
    assert!(!err.is_retryable());

    // The moved queue goes on: new ids come after the copied ones, the failed job replays once, and the
    // posted order is not posted again (its id map row is there).
    let new = dest
        .enqueue(&job(JobKind::Order, 9, 100), at(11))
        .expect("enqueue on the new queue")
        .job_id();
    assert!(new.get() > 4, "ids continue after the copied rows: {new:?}");
    let claimed = dest.claim("w2", at(12), LEASE, 10).expect("claim");
    let woo: Vec<u64> = claimed.iter().map(|c| c.job.woo_id).collect();
    assert!(
        !woo.contains(&1),
        "the posted order is not claimed again: {woo:?}"
    );
    for c in &claimed {
        assert_eq!(c.job.state, JobState::Running);
    }

    // And back into a new SQLite file.
    let back = Store::open(dir.path().join("back.sqlite")).expect("sqlite");
    let now = facts(&dest, &key);
    // The claims above hold live leases: a move waits for them.
    let busy = dest
        .move_into(&back, at(13))
        .expect_err("a drain is sending");
    assert!(busy.to_string().contains("sending"), "{busy}");
    let later = at(13) + chrono::Duration::seconds(120);
    dest.move_into(&back, later).expect("move back");
    assert_eq!(facts(&back, &key), now);
    assert!(matches!(
        dest.enqueue(&job(JobKind::Order, 10, 100), later),
        Err(StoreError::Moved { .. })
    ));

    // And once more onto the server: its old, moved-away tables are emptied first (never a live queue's).
    assert!(
        back.discard_moved().is_err(),
        "a live queue is never emptied"
    );
    dest.discard_moved().expect("empty the moved-away tables");
    assert_eq!(dest.audit_count().expect("audit"), 0);
    back.move_into(&dest, later).expect("move again");
    assert_eq!(facts(&dest, &key), now);
}

#[test]
fn a_queue_moves_to_mariadb_and_back_without_losing_or_resending() {
    round_trip(Backend::MySql);
}

#[test]
fn a_queue_moves_to_postgres_and_back_without_losing_or_resending() {
    round_trip(Backend::Postgres);
}

#[test]
fn a_move_into_a_queue_that_holds_jobs_is_refused_and_the_source_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Store::open(dir.path().join("a.sqlite")).expect("a");
    let b = Store::open_with(dir.path().join("b.sqlite"), &StoreOptions::default()).expect("b");
    a.enqueue(&job(JobKind::Order, 1, 1), t0()).expect("a");
    b.enqueue(&job(JobKind::Order, 2, 1), t0()).expect("b");
    let err = a.move_into(&b, at(1)).expect_err("not empty");
    assert!(err.to_string().contains("already holds a queue"), "{err}");
    a.enqueue(&job(JobKind::Order, 3, 1), at(2))
        .expect("the source was not marked moved");
}
