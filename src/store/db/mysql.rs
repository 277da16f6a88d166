//! The MariaDB/MySQL room (issue #16): the shop's own WordPress database (MariaDB ≥ 10.6 or MySQL ≥ 8.0, the first
//! versions with `SKIP LOCKED`), tables `{prefix}*`. The store's SQLite-flavoured SQL is rewritten here (`?N` →
//! `?` with the arguments reordered, bare table names → prefixed ones) and runs as prepared statements. A broken
//! connection is opened again before the next statement, never inside a transaction. No store logic here, and
//! nothing that puts a password or a parameter value into an error.

mod config;
mod sql;

pub use config::MySqlConfig;

use super::TABLES;
use super::{Backend, Db, DbError, Failure, Row, Val};
use config::check_prefix;
use mysql::consts::CapabilityFlags;
use mysql::prelude::Queryable;
use mysql::{Conn, DriverError, MySqlError, OptsBuilder, Params, Value};
use sha2::{Digest, Sha256};
use sql::{bind, read_column, scrub, scrub_message, statements, translate, Translated};
use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Statements the driver keeps prepared per connection. Small, because every PHP-FPM worker holds a connection
/// and the server caps prepared statements of all of them together (`max_prepared_stmt_count`, 16382).
const STMT_CACHE: usize = 32;

/// Translations kept; past this the cache starts over (the store's SQL is a fixed set).
const SQL_CACHE: usize = 512;

/// Without one, a server that drops packets would hold the store forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longer than the migration lock's wait, so only a server that stopped answering reaches it.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a process waits for another one's migration (seconds, `GET_LOCK`).
const MIGRATION_WAIT_S: u32 = 60;

/// `sql_mode` for the store's sessions: WordPress hosts often run a lax global mode that would truncate values or
/// store zero dates instead of failing.
const SQL_MODE: &str =
    "STRICT_ALL_TABLES,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// A MariaDB/MySQL connection with the table prefix its SQL is rewritten for.
pub struct MySqlDb {
    config: MySqlConfig,
    busy_wait: Duration,
    session: RefCell<Session>,
    /// Translated SQL by the store's SQL; kept across reconnects.
    sql: RefCell<HashMap<String, Arc<Translated>>>,
}

/// What belongs to one server connection and ends with it.
struct Session {
    conn: Conn,
    /// The connection failed; it is replaced before the next statement outside a transaction.
    broken: bool,
    in_tx: bool,
    /// An error that made the server roll the open transaction back (a deadlock): later statements would run
    /// outside any transaction, so they fail with it until the store rolls back.
    aborted: Option<(u16, String)>,
    /// `GET_LOCK` names taken by [`Db::try_lock`]; session locks outlive transactions, so they are released at
    /// commit and rollback.
    locks: Vec<String>,
    copy_locked: bool,
    /// The server's `innodb_rollback_on_timeout`: a lock wait timeout then rolls back the whole transaction.
    rollback_on_timeout: bool,
}

impl MySqlDb {
    /// Connects to the database `config` names, refuses servers without `SKIP LOCKED`, and sets the session up:
    /// READ COMMITTED, lock waits of `busy_wait` (at least 1 s), a strict `sql_mode` and utf8mb4 with binary order.
    ///
    /// # Errors
    /// [`DbError::Setup`] for a bad prefix or an old server, else the server's refusal.
    pub fn connect(config: &MySqlConfig, busy_wait: Duration) -> Result<Self, DbError> {
        check_prefix(&config.prefix)?;
        let session = Session::open(config, busy_wait)?;
        Ok(Self {
            config: config.clone(),
            busy_wait,
            session: RefCell::new(session),
            sql: RefCell::new(HashMap::new()),
        })
    }

