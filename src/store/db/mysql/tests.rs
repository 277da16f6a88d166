//! The MariaDB/MySQL room against a real server: each test uses fresh tables (prefix `t<pid>_<nanos>_<n>_`) on
//! `ML_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`) and drops them at the end. Without the
//! variable and without a server there, the server tests say so and pass; with the variable set they fail.

use super::config::{check_version, wordpress_host};
use super::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const MIGRATION: &str = include_str!("../../migrations/mysql/0001_init.sql");
const TS: &str = "2026-05-01T10:00:00.000000Z";
const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Fresh tables for one test, dropped when the test ends.
pub(super) struct Scratch {
    config: MySqlConfig,
    pub(super) db: MySqlDb,
}

impl Scratch {
    pub(super) fn new() -> Option<Self> {
        let (url, required) = match std::env::var("ML_TEST_MYSQL_URL") {
            Ok(url) => (url, true),
            Err(_) => ("mysql://root@127.0.0.1:3306/test".to_string(), false),
        };
        static RUN: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut config = MySqlConfig::from_url(&url).expect("ML_TEST_MYSQL_URL is a mysql:// URL");
        config.prefix = format!(
            "t{}_{nanos}_{}_",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        );
        match MySqlDb::connect(&config, Duration::from_secs(1)) {
            Ok(db) => Some(Self { config, db }),
            Err(e) if !required && e.failure() == Failure::Connection => {
                eprintln!("skipped: no MariaDB/MySQL at {} ({e})", config.describe());
                None
            }
            Err(e) => panic!("cannot connect to {}: {e}", config.describe()),
        }
    }

    /// Fresh tables with the schema.
    fn migrated() -> Option<Self> {
        let s = Self::new()?;
        s.db.batch(MIGRATION).expect("the migration runs");
        Some(s)
    }

    /// A second connection to the same tables.
    fn other(&self) -> MySqlDb {
        MySqlDb::connect(&self.config, Duration::from_secs(1)).expect("second connection")
    }

    fn add_job(&self, db: &MySqlDb, woo_id: i64) -> i64 {
        db.insert(
            "INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload_hash, state, next_attempt_at, \
             created_at, updated_at) VALUES ('hook', ?1, 'order', ?2, 1, ?3, 'pending', ?4, ?4, ?4)",
            &[Val::Text("s1".into()), Val::Int(woo_id), Val::Text(HASH.into()), Val::Text(TS.into())],
        )
        .expect("insert a job")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // A failed test may have left its connection holding table or row locks that DROP TABLE would wait for.
        let _ = self.db.rollback();
        let _ = self.db.unlock_after_copy();
        let Ok(db) = MySqlDb::connect(&self.config, Duration::from_secs(1)) else {
            return;
        };
        let tables: Vec<String> = TABLES.iter().map(|t| format!("{{prefix}}{t}")).collect();
        let sql = format!(
            "SET FOREIGN_KEY_CHECKS = 0;\nDROP TABLE IF EXISTS {};",
            tables.join(", ")
        );
        if let Err(e) = db.batch(&sql) {
            eprintln!(
                "could not drop the test tables {}*: {e}",
                self.config.prefix
            );
        }
    }
}

fn int(db: &MySqlDb, sql: &str, args: &[Val]) -> i64 {
    let mut out = None;
    db.query(sql, args, &mut |r| {
        out = Some(r.get::<i64>(0)?);
        Ok(())
    })
    .expect("query");
    out.expect("a row")
}

#[test]
fn migration_runs_twice_and_schema_version_follows_its_rows() {
    let Some(s) = Scratch::new() else { return };
    assert_eq!(s.db.schema_version().expect("version"), 0);
    s.db.batch(MIGRATION).expect("the migration runs");
    // A run that died half-way is run again: every statement finds its object there.
    s.db.batch(MIGRATION).expect("the migration runs again");
    let tables = int(
        &s.db,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?1",
        &[Val::Text(format!("{}%", s.config.prefix))],
    );
    // `names` arrives with migration 0003.
    let first = TABLES.iter().filter(|t| **t != "names").count();
    assert_eq!(tables, i64::try_from(first).expect("few tables"));
    assert_eq!(s.db.schema_version().expect("version"), 0);
    s.db.lock_migrations().expect("migration lock");
    s.db.exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        &[
            Val::Int(1),
            Val::Text("0001_init".into()),
            Val::Text(TS.into()),
        ],
    )
    .expect("record the migration");
    s.db.unlock_migrations().expect("unlock");
    assert_eq!(s.db.schema_version().expect("version"), 1);
}

