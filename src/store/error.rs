//! `StoreError`: every way the store can fail, with the facts (job id, state, path, pragma) and whether a retry
//! can help. Never carries a payload, a secret or a credential value.

use super::db::{DbError, Failure};
use super::queue::{JobId, JobState};

/// A store failure. [`StoreError::is_retryable`] is the only question the engine asks of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file could not be opened (missing directory, permissions).
    #[error("cannot open the database {path}")]
    Open {
        /// The database path.
        path: String,
        /// The driver's error.
        #[source]
        source: DbError,
    },
    /// The file is not a SQLite database or is damaged. Restore a backup; the store will not repair it.
    #[error("the database {path} is corrupt or not a SQLite database: {detail}")]
    Corrupt {
        /// The database path.
        path: String,
        /// What SQLite reported.
        detail: String,
        /// The driver's error, when the damage surfaced as one.
        #[source]
        source: Option<DbError>,
    },
    /// The disk (or the configured `max_page_count`) is full. The transaction was rolled back; rows already
    /// committed are intact.
    #[error("the database {path} is full (disk full or size cap reached) during {op}; nothing was written")]
    Full {
        /// The database path.
        path: String,
        /// The operation that failed.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: DbError,
    },
    /// Another process held the database lock past the busy timeout.
    #[error("the database {path} is busy (locked by another process) during {op}")]
    Busy {
        /// The database path.
        path: String,
        /// The operation that failed.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: DbError,
    },
    /// SQLite did not apply a required pragma (an old or unusual build, or a file system without WAL support).
    #[error("sqlite ignored pragma {pragma}: wanted {expected}, got {actual}")]
    PragmaIgnored {
        /// The pragma.
        pragma: &'static str,
        /// What was set.
        expected: String,
        /// What SQLite reported back.
        actual: String,
    },
    /// The database was migrated by a newer ml-connector; this build refuses to touch it.
    #[error("the database schema is version {found}, newer than this build supports ({supported}); upgrade ml-connector")]
    TooNew {
        /// The file's `user_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A migration failed; its transaction was rolled back.
    #[error("migration {name} (version {version}) failed")]
    Migration {
        /// The migration number.
        version: i64,
        /// The migration file name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: DbError,
    },
    /// This `Store` was opened by another process (it crossed a `fork()`); open a new one in this process.
    #[error("store opened by process {opened_by} used in process {current}; open a new store after fork")]
    Forked {
        /// The process that opened it.
        opened_by: u32,
        /// The calling process.
        current: u32,
    },
    /// The connection is gone (only during drop).
    #[error("the store is closed")]
    Closed,
    /// No job has this id.
    #[error("job {job} does not exist")]
    NotFound {
        /// The job.
        job: JobId,
    },
    /// The job was not in the state the change expects (another process changed it first).
    #[error("job {job} is {actual}, not {expected}, so {op} did not apply")]
    StateConflict {
        /// The job.
        job: JobId,
        /// The operation.
        op: &'static str,
        /// The state the change needs.
        expected: &'static str,
        /// The state found.
        actual: JobState,
    },
    /// The worker's lease on the job expired and another worker took it over (or it was completed).
    #[error("worker {owner} no longer holds the lease on job {job} (attempt {attempt}); {op} did not apply")]
    LeaseLost {
        /// The job.
        job: JobId,
        /// The worker that tried.
        owner: String,
        /// The attempt the worker claimed.
        attempt: u32,
        /// The operation.
        op: &'static str,
    },
    /// The payload is not JSON, or an argument is outside what the schema accepts.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The id map already has a document for this WooCommerce entity (or this document for another entity).
    #[error("the id map already holds {kind} {woo_id} of store {store_id} or Visma document {visma_number}")]
    AlreadyMapped {
        /// The shop.
        store_id: String,
        /// The entity kind.
        kind: &'static str,
        /// The WooCommerce id.
        woo_id: u64,
        /// The Visma number that was being recorded.
        visma_number: String,
    },
    /// The credential exists but was encrypted with a different key.
    #[error("credential {name} was encrypted with a different key (key fingerprint {stored}, given {given})")]
    WrongKey {
        /// The credential name.
        name: String,
        /// Fingerprint stored with the row.
        stored: String,
        /// Fingerprint of the key given.
        given: String,
    },
    /// The credential's ciphertext does not authenticate under the right key: the row was tampered with or
    /// swapped from another name.
    #[error("credential {name} failed authentication (tampered or moved between rows)")]
    CredentialTampered {
        /// The credential name.
        name: String,
    },
    /// The key file is unreadable, has the wrong size or is readable by others.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The key file path.
        path: String,
        /// What is wrong with it.
        reason: String,
        /// The I/O error, when there was one.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A row holds a value this build cannot read (written by hand or by a newer build).
    #[error("{table}.{column} holds an unexpected value {value:?}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The value (truncated; never from the payload or credential columns).
        value: String,
    },
    /// The database server cannot be reached or the connection broke (MariaDB/MySQL, PostgreSQL). Heals when the
    /// server is back; the next call reconnects.
    #[error("the database {path} is unavailable during {op}")]
    Unavailable {
        /// The database (a URL without its password).
        path: String,
        /// The operation that failed.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: DbError,
    },
    /// Issue #16: this queue was moved to another database; writes go there now. The caller reopens the queue
    /// from its current settings.
    #[error("the queue was moved to {to}; reopen it from the current settings")]
    Moved {
        /// Where it went (a path, or a URL without its password).
        to: String,
    },
    /// Any other database failure.
    #[error("the database failed during {op} on {path}")]
    Database {
        /// The database path.
        path: String,
        /// The operation that failed.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: DbError,
    },
}

impl StoreError {
    /// Busy and locked databases clear up on their own; corruption, a full disk, schema and state problems do not
    /// (a state conflict or a lost lease means another worker already acted, so retrying the same call is wrong).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Busy { .. } | Self::Unavailable { .. })
    }
}

/// Maps a database error to the variant that names its cause.
pub(crate) fn classify(op: &'static str, path: &str, e: DbError) -> StoreError {
    let path = path.to_string();
    match e.failure() {
        Failure::Corrupt => StoreError::Corrupt {
            path,
            detail: format!("{op}: {e}"),
            source: Some(e),
        },
        Failure::Full => StoreError::Full {
            path,
            op,
            source: e,
        },
        Failure::Busy => StoreError::Busy {
            path,
            op,
            source: e,
        },
        Failure::Connection => StoreError::Unavailable {
            path,
            op,
            source: e,
        },
        Failure::Unique | Failure::Other => StoreError::Database {
            path,
            op,
            source: e,
        },
    }
}
