//! The SQLite room: one file per server, WAL, `BEGIN IMMEDIATE` write transactions. The store's SQL is SQLite's
//! own, so nothing is rewritten; statements go through rusqlite's prepared-statement cache.

use super::{Backend, Db, DbError, Failure, Row, Val};
use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql};
use std::path::Path;

/// Settings every store connection gets before its first statement.
///
/// QPSG, SQLite's query planner stability guarantee: one plan per statement, whatever its parameters. Without
/// it SQLite (3.54) marks a statement with `LIMIT ?`, an `ORDER BY` after bound keys, or a join, to be planned
/// again when a parameter gets a new value, and rusqlite's statement cache clears the bindings of each statement
/// it takes back, which always counts as new: the claim, the job read and the checkout's enqueue were parsed and
/// planned anew on every call (a quarter of the connector's CPU at batch 1). The store's plans come from its
/// indexes (it keeps no statistics), so no value would change them.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(64);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

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

    /// SQLite empties every table instead, in place and in one transaction: other processes may have the file
    /// open, and see it either as it was or empty, never without its tables (a file renamed or deleted under them
    /// corrupts: an old connection's last close deletes the WAL by name, which is then the new file's). The
    /// audit's append-only triggers are set aside for the transaction, foreign keys checked at its end.
    fn drop_tables(&self) -> Result<(), DbError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        let triggers: Vec<(String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (name, _) in &triggers {
            tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
        }
        for table in super::TABLES.iter().filter(|t| **t != "schema_migrations") {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        for (_, sql) in &triggers {
            tx.execute_batch(sql)?;
        }
        tx.commit()?;
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

/// Issue #15: a new database file is readable by its owner only (it holds customers' names, addresses and
/// e-mails); SQLite gives its `-wal` and `-shm` files the same mode. An existing file, or a path SQLite will
/// refuse anyway, is left to `open` to report.
pub(crate) fn create_private(path: &Path) {
    let text = path.to_string_lossy();
    if text.starts_with("file:") || text == ":memory:" || text.is_empty() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    #[cfg(not(unix))]
    let _ = path;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::args;
    use rusqlite::StatementStatus;

    /// The statement shapes SQLite would plan again for new values (a join, `ORDER BY` after bound keys,
    /// `LIMIT ?`) keep their first plan through the statement cache: no statement is compiled twice.
    #[test]
    fn cached_statements_are_planned_once() {
        let conn = Connection::open_in_memory().expect("open");
        configure(&conn).expect("configure");
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, n INTEGER); CREATE INDEX t_k ON t (k, n);
             CREATE TABLE u (t_id INTEGER PRIMARY KEY, v BLOB);",
        )
        .expect("schema");
        let db = SqliteDb::new(conn, ":memory:".into());
        let shapes = [
            "SELECT t.id, u.v FROM t JOIN u ON u.t_id = t.id WHERE t.id = ?1 AND ?2 = ?2",
            "SELECT id FROM t WHERE k = ?1 AND n = ?2 ORDER BY id DESC LIMIT 1",
            "SELECT id FROM t WHERE k = ?1 AND n >= ?2 ORDER BY n LIMIT ?2",
        ];
        for i in 0..5_i64 {
            db.exec(
                "INSERT INTO t (k, n) VALUES (?1, ?2)",
                args![format!("k{i}"), i],
            )
            .expect("insert");
            for sql in shapes {
                db.query(sql, args![format!("k{i}"), i + 1], &mut |_| Ok(()))
                    .expect("query");
            }
        }
        for sql in shapes {
            let stmt = db.conn.prepare_cached(sql).expect("cached");
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