#[test]
fn ids_increase_and_numbered_placeholders_bind_in_any_order() {
    let Some(s) = Scratch::migrated() else { return };
    let first = s.add_job(&s.db, 7);
    let second = s.add_job(&s.db, 8);
    assert!(second > first, "{second} after {first}");
    let mut got = Vec::new();
    s.db.query(
        "SELECT ?2, jobs.woo_id, ?1, ?2 FROM jobs WHERE jobs.id = ?3",
        &[Val::Text("one".into()), Val::Int(2), Val::Int(second)],
        &mut |r| {
            got.push((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<String>(2)?,
                r.get::<i64>(3)?,
            ));
            Ok(())
        },
    )
    .expect("query");
    assert_eq!(got, vec![(2, 8, "one".to_string(), 2)]);
    let e =
        s.db.exec("SELECT ?1, ?2", &[Val::Int(1)])
            .expect_err("too few arguments");
    assert!(e.to_string().contains("?2"), "{e}");
}

#[test]
fn null_text_and_binary_values_round_trip() {
    let Some(s) = Scratch::migrated() else { return };
    let nonce: Vec<u8> = (0..24).map(|i| 0xE8 ^ i).collect();
    let cipher = vec![0xFF, 0x00, 0xC3, 0x28, 0x80];
    s.db.exec(
        "INSERT INTO credentials (name, nonce, ciphertext, key_fingerprint, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            Val::Text("visma ✓ 😀".into()),
            Val::Blob(nonce.clone()),
            Val::Blob(cipher.clone()),
            Val::Text("fp".into()),
            Val::Text(TS.into()),
        ],
    )
    .expect("insert");
    let id = s.add_job(&s.db, 9);
    let mut rows = Vec::new();
    s.db.query(
        "SELECT c.name, c.nonce, c.ciphertext, j.last_error FROM credentials c, jobs j WHERE j.id = ?1",
        &[Val::Int(id)],
        &mut |r| {
            let row = (r.get::<String>(0)?, r.get::<Vec<u8>>(1)?, r.get::<Vec<u8>>(2)?);
            rows.push((row, r.get::<Option<String>>(3)?));
            Ok(())
        },
    )
    .expect("query");
    assert_eq!(
        rows,
        vec![(("visma ✓ 😀".to_string(), nonce, cipher), None)]
    );
    // Text columns come back as text and binary ones as bytes, so a move into SQLite keeps their types.
    let mut vals = Vec::new();
    s.db.query(
        "SELECT name, nonce, ?1 FROM credentials",
        &[Val::Text("p".into())],
        &mut |r| {
            vals.push((r.get::<Val>(0)?, r.get::<Val>(1)?, r.get::<Val>(2)?));
            Ok(())
        },
    )
    .expect("query");
    assert!(
        matches!(&vals[..], [(Val::Text(_), Val::Blob(_), Val::Text(_))]),
        "{vals:?}"
    );
}

#[test]
fn an_update_to_the_same_values_counts_its_row_and_the_audit_refuses_changes() {
    let Some(s) = Scratch::migrated() else { return };
    let id = s.add_job(&s.db, 10);
    let n = s.db.exec(
        "UPDATE jobs SET state = 'pending' WHERE id = ?1",
        &[Val::Int(id)],
    );
    assert_eq!(n.expect("update"), 1);
    s.db.exec(
        "INSERT INTO audit (at, job_id, action) VALUES (?1, ?2, 'enqueued')",
        &[Val::Text(TS.into()), Val::Int(id)],
    )
    .expect("audit row");
    for sql in [
        "UPDATE audit SET action = 'x' WHERE job_id = ?1",
        "DELETE FROM audit WHERE job_id = ?1",
    ] {
        let e = s.db.exec(sql, &[Val::Int(id)]).expect_err("append-only");
        assert!(e.to_string().contains("append-only"), "{e}");
    }
}

