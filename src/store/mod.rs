//! The only SQL in the crate: one SQLite file holding the job queue ([`queue`]), the audit trail ([`audit`]),
//! the WooCommerce ↔ Visma id map ([`idmap`]), polling cursors ([`cursors`]) and encrypted credentials
//! ([`credentials`], keys in [`crypto`]).
//!
//! This file opens the database, sets and reads back the pragmas, applies the numbered migrations and maps
//! SQLite failures to [`StoreError`]. Rules every submodule keeps: one connection per [`Store`], writes in short
//! `BEGIN IMMEDIATE` transactions, every UPDATE keyed by id and expected state with zero rows changed treated as
//! an error, the audit row written in the same transaction as the change it describes. No HTTP, no mapping here.
//!
//! Fork safety (`NOTES-ext-php-rs.md` §4.1, sqlite.org/howtocorrupt.html §2.6): a `Store` remembers the process
//! that opened it. Used in another process (after `fork()`), every call fails with [`StoreError::Forked`] and the
//! connection is leaked rather than closed, so the child never touches the parent's file handles.
//!
//! Where the file lives: the caller chooses (CLI flag or plugin setting). Put it outside the web root — e.g.
//! `wp-content/../ml-connector/queue.sqlite` or `/var/lib/ml-connector/` — since the web server must never serve it.

pub mod audit;
mod busy;
pub mod credentials;
pub mod crypto;
pub mod cursors;
pub mod customer_index;
pub mod db;
mod encoding;
mod enqueue;
mod error;
pub mod flags;
mod gate;
pub mod idmap;
mod jobs;
mod lease;
mod merge;
mod migrate;
pub mod notes;
mod outcome;
mod payload;
pub mod queue;
mod servers;
mod transfer;
mod tx;
use tx::Tx;

pub use audit::{Attempt, AuditAction, AuditEntry, AuditEvent, AuditQuery};
pub use crypto::Key;
pub use cursors::Cursor;
pub use error::StoreError;
pub use flags::{InstanceLease, Pause};
pub use idmap::{Books, Mapping, NewMapping};
pub use jobs::payload_hash;
pub use merge::Merged;
pub use migrate::{migrations, schema_version, Migration};
pub use notes::Note;
pub use outcome::{Finished, NextClaim, Outcome, Recorded};
pub use queue::{
    ClaimedJob, Completion, Dependency, DocKind, EnqueueOutcome, Job, JobFilter, JobId, JobKind,
    JobSource, JobState, Lease, NewJob, RetryOutcome, StateCounts,
};
pub use transfer::{Moved, MOVED as MOVED_FLAG};

