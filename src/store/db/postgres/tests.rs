//! The PostgreSQL room against a real server: each test makes a database of its own on
//! `ML_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and drops it at the end. Without
//! the variable and without a server there, the server tests say so and pass; with the variable set they fail.

use super::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const MIGRATION: &str = include_str!("../../migrations/postgres/0001_init.sql");
const TS: &str = "2026-05-01T10:00:00.000000Z";

/// A database for one test, dropped when the test ends.
pub(super) struct Scratch {
    admin: Client,
    name: String,
    url: String,
}

impl Scratch {
    pub(super) fn new() -> Option<Self> {
        let (base, required) = match std::env::var("ML_TEST_POSTGRES_URL") {
            Ok(url) => (url, true),
            Err(_) => (
                "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
                false,
            ),
        };
        let mut admin = match Client::connect(&base, NoTls) {
            Ok(c) => c,
            Err(e) if !required && failure(&e) == Failure::Connection => {
                eprintln!("skipped: no PostgreSQL at {} ({e})", redact_url(&base));
                return None;
            }
            Err(e) => panic!("cannot connect to {}: {e:?}", redact_url(&base)),
        };
        static RUN: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "mlc_room_test_{}_{nanos}_{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let url = with_database(&base, &name);
        Some(Self { admin, name, url })
    }

    pub(super) fn room(&self, prefix: &str) -> PostgresDb {
        PostgresDb::connect(&self.url, prefix, Duration::from_millis(200)).expect("connect")
    }