#[test]
fn rollback_discards_and_commit_keeps() {
    let Some(s) = Scratch::migrated() else { return };
    s.db.begin().expect("begin");
    s.add_job(&s.db, 11);
    s.db.rollback().expect("rollback");
    s.db.rollback()
        .expect("a second rollback has nothing to do");
    s.db.begin().expect("begin");
    s.add_job(&s.db, 12);
    assert!(
        s.db.begin().is_err(),
        "a nested begin would commit silently"
    );
    s.db.commit().expect("commit");
    let woo: Vec<i64> = (&s.db as &dyn Db)
        .rows("SELECT woo_id FROM jobs ORDER BY id", &[], |r| r.get(0))
        .expect("rows");
    assert_eq!(woo, vec![12]);
}

#[test]
fn an_object_lock_excludes_other_connections_until_commit() {
    let Some(s) = Scratch::migrated() else { return };
    let other = s.other();
    s.db.begin().expect("begin");
    assert!(s.db.try_lock("job s1 order 1").expect("lock"));
    assert!(s
        .db
        .try_lock("job s1 order 1")
        .expect("again in the same session"));
    other.begin().expect("begin");
    assert!(!other.try_lock("job s1 order 1").expect("lock"));
    assert!(other.try_lock("job s1 order 2").expect("another key"));
    other.rollback().expect("rollback");
    s.db.commit().expect("commit");
    other.begin().expect("begin");
    assert!(other
        .try_lock("job s1 order 1")
        .expect("free after the commit"));
    other.commit().expect("commit");
}

#[test]
fn duplicates_are_unique_failures_without_the_value() {
    let Some(s) = Scratch::migrated() else { return };
    let cursor = "INSERT INTO cursors (store_id, name, value, updated_at) VALUES (?1, ?2, ?3, ?4)";
    let args = [
        Val::Text("s1".into()),
        Val::Text("secret-looking-name".into()),
        Val::Text("1".into()),
        Val::Text(TS.into()),
    ];
    s.db.exec(cursor, &args).expect("first");
    let e = s.db.exec(cursor, &args).expect_err("duplicate");
    assert_eq!(e.failure(), Failure::Unique);
    assert!(!e.to_string().contains("secret-looking-name"), "{e}");
    assert!(!format!("{e:?}").contains("secret-looking-name"), "{e:?}");
    // id_map: a document number is unique per company and kind, except for customers and settlements.
    let map = "INSERT INTO id_map (store_id, company, woo_kind, woo_id, visma_number, external_ref, payload_hash, \
               posted_at) VALUES ('s1', 'c1', ?1, ?2, 'V1', 'r', ?3, ?4)";
    let row = |kind: &str, woo: i64| {
        s.db.exec(
            map,
            &[
                Val::Text(kind.into()),
                Val::Int(woo),
                Val::Text(HASH.into()),
                Val::Text(TS.into()),
            ],
        )
    };
    for (kind, woo) in [
        ("customer", 1),
        ("customer", 2),
        ("settlement", 3),
        ("settlement", 4),
        ("order", 5),
    ] {
        row(kind, woo).expect("allowed");
    }
    assert_eq!(
        row("order", 6).map_err(|e| e.failure()).err(),
        Some(Failure::Unique)
    );
}

#[test]
fn after_a_deadlock_the_transaction_refuses_statements_until_rolled_back() {
    let Some(s) = Scratch::migrated() else { return };
    let (a, b) = (&s.db, s.other());
    let (one, two) = (s.add_job(a, 16), s.add_job(a, 17));
    let touch = "UPDATE jobs SET attempts = attempts + 1 WHERE id = ?1";
    a.begin().expect("begin");
    b.begin().expect("begin");
    a.exec(touch, &[Val::Int(one)]).expect("a holds one");
    b.exec(touch, &[Val::Int(two)]).expect("b holds two");
    let waiting = std::thread::spawn(move || {
        let result = b.exec(touch, &[Val::Int(one)]).map_err(|e| e.failure());
        (b, result)
    });
    // Let b wait for a's row before a asks for b's: the server then sees the cycle.
    std::thread::sleep(Duration::from_millis(300));
    let from_a = a.exec(touch, &[Val::Int(two)]).map_err(|e| e.failure());
    if from_a.is_ok() {
        let _ = a.commit();
    }
    let (b, from_b) = waiting.join().expect("no panic");
    let b = &b;
    let victim = match (from_a, from_b) {
        (Err(Failure::Busy), Ok(_)) => a,
        (Ok(_), Err(Failure::Busy)) => b,
        other => panic!("one deadlock victim expected, got {other:?}"),
    };
    // The server rolled the victim back; a statement now would run outside any transaction.
    let again = victim
        .exec(touch, &[Val::Int(one)])
        .map_err(|e| e.failure());
    assert_eq!(again.err(), Some(Failure::Busy));
    assert_eq!(
        victim.commit().map_err(|e| e.failure()).err(),
        Some(Failure::Busy)
    );
    victim.rollback().expect("rollback");
    let _ = a.commit();
    let _ = b.commit();
    victim.begin().expect("usable again");
    victim.rollback().expect("rollback");
}