use chrono::{DateTime, Utc};
use db::{Db, DbError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Tunables for [`Store::open_with`]. The defaults suit PHP-FPM workers sharing one file.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a write waits for another process's transaction before failing with [`StoreError::Busy`].
    pub busy_timeout: Duration,
    /// Claims a job may use before a retry or an expired lease makes it `dead`.
    pub max_attempts: u32,
    /// Caps the database size in pages (`PRAGMA max_page_count`); `None` leaves SQLite's limit.
    pub max_page_count: Option<u32>,
    /// WAL frames after which a committing connection copies the log into the database and fsyncs it
    /// (`PRAGMA wal_autocheckpoint`). SQLite's 1000 made every ~30th checkout enqueue pay that copy and fsync
    /// (p99 ≈ 10 ms in `benches/pipeline` on this machine); [`Store::checkpoint`] after each drain does the
    /// work in the background, and this is only the cap on WAL growth (≈ 40 MB) when nothing drains.
    pub wal_autocheckpoint_pages: u32,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size = -N`). Issue #8: SQLite's 2 MiB filled up in
    /// a PHP-FPM worker that only enqueues, and that was a quarter of the extension's memory per worker; with
    /// several workers writing, each transaction starts on a reset cache anyway, so 1 MiB costs no speed.
    pub cache_kib: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_millis(5000),
            max_attempts: 10,
            max_page_count: None,
            wal_autocheckpoint_pages: 10_000,
            cache_kib: 1024,
        }
    }
}

/// An open database: one connection (SQLite, MariaDB/MySQL or PostgreSQL), owned by one process and used by one
/// thread at a time.
pub struct Store {
    /// Always `Some` until `Drop`; an `Option` so a forked child can leak it instead of closing it.
    conn: Option<Box<dyn Db>>,
    pid: u32,
    path: Option<PathBuf>,
    max_attempts: u32,
    /// How long a write waits for another connection's lock (`StoreOptions::busy_timeout`).
    busy_wait: Duration,
    /// When this connection last pruned payloads (`Store::housekeep`).
    last_prune: std::cell::Cell<Option<DateTime<Utc>>>,
    /// The in-process turn of a SQLite file's writers (`gate`); none in memory or on a database server.
    gate: Option<&'static gate::Gate>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            // In a forked child the parent's connection is leaked on purpose: closing it could checkpoint or
            // unlock the parent's file (see the module docs).
            if let Some(conn) = self.conn.take() {
                std::mem::forget(conn);
            }
        }
    }
}

impl Store {
    /// Opens (creating if missing) the database at `path` with default [`StoreOptions`].
    ///
    /// # Errors
    /// [`StoreError::Open`] when the file cannot be opened, [`StoreError::Corrupt`] when it is not a SQLite
    /// database or is damaged, [`StoreError::PragmaIgnored`] when SQLite did not apply a required setting,
    /// [`StoreError::TooNew`] when a newer build already migrated it, [`StoreError::Migration`] when a migration
    /// fails, [`StoreError::Busy`] when other processes held the lock past the busy timeout.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// Opens the database at `path` with explicit options.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        db::sqlite::create_private(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source: source.into(),
        })?;
        Self::init(conn, Some(path.to_path_buf()), options)
    }

    /// A private in-memory database with the full schema (tests, dry runs).
    ///
    /// # Errors
    /// As [`Store::open`] (in practice only a failing migration).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::open_in_memory_with(&StoreOptions::default())
    }

    /// A private in-memory database with explicit options.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_in_memory_with(options: &StoreOptions) -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source: source.into(),
        })?;
        Self::init(conn, None, options)
    }

    fn init(
        conn: Connection,
        path: Option<PathBuf>,
        options: &StoreOptions,
    ) -> Result<Self, StoreError> {
        let text = path
            .as_ref()
            .map_or_else(|| ":memory:".to_string(), |p| p.display().to_string());
        db::sqlite::configure(&conn).map_err(|source| StoreError::Open {
            path: text.clone(),
            source: source.into(),
        })?;
        let gate = path.as_deref().map(gate::for_file);
        let mut store = Self {
            conn: Some(Box::new(db::sqlite::SqliteDb::new(conn, text.clone()))),
            pid: std::process::id(),
            path,
            max_attempts: options.max_attempts.max(1),
            busy_wait: options.busy_timeout,
            last_prune: std::cell::Cell::new(None),
            gate,
        };
        store.apply_pragmas(options)?;
        // After the pragmas (setting `busy_timeout` replaces any handler): the same limit with finer pauses (see
        // `busy`). The `busy_timeout` pragma reads 0 from here on; [`Store::busy_wait`] holds the limit.
        let sqlite = store
            .conn
            .as_mut()
            .and_then(|c| c.sqlite_mut())
            .ok_or(StoreError::Closed)?;
        busy::install(sqlite).map_err(|e| error::classify("busy handler", &text, e.into()))?;
        store.migrate()?;
        Ok(store)
    }

    /// Where this database lives (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Claims a job may use before it is declared dead.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long a write waits for another connection's lock before failing with [`StoreError::Busy`].
    pub fn busy_wait(&self) -> Duration {
        self.busy_wait
    }

    fn apply_pragmas(&self, options: &StoreOptions) -> Result<(), StoreError> {
        let conn = self.sqlite("pragmas")?;
        let timeout_ms = i64::try_from(options.busy_timeout.as_millis()).unwrap_or(i64::MAX);
        // busy_timeout first, so the WAL switch below waits for other processes opening the same file.
        let busy: i64 = conn
            .pragma_update_and_check(None, "busy_timeout", timeout_ms, |r| r.get(0))
            .map_err(|e| self.classify("pragma busy_timeout", e))?;
        expect_pragma("busy_timeout", &timeout_ms.to_string(), &busy.to_string())?;

        let wanted_journal = if self.path.is_some() { "wal" } else { "memory" };
        let journal = self.set_journal_mode_wal()?;
        expect_pragma(
            "journal_mode",
            wanted_journal,
            &journal.to_ascii_lowercase(),
        )?;

        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.classify("pragma foreign_keys", e))?;
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .map_err(|e| self.classify("pragma foreign_keys", e))?;
        expect_pragma("foreign_keys", "1", &fk.to_string())?;

        // NORMAL is durable across application crashes in WAL mode; only a power loss can drop the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.classify("pragma synchronous", e))?;
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .map_err(|e| self.classify("pragma synchronous", e))?;
        expect_pragma("synchronous", "1", &sync.to_string())?;

        let checkpoint: i64 = conn
            .pragma_update_and_check(
                None,
                "wal_autocheckpoint",
                options.wal_autocheckpoint_pages,
                |r| r.get(0),
            )
            .map_err(|e| self.classify("pragma wal_autocheckpoint", e))?;
        expect_pragma(
            "wal_autocheckpoint",
            &options.wal_autocheckpoint_pages.to_string(),
            &checkpoint.to_string(),
        )?;

        let cache = -i64::from(options.cache_kib.max(64));
        conn.pragma_update(None, "cache_size", cache)
            .map_err(|e| self.classify("pragma cache_size", e))?;
        let got: i64 = conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .map_err(|e| self.classify("pragma cache_size", e))?;
        expect_pragma("cache_size", &cache.to_string(), &got.to_string())?;

        if let Some(pages) = options.max_page_count {
            let got: i64 = conn
                .pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))
                .map_err(|e| self.classify("pragma max_page_count", e))?;
            // SQLite never sets the cap below the current size; it then reports the size it kept.
            if got != i64::from(pages) && got != self.page_count()? {
                expect_pragma("max_page_count", &pages.to_string(), &got.to_string())?;
            }
        }
        Ok(())
    }

    /// Switching to WAL needs a moment of exclusive access; when several processes create the file at once the
    /// switch can report busy without waiting, so it is retried briefly.
    fn set_journal_mode_wal(&self) -> Result<String, StoreError> {
        let mut tries = 0;
        loop {
            match self.sqlite("journal_mode")?.pragma_update_and_check(
                None,
                "journal_mode",
                "WAL",
                |r| r.get::<_, String>(0),
            ) {
                Ok(mode) => return Ok(mode),
                Err(e) => {
                    let err = self.classify("pragma journal_mode", e);
                    tries += 1;
                    if !err.is_retryable() || tries >= 100 {
                        return Err(err);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    /// Copies what the WAL holds into the database file without waiting for readers or writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`), so the checkout path does not have to. The drain calls it after its
    /// work. Returns the WAL frames not yet copied (a reader still needs them; the next checkpoint takes them).
    ///
    /// # Errors
    /// SQLite failures other than another connection's checkpoint running at the same time (that one does the work).
    pub fn checkpoint(&self) -> Result<i64, StoreError> {
        if self.path.is_none() {
            return Ok(0);
        }
        let Some(conn) = self.conn()?.sqlite() else {
            return Ok(0);
        };
        let row = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| self.classify("wal_checkpoint", e))?;
        // (busy, frames in the log, frames copied); busy = 1 when another checkpoint held the lock.
        let (_, logged, copied) = row;
        Ok(logged.saturating_sub(copied).max(0))
    }

    /// The database size in pages.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] (or a more specific variant) when SQLite fails.
    pub fn page_count(&self) -> Result<i64, StoreError> {
        self.sqlite("page_count")?
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .map_err(|e| self.classify("page_count", e))
    }

    /// Reads a pragma back, for operators and tests (`journal_mode`, `busy_timeout`, `foreign_keys`, …).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when SQLite fails.
    pub fn pragma(&self, name: &'static str) -> Result<String, StoreError> {
        self.sqlite("pragma")?
            .pragma_query_value(None, name, |r| {
                let v: rusqlite::types::Value = r.get(0)?;
                Ok(match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Real(f) => f.to_string(),
                    _ => String::new(),
                })
            })
            .map_err(|e| self.classify("pragma", e))
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when SQLite fails.
    pub fn user_version(&self) -> Result<i64, StoreError> {
        self.conn()?
            .schema_version()
            .map_err(|e| self.classify("user_version", e))
    }

    /// Runs `PRAGMA quick_check` over the whole file (slow on large files; for `status` and after a crash).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when SQLite reports damage.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        // A database server checks its own pages.
        let Some(conn) = self.conn()?.sqlite() else {
            return Ok(());
        };
        let mut stmt = conn
            .prepare("PRAGMA quick_check")
            .map_err(|e| self.classify("quick_check", e))?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.classify("quick_check", e))?;
        if rows.len() == 1 && rows.first().map(String::as_str) == Some("ok") {
            return Ok(());
        }
        Err(StoreError::Corrupt {
            path: self.path_text(),
            detail: rows.join("; ").chars().take(500).collect(),
            source: None,
        })
    }

    /// The connection, or [`StoreError::Forked`] when this `Store` was opened by another process.
    fn conn(&self) -> Result<&dyn Db, StoreError> {
        let current = std::process::id();
        if current != self.pid {
            return Err(StoreError::Forked {
                opened_by: self.pid,
                current,
            });
        }
        busy::set_limit(self.busy_wait);
        self.conn.as_deref().ok_or(StoreError::Closed)
    }

    /// The SQLite connection, for the SQLite-only maintenance calls; other engines tune themselves.
    fn sqlite(&self, op: &'static str) -> Result<&Connection, StoreError> {
        self.conn()?.sqlite().ok_or_else(|| StoreError::Invalid {
            field: "database",
            reason: format!(
                "{op} applies to SQLite only; this store is on {}",
                self.backend()
            ),
        })
    }

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`, the write lock taken up front so the transaction
    /// never has to upgrade, and then fail, half-way). Dropped without [`Store::commit`], it rolls back.
    ///
    /// Issue #16: a queue moved to another database refuses every write ([`StoreError::Moved`]); the check is
    /// inside the transaction, so on SQLite no write can slip in between a move's mark and its copy.
    fn begin(&self) -> Result<Tx<'_>, StoreError> {
        let tx = self.begin_unfenced()?;
        let moved: Option<String> = tx
            .row_opt(
                "SELECT value FROM queue_flags WHERE name = ?1",
                db::args![transfer::MOVED],
                |r| r.get(0),
            )
            .map_err(|e| self.classify("begin", e))?;
        if let Some(value) = moved {
            let to = serde_json::from_str::<serde_json::Value>(&value)
                .ok()
                .and_then(|v| v["to"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(StoreError::Moved { to });
        }
        Ok(tx)
    }

    /// [`Store::begin`] without the moved check (migrations run before `queue_flags` exists).
    fn begin_unfenced(&self) -> Result<Tx<'_>, StoreError> {
        let db = self.conn()?;
        let turn = self.gate.and_then(|g| g.enter(self.busy_wait));
        db.begin().map_err(|e| self.classify("begin", e))?;
        Ok(Tx {
            db,
            open: true,
            _turn: turn,
        })
    }

    fn commit(&self, mut tx: Tx<'_>, op: &'static str) -> Result<(), StoreError> {
        tx.open = false;
        tx.db.commit().map_err(|e| {
            // A failed COMMIT leaves some engines inside the transaction; end it so the connection is usable.
            let _ = tx.db.rollback();
            self.classify(op, e)
        })
    }

    fn path_text(&self) -> String {
        match (&self.path, &self.conn) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(c)) => c.describe(),
            (None, None) => ":memory:".to_string(),
        }
    }

    /// Maps a database failure to the variant that says what happened and whether to retry.
    fn classify(&self, op: &'static str, e: impl Into<DbError>) -> StoreError {
        error::classify(op, &self.path_text(), e.into())
    }
}

fn expect_pragma(pragma: &'static str, expected: &str, actual: &str) -> Result<(), StoreError> {
    if expected == actual {
        Ok(())
    } else {
        Err(StoreError::PragmaIgnored {
            pragma,
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

/// UTC time in the one fixed-width text form the schema stores, so text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses a stored timestamp; a value the store did not write is reported, not guessed.
pub(crate) fn parse_ts(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::BadRow {
            table,
            column,
            value: text.chars().take(64).collect(),
        })
}

/// A WooCommerce id read back from `table`: never negative, or the row is bad.
pub(crate) fn stored_woo_id(table: &'static str, woo_id: i64) -> Result<u64, StoreError> {
    u64::try_from(woo_id).map_err(|_| StoreError::BadRow {
        table,
        column: "woo_id",
        value: woo_id.to_string(),
    })
}

/// Error text kept in rows: bounded, so a careless caller cannot store a whole response body.
pub(crate) fn bounded(text: &str) -> String {
    const MAX_CHARS: usize = 500;
    if text.chars().count() <= MAX_CHARS {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_CHARS).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-05-01T10:00:00.5Z")
            .expect("literal")
            .with_timezone(&Utc);
        let text = ts(t);
        assert_eq!(text, "2026-05-01T10:00:00.500000Z");
        assert_eq!(parse_ts("t", "c", &text).expect("parses"), t);
        assert!(ts(t) < ts(t + chrono::Duration::microseconds(1)));
    }

    #[test]
    fn bounded_cuts_long_text() {
        assert_eq!(bounded("short"), "short");
        let long = "x".repeat(2000);
        assert_eq!(bounded(&long).chars().count(), 501);
    }
}
