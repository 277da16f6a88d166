//! Opening the store: migrations on `:memory:`, pragmas read back, refusing a newer schema, corrupt files and a
//! full disk giving clear, non-retryable errors without losing committed jobs.

mod store_support;

use ml_connector::store::{self, JobKind, JobState, Store, StoreError, StoreOptions};
use store_support::{job, t0};

#[test]
fn each_migration_applies_in_order_on_memory() {
    let conn = rusqlite::Connection::open_in_memory().expect("memory db");
    for m in store::migrations() {
        conn.execute_batch(m.sql)
            .unwrap_or_else(|e| panic!("migration {} failed: {e}", m.name));
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    assert_eq!(
        tables,
        [
            "audit",
            "credentials",
            "cursors",
            "customer_claims",
            "customer_index",
            "id_map",
            "job_payloads",
            "jobs",
            "names",
            "notes",
            "queue_flags",
            "schema_migrations"
        ]
    );
}

#[test]
fn open_in_memory_reaches_the_latest_schema_version() {
    let s = Store::open_in_memory().expect("open");
    assert_eq!(s.user_version().expect("version"), store::schema_version());
    assert_eq!(s.pragma("foreign_keys").expect("pragma"), "1");
    assert_eq!(s.pragma("journal_mode").expect("pragma"), "memory");
    assert_eq!(s.pragma("synchronous").expect("pragma"), "1");
}

#[test]
fn file_store_sets_and_reads_back_its_pragmas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path().join("q.sqlite")).expect("open");
    assert_eq!(s.pragma("journal_mode").expect("pragma"), "wal");
    // The limit is set and read back at open, then enforced by the store's own busy handler (finer pauses than
    // SQLite's), which replaces the pragma's: it reads 0 afterwards.
    assert_eq!(s.busy_wait(), std::time::Duration::from_secs(5));
    assert_eq!(s.pragma("foreign_keys").expect("pragma"), "1");
    assert_eq!(s.pragma("synchronous").expect("pragma"), "1");
    assert_eq!(s.pragma("wal_autocheckpoint").expect("pragma"), "10000");
    assert_eq!(s.pragma("cache_size").expect("pragma"), "-1024");
    assert_eq!(s.user_version().expect("version"), store::schema_version());
}

#[test]
fn a_write_waits_for_another_connections_lock_then_fails_busy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let options = StoreOptions {
        busy_timeout: std::time::Duration::from_millis(300),
        ..StoreOptions::default()
    };
    let s = Store::open_with(&path, &options).expect("open");
    let other = rusqlite::Connection::open(&path).expect("second connection");
    // Held briefly: the enqueue waits for it and succeeds.
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(40));
        other.execute_batch("COMMIT").expect("unlock");
        other
    });
    s.enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("waited for the lock");
    let other = release.join().expect("releaser");
    // Held past the limit: a clear, retryable Busy, and nothing half-written.
    other.execute_batch("BEGIN IMMEDIATE").expect("lock again");
    match s.enqueue(&job(JobKind::Order, 2, 1), t0()) {
        Err(e @ StoreError::Busy { .. }) => assert!(e.is_retryable(), "{e}"),
        other => panic!("expected Busy, got {other:?}"),
    }
    other.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(s.counts_by_state().expect("counts").pending, 1);
}

#[test]
fn checkpoint_copies_the_wal_into_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let s = Store::open(&path).expect("open");
    let before = std::fs::metadata(&path).expect("db file").len();
    for id in 1..=50 {
        s.enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    // With the raised auto-checkpoint nothing has reached the database file yet; the checkpoint copies it all.
    assert_eq!(std::fs::metadata(&path).expect("db file").len(), before);
    assert_eq!(s.checkpoint().expect("checkpoint"), 0);
    assert!(std::fs::metadata(&path).expect("db file").len() > before);
}

#[test]
fn reopening_keeps_rows_and_does_not_migrate_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let id = Store::open(&path)
        .expect("open")
        .enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("enqueue")
        .job_id();
    let s = Store::open(&path).expect("reopen");
    assert_eq!(
        s.get(id).expect("get").map(|j| j.state),
        Some(JobState::Pending)
    );
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let applied: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        applied,
        i64::try_from(store::migrations().len()).expect("small")
    );
}