#[test]
fn rows_are_read_before_the_callback_so_it_may_use_the_room() {
    let Some(s) = Scratch::migrated() else { return };
    s.add_job(&s.db, 13);
    let mut inner = 0;
    s.db.query("SELECT id FROM jobs", &[], &mut |r| {
        inner += s.db.exec(
            "UPDATE jobs SET attempts = 1 WHERE id = ?1",
            &[Val::Int(r.get(0)?)],
        )?;
        Ok(())
    })
    .expect("query");
    assert_eq!(inner, 1);
}

#[test]
fn a_killed_connection_heals_outside_a_transaction_and_fails_inside_one() {
    let Some(s) = Scratch::migrated() else { return };
    let killer = s.other();
    let kill = |db: &MySqlDb| {
        let id = int(db, "SELECT CONNECTION_ID()", &[]);
        killer.batch(&format!("KILL {id}")).expect("kill");
    };
    kill(&s.db);
    s.db.begin().expect("begin connects again");
    s.add_job(&s.db, 14);
    kill(&s.db);
    let e =
        s.db.exec("UPDATE jobs SET attempts = 2", &[])
            .expect_err("the connection is gone");
    assert_eq!(e.failure(), Failure::Connection);
    assert_eq!(
        s.db.commit().map_err(|e| e.failure()).err(),
        Some(Failure::Connection)
    );
    s.db.rollback().expect("nothing left to roll back");
    assert_eq!(int(&s.db, "SELECT count(*) FROM jobs", &[]), 0);
}

#[test]
fn a_copy_lock_keeps_writers_out_and_readers_in() {
    let Some(s) = Scratch::migrated() else { return };
    let other = s.other();
    s.db.lock_for_copy(&["jobs", "queue_flags"]).expect("lock");
    assert_eq!(int(&other, "SELECT count(*) FROM jobs", &[]), 0);
    assert_eq!(
        s.add_job_result(&other).map_err(|e| e.failure()).err(),
        Some(Failure::Busy)
    );
    let flags =
        (&other as &dyn Db).rows("SELECT name FROM queue_flags", &[], |r| r.get::<String>(0));
    assert_eq!(
        flags.map_err(|e| e.failure()).err(),
        Some(Failure::Busy),
        "the moved check waits"
    );
    assert_eq!(int(&s.db, "SELECT count(*) FROM jobs", &[]), 0);
    s.db.unlock_after_copy().expect("unlock");
    s.add_job(&other, 15);
}

impl Scratch {
    fn add_job_result(&self, db: &MySqlDb) -> Result<i64, DbError> {
        db.insert(
            "INSERT INTO jobs (source, store_id, kind, woo_id, revision, payload_hash, state, next_attempt_at, \
             created_at, updated_at) VALUES ('hook', 's1', 'order', 1, 1, ?1, 'pending', ?2, ?2, ?2)",
            &[Val::Text(HASH.into()), Val::Text(TS.into())],
        )
    }
}