    /// The session without reconnecting (to end a transaction, whatever became of the connection).
    fn borrow(&self) -> Result<RefMut<'_, Session>, DbError> {
        self.session
            .try_borrow_mut()
            .map_err(|_| DbError::Reentered)
    }

    /// The session, connected again first when it broke outside a transaction (inside one the transaction is
    /// lost, and the caller must hear so).
    fn session(&self) -> Result<RefMut<'_, Session>, DbError> {
        let mut s = self.borrow()?;
        if s.broken && !s.in_tx {
            *s = Session::open(&self.config, self.busy_wait)?;
        }
        Ok(s)
    }

    fn translated(&self, sql: &str) -> Result<Arc<Translated>, DbError> {
        let mut cache = self.sql.try_borrow_mut().map_err(|_| DbError::Reentered)?;
        if let Some(t) = cache.get(sql) {
            return Ok(Arc::clone(t));
        }
        if cache.len() >= SQL_CACHE {
            cache.clear();
        }
        let t = Arc::new(translate(sql, &self.config.prefix));
        cache.insert(sql.to_string(), Arc::clone(&t));
        Ok(t)
    }

    /// Runs a statement; the rows it changed (matched, with `CLIENT_FOUND_ROWS`) and the id it generated.
    fn write(&self, sql: &str, args: &[Val]) -> Result<(u64, u64), DbError> {
        let t = self.translated(sql)?;
        let params = bind(&t, args)?;
        let mut s = self.session()?;
        s.run(|c| {
            c.exec_drop(t.sql.as_str(), params)?;
            Ok((c.affected_rows(), c.last_insert_id()))
        })
    }

    /// `GET_LOCK` names are server-wide, so the database is part of the hash (two shops on one server with the same
    /// prefix must not share locks); names are at most 64 characters.
    fn lock_name(&self, kind: &str, key: &str) -> String {
        let mut hash = Sha256::new();
        for part in [&self.config.database, &self.config.prefix, kind] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.update(key.as_bytes());
        let digest = hash.finalize();
        let short: String = self.config.prefix.chars().take(24).collect();
        format!(
            "{short}{kind}{}",
            hex::encode(digest.get(..16).unwrap_or_default())
        )
    }
}

impl Session {
    /// Connects, checks the version and sets the session's limits.
    fn open(config: &MySqlConfig, busy_wait: Duration) -> Result<Self, DbError> {
        // `[::1]`: the driver reads a bare IPv6 address as a host name.
        let host = if config.host.contains(':') {
            format!("[{}]", config.host)
        } else {
            config.host.clone()
        };
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(host))
            .tcp_port(config.port)
            .socket(config.socket.clone())
            // Exactly the socket or address configured, not whatever socket the server reports.
            .prefer_socket(false)
            .user(Some(config.user.clone()))
            .pass(Some(config.password.clone()))
            .db_name(Some(config.database.clone()))
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(IO_TIMEOUT.max(busy_wait.saturating_mul(2))))
            .write_timeout(Some(IO_TIMEOUT))
            .stmt_cache_size(STMT_CACHE)
            // An UPDATE reports the rows it matched, also when the values were already set: the store checks
            // "exactly one row changed".
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS);
        let mut conn = Conn::new(opts).map_err(scrub)?;
        let version = scalar(&mut conn, "SELECT VERSION()").map_err(scrub)?;
        config::check_version(&text_of(&version)).map_err(DbError::Setup)?;
        // Rounded up: a lock wait of 0 would fail at once where SQLite's busy_timeout 0 still tries.
        let wait_s = busy_wait.as_millis().div_ceil(1000).clamp(1, 1 << 30);
        let settings = [
            // The store re-reads under locks; REPEATABLE READ would give it stale snapshots and gap-lock deadlocks.
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".to_string(),
            format!("SET SESSION innodb_lock_wait_timeout = {wait_s}"),
            // Table (metadata) locks too: a queue being moved holds them (`lock_for_copy`).
            format!("SET SESSION lock_wait_timeout = {wait_s}"),
            format!("SET SESSION sql_mode = '{SQL_MODE}'"),
            "SET NAMES utf8mb4 COLLATE utf8mb4_bin".to_string(),
        ];
        for sql in &settings {
            conn.query_drop(sql).map_err(scrub)?;
        }
        let rollback = scalar(&mut conn, "SELECT @@innodb_rollback_on_timeout").map_err(scrub)?;
        Ok(Self {
            conn,
            broken: false,
            in_tx: false,
            aborted: None,
            locks: Vec::new(),
            copy_locked: false,
            rollback_on_timeout: matches!(rollback, Value::Int(1) | Value::UInt(1))
                || text_of(&rollback) == "1",
        })
    }

    /// Runs `f` inside the store's current state: refused on a broken connection or an aborted transaction.
    fn run<T>(&mut self, f: impl FnOnce(&mut Conn) -> mysql::Result<T>) -> Result<T, DbError> {
        if self.broken {
            return Err(lost());
        }
        if let Some((code, state)) = &self.aborted {
            return Err(aborted(*code, state));
        }
        self.raw(f)
    }

    /// Runs `f`, noting what its failure did to the connection and the transaction.
    fn raw<T>(&mut self, f: impl FnOnce(&mut Conn) -> mysql::Result<T>) -> Result<T, DbError> {
        f(&mut self.conn).map_err(|e| {
            if failure(&e) == Failure::Connection {
                self.broken = true;
            } else if let mysql::Error::MySqlError(my) = &e {
                let rolled_back = my.code == 1213 || (my.code == 1205 && self.rollback_on_timeout);
                if self.in_tx && rolled_back {
                    self.aborted = Some((my.code, my.state.clone()));
                }
            }
            scrub(e)
        })
    }

    /// The first column of the first row.
    fn first(&mut self, sql: &str, params: Vec<Value>) -> Result<Val, DbError> {
        let rows: Vec<mysql::Row> = self.run(|c| c.exec(sql, Params::Positional(params)))?;
        read_column(rows.first().ok_or(DbError::NoRow)?, 0)
    }

    /// Releases the `try_lock` locks. A lock that cannot be released ends the connection, which releases it.
    fn release_locks(&mut self) {
        for name in std::mem::take(&mut self.locks) {
            if self.broken {
                return;
            }
            let params = Params::Positional(vec![Value::from(name)]);
            if self
                .raw(|c| c.exec_drop("SELECT RELEASE_LOCK(?)", params))
                .is_err()
            {
                self.broken = true;
            }
        }
    }
}

