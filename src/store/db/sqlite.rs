//! The SQLite room: one file per server, WAL, `BEGIN IMMEDIATE` write transactions. The store's SQL is SQLite's
//! own, so nothing is rewritten; statements go through rusqlite's prepared-statement cache.

use super::{Backend, Db, DbError, Failure, Row, Val};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql};

/// A SQLite connection and where its file is.
pub struct SqliteDb {
    conn: Connection,
    path: String,
}

impl SqliteDb {
    /// Wraps an open connection; `path` is for messages (`:memory:` in memory).
    pub fn new(conn: Connection, path: String) -> Self {
        Self { conn, path }
    }
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn read(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        // The store writes no REAL column; a hand-edited one is kept readable as text.
        ValueRef::Real(f) => Val::Text(f.to_string()),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

impl Db for SqliteDb {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn describe(&self) -> String {
        self.path.clone()
    }

    fn exec(&self, sql: &str, args: &[Val]) -> Result<usize, DbError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(args))?)
    }

    fn insert(&self, sql: &str, args: &[Val]) -> Result<i64, DbError> {
        self.exec(sql, args)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn query(
        &self,
        sql: &str,
        args: &[Val],
        each: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(columns);
            for i in 0..columns {
                vals.push(read(r.get_ref(i)?));
            }
            each(Row::new(vals))?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<(), DbError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn begin(&self) -> Result<(), DbError> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&self) -> Result<(), DbError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn rollback(&self) -> Result<(), DbError> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }

    fn try_lock(&self, _key: &str) -> Result<bool, DbError> {
        Ok(true)
    }

    fn schema_version(&self) -> Result<i64, DbError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn set_schema_version(&self, version: i64) -> Result<(), DbError> {
        Ok(self.conn.pragma_update(None, "user_version", version)?)
    }

    fn lock_migrations(&self) -> Result<(), DbError> {
        // Each migration runs in a `BEGIN IMMEDIATE` transaction that rereads the version: that is the lock.
        Ok(())
    }

    fn unlock_migrations(&self) -> Result<(), DbError> {
        Ok(())
    }

    fn bytes_used(&self) -> Result<i64, DbError> {
        // The whole file (every page, free ones included), as the disk sees it after a checkpoint.
        let pages: i64 = self
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))?;
        let size: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))?;
        Ok(pages.saturating_mul(size))
    }

    fn sqlite(&self) -> Option<&Connection> {
        Some(&self.conn)
    }

    fn sqlite_mut(&mut self) -> Option<&mut Connection> {
        Some(&mut self.conn)
    }
}

/// What kind of failure a SQLite error is.
pub(super) fn failure(e: &rusqlite::Error) -> Failure {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Failure::Corrupt,
        Some(ErrorCode::DiskFull) => Failure::Full,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Failure::Busy,
        Some(ErrorCode::ConstraintViolation)
            if matches!(e, rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
        {
            Failure::Unique
        }
        Some(ErrorCode::CannotOpen) => Failure::Connection,
        _ => Failure::Other,
    }
}