/// Issue #8: a queue written by a build before migration 0005 (payload inside the jobs row) keeps every job and
/// its payload, and the lean schema works on it: the claim still walks the (now partial) claim index.
#[test]
fn a_version_4_queue_keeps_its_payloads_through_the_payload_and_index_migrations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    for m in store::migrations().iter().filter(|m| m.version <= 4) {
        conn.execute_batch(m.sql).expect("old migration");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, '2026-05-01T10:00:00Z')",
            rusqlite::params![m.version, m.name],
        )
        .expect("record");
    }
    conn.pragma_update(None, "user_version", 4)
        .expect("version");
    for (id, state) in [(1, "pending"), (2, "done"), (3, "failed")] {
        conn.execute(
            "INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload, payload_hash, state, attempts, \
             next_attempt_at, created_at, updated_at) VALUES ('hook', 'default', 'order', ?1, 1, ?2, ?3, ?4, 0, \
             '2026-05-01T10:00:00.000000Z', '2026-05-01T10:00:00.000000Z', '2026-05-01T10:00:00.000000Z')",
            rusqlite::params![
                id,
                format!(r#"{{"id":{id},"note":"written by schema 4"}}"#),
                format!("{id:064}"),
                state
            ],
        )
        .expect("old job");
    }
    drop(conn);
    let s = Store::open(&path).expect("migrates");
    assert_eq!(s.user_version().expect("version"), store::schema_version());
    for id in 1..=3 {
        let job = s
            .get(ml_connector::store::JobId::new(id))
            .expect("get")
            .expect("kept");
        assert_eq!(
            job.payload,
            format!(r#"{{"id":{id},"note":"written by schema 4"}}"#)
        );
    }
    let counts = s.counts_by_state().expect("counts");
    assert_eq!((counts.pending, counts.done, counts.failed), (1, 1, 1));
    let claimed = s
        .claim("w1", t0(), std::time::Duration::from_secs(60), 5)
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].job.payload,
        r#"{"id":1,"note":"written by schema 4"}"#
    );
    assert_eq!(s.replay_failed(None, t0()).expect("replay").len(), 1);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    drop(Store::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", 999)
        .expect("set version");
    drop(conn);
    match Store::open(&path) {
        Err(StoreError::TooNew {
            found: 999,
            supported,
        }) => assert_eq!(supported, store::schema_version()),
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn a_garbage_file_is_reported_as_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    std::fs::write(&path, vec![0x5a_u8; 8192]).expect("write garbage");
    let err = Store::open(&path).expect_err("garbage must not open");
    assert!(matches!(err, StoreError::Corrupt { .. }), "got {err:?}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn damaged_pages_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    {
        let s = Store::open(&path).expect("open");
        for id in 0..200 {
            s.enqueue(&job(JobKind::Order, id, 1), t0())
                .expect("enqueue");
        }
        // Move everything from the WAL into the main file, then close.
        s.pragma("wal_checkpoint").expect("checkpoint");
    }
    let mut bytes = std::fs::read(&path).expect("read db");
    assert!(bytes.len() > 4096 * 4, "db too small: {}", bytes.len());
    // Overwrite pages 2.. with garbage, leaving the header page intact.
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xa5;
    }
    std::fs::write(&path, &bytes).expect("write damaged db");
    let outcome = Store::open(&path).and_then(|s| {
        s.check_integrity()?;
        s.counts_by_state()
    });
    match outcome {
        Err(err @ StoreError::Corrupt { .. }) => assert!(!err.is_retryable()),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_keeps_committed_jobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let base_pages = {
        let s = Store::open(&path).expect("open");
        s.page_count().expect("pages")
    };
    let options = StoreOptions {
        max_page_count: Some(u32::try_from(base_pages + 8).expect("small")),
        ..Default::default()
    };
    let s = Store::open_with(&path, &options).expect("open capped");
    let big = "x".repeat(3000);
    let mut stored = Vec::new();
    let err = loop {
        let mut j = job(
            JobKind::Order,
            u64::try_from(stored.len()).expect("small"),
            1,
        );
        j.payload = format!(r#"{{"id":{},"note":"{big}"}}"#, stored.len());
        match s.enqueue(&j, t0()) {
            Ok(outcome) => stored.push((outcome.job_id(), j.payload)),
            Err(e) => break e,
        }
        assert!(stored.len() < 1000, "the page cap never triggered");
    };
    assert!(matches!(err, StoreError::Full { .. }), "got {err:?}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("full"), "{err}");
    assert!(!stored.is_empty());
    drop(s);
    let s = Store::open(&path).expect("reopen uncapped");
    assert_eq!(
        s.counts_by_state().expect("counts").pending,
        u64::try_from(stored.len()).expect("small")
    );
    for (id, payload) in &stored {
        assert_eq!(
            s.get(*id).expect("get").map(|j| j.payload).as_deref(),
            Some(payload.as_str())
        );
    }
    s.check_integrity().expect("still intact");
}

#[cfg(unix)]
#[test]
fn a_new_database_and_its_wal_are_readable_by_their_owner_only() {
    // Issue #15: the queue holds customers' names, addresses and e-mails.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("queue.sqlite");
    let store = ml_connector::store::Store::open(&db).expect("open");
    store.counts_by_state().expect("a read");
    for name in ["queue.sqlite", "queue.sqlite-wal"] {
        let path = dir.path().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        } else {
            assert_eq!(name, "queue.sqlite-wal", "the database exists");
        }
    }
}
