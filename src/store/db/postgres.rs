//! The PostgreSQL room (issue #16): one connection of the connector service, many instances on one database.
//! The store's SQLite-flavoured SQL is rewritten here (`?N` → `$N`, bare table names → prefixed ones) and
//! prepared once per connection. A broken connection is opened again before the next statement, never inside a
//! transaction. No store logic here, and nothing that puts a password or a parameter value into an error.

use super::{redact_url, strip_param, url_param, Backend, Db, DbError, Failure, Row, Val};
use pool::{Conn, Pool};
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};
use sql::{check_prefix, translate};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Statements kept prepared per connection (and translations kept); past this a cache starts over (the store's
/// SQL is a fixed set, so only SQL built with a varying shape could reach it).
const STATEMENT_CACHE: usize = 512;

/// Longer than any statement of the store should take, so a hung statement ends; never shorter than twice the
/// lock wait, so a lock timeout (Busy, retried) comes first.
const STATEMENT_TIMEOUT_MS: u128 = 60_000;

/// Without one in the URL, a server that drops packets would hold the store forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The store's handle on PostgreSQL: the table prefix its SQL is rewritten for, and a connection of the
/// process's [`pool`] while a statement or a transaction runs.
pub struct PostgresDb {
    described: String,
    prefix: String,
    busy_wait: Duration,
    pool: Arc<Pool>,
    held: RefCell<Held>,
    /// Translated SQL by the store's SQL.
    sql: RefCell<HashMap<String, String>>,
}

/// The connection this handle holds, and why it keeps it between calls.
#[derive(Default)]
struct Held {
    conn: Option<Conn>,
    in_tx: bool,
    /// A statement of the open transaction failed: PostgreSQL then ignores everything up to the end, and would
    /// answer COMMIT with a silent rollback.
    failed: bool,
    /// The migration lock is a session lock: the connection stays with this handle until it is unlocked.
    pinned: bool,
}

impl PostgresDb {
    /// Connects to `url` (`postgres://user:pass@host:5432/db`, or `postgresql://`, without TLS; `pool_size=N`
    /// caps the process's connections to that server, default [`pool::DEFAULT_SIZE`]). Every store table is
    /// named `{prefix}{table}`; `busy_wait` bounds each wait for a row lock, an advisory lock or a connection.
    ///
    /// # Errors
    /// [`DbError::Setup`] for a malformed URL or prefix, else the server's refusal.
    pub fn connect(url: &str, prefix: &str, busy_wait: Duration) -> Result<Self, DbError> {
        check_prefix(prefix)?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::Setup(format!(
                "{} is not a postgres:// URL",
                redact_url(url)
            )));
        }
        let size =
            match url_param(url, "pool_size") {
                None => pool::DEFAULT_SIZE,
                Some(n) => n.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    DbError::Setup(format!("pool_size={n} is not a positive number"))
                })?,
            };
        let url = strip_param(url, "pool_size");
        let mut config: Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("ml-connector");
        }
        let key = format!("{url}#{}#{size}", busy_wait.as_millis());
        let pool = Pool::shared(&key, &config, busy_wait, size);
        // Connected now, so a wrong URL or password fails at open rather than at the first job.
        let conn = pool.take(busy_wait)?;
        pool.give(conn);
        Ok(Self {
            described: redact_url(&url),
            // PostgreSQL folds unquoted names to lower case; the lock keys must fold the same way.
            prefix: prefix.to_ascii_lowercase(),
            busy_wait,
            pool,
            held: RefCell::default(),
            sql: RefCell::new(HashMap::new()),
        })
    }

    /// Runs `f` on this handle's connection (taken from the pool first when it holds none) and gives the
    /// connection back unless a transaction or the migration lock keeps it.
    fn with<T>(&self, f: impl FnOnce(&mut Held) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut held = self.held.try_borrow_mut().map_err(|_| DbError::Reentered)?;
        if held.conn.is_none() {
            if held.in_tx {
                // The connection broke inside the transaction and was dropped: the transaction is gone.
                return Err(DbError::Setup(
                    "the transaction's connection was lost".into(),
                ));
            }
            held.conn = Some(self.pool.take(self.busy_wait)?);
        }
        let result = f(&mut held);
        if !held.in_tx && !held.pinned {
            if let Some(conn) = held.conn.take() {
                self.pool.give(conn);
            }
        }
        result
    }

    /// The prepared statement for the store's `sql` on the held connection.
    fn statement(&self, held: &mut Held, sql: &str) -> Result<Statement, DbError> {
        let translated = {
            let mut cache = self.sql.try_borrow_mut().map_err(|_| DbError::Reentered)?;
            if cache.len() >= STATEMENT_CACHE {
                cache.clear();
            }
            cache
                .entry(sql.to_string())
                .or_insert_with(|| translate(sql, &self.prefix))
                .clone()
        };
        let conn = held.conn()?;
        if let Some(st) = conn.statements.get(&translated) {
            return Ok(st.clone());
        }
        let st = held.run(|c| c.prepare(&translated))?;
        let conn = held.conn()?;
        if conn.statements.len() >= STATEMENT_CACHE {
            conn.statements.clear();
        }
        conn.statements.insert(translated, st.clone());
        Ok(st)
    }

    /// Every row of a query, read into [`Row`]s before any caller code runs (so that code may use this room).
    fn fetch(&self, sql: &str, args: &[Val]) -> Result<Vec<Row>, DbError> {
        self.with(|held| {
            let st = self.statement(held, sql)?;
            let params: Vec<Param<'_>> = args.iter().map(Param).collect();
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let rows = held.run(|c| c.query(&st, &refs))?;
            rows.iter().map(read).collect()
        })
    }

    /// The first row.
    fn first(&self, sql: &str, args: &[Val]) -> Result<Row, DbError> {
        self.fetch(sql, args)?
            .into_iter()
            .next()
            .ok_or(DbError::NoRow)
    }

    fn migration_lock_key(&self) -> String {
        format!("{}mlc_migrations", self.prefix)
    }

    /// Connections this process has open to the server (idle or in use), for tests.
    pub fn pool_open_count(&self) -> usize {
        self.pool.open_count()
    }
}

