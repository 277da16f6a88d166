//! Issue #16: migration 0009 stores the history tables' times as integers and hashes as bytes. A queue written by
//! schema 8 keeps every job, lease, dependency, audit row and id map row through it, to the microsecond; the
//! rebuilt tables keep their guards (foreign keys, append-only audit).

mod store_support;

use chrono::{DateTime, Utc};
use ml_connector::store::{self, AuditQuery, Books, DocKind, JobId, JobState, Store};

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("literal")
        .with_timezone(&Utc)
}

/// A schema-8 file: what a build before this migration left behind.
fn version_8_queue(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    for m in store::migrations().iter().filter(|m| m.version <= 8) {
        conn.execute_batch(m.sql).expect("old migration");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, '2026-05-01T10:00:00.000000Z')",
            rusqlite::params![m.version, m.name],
        )
        .expect("record");
    }
    conn.pragma_update(None, "user_version", 8)
        .expect("version");
    let job = |id: i64, state: &str, lease: Option<&str>, dep: Option<i64>| {
        conn.execute(
            "INSERT INTO jobs (id, source, store_id, kind, woo_id, revision, payload_hash, state, attempts, \
             next_attempt_at, lease_owner, lease_expires_at, depends_on_job, created_at, updated_at) \
             VALUES (?1, 'hook', 'default', 'order', ?1, 1, ?2, ?3, 1, '2026-05-01T10:00:00.000001Z', ?4, ?5, ?6, \
             '2026-05-01T09:59:59.999999Z', '2026-05-01T10:00:01.500000Z')",
            rusqlite::params![
                id,
                format!("{:064x}", id + 0xabc),
                state,
                lease.map(|_| "old-worker"),
                lease,
                dep
            ],
        )
        .expect("old job");
        conn.execute(
            "INSERT INTO job_payloads (job_id, payload) VALUES (?1, ?2)",
            rusqlite::params![id, format!(r#"{{"id":{id}}}"#)],
        )
        .expect("old payload");
    };
    job(1, "done", None, None);
    job(2, "running", Some("2026-05-01T10:05:00.250000Z"), Some(1));
    job(3, "pending", None, Some(2));
    conn.execute(
        "INSERT INTO audit (at, job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms, \
         visma_number, error) VALUES ('2026-05-01T10:00:02.123456Z', 1, 'default', 'order', 1, 'posted', \
         'customerinvoice.create', 201, 12, '100001', NULL)",
        [],
    )
    .expect("old audit");
    conn.execute(
        "INSERT INTO id_map (store_id, company, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, \
         posted_at) VALUES ('default', 'c1', 'order', 1, '100001', 'woo:default:1', ?1, 1, \
         '2026-05-01T10:00:02.123456Z')",
        rusqlite::params![format!("{:064x}", 1 + 0xabc)],
    )
    .expect("old mapping");
}

#[test]
fn a_version_8_queue_keeps_every_time_hash_and_row_through_the_compaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    version_8_queue(&path);
    let s = Store::open(&path).expect("migrates");
    assert_eq!(s.user_version().expect("version"), store::schema_version());
    let running = s.get(JobId::new(2)).expect("get").expect("kept");
    assert_eq!(running.state, JobState::Running);
    assert_eq!(
        running.lease_expires_at,
        Some(time("2026-05-01T10:05:00.250000Z"))
    );
    assert_eq!(running.next_attempt_at, time("2026-05-01T10:00:00.000001Z"));
    assert_eq!(running.created_at, time("2026-05-01T09:59:59.999999Z"));
    assert_eq!(running.updated_at, time("2026-05-01T10:00:01.500000Z"));
    assert_eq!(running.payload_hash, format!("{:064x}", 2 + 0xabc));
    assert_eq!(running.payload, r#"{"id":2}"#);
    assert!(matches!(
        running.depends_on,
        Some(store::Dependency::Job(id)) if id == JobId::new(1)
    ));
    let audit = s.audit_entries(&AuditQuery::default()).expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].at, time("2026-05-01T10:00:02.123456Z"));
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].http_status,
            audit[0].duration_ms
        ),
        ("posted", Some(201), Some(12))
    );
    let mapped = s
        .lookup_mapping(&Books::new("default", "c1"), DocKind::Order, 1)
        .expect("lookup")
        .expect("kept");
    assert_eq!(mapped.mapping.payload_hash, format!("{:064x}", 1 + 0xabc));
    assert_eq!(
        mapped.mapping.posted_at,
        time("2026-05-01T10:00:02.123456Z")
    );
    // The old lease ran out at 10:05: the job is taken over, and job 3 waits for it.
    let later = time("2026-05-01T10:06:00Z");
    assert_eq!(s.stalled_count(later).expect("stalled"), 1);
    let claimed = s
        .claim("w2", later, std::time::Duration::from_secs(60), 5)
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        [JobId::new(2)]
    );
}

#[test]
fn the_rebuilt_tables_keep_their_guards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    version_8_queue(&path);
    let s = Store::open(&path).expect("migrates");
    assert_eq!(s.pragma("foreign_keys").expect("pragma"), "1");
    drop(s);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("fk on");
    // The audit is still append-only.
    assert!(conn.execute("UPDATE audit SET action = 'x'", []).is_err());
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    // A row cannot point at a job that does not exist, and a hash must be 32 bytes.
    assert!(conn
        .execute(
            "INSERT INTO job_payloads (job_id, payload) VALUES (99, X'00')",
            []
        )
        .is_err());
    assert!(conn
        .execute("UPDATE jobs SET payload_hash = X'0102' WHERE id = 1", [])
        .is_err());
}
