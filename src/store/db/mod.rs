//! The one interface the store's SQL goes through, with one room per database engine (issue #16):
//! [`sqlite`] (one file per server, the default), [`mysql`] (the shop's own WordPress database, MariaDB ≥ 10.6 or
//! MySQL ≥ 8.0) and [`postgres`] (the connector service with many instances).
//!
//! The store writes its SQL once, with SQLite's numbered placeholders (`?1`, `?2`, …); each room rewrites them for
//! its engine. Where the engines' SQL differs (upserts, claims), the store asks [`Db::backend`] and picks. A room
//! uses its connection through `&self` (one thread at a time holds a store), so a transaction can be passed
//! around as freely as rusqlite's `&Connection` was.

pub mod mysql;
pub mod postgres;
mod rewrite;
pub mod sqlite;
mod urls;

pub(crate) use rewrite::{placeholders, prefix_tables, TABLES};
pub(crate) use urls::{redact_url, strip_param, url_param, with_param};

use std::fmt;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (the default).
    Sqlite,
    /// MariaDB or MySQL (the WordPress database).
    MySql,
    /// PostgreSQL (the connector service).
    Postgres,
}

impl Backend {
    /// The name used in settings, errors and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::MySql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value going to or coming from a database.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (binary columns).
    Blob(Vec<u8>),
}

impl Val {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Int(_) => "integer",
            Self::Text(_) => "text",
            Self::Blob(_) => "bytes",
        }
    }
}

/// Turns a Rust value into a [`Val`] (what `rusqlite::ToSql` was for the store's parameters).
pub trait ToVal {
    /// The value.
    fn to_val(&self) -> Val;
}

impl ToVal for Val {
    fn to_val(&self) -> Val {
        self.clone()
    }
}
impl ToVal for i64 {
    fn to_val(&self) -> Val {
        Val::Int(*self)
    }
}
impl ToVal for i32 {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for u32 {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for u16 {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for u8 {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for bool {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for str {
    fn to_val(&self) -> Val {
        Val::Text(self.to_string())
    }
}
impl ToVal for String {
    fn to_val(&self) -> Val {
        Val::Text(self.clone())
    }
}
impl ToVal for [u8] {
    fn to_val(&self) -> Val {
        Val::Blob(self.to_vec())
    }
}
impl ToVal for Vec<u8> {
    fn to_val(&self) -> Val {
        Val::Blob(self.clone())
    }
}
impl<T: ToVal + ?Sized> ToVal for &T {
    fn to_val(&self) -> Val {
        (**self).to_val()
    }
}
impl<T: ToVal> ToVal for Option<T> {
    fn to_val(&self) -> Val {
        self.as_ref().map_or(Val::Null, ToVal::to_val)
    }
}

/// The parameters of one statement: `args![a, b]` (as `rusqlite::params!`).
#[macro_export]
#[doc(hidden)]
macro_rules! args {
    () => { &[] as &[$crate::store::db::Val] };
    ($($x:expr),+ $(,)?) => { &[$($crate::store::db::ToVal::to_val(&$x)),+] as &[$crate::store::db::Val] };
}
pub(crate) use args;

/// Reads a Rust value out of a [`Val`].
pub trait FromVal: Sized {
    /// The value, or [`DbError::Type`] when the column holds something else.
    fn from_val(v: Val) -> Result<Self, Val>;
}

impl FromVal for i64 {
    fn from_val(v: Val) -> Result<Self, Val> {
        match v {
            Val::Int(i) => Ok(i),
            // MySQL sends DECIMAL (a SUM) and, in some protocols, integers as text.
            Val::Text(ref t) => t.trim().parse().map_err(|_| v),
            Val::Blob(ref b) => std::str::from_utf8(b)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .ok_or(v),
            Val::Null => Err(v),
        }
    }
}
impl FromVal for u32 {
    fn from_val(v: Val) -> Result<Self, Val> {
        let i = i64::from_val(v.clone())?;
        u32::try_from(i).map_err(|_| v)
    }
}
impl FromVal for Val {
    fn from_val(v: Val) -> Result<Self, Val> {
        Ok(v)
    }
}
impl FromVal for bool {
    fn from_val(v: Val) -> Result<Self, Val> {
        i64::from_val(v).map(|i| i != 0)
    }
}
impl FromVal for String {
    fn from_val(v: Val) -> Result<Self, Val> {
        match v {
            Val::Text(t) => Ok(t),
            Val::Blob(b) => String::from_utf8(b).map_err(|e| Val::Blob(e.into_bytes())),
            other => Err(other),
        }
    }
}
impl FromVal for Vec<u8> {
    fn from_val(v: Val) -> Result<Self, Val> {
        match v {
            Val::Blob(b) => Ok(b),
            Val::Text(t) => Ok(t.into_bytes()),
            other => Err(other),
        }
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: Val) -> Result<Self, Val> {
        match v {
            Val::Null => Ok(None),
            other => T::from_val(other).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    vals: Vec<Val>,
}

impl Row {
    /// A row of these values (rooms build rows with it).
    pub fn new(vals: Vec<Val>) -> Self {
        Self { vals }
    }

    /// Column `i` (0-based) as `T`.
    ///
    /// # Errors
    /// [`DbError::Type`] when the column is missing or holds another type.
    pub fn get<T: FromVal>(&self, i: usize) -> Result<T, DbError> {
        let v = self.vals.get(i).cloned().ok_or(DbError::Type {
            column: i,
            wanted: std::any::type_name::<T>(),
            found: "no such column",
        })?;
        T::from_val(v).map_err(|v| DbError::Type {
            column: i,
            wanted: std::any::type_name::<T>(),
            found: v.type_name(),
        })
    }
}

/// What kind of failure a database error is, for [`crate::store::StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Another connection holds a lock (busy, deadlock, lock wait timeout, serialization): retry.
    Busy,
    /// The disk or a size cap is full.
    Full,
    /// The database is damaged or not a database.
    Corrupt,
    /// A unique key already holds this value.
    Unique,
    /// The server cannot be reached or the connection broke.
    Connection,
    /// Anything else.
    Other,
}

/// A failure of one of the engines.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// SQLite's error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's error. Shown as its code and message only: its detail line and its source chain can quote
    /// the row's values (a customer's e-mail in a key), which must not reach a log.
    #[error("{}", postgres::describe(.0))]
    Postgres(::postgres::Error),
    /// MySQL's or MariaDB's error, shown without the values its messages can quote (see [`mysql::describe`]).
    #[error("{}", mysql::describe(.0))]
    MySql(::mysql::Error),
    /// A column held another type than the store wrote.
    #[error("column {column} holds {found}, expected {wanted}")]
    Type {
        /// The column index.
        column: usize,
        /// The Rust type wanted.
        wanted: &'static str,
        /// What the row held.
        found: &'static str,
    },
    /// A query that must return a row returned none.
    #[error("the query returned no row")]
    NoRow,
    /// The connection is used while a statement on it is still running (a store bug, reported, never a panic).
    #[error("the connection is already in use")]
    Reentered,
    /// A connection setting was refused or a URL is malformed.
    #[error("{0}")]
    Setup(String),
    /// Every connection of the process's pool stayed in use for the whole wait (retried like a busy lock).
    #[error("all {0} database connections of this process are in use")]
    PoolExhausted(usize),
}

impl From<::postgres::Error> for DbError {
    fn from(e: ::postgres::Error) -> Self {
        Self::Postgres(e)
    }
}

impl From<::mysql::Error> for DbError {
    fn from(e: ::mysql::Error) -> Self {
        Self::MySql(e)
    }
}

impl DbError {
    /// What kind of failure this is.
    pub fn failure(&self) -> Failure {
        match self {
            Self::Sqlite(e) => sqlite::failure(e),
            Self::Postgres(e) => postgres::failure(e),
            Self::MySql(e) => mysql::failure(e),
            Self::PoolExhausted(_) => Failure::Busy,
            Self::Type { .. } | Self::NoRow | Self::Reentered | Self::Setup(_) => Failure::Other,
        }
    }