    /// A room with prefix `t_` on a migrated database.
    fn migrated(&self) -> PostgresDb {
        let db = self.room("t_");
        db.batch(MIGRATION).expect("the migration runs");
        db
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `url` pointing at database `name`.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let authority = head
        .rfind('@')
        .or_else(|| head.find("://").map(|i| i + 3))
        .unwrap_or(0);
    let path = head[authority..]
        .find('/')
        .map_or(head.len(), |i| authority + i);
    let mut out = format!("{}/{name}", &head[..path]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn text(s: &str) -> Val {
    Val::Text(s.to_string())
}

fn count(db: &PostgresDb, sql: &str) -> i64 {
    db.first(sql, &[]).expect(sql).get(0).expect("a count")
}

/// The server's message, or the error's own text when the server sent none.
fn message(e: &DbError) -> String {
    match e {
        DbError::Postgres(pe) => pe
            .as_db_error()
            .map_or_else(|| format!("{pe:?}"), |d| d.message().to_string()),
        other => other.to_string(),
    }
}

#[test]
fn table_names_are_prefixed_as_whole_words_and_placeholders_numbered() {
    let sql = "SELECT jobs.id, j.jobs_x, 'jobs' FROM jobs JOIN job_payloads p ON p.job_id = jobs.id \
               WHERE jobs_due = ?2 AND \"notes\" = ?1 OR audit.at <= ?2 OR x = ? AND schema_migrations";
    assert_eq!(
        translate(sql, "t_"),
        "SELECT t_jobs.id, j.jobs_x, 'jobs' FROM t_jobs JOIN t_job_payloads p ON p.job_id = t_jobs.id \
         WHERE jobs_due = $2 AND \"notes\" = $1 OR t_audit.at <= $2 OR x = $4 AND t_schema_migrations"
    );
}

#[test]
fn prefixes_that_are_not_plain_words_are_refused() {
    assert!(check_prefix("mlc_").is_ok());
    assert!(check_prefix("").is_ok());
    for bad in ["a;DROP TABLE x;", "x'", "1a_", "a b", "ä_", &"a".repeat(41)] {
        assert!(check_prefix(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_migration_runs_and_the_version_follows_schema_migrations() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.room("t_");
    assert_eq!(db.schema_version().expect("version"), 0);
    db.begin().expect("begin");
    assert_eq!(db.schema_version().expect("version in a transaction"), 0);
    db.batch(MIGRATION).expect("the migration runs");
    db.exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        &[Val::Int(1), text("0001_init"), text(TS)],
    )
    .expect("record the migration");
    db.set_schema_version(1).expect("a no-op");
    db.commit().expect("commit");
    assert_eq!(db.schema_version().expect("version"), 1);
    let tables =
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'";
    assert_eq!(count(&db, tables), 11);

    let id = db
        .insert(
            "INSERT INTO audit (at, action) VALUES (?1, ?2)",
            &[text(TS), text("enqueued")],
        )
        .expect("audit insert");
    let e = db
        .exec(
            "UPDATE audit SET action = ?1 WHERE id = ?2",
            &[text("x"), Val::Int(id)],
        )
        .expect_err("audit rows are append-only");
    assert!(message(&e).contains("append-only"), "{}", message(&e));
    let e = db
        .exec("DELETE FROM audit WHERE id = ?1", &[Val::Int(id)])
        .expect_err("audit rows are append-only");
    assert!(message(&e).contains("append-only"), "{}", message(&e));

    // Another process migrating holds this lock; the store's migrate() waits on it.
    db.lock_migrations().expect("lock");
    let other = pg.room("t_");
    let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted";
    assert_eq!(count(&other, held), 1);
    db.unlock_migrations().expect("unlock");
    assert_eq!(count(&other, held), 0);
}

#[test]
fn inserts_return_increasing_ids() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    let sql = "INSERT INTO audit (at, action) VALUES (?1, ?2);";
    let a = db
        .insert(sql, &[text(TS), text("enqueued")])
        .expect("first");
    let b = db
        .insert(sql, &[text(TS), text("claimed")])
        .expect("second");
    assert!(a >= 1 && b > a, "{a} then {b}");
}

#[test]
fn numbered_placeholders_bind_by_number_not_position() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    let row = db
        .first(
            "SELECT CAST(?2 AS TEXT), CAST(?1 AS BIGINT), CAST(?2 AS TEXT) || '!'",
            &[Val::Int(7), text("b")],
        )
        .expect("query");
    assert_eq!(row.get::<String>(0).expect("?2"), "b");
    assert_eq!(row.get::<i64>(1).expect("?1"), 7);
    assert_eq!(row.get::<String>(2).expect("?2 again"), "b!");

    db.exec(
        "INSERT INTO cursors (store_id, name, value, updated_at) VALUES (?2, ?1, ?1, ?3)",
        &[text("poll.orders"), text("shop-1"), text(TS)],
    )
    .expect("insert");
    let d: &dyn Db = &db;
    let found = d
        .row(
            "SELECT store_id, name, value FROM cursors WHERE name = ?2 AND store_id = ?1 AND value = ?2",
            &[text("shop-1"), text("poll.orders")],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?)),
        )
        .expect("the row");
    assert_eq!(
        found,
        ("shop-1".into(), "poll.orders".into(), "poll.orders".into())
    );
}

#[test]
fn nulls_text_and_blobs_round_trip() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    let nonce: Vec<u8> = [0u8, 255, 10, 13, 39, 92]
        .into_iter()
        .cycle()
        .take(24)
        .collect();
    db.exec(
        "INSERT INTO credentials (name, nonce, ciphertext, key_fingerprint, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            text("visma"),
            Val::Blob(nonce.clone()),
            Val::Blob(Vec::new()),
            text("fp"),
            text(TS),
        ],
    )
    .expect("insert");
    let row = db
        .first(
            "SELECT nonce, ciphertext FROM credentials WHERE name = ?1",
            &[text("visma")],
        )
        .expect("read");
    assert_eq!(row.get::<Vec<u8>>(0).expect("nonce"), nonce);
    assert_eq!(row.get::<Vec<u8>>(1).expect("ciphertext"), Vec::<u8>::new());

    let id = db
        .insert(
            "INSERT INTO audit (at, action, job_id, http_status, error) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[text(TS), text("failed"), Val::Null, Val::Null, text("Ünïcode ✓ 'quoted'")],
        )
        .expect("insert");
    let row = db
        .first(
            "SELECT job_id, http_status, error, endpoint FROM audit WHERE id = ?1",
            &[Val::Int(id)],
        )
        .expect("read");
    assert_eq!(row.get::<Option<i64>>(0).expect("job_id"), None);
    assert_eq!(row.get::<Option<i64>>(1).expect("http_status"), None);
    assert_eq!(row.get::<String>(2).expect("error"), "Ünïcode ✓ 'quoted'");
    assert_eq!(row.get::<Option<String>>(3).expect("endpoint"), None);
}

