//! Issue #16: migration 0003 (compact history) on a queue written by schema 2, against a real server: times to
//! the microsecond, hashes to their bytes, the audit still append-only, and the whole file run a second time (as
//! after a crash half-way: MySQL commits DDL as it goes) changes nothing.

use super::tests::Scratch;
use super::*;

const OLD: [&str; 2] = [
    include_str!("../../migrations/mysql/0001_init.sql"),
    include_str!("../../migrations/mysql/0002_compressed_payloads.sql"),
];
const COMPACT: &str = include_str!("../../migrations/mysql/0003_compact_history.sql");
const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// 2026-05-01T10:00:00Z in microseconds.
const TEN_AM: i64 = 1_777_629_600_000_000;

fn text(s: &str) -> Val {
    Val::Text(s.into())
}

fn row<T>(db: &MySqlDb, sql: &str, read: impl Fn(&Row) -> Result<T, DbError>) -> T {
    let mut out = None;
    db.query(sql, &[], &mut |r| {
        out = Some(read(&r)?);
        Ok(())
    })
    .expect("query");
    out.expect("a row")
}

#[test]
fn a_schema_2_queue_keeps_its_times_and_hashes_and_the_migration_runs_again() {
    let Some(s) = Scratch::new() else { return };
    for sql in OLD {
        s.db.batch(sql).expect("old migration");
    }
    let job = s
        .db
        .insert(
            "INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload_hash, state, next_attempt_at, \
             lease_owner, lease_expires_at, created_at, updated_at) VALUES ('hook', 's1', 'order', 7, 1, ?1, \
             'running', ?2, 'w1', ?3, ?4, ?4)",
            &[
                text(HASH),
                text("2026-05-01T10:00:00.000001Z"),
                text("2026-05-01T10:05:00.250000Z"),
                text("2026-05-01T09:59:59.999999Z"),
            ],
        )
        .expect("old job");
    s.db.exec(
        "INSERT INTO audit (at, job_id, store_id, woo_kind, woo_id, action) \
         VALUES ('2026-05-01T10:00:02.123456Z', ?1, 's1', 'order', 7, 'claimed')",
        &[Val::Int(job)],
    )
    .expect("old audit");
    s.db.exec(
        "INSERT INTO id_map (store_id, company, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, \
         posted_at) VALUES ('s1', 'c1', 'order', 7, '100001', 'woo:s1:7', ?1, ?2, '2026-05-01T10:00:02.123456Z')",
        &[text(HASH), Val::Int(job)],
    )
    .expect("old mapping");
    for run in ["first", "second"] {
        s.db.batch(COMPACT)
            .unwrap_or_else(|e| panic!("{run} run: {e}"));
        let times = row(
            &s.db,
            "SELECT next_attempt_at, lease_expires_at, created_at, updated_at FROM jobs",
            |r| {
                Ok((
                    r.get::<i64>(0)?,
                    r.get::<i64>(1)?,
                    r.get::<i64>(2)?,
                    r.get::<i64>(3)?,
                ))
            },
        );
        assert_eq!(
            times,
            (TEN_AM + 1, TEN_AM + 300_250_000, TEN_AM - 1, TEN_AM - 1),
            "{run} run"
        );
        let hashes = row(
            &s.db,
            "SELECT jobs.payload_hash, id_map.payload_hash, id_map.posted_at, audit.at, s.name, c.name FROM jobs \
             JOIN id_map ON id_map.job_id = jobs.id JOIN audit ON audit.job_id = jobs.id \
             JOIN names s ON s.id = id_map.store_ref JOIN names c ON c.id = id_map.company_ref",
            |r| {
                Ok((
                    (r.get::<Vec<u8>>(0)?, r.get::<Vec<u8>>(1)?),
                    (r.get::<i64>(2)?, r.get::<i64>(3)?),
                    (r.get::<String>(4)?, r.get::<String>(5)?),
                ))
            },
        );
        let bytes = hex::decode(HASH).expect("hex");
        assert_eq!(
            hashes,
            (
                (bytes.clone(), bytes),
                (TEN_AM + 2_123_456, TEN_AM + 2_123_456),
                ("s1".to_string(), "c1".to_string())
            ),
            "{run} run"
        );
    }
    assert!(
        s.db.exec("UPDATE audit SET action = 'x'", &[]).is_err(),
        "the audit is still append-only"
    );
}