/// One value of a query without parameters (connection set-up).
fn scalar(conn: &mut Conn, sql: &str) -> mysql::Result<Value> {
    let rows: Vec<mysql::Row> = conn.query(sql)?;
    Ok(rows
        .first()
        .and_then(|r| r.as_ref(0))
        .cloned()
        .unwrap_or(Value::NULL))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        _ => String::new(),
    }
}

/// The error of a statement on a connection that broke inside the open transaction (the server rolled it back).
fn lost() -> DbError {
    DbError::MySql(mysql::Error::IoError(std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the connection to the server broke inside the transaction; it was rolled back",
    )))
}

/// The error of a statement after the server rolled the transaction back; it keeps the first error's code, so it
/// classifies (and retries) the same way.
fn aborted(code: u16, state: &str) -> DbError {
    DbError::MySql(mysql::Error::MySqlError(MySqlError {
        state: state.to_string(),
        code,
        message:
            "the server rolled this transaction back after an earlier error; roll back and retry"
                .into(),
    }))
}

impl Db for MySqlDb {
    fn backend(&self) -> Backend {
        Backend::MySql
    }

    fn describe(&self) -> String {
        self.config.describe()
    }

    fn exec(&self, sql: &str, args: &[Val]) -> Result<usize, DbError> {
        let (n, _) = self.write(sql, args)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn insert(&self, sql: &str, args: &[Val]) -> Result<i64, DbError> {
        let (n, id) = self.write(sql, args)?;
        if n == 0 || id == 0 {
            // Nothing inserted (an ignored duplicate): as PostgreSQL's `RETURNING id` without a row.
            return Err(DbError::NoRow);
        }
        i64::try_from(id).map_err(|_| DbError::Type {
            column: 0,
            wanted: "i64",
            found: "an id above i64::MAX",
        })
    }

    fn query(
        &self,
        sql: &str,
        args: &[Val],
        each: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let t = self.translated(sql)?;
        let params = bind(&t, args)?;
        // Every row is read before any caller code runs, so that code may use this room.
        let rows: Vec<mysql::Row> = self.session()?.run(|c| c.exec(t.sql.as_str(), params))?;
        for row in rows {
            let vals = (0..row.len())
                .map(|i| read_column(&row, i))
                .collect::<Result<Vec<_>, _>>()?;
            each(Row::new(vals))?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<(), DbError> {
        let sql = sql.replace("{prefix}", &self.config.prefix);
        let mut s = self.session()?;
        for statement in statements(&sql) {
            // Text protocol: DDL, triggers and savepoints are not all preparable.
            match s.run(|c| c.query_drop(&statement)) {
                Ok(()) => {}
                // With binary logging on (MySQL 8's default), a user without SUPER may not create triggers
                // (1419) unless the host set log_bin_trust_function_creators. The audit triggers only guard what
                // the store never does (update or delete audit rows), so the queue works without them.
                Err(DbError::MySql(mysql::Error::MySqlError(e)))
                    if e.code == 1419 && statement.trim_start().starts_with("CREATE TRIGGER") =>
                {
                    tracing::warn!(
                        "the audit's append-only trigger was not created (MySQL error 1419: binary logging \
                         without SUPER); the store never updates or deletes audit rows"
                    );
                }
                Err(DbError::MySql(mysql::Error::MySqlError(e)))
                    if sql::already_done(e.code, &statement) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn begin(&self) -> Result<(), DbError> {
        let mut s = self.session()?;
        if s.in_tx {
            // START TRANSACTION would silently commit the open one.
            return Err(DbError::Setup(
                "a transaction is already open on this connection".into(),
            ));
        }
        match s.run(|c| c.query_drop("START TRANSACTION")) {
            Ok(()) => {}
            Err(_) if s.broken => {
                // The server dropped the idle connection (a restart, wait_timeout): nothing was lost, so connect
                // again once.
                *s = Session::open(&self.config, self.busy_wait)?;
                s.run(|c| c.query_drop("START TRANSACTION"))?;
            }
            Err(e) => return Err(e),
        }
        s.in_tx = true;
        s.aborted = None;
        Ok(())
    }

    fn commit(&self) -> Result<(), DbError> {
        let mut s = self.borrow()?;
        if !s.in_tx {
            return Ok(());
        }
        let result = match (s.broken, s.aborted.take()) {
            (true, _) => Err(lost()),
            (false, Some((code, state))) => {
                let _ = s.raw(|c| c.query_drop("ROLLBACK"));
                Err(aborted(code, &state))
            }
            (false, None) => s.raw(|c| c.query_drop("COMMIT")),
        };
        // A failed COMMIT ends the transaction too (the server rolls it back).
        s.in_tx = false;
        s.aborted = None;
        s.release_locks();
        result
    }

    fn rollback(&self) -> Result<(), DbError> {
        let mut s = self.borrow()?;
        let result = if s.in_tx && !s.broken {
            s.raw(|c| c.query_drop("ROLLBACK"))
        } else {
            // None open, or the server discarded it with the connection.
            Ok(())
        };
        s.in_tx = false;
        s.aborted = None;
        s.release_locks();
        result
    }

    fn try_lock(&self, key: &str) -> Result<bool, DbError> {
        let name = self.lock_name("", key);
        let mut s = self.session()?;
        let got = s.first("SELECT GET_LOCK(?, 0)", vec![Value::from(name.as_str())])?;
        match got {
            Val::Int(1) => {
                s.locks.push(name);
                Ok(true)
            }
            Val::Int(_) => Ok(false),
            _ => Err(DbError::Setup(
                "GET_LOCK returned NULL for an object lock (the server ran out of memory or killed the query)".into(),
            )),
        }
    }

    fn schema_version(&self) -> Result<i64, DbError> {
        let mut s = self.session()?;
        let table = format!("{}schema_migrations", self.config.prefix);
        let found = s.first(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
            vec![Value::from(table.as_str())],
        )?;
        if found == Val::Int(0) {
            return Ok(0);
        }
        let sql = format!("SELECT coalesce(max(version), 0) FROM {table}");
        let v = s.first(&sql, Vec::new())?;
        Row::new(vec![v]).get(0)
    }

    fn set_schema_version(&self, _version: i64) -> Result<(), DbError> {
        // The store's schema_migrations row is the version here; there is no user_version to set.
        Ok(())
    }

    fn lock_migrations(&self) -> Result<(), DbError> {
        // MySQL commits DDL implicitly, so a migration's transaction cannot keep a second process out: this does.
        let name = self.lock_name("migrate", "");
        let mut s = self.session()?;
        let got = s.first(
            &format!("SELECT GET_LOCK(?, {MIGRATION_WAIT_S})"),
            vec![Value::from(name.as_str())],
        )?;
        if got == Val::Int(1) {
            return Ok(());
        }
        Err(DbError::Setup(format!(
            "another process is migrating {} (waited {MIGRATION_WAIT_S} s for it)",
            self.config.describe()
        )))
    }

    fn unlock_migrations(&self) -> Result<(), DbError> {
        let name = self.lock_name("migrate", "");
        let mut s = self.session()?;
        // 0 or NULL: not ours any more (the connection was replaced), which is released too.
        s.first("SELECT RELEASE_LOCK(?)", vec![Value::from(name.as_str())])
            .map(|_| ())
    }

    /// `LOCK TABLES`: `queue_flags` WRITE, the others READ. Every store write transaction reads `queue_flags`
    /// first (the moved check), so the WRITE lock waits for those already running (a metadata lock is held to
    /// the transaction's end), even the ones that have not written yet; READ alone would miss those. New ones
    /// wait at that read and then find the queue moved; other tables stay readable.
    fn lock_for_copy(&self, tables: &[&str]) -> Result<(), DbError> {
        let mut list = Vec::with_capacity(tables.len());
        for table in tables {
            if !TABLES.contains(table) {
                return Err(DbError::Setup(format!(
                    "{table:?} is not a table of the store"
                )));
            }
            let mode = if *table == "queue_flags" {
                "WRITE"
            } else {
                "READ"
            };
            list.push(format!("{}{table} {mode}", self.config.prefix));
        }
        let mut s = self.session()?;
        if s.in_tx {
            return Err(DbError::Setup(
                "lock_for_copy inside a transaction (LOCK TABLES would commit it)".into(),
            ));
        }
        let sql = format!("LOCK TABLES {}", list.join(", "));
        s.run(|c| c.query_drop(&sql))?;
        s.copy_locked = true;
        Ok(())
    }

    fn drop_tables(&self) -> Result<(), DbError> {
        let list: Vec<String> = TABLES
            .iter()
            .map(|t| format!("{}{t}", self.config.prefix))
            .collect();
        let mut s = self.session()?;
        s.run(|c| c.query_drop("SET FOREIGN_KEY_CHECKS = 0"))?;
        let dropped = s.run(|c| c.query_drop(format!("DROP TABLE IF EXISTS {}", list.join(", "))));
        s.run(|c| c.query_drop("SET FOREIGN_KEY_CHECKS = 1"))?;
        dropped
    }

    fn bytes_used(&self) -> Result<i64, DbError> {
        let prefix = self.config.prefix.clone();
        let mut s = self.session()?;
        // InnoDB's sizes in information_schema are statistics: bring them up to date first.
        let tables: Vec<String> = TABLES.iter().map(|t| format!("{prefix}{t}")).collect();
        s.raw(|c| c.query_drop(format!("ANALYZE TABLE {}", tables.join(", "))))?;
        let bytes: Option<Option<i64>> = s.raw(|c| {
            c.exec_first(
                "SELECT CAST(sum(data_length + index_length) AS SIGNED) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name LIKE ?",
                (format!("{prefix}%"),),
            )
        })?;
        Ok(bytes.flatten().unwrap_or(0))
    }

    fn unlock_after_copy(&self) -> Result<(), DbError> {
        let mut s = self.borrow()?;
        if !std::mem::take(&mut s.copy_locked) || s.broken {
            return Ok(());
        }
        s.raw(|c| c.query_drop("UNLOCK TABLES"))
    }
}

/// A MariaDB/MySQL error for messages: the server's code and message without the values it quotes.
pub(super) fn describe(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(my) => format!(
            "MySQL {} ({}): {}",
            my.code,
            my.state,
            scrub_message(&my.message)
        ),
        other => format!("MySQL: {other}"),
    }
}

/// What kind of failure a MariaDB/MySQL error is.
pub(super) fn failure(e: &mysql::Error) -> Failure {
    match e {
        mysql::Error::MySqlError(my) => match my.code {
            // Deadlock, lock wait timeout, NOWAIT, record changed; statement timeouts (MariaDB, MySQL).
            1213 | 1205 | 3572 | 1020 | 1969 | 3024 => Failure::Busy,
            1062 | 1586 => Failure::Unique,
            1114 | 1021 => Failure::Full,
            // "Got error 28 from storage engine" is a full disk, not a damaged table.
            1030 if my.message.contains("error 28 ") => Failure::Full,
            1030 | 1034 | 1035 | 126 | 127 | 145 => Failure::Corrupt,
            // Gone away, lost, shutting down, killed, idle too long, out of connection slots: reconnect.
            2006 | 2013 | 1053 | 1927 | 4031 | 1040 | 1203 => Failure::Connection,
            _ => Failure::Other,
        },
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => Failure::Connection,
        mysql::Error::DriverError(
            DriverError::ConnectTimeout
            | DriverError::CouldNotConnect(_)
            | DriverError::Timeout
            | DriverError::PacketOutOfSync
            | DriverError::UnexpectedPacket,
        ) => Failure::Connection,
        _ => Failure::Other,
    }
}

// The tests need a MariaDB/MySQL server; they live in mysql/tests.rs to keep this file short.
#[cfg(test)]
mod tests;
#[cfg(test)]
mod upgrade_tests;