#[test]
fn rollback_discards_and_commit_keeps() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    let add = "INSERT INTO cursors (store_id, name, value, updated_at) VALUES (?1, ?2, ?3, ?4)";
    db.rollback().expect("a rollback with nothing open is fine");
    db.begin().expect("begin");
    db.exec(add, &[text("s"), text("a"), text("1"), text(TS)])
        .expect("insert");
    db.rollback().expect("rollback");
    assert_eq!(count(&db, "SELECT count(*) FROM cursors"), 0);
    db.begin().expect("begin");
    db.exec(add, &[text("s"), text("b"), text("1"), text(TS)])
        .expect("insert");
    db.commit().expect("commit");
    assert_eq!(count(&db, "SELECT count(*) FROM cursors"), 1);

    // A failed statement aborts a PostgreSQL transaction; COMMIT must then fail, not roll back in silence.
    db.begin().expect("begin");
    db.exec(add, &[text("s"), text("c"), text("1"), text(TS)])
        .expect("insert");
    db.exec(add, &[text("s"), text("b"), text("2"), text(TS)])
        .expect_err("a clash");
    assert!(db.commit().is_err());
    assert_eq!(count(&db, "SELECT count(*) FROM cursors"), 1);
}

#[test]
fn a_held_lock_is_refused_to_another_connection_until_commit() {
    let Some(pg) = Scratch::new() else { return };
    let first = pg.migrated();
    let second = pg.room("t_");
    let other_shop = pg.room("u_");
    first.begin().expect("begin");
    assert!(first.try_lock("customer:a@example.com").expect("lock"));
    second.begin().expect("begin");
    assert!(!second.try_lock("customer:a@example.com").expect("try"));
    assert!(second
        .try_lock("customer:b@example.com")
        .expect("another key"));
    second.rollback().expect("rollback");
    other_shop.begin().expect("begin");
    assert!(other_shop
        .try_lock("customer:a@example.com")
        .expect("another prefix"));
    other_shop.rollback().expect("rollback");
    first.commit().expect("commit");
    second.begin().expect("begin");
    assert!(second
        .try_lock("customer:a@example.com")
        .expect("free again"));
    second.commit().expect("commit");
}

#[test]
fn errors_are_classified_and_carry_no_values() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    let add = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";
    db.exec(add, &[Val::Int(1), text("0001_init"), text(TS)])
        .expect("first");
    let e = db
        .exec(add, &[Val::Int(1), text("0001_init"), text(TS)])
        .expect_err("a clash");
    assert_eq!(e.failure(), Failure::Unique);

    // A row lock held longer than the lock wait (200 ms) is Busy, to be retried.
    let other = pg.room("t_");
    let touch = "UPDATE schema_migrations SET name = ?1 WHERE version = ?2";
    db.begin().expect("begin");
    db.exec(touch, &[text("a"), Val::Int(1)])
        .expect("lock the row");
    let e = other
        .exec(touch, &[text("b"), Val::Int(1)])
        .expect_err("lock timeout");
    assert_eq!(e.failure(), Failure::Busy, "{}", message(&e));
    db.rollback().expect("rollback");

    // Values of the wrong type or size are errors naming types, never the value, and never a panic.
    let e = db
        .first("SELECT CAST(?1 AS BIGINT)", &[text("secret-42")])
        .expect_err("text for bigint");
    assert!(!format!("{e} {e:?}").contains("secret-42"));
    assert_eq!(e.failure(), Failure::Other);
    db.first("SELECT CAST(?1 AS INTEGER)", &[Val::Int(1 << 40)])
        .expect_err("too large for int4");
    db.first("SELECT CAST(?1 AS BOOLEAN)", &[Val::Int(2)])
        .expect_err("not 0 or 1");
    let e = db
        .first("SELECT sum(version) FROM schema_migrations", &[])
        .expect_err("numeric");
    assert!(
        matches!(e, DbError::Setup(ref m) if m.contains("numeric")),
        "{e}"
    );
}

#[test]
fn describe_hides_the_password() {
    let Some(pg) = Scratch::new() else { return };
    // Trust authentication ignores a password; a configured one is kept.
    let (url, secret) = match pg
        .url
        .split_once("://")
        .and_then(|(_, r)| r.rsplit_once('@'))
    {
        Some((auth, _)) if auth.contains(':') => {
            let secret = auth
                .split_once(':')
                .map(|(_, p)| p.to_string())
                .unwrap_or_default();
            (pg.url.clone(), secret)
        }
        _ => (
            pg.url.replacen("postgres@", "postgres:hunter2@", 1),
            "hunter2".to_string(),
        ),
    };
    let db = PostgresDb::connect(&url, "t_", Duration::from_secs(1)).expect("connect");
    assert!(!db.describe().contains(&secret), "{}", db.describe());
    assert!(db.describe().contains(&pg.name), "{}", db.describe());
}