#[test]
fn describe_and_debug_hide_the_password() {
    let c = MySqlConfig::from_url(
        "mysql://wp%2Bshop:p%40ss%3Aw0rd@db.example:3307/wordpress?prefix=wp_mlc_",
    )
    .expect("url");
    assert_eq!(
        (c.user.as_str(), c.password.as_str()),
        ("wp+shop", "p@ss:w0rd")
    );
    assert_eq!(
        (c.host.as_str(), c.port, c.database.as_str()),
        ("db.example", 3307, "wordpress")
    );
    assert_eq!(
        c.describe(),
        "mysql://wp+shop@db.example:3307/wordpress (tables wp_mlc_*)"
    );
    assert!(!format!("{c:?}").contains("w0rd"));
    let sock =
        MySqlConfig::from_url("mariadb://u:x@localhost/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock")
            .expect("socket url");
    assert_eq!(
        (sock.socket.as_deref(), sock.prefix.as_str()),
        (Some("/run/mysqld/mysqld.sock"), "mlc_")
    );
    for bad in [
        "mysql://u:s3cret@h:99999/db",
        "mysql://u:s3cret@h/db?prefx=a",
        "mysql://u:s3cret@h/",
        "mysql://u:s3?cret=1@h/db",
        "mysql://u:s3/cret@h/db",
        "mysql://u:s3cret@h/db?prefix=bad-prefix",
        "pg://u@h/d",
    ] {
        let e = MySqlConfig::from_url(bad).expect_err(bad).to_string();
        assert!(!e.contains("s3") && !e.contains("cret"), "{e}");
    }
    let v6 = MySqlConfig::from_url("mysql://u@[::1]:3306/db").expect("v6");
    assert_eq!(
        (v6.host.as_str(), v6.describe()),
        ("::1", "mysql://u@[::1]:3306/db (tables mlc_*)".into())
    );
}

#[test]
fn wordpress_db_host_forms_are_read_as_wordpress_reads_them() {
    let socket = Some("/run/mysqld/mysqld.sock");
    // (DB_HOST, is the Debian socket there, host, port, socket)
    let cases = [
        ("localhost", true, "localhost", 3306, socket),
        ("localhost", false, "127.0.0.1", 3306, None),
        ("127.0.0.1", true, "127.0.0.1", 3306, None),
        ("db.example:3307", true, "db.example", 3307, None),
        (
            "localhost:/var/lib/mysql/my.sock",
            false,
            "localhost",
            3306,
            Some("/var/lib/mysql/my.sock"),
        ),
        ("[::1]:3306", true, "::1", 3306, None),
        (" [::1]:3310 ", false, "::1", 3310, None),
    ];
    for (db_host, there, host, port, sock) in cases {
        let found = wordpress_host(db_host, |p| there && Some(p) == socket);
        let wanted = (host.to_string(), port, sock.map(str::to_string));
        assert_eq!(found, wanted, "{db_host}");
    }
    let c = MySqlConfig::from_wordpress("db.example:3307", "wp", "wpuser", "hunter2", "wp_");
    assert_eq!(c.prefix, "wp_mlc_");
    assert!(!c.describe().contains("hunter2") && !format!("{c:?}").contains("hunter2"));
}

#[test]
fn old_servers_are_refused() {
    for ok in [
        "10.6.1-MariaDB",
        "10.11.19-MariaDB-0+deb12u1",
        "11.4.2-MariaDB",
        "8.0.36",
        "8.4.0-log",
        "9.1.0",
    ] {
        assert_eq!(check_version(ok), Ok(()), "{ok}");
    }
    for old in [
        "10.5.23-MariaDB",
        "5.5.5-10.4.1-MariaDB",
        "5.7.44-log",
        "5.6.51",
    ] {
        assert!(
            check_version(old).expect_err(old).contains("SKIP LOCKED"),
            "{old}"
        );
    }
}

#[test]
fn table_names_are_prefixed_as_whole_words_outside_quotes() {
    let t = translate(
        "SELECT jobs.id, 'jobs', `jobs` FROM jobs JOIN job_payloads p ON p.job_id = jobs.id \
         WHERE jobs_due = ?2 AND x = ?1 OR y = ?2",
        "wp_mlc_",
    );
    assert_eq!(
        t.sql,
        "SELECT wp_mlc_jobs.id, 'jobs', `jobs` FROM wp_mlc_jobs JOIN wp_mlc_job_payloads p ON p.job_id = \
         wp_mlc_jobs.id WHERE jobs_due = ? AND x = ? OR y = ?"
    );
    assert_eq!(t.order, vec![2, 1, 2]);
}

#[test]
fn batches_split_on_marker_lines_or_line_end_semicolons() {
    let marked = "-- head\nCREATE TRIGGER a BEGIN x; y; END\n-- ;;\n-- only a comment\n-- ;;\nSELECT 1\n-- ;;\n";
    assert_eq!(
        statements(marked),
        vec!["-- head\nCREATE TRIGGER a BEGIN x; y; END", "SELECT 1"]
    );
    let plain = "SET a = 1;\nSELECT 'x;\ny';\nSAVEPOINT job";
    assert_eq!(
        statements(plain),
        vec!["SET a = 1", "SELECT 'x;\ny'", "SAVEPOINT job"]
    );
}