    /// Whether the server ended the whole transaction to break a lock conflict and asks for it to be run
    /// again: a deadlock (MariaDB/MySQL 1213 "try restarting transaction", PostgreSQL 40P01) or a serialization
    /// failure (PostgreSQL 40001). Nothing of the transaction was written.
    pub fn asks_to_run_again(&self) -> bool {
        match self {
            Self::MySql(::mysql::Error::MySqlError(e)) => e.code == 1213,
            Self::Postgres(e) => e
                .code()
                .is_some_and(|c| matches!(c.code(), "40P01" | "40001")),
            _ => false,
        }
    }
}

/// One connection to one engine. The store's SQL uses `?N` placeholders; every room accepts them.
pub trait Db: Send {
    /// The engine.
    fn backend(&self) -> Backend;
    /// Where the data lives, for messages: a path, or a URL without its password.
    fn describe(&self) -> String;
    /// Runs one statement; returns the rows it changed.
    ///
    /// # Errors
    /// The engine's error.
    fn exec(&self, sql: &str, args: &[Val]) -> Result<usize, DbError>;
    /// Runs an INSERT into a table with an `id` key; returns the new row's id.
    ///
    /// # Errors
    /// The engine's error.
    fn insert(&self, sql: &str, args: &[Val]) -> Result<i64, DbError>;
    /// Runs a query and gives each row to `each`.
    ///
    /// # Errors
    /// The engine's error, or the first error of `each`.
    fn query(
        &self,
        sql: &str,
        args: &[Val],
        each: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError>;
    /// Runs statements separated by `;` without parameters (migrations).
    ///
    /// # Errors
    /// The engine's error.
    fn batch(&self, sql: &str) -> Result<(), DbError>;
    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`, the write lock up front).
    ///
    /// # Errors
    /// The engine's error.
    fn begin(&self) -> Result<(), DbError>;
    /// Commits the transaction.
    ///
    /// # Errors
    /// The engine's error.
    fn commit(&self) -> Result<(), DbError>;
    /// Rolls the transaction back.
    ///
    /// # Errors
    /// The engine's error.
    fn rollback(&self) -> Result<(), DbError>;
    /// Within a transaction, takes the lock named `key` until the transaction ends, without waiting: `false` when
    /// another connection holds it. SQLite's write transaction already excludes every other writer, so its room
    /// always says `true`.
    ///
    /// # Errors
    /// The engine's error.
    fn try_lock(&self, key: &str) -> Result<bool, DbError>;
    /// The newest migration applied (0 for an empty database).
    ///
    /// # Errors
    /// The engine's error.
    fn schema_version(&self) -> Result<i64, DbError>;
    /// Records `version` as applied, inside the migration's transaction.
    ///
    /// # Errors
    /// The engine's error.
    fn set_schema_version(&self, version: i64) -> Result<(), DbError>;
    /// Serializes migrations between processes starting at once (a lock held until [`Db::unlock_migrations`]).
    ///
    /// # Errors
    /// The engine's error.
    fn lock_migrations(&self) -> Result<(), DbError>;
    /// Releases [`Db::lock_migrations`].
    ///
    /// # Errors
    /// The engine's error.
    fn unlock_migrations(&self) -> Result<(), DbError>;
    /// Keeps every other connection from writing `tables` (reading stays possible) until
    /// [`Db::unlock_after_copy`]; waits for write transactions already running. SQLite: `BEGIN IMMEDIATE`.
    ///
    /// # Errors
    /// The engine's error.
    fn lock_for_copy(&self, _tables: &[&str]) -> Result<(), DbError> {
        self.begin()
    }
    /// Ends [`Db::lock_for_copy`].
    ///
    /// # Errors
    /// The engine's error.
    fn unlock_after_copy(&self) -> Result<(), DbError> {
        self.rollback()
    }
    /// Rows were inserted into `table` with their ids: the next generated id must come after them (PostgreSQL's
    /// identity sequence does not follow explicit ids; SQLite and MySQL do).
    ///
    /// # Errors
    /// The engine's error.
    fn ids_copied(&self, _table: &str) -> Result<(), DbError> {
        Ok(())
    }
    /// Drops every table of the store (a queue that was moved away and is being reused), so that migrations
    /// create them again (SQLite: empties them, see its implementation).
    ///
    /// # Errors
    /// The engine's error.
    fn drop_tables(&self) -> Result<(), DbError>;
    /// Issue #16: says, inside the transaction that queued a job, that the store has a job to send, so that the
    /// process sending it wakes up at commit (PostgreSQL: `pg_notify`, see `postgres::wake`). A no-op elsewhere.
    ///
    /// # Errors
    /// The engine's error.
    fn announce(&self) -> Result<(), DbError> {
        Ok(())
    }
    /// Bytes the store's tables and indexes take on disk (for the storage benchmark and `status`).
    ///
    /// # Errors
    /// The engine's error.
    fn bytes_used(&self) -> Result<i64, DbError>;
    /// The SQLite connection, for the SQLite-only maintenance calls (pragmas, checkpoints).
    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        None
    }
    /// The same, to install SQLite's busy handler.
    fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        None
    }
}

impl dyn Db + '_ {
    /// Every row, each read by `f`.
    ///
    /// # Errors
    /// The engine's error or `f`'s.
    pub fn rows<T>(
        &self,
        sql: &str,
        args: &[Val],
        mut f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        let mut out = Vec::new();
        self.query(sql, args, &mut |r| {
            out.push(f(&r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row read by `f`, or `None`.
    ///
    /// # Errors
    /// The engine's error or `f`'s.
    pub fn row_opt<T>(
        &self,
        sql: &str,
        args: &[Val],
        mut f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        let mut out = None;
        self.query(sql, args, &mut |r| {
            if out.is_none() {
                out = Some(f(&r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row read by `f`; [`DbError::NoRow`] when there is none.
    ///
    /// # Errors
    /// The engine's error, `f`'s, or [`DbError::NoRow`].
    pub fn row<T>(
        &self,
        sql: &str,
        args: &[Val],
        f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.row_opt(sql, args, f)?.ok_or(DbError::NoRow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_their_types() {
        let row = Row::new(vec![
            Val::Int(7),
            Val::Blob(b"text".to_vec()),
            Val::Null,
            Val::Blob(b"42".to_vec()),
        ]);
        assert_eq!(row.get::<i64>(0).expect("int"), 7);
        assert_eq!(row.get::<String>(1).expect("text"), "text");
        assert_eq!(row.get::<Option<String>>(2).expect("null"), None);
        assert_eq!(row.get::<i64>(3).expect("decimal text"), 42);
        assert!(row.get::<String>(0).is_err());
        assert!(row.get::<i64>(9).is_err());
    }
}
