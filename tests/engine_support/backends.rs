//! Issue #16: the engine's exactly-once suite runs on every store backend. A [`TestDb`] is a fresh, empty queue
//! database of one backend: a SQLite file, a new MariaDB/MySQL database with WordPress-style `wp_mlc_` tables, or
//! a new PostgreSQL database. It is dropped again when the test ends.
//!
//! The servers are the machine's own: MariaDB on 127.0.0.1:3306 (root, no password) and PostgreSQL on
//! 127.0.0.1:5432 (trust); `ML_TEST_MYSQL_ADMIN_URL` / `ML_TEST_POSTGRES_ADMIN_URL` point elsewhere.
//! `ML_TEST_BACKEND=mysql|postgres` moves the tests that use [`TestDb::from_env`] onto that backend.

#![allow(dead_code)]

use ml_connector::store::{Store, StoreOptions};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// A store backend under test: the crate's own list.
pub use ml_connector::store::db::Backend;

/// `ML_TEST_BACKEND`, default SQLite.
pub fn backend_from_env() -> Backend {
    match std::env::var("ML_TEST_BACKEND").as_deref() {
        Ok("mysql" | "mariadb") => Backend::MySql,
        Ok("postgres" | "postgresql") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// One fresh queue database.
pub struct TestDb {
    pub backend: Backend,
    /// What `Store::open_location` and the CLI's `--db` take.
    pub location: String,
    /// The server database to drop at the end.
    server_db: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn mysql_admin() -> String {
    std::env::var("ML_TEST_MYSQL_ADMIN_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn postgres_admin() -> String {
    std::env::var("ML_TEST_POSTGRES_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The admin URL with another database name.
fn on_database(admin: &str, db: &str) -> String {
    let (base, _) = admin.rsplit_once('/').expect("admin URL has a database");
    format!("{base}/{db}")
}

impl TestDb {
    /// A fresh database of `backend`; SQLite's file goes into `dir`.
    pub fn new(backend: Backend, dir: &Path) -> Self {
        let name = format!(
            "mlc_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        match backend {
            Backend::Sqlite => Self {
                backend,
                location: dir.join("queue.sqlite").display().to_string(),
                server_db: None,
            },
            Backend::MySql => {
                let mut conn = mysql_conn(&mysql_admin());
                use mysql::prelude::Queryable;
                conn.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                    .expect("drop old test database");
                conn.query_drop(format!(
                    "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                ))
                .expect("create the MariaDB test database");
                Self {
                    backend,
                    location: format!("{}?prefix=wp_mlc_", on_database(&mysql_admin(), &name)),
                    server_db: Some(name),
                }
            }
            Backend::Postgres => {
                let mut client = postgres::Client::connect(&postgres_admin(), postgres::NoTls)
                    .expect("connect to PostgreSQL (127.0.0.1:5432, trust)");
                // One statement per call: a multi-statement batch is one transaction, which these refuse.
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                    .expect("drop an old test database");
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the PostgreSQL test database");
                Self {
                    backend,
                    location: on_database(&postgres_admin(), &name),
                    server_db: Some(name),
                }
            }
        }
    }

    /// The backend `ML_TEST_BACKEND` names.
    pub fn from_env(dir: &Path) -> Self {
        Self::new(backend_from_env(), dir)
    }

    /// A connection to it (migrated on first open).
    pub fn open(&self) -> Store {
        self.try_open().expect("open the test queue")
    }

    /// As [`TestDb::open`], with the error.
    pub fn try_open(&self) -> Result<Store, ml_connector::store::StoreError> {
        Store::open_location(&self.location, &StoreOptions::default())
    }

    /// The rows of `SELECT {columns} FROM {table} …` as text, read with the backend's own driver (the audit
    /// outgrows one page of `audit_entries`). `table` is the bare name (`audit`, `jobs`).
    pub fn select(&self, columns: &str, table: &str, rest: &str) -> Vec<Vec<String>> {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(&self.location).expect("open the queue");
                let sql = format!("SELECT {columns} FROM {table} {rest}");
                let mut stmt = conn.prepare(&sql).expect("query");
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(t) => {
                                        String::from_utf8_lossy(t).into_owned()
                                    }
                                    _ => String::new(),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<String>>>()
                    })
                    .expect("rows");
                rows.map(|r| r.expect("row")).collect()
            }
            Backend::MySql => {
                use mysql::prelude::Queryable;
                let db = self.server_db.as_deref().unwrap_or_default();
                let mut conn = mysql_conn(&on_database(&mysql_admin(), db));
                let sql = format!("SELECT {columns} FROM wp_mlc_{table} {rest}");
                let rows: Vec<mysql::Row> = conn.query(sql).expect("query");
                rows.into_iter()
                    .map(|r| {
                        r.unwrap()
                            .into_iter()
                            .map(|v| match v {
                                mysql::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                                mysql::Value::Int(i) => i.to_string(),
                                mysql::Value::UInt(u) => u.to_string(),
                                _ => String::new(),
                            })
                            .collect()
                    })
                    .collect()
            }
            Backend::Postgres => {
                let mut client =
                    postgres::Client::connect(&self.location, postgres::NoTls).expect("connect");
                // Cast every column to text so one reader fits all.
                let cols: Vec<String> = top_level_columns(columns)
                    .iter()
                    .map(|c| format!("({})::text", c.trim()))
                    .collect();
                let sql = format!("SELECT {} FROM mlc_{table} {rest}", cols.join(", "));
                client
                    .query(&sql, &[])
                    .expect("query")
                    .into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.get::<_, Option<String>>(i).unwrap_or_default())
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// Gives the space of dropped payloads back to the file system (SQLite `VACUUM`, PostgreSQL `VACUUM FULL`,
    /// MariaDB `OPTIMIZE TABLE`), so a size read afterwards is what a long-running queue settles at: the space
    /// pruned payloads leave is reused by new ones anyway.
    pub fn compact(&self) {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(&self.location).expect("open");
                conn.execute_batch("VACUUM").expect("vacuum");
            }
            Backend::MySql => {
                use mysql::prelude::Queryable;
                let db = self.server_db.as_deref().unwrap_or_default();
                let mut conn = mysql_conn(&on_database(&mysql_admin(), db));
                let _: Vec<mysql::Row> = conn
                    .query("OPTIMIZE TABLE wp_mlc_job_payloads, wp_mlc_jobs, wp_mlc_audit")
                    .expect("optimize");
            }
            Backend::Postgres => {
                let mut client =
                    postgres::Client::connect(&self.location, postgres::NoTls).expect("connect");
                client
                    .batch_execute("VACUUM FULL mlc_job_payloads")
                    .expect("vacuum");
            }
        }
    }

    /// Audit rows per action.
    pub fn audit_counts(&self) -> BTreeMap<String, i64> {
        self.select("action, count(*)", "audit", "GROUP BY action")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap_or(-1)))
            .collect()
    }

    /// The most claims any job needed.
    pub fn max_attempts(&self) -> i64 {
        self.select("coalesce(max(attempts), 0)", "jobs", "")
            .first()
            .and_then(|r| r.first())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// `a, f(b, c)` → `["a", "f(b, c)"]`.
fn top_level_columns(columns: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    for c in columns.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn mysql_conn(url: &str) -> mysql::Conn {
    mysql::Conn::new(mysql::Opts::from_url(url).expect("MySQL URL"))
        .expect("connect to MariaDB (127.0.0.1:3306, root)")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.server_db.take() else {
            return;
        };
        if std::env::var_os("ML_TEST_KEEP_DB").is_some() {
            eprintln!("kept test database {name}");
            return;
        }
        match self.backend {
            Backend::MySql => {
                use mysql::prelude::Queryable;
                if let Ok(opts) = mysql::Opts::from_url(&mysql_admin()) {
                    if let Ok(mut c) = mysql::Conn::new(opts) {
                        let _ = c.query_drop(format!("DROP DATABASE IF EXISTS {name}"));
                    }
                }
            }
            Backend::Postgres => {
                if let Ok(mut c) = postgres::Client::connect(&postgres_admin(), postgres::NoTls) {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
            Backend::Sqlite => {}
        }
    }
}