#[test]
fn a_dropped_connection_is_opened_again_outside_a_transaction() {
    let Some(pg) = Scratch::new() else { return };
    let db = pg.migrated();
    // Another lock wait is another pool: the killer never borrows the connection it kills.
    let killer = PostgresDb::connect(&pg.url, "t_", Duration::from_millis(201)).expect("connect");
    let kill = |db: &PostgresDb| {
        let pid: i64 = db
            .first("SELECT pg_backend_pid()", &[])
            .expect("pid")
            .get(0)
            .expect("pid");
        let done: bool = killer
            .first(
                "SELECT pg_terminate_backend(CAST(?1 AS INTEGER), 5000)",
                &[Val::Int(pid)],
            )
            .expect("terminate")
            .get(0)
            .expect("bool");
        assert!(done);
    };
    kill(&db);
    let e = db
        .first("SELECT 1", &[])
        .expect_err("the connection is gone");
    assert_eq!(e.failure(), Failure::Connection, "{e:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM jobs"), 0);

    // Inside a transaction the loss is reported until the rollback.
    db.begin().expect("begin");
    kill(&db);
    let e = db.first("SELECT 1", &[]).expect_err("gone");
    assert_eq!(e.failure(), Failure::Connection, "{e:?}");
    let e = db
        .first("SELECT 1", &[])
        .expect_err("still gone inside the transaction");
    assert_eq!(e.failure(), Failure::Connection, "{e:?}");
    db.rollback().expect("the server already rolled back");
    assert_eq!(count(&db, "SELECT count(*) FROM jobs"), 0);
}

#[test]
fn a_refused_connection_is_a_connection_failure() {
    // Port 1 on the loopback refuses at once; the store waits and tries again on Connection.
    let e = PostgresDb::connect(
        "postgres://postgres:pw@127.0.0.1:1/x",
        "t_",
        Duration::from_secs(1),
    )
    .err()
    .expect("nothing listens on port 1");
    assert_eq!(e.failure(), Failure::Connection, "{e:?}");
    assert!(!format!("{e} {e:?}").contains("pw@"));
    let e = PostgresDb::connect("mysql://root@127.0.0.1/x", "t_", Duration::from_secs(1)).err();
    assert!(matches!(e, Some(DbError::Setup(_))));
}

#[test]
fn stores_share_the_process_pool_and_wait_for_a_connection() {
    let Some(pg) = Scratch::new() else { return };
    pg.migrated();
    let url = format!(
        "{}{}pool_size=2",
        pg.url,
        if pg.url.contains('?') { '&' } else { '?' }
    );
    // Thirty stores (prefixes) on one server hold at most two connections between them.
    let rooms: Vec<PostgresDb> = (0..30)
        .map(|i| {
            let db = PostgresDb::connect(&url, &format!("p{i}_"), Duration::from_millis(300))
                .expect("connect");
            db.batch(MIGRATION).expect("migrate");
            db
        })
        .collect();
    let first = rooms.first().expect("rooms");
    assert!(first.pool_open_count() <= 2, "{}", first.pool_open_count());
    // A transaction keeps its connection; a second one takes the other; a third waits and is told it is busy.
    let (a, b, c) = (&rooms[0], &rooms[1], &rooms[2]);
    a.begin().expect("a");
    b.begin().expect("b");
    let e = c.first("SELECT 1", &[]).expect_err("no connection is free");
    assert!(matches!(e, DbError::PoolExhausted(2)), "{e:?}");
    assert_eq!(e.failure(), Failure::Busy);
    a.commit().expect("commit");
    assert_eq!(
        c.first("SELECT 1", &[])
            .and_then(|r| r.get::<i64>(0))
            .expect("free again"),
        1
    );
    b.rollback().expect("rollback");
    assert_eq!(first.pool_open_count(), 2);
    // A bad size is refused.
    let bad = format!(
        "{}{}pool_size=0",
        pg.url,
        if pg.url.contains('?') { '&' } else { '?' }
    );
    assert!(matches!(
        PostgresDb::connect(&bad, "t_", Duration::from_millis(300)),
        Err(DbError::Setup(_))
    ));
}

#[test]
fn a_store_dropped_inside_a_transaction_leaves_nothing_behind() {
    let Some(pg) = Scratch::new() else { return };
    let keeper = pg.migrated();
    {
        let db = pg.room("t_");
        db.begin().expect("begin");
        db.exec(
            "INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3)",
            &[text("left"), text("open"), text(TS)],
        )
        .expect("insert");
    }
    // The pooled connection came back rolled back: the next store sees no open transaction's row.
    assert_eq!(
        count(
            &keeper,
            "SELECT count(*) FROM queue_flags WHERE name = 'left'"
        ),
        0
    );
    keeper.begin().expect("a fresh transaction");
    keeper.rollback().expect("rollback");
}