impl Held {
    fn conn(&mut self) -> Result<&mut Conn, DbError> {
        self.conn.as_mut().ok_or(DbError::Reentered)
    }

    /// Runs `f` on the client, noting a failure inside a transaction.
    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, DbError> {
        let result = f(&mut self.conn()?.client);
        if result.is_err() && self.in_tx {
            self.failed = true;
        }
        Ok(result?)
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        let held = self.held.get_mut();
        if let Some(mut conn) = held.conn.take() {
            // A transaction left open (an early return) is undone; a pinned session's lock ends with it.
            if held.pinned || (held.in_tx && conn.client.batch_execute("ROLLBACK").is_err()) {
                drop(conn);
                self.pool.forget();
            } else {
                self.pool.give(conn);
            }
        }
    }
}

/// Connects and sets the session's limits.
pub(super) fn open(config: &Config, busy_wait: Duration) -> Result<Client, DbError> {
    let mut client = config.connect(NoTls)?;
    // lock_timeout = 0 would mean "wait forever", unlike SQLite's busy_timeout 0: wait at least 1 ms.
    let max = u128::from(i32::MAX.unsigned_abs());
    let lock_ms = busy_wait.as_millis().clamp(1, max);
    let statement_ms = STATEMENT_TIMEOUT_MS.max(lock_ms.saturating_mul(2)).min(max);
    client.batch_execute(&format!(
        "SET lock_timeout = '{lock_ms}ms'; SET statement_timeout = '{statement_ms}ms'"
    ))?;
    Ok(client)
}

/// A store value bound as whatever type the statement wants of it, or a clear error (never a panic).
#[derive(Debug)]
struct Param<'a>(&'a Val);

/// Why a value could not be bound; it names types only, never the value.
#[derive(Debug, thiserror::Error)]
enum ParamError {
    #[error("the statement wants {wanted}, the store passed {found}")]
    Mismatch { wanted: String, found: &'static str },
    #[error("the integer does not fit {wanted}")]
    Range { wanted: &'static str },
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, BoxError> {
        let range = |wanted| Box::new(ParamError::Range { wanted });
        match (self.0, ty) {
            (Val::Null, _) => Ok(IsNull::Yes),
            (Val::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Val::Int(i), &Type::INT4) => i32::try_from(*i)
                .map_err(|_| range("int4"))?
                .to_sql(ty, out),
            (Val::Int(i), &Type::INT2) => i16::try_from(*i)
                .map_err(|_| range("int2"))?
                .to_sql(ty, out),
            (Val::Int(i @ (0 | 1)), &Type::BOOL) => (*i == 1).to_sql(ty, out),
            (Val::Int(_), &Type::BOOL) => Err(range("bool (0 or 1)")),
            (
                Val::Text(t),
                &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME | &Type::UNKNOWN,
            ) => t.as_str().to_sql(ty, out),
            (Val::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            // A payload SQLite kept as text (before compression) moving into PostgreSQL's bytes column.
            (Val::Text(t), &Type::BYTEA) => t.as_bytes().to_sql(ty, out),
            (v, ty) => Err(Box::new(ParamError::Mismatch {
                wanted: ty.name().to_string(),
                found: v.type_name(),
            })),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// One result row as [`Val`]s, by each column's type.
fn read(row: &postgres::Row) -> Result<Row, DbError> {
    let mut vals = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Val::Int(v.into())),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Val::Int(v.into())),
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Val::Int),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)?
                .map(|b| Val::Int(b.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(i)?.map(Val::Text)
            }
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob),
            ref other => {
                // NUMERIC (a SUM of BIGINTs) comes in binary only; the store's SQL casts it instead.
                return Err(DbError::Setup(format!(
                    "column {i} ({}) has type {other}; cast it in SQL",
                    col.name()
                )));
            }
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row::new(vals))
}

impl Db for PostgresDb {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn describe(&self) -> String {
        self.described.clone()
    }

    fn exec(&self, sql: &str, args: &[Val]) -> Result<usize, DbError> {
        self.with(|held| {
            let st = self.statement(held, sql)?;
            let params: Vec<Param<'_>> = args.iter().map(Param).collect();
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let n = held.run(|c| c.execute(&st, &refs))?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    fn insert(&self, sql: &str, args: &[Val]) -> Result<i64, DbError> {
        let sql = format!("{} RETURNING id", sql.trim_end().trim_end_matches(';'));
        self.first(&sql, args)?.get(0)
    }

    fn query(
        &self,
        sql: &str,
        args: &[Val],
        each: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        for row in self.fetch(sql, args)? {
            each(row)?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<(), DbError> {
        let sql = sql.replace("{prefix}", &self.prefix);
        self.with(|held| {
            let result = held.run(|c| c.batch_execute(&sql));
            // The batch may have changed tables a prepared statement was planned for.
            self.pool.schema_changed(held.conn()?);
            result
        })
    }

    fn begin(&self) -> Result<(), DbError> {
        self.with(|held| {
            held.run(|c| c.batch_execute("BEGIN"))?;
            held.in_tx = true;
            held.failed = false;
            Ok(())
        })
    }

    fn commit(&self) -> Result<(), DbError> {
        self.with(|held| {
            // Whatever happens below, the transaction ends (a COMMIT that fails ends it too: the server rolls
            // it back), and `with` gives the connection back.
            let failed = std::mem::take(&mut held.failed);
            held.in_tx = false;
            let client = &mut held.conn()?.client;
            if failed {
                // The server would roll back and report success; a statement in the aborted transaction gets
                // its error (25P02) instead. Only a client-side failure (a parameter of the wrong type) lets
                // it pass.
                if let Err(e) = client.batch_execute("SELECT 1") {
                    let _ = client.batch_execute("ROLLBACK");
                    return Err(e.into());
                }
            }
            Ok(client.batch_execute("COMMIT")?)
        })
    }

    fn rollback(&self) -> Result<(), DbError> {
        {
            let held = self.held.try_borrow().map_err(|_| DbError::Reentered)?;
            if !held.in_tx {
                return Ok(());
            }
        }
        self.with(|held| {
            held.in_tx = false;
            held.failed = false;
            let client = &mut held.conn()?.client;
            if client.is_closed() {
                // The server discarded the transaction with the connection.
                return Ok(());
            }
            Ok(client.batch_execute("ROLLBACK")?)
        })
    }

    fn try_lock(&self, key: &str) -> Result<bool, DbError> {
        // The prefix keeps two shops in one database from sharing locks.
        let key = Val::Text(format!("{}{key}", self.prefix));
        self.first(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(?1, 0))",
            &[key],
        )?
        .get(0)
    }

    fn schema_version(&self) -> Result<i64, DbError> {
        // Asked first, because a query of a missing table would abort the migration's transaction.
        let table = Val::Text(format!("{}schema_migrations", self.prefix));
        let exists: bool = self
            .first("SELECT to_regclass(?1) IS NOT NULL", &[table])?
            .get(0)?;
        if !exists {
            return Ok(0);
        }
        self.first(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0)
    }

    fn set_schema_version(&self, _version: i64) -> Result<(), DbError> {
        // The store's schema_migrations row is the version here; there is no user_version to set.
        Ok(())
    }

    fn lock_migrations(&self) -> Result<(), DbError> {
        // Waits up to the statement timeout rather than the lock wait: another instance may be migrating. One
        // simple query is one transaction, so a failed wait undoes the first SET too.
        let lock_ms = self
            .busy_wait
            .as_millis()
            .clamp(1, u128::from(i32::MAX.unsigned_abs()));
        let sql = format!(
            "SET lock_timeout = 0; SELECT pg_advisory_lock(hashtextextended('{}', 0)); \
             SET lock_timeout = '{lock_ms}ms'",
            self.migration_lock_key()
        );
        self.with(|held| {
            held.run(|c| c.batch_execute(&sql))?;
            held.pinned = true;
            Ok(())
        })
    }

    fn unlock_migrations(&self) -> Result<(), DbError> {
        let sql = format!(
            "SELECT pg_advisory_unlock(hashtextextended('{}', 0))",
            self.migration_lock_key()
        );
        self.with(|held| {
            // Unpinned even when the unlock fails: the connection is then dropped, which ends the lock.
            held.pinned = false;
            let result = held.run(|c| c.batch_execute(&sql));
            if result.is_err() {
                if let Some(conn) = held.conn.take() {
                    drop(conn);
                    self.pool.forget();
                }
            }
            result
        })
    }

    fn bytes_used(&self) -> Result<i64, DbError> {
        // Tables with their indexes and TOAST, the store's prefix only.
        let sql = format!(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE '{}%'",
            self.prefix
        );
        self.with(|held| {
            let row = held.run(|c| c.query_one(&sql, &[]))?;
            Ok(row.try_get::<_, i64>(0)?)
        })
    }

    fn announce(&self) -> Result<(), DbError> {
        let channel = Val::Text(wake::channel(&self.prefix));
        self.exec("SELECT pg_notify(?1, '')", &[channel])
            .map(|_| ())
    }

    fn drop_tables(&self) -> Result<(), DbError> {
        let list: Vec<String> = super::TABLES
            .iter()
            .map(|t| format!("{}{t}", self.prefix))
            .collect();
        let sql = format!(
            "DROP TABLE IF EXISTS {} CASCADE; DROP FUNCTION IF EXISTS {}audit_append_only()",
            list.join(", "),
            self.prefix
        );
        self.with(|held| {
            // Statements prepared against the dropped tables would fail on the new ones.
            self.pool.schema_changed(held.conn()?);
            held.run(|c| c.batch_execute(&sql))
        })
    }

    fn lock_for_copy(&self, tables: &[&str]) -> Result<(), DbError> {
        // SHARE mode: writers (ROW EXCLUSIVE) wait, readers do not; taking it waits for the writes under way.
        self.begin()?;
        let list: Vec<String> = tables
            .iter()
            .map(|t| format!("{}{t}", self.prefix))
            .collect();
        let sql = format!("LOCK TABLE {} IN SHARE MODE", list.join(", "));
        self.with(|held| held.run(|c| c.batch_execute(&sql)))
    }

    fn unlock_after_copy(&self) -> Result<(), DbError> {
        self.rollback()
    }

    fn ids_copied(&self, table: &str) -> Result<(), DbError> {
        // An identity column's sequence does not follow ids inserted explicitly.
        let name = format!("{}{table}", self.prefix);
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
        );
        self.with(|held| held.run(|c| c.batch_execute(&sql)))
    }
}

/// The error's SQLSTATE and message, without its detail line (which quotes key values) or its source chain.
pub(super) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL {}: {}", db.code().code(), db.message()),
        None if e.is_closed() => "the PostgreSQL connection is closed".to_string(),
        None => format!("PostgreSQL: {e}"),
    }
}

/// What kind of failure a PostgreSQL error is.
pub(super) fn failure(e: &postgres::Error) -> Failure {
    if let Some(state) = e.code() {
        return match state.code() {
            // Deadlock, serialization, lock_timeout, statement_timeout.
            "40P01" | "40001" | "55P03" | "57014" => Failure::Busy,
            "23505" => Failure::Unique,
            "53100" => Failure::Full,
            "XX001" | "XX002" => Failure::Corrupt,
            // Server shutting down, restarting or starting up, or out of connection slots: wait and reconnect.
            "57P01" | "57P02" | "57P03" | "53300" => Failure::Connection,
            c if c.starts_with("08") => Failure::Connection,
            _ => Failure::Other,
        };
    }
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        Failure::Connection
    } else {
        Failure::Other
    }
}

// The tests need a PostgreSQL server; they live in postgres/tests.rs to keep this file short.
pub mod pool;
mod sql;
pub mod wake;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod upgrade_tests;
