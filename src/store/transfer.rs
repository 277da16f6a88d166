//! Moving a queue from one backend to another (issue #16: a shop that grows from one server to several moves its
//! SQLite file into the WordPress database, and can move back), without losing or re-sending anything.
//!
//! Every row is copied with its id: jobs keep their state, attempts and leases, the id map keeps what was posted
//! (so nothing is sent twice), the audit keeps its history and credentials stay sealed under the same key. The
//! order of the steps is what makes it loss-free while the shop keeps taking orders:
//!
//! 1. the source is marked `moved` (committed): every later write transaction on it fails with
//!    [`StoreError::Moved`], and the plugin then reopens the queue where its settings now point;
//! 2. the source's tables are locked against writers ([`Db::lock_for_copy`]), which waits for the write
//!    transactions that began before the mark (they are copied too);
//! 3. everything is copied into the empty destination in one transaction.
//!
//! A failure before step 3 commits clears the mark again, so the source keeps working.

use super::db::{Db, Row, Val};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// The flag a moved queue carries; its value names the destination (never with a password).
pub const MOVED: &str = "moved";

/// Tables in copy order (a row's references come before it), with every column.
const TABLES: &[(&str, &str)] = &[
    (
        "jobs",
        "id, source, store_id, kind, woo_id, revision, payload_hash, state, attempts, next_attempt_at, \
         lease_owner, lease_expires_at, last_error, depends_on_job, depends_on_kind, depends_on_woo_id, \
         created_at, updated_at",
    ),
    ("job_payloads", "job_id, payload"),
    (
        "audit",
        "id, at, job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms, visma_number, error",
    ),
    ("names", "id, name"),
    (
        "id_map",
        "id, store_ref, company_ref, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, posted_at",
    ),
    ("cursors", "store_id, name, value, updated_at"),
    (
        "credentials",
        "name, nonce, ciphertext, key_fingerprint, updated_at",
    ),
    (
        "customer_index",
        "store_id, company, email_key, visma_number, updated_at",
    ),
    ("customer_claims", "store_id, claim_key, owner, expires_at"),
    ("notes", "store_id, kind, woo_id, parent_id, seq, noted_at"),
    ("queue_flags", "name, value, updated_at"),
];

/// The tables a copy locks and reads.
pub(crate) fn table_names() -> Vec<&'static str> {
    TABLES.iter().map(|(t, _)| *t).collect()
}

/// What a move copied, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    /// `(table, rows)` in copy order.
    pub rows: Vec<(&'static str, u64)>,
}

impl Moved {
    /// Rows of `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.rows
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

impl Store {
    /// Moves everything in this store into `dest`, which must be empty, and marks this store moved (see the
    /// module docs).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `dest` already holds jobs, audit rows or credentials, or when a job is being
    /// sent right now (a live lease: wait for the drain to finish); database failures (the mark is then cleared).
    pub fn move_into(&self, dest: &Store, now: DateTime<Utc>) -> Result<Moved, StoreError> {
        if dest.audit_count()? > 0 || !dest.credential_names()?.is_empty() || dest.has_jobs()? {
            return Err(StoreError::Invalid {
                field: "destination",
                reason: format!(
                    "{} already holds a queue; move into an empty one",
                    dest.path_text()
                ),
            });
        }
        if self.stalled_count(now + chrono::Duration::days(36_500))? > self.stalled_count(now)? {
            return Err(StoreError::Invalid {
                field: "queue",
                reason: "a drain is sending jobs right now; move the queue when it has finished"
                    .into(),
            });
        }
        self.mark_moved(Some(&dest.path_text()), now)?;
        let result = self.copy_locked(dest);
        if result.is_err() {
            // Nothing reached the destination: the source stays the queue.
            self.mark_moved(None, now)?;
        }
        result
    }

    /// Where this queue was moved, when it was (its writes are refused).
    ///
    /// # Errors
    /// Database failures.
    pub fn moved_to(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .moved_mark()?
            .map(|mark| mark["to"].as_str().map(str::to_owned).unwrap_or_default()))
    }

    /// The moved mark's JSON (`{"to": …}`, with `"merged": true` for a merge), when this queue carries one.
    pub(super) fn moved_mark(&self) -> Result<Option<serde_json::Value>, StoreError> {
        let value: Option<String> = self
            .conn()?
            .row_opt(
                "SELECT value FROM queue_flags WHERE name = ?1",
                super::db::args![MOVED],
                |r| r.get(0),
            )
            .map_err(|e| self.classify("moved", e))?;
        Ok(value.map(|v| serde_json::from_str(&v).unwrap_or(serde_json::Value::Null)))
    }

    /// Issue #16: a database server's queue that was moved away (its mark says so) is emptied for reuse as a move's
    /// destination: its tables are dropped and created again. Everything in it went where it moved.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when this queue was not moved away; database failures.
    pub fn discard_moved(&self) -> Result<(), StoreError> {
        if self.moved_to()?.is_none() {
            return Err(StoreError::Invalid {
                field: "queue",
                reason: "only a queue that was moved away can be emptied".into(),
            });
        }
        let db = self.conn()?;
        db.drop_tables()
            .map_err(|e| self.classify("discard moved queue", e))?;
        self.migrate()
    }

    /// Issue #16: [`Store::discard_moved`] for a SQLite file, which first keeps a copy of itself at `copy` (a new
    /// file: `VACUUM INTO`). The file is emptied in place, never renamed: other processes may have it open.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when this queue was not moved away; database failures (nothing emptied).
    pub fn discard_moved_keeping(&self, copy: &std::path::Path) -> Result<(), StoreError> {
        if self.moved_to()?.is_none() {
            return Err(StoreError::Invalid {
                field: "queue",
                reason: "only a queue that was moved away can be emptied".into(),
            });
        }
        self.sqlite("keep a copy")?
            .execute("VACUUM INTO ?1", [copy.to_string_lossy().as_ref()])
            .map_err(|e| self.classify("keep a copy", e))?;
        self.discard_moved()
    }

    /// Bytes the queue's tables and indexes take on disk (SQLite: the file).
    ///
    /// # Errors
    /// Database failures.
    pub fn bytes_used(&self) -> Result<i64, StoreError> {
        let db = self.conn()?;
        db.bytes_used().map_err(|e| self.classify("size", e))
    }

    fn has_jobs(&self) -> Result<bool, StoreError> {
        let c = self.counts_by_state()?;
        Ok(c.pending + c.running + c.done + c.failed + c.dead > 0)
    }

    /// Sets (or with `None` clears) the moved mark, outside the fence that refuses writes to a moved queue.
    pub(super) fn mark_moved(
        &self,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let db = self.conn()?;
        let fail = |e| self.classify("mark moved", e);
        db.begin().map_err(fail)?;
        let done = match to {
            Some(to) => {
                let value = serde_json::json!({ "to": to }).to_string();
                db.exec(
                    "DELETE FROM queue_flags WHERE name = ?1",
                    super::db::args![MOVED],
                )
                .and_then(|_| {
                    db.exec(
                        "INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3)",
                        super::db::args![MOVED, value, super::ts(now)],
                    )
                })
            }
            None => db.exec(
                "DELETE FROM queue_flags WHERE name = ?1",
                super::db::args![MOVED],
            ),
        };
        match done {
            Ok(_) => db.commit().map_err(fail),
            Err(e) => {
                let _ = db.rollback();
                Err(fail(e))
            }
        }
    }

    fn copy_locked(&self, dest: &Store) -> Result<Moved, StoreError> {
        let src = self.conn()?;
        let to = dest.conn()?;
        src.lock_for_copy(&table_names())
            .map_err(|e| self.classify("lock for move", e))?;
        let copied = copy_tables(src, to, dest);
        // Once the copy committed, the mark must stay whatever the unlock says: clearing it would leave two live
        // queues.
        if let Err(e) = src.unlock_after_copy() {
            tracing::warn!(error = %self.classify("unlock after move", e), "unlock after move failed");
        }
        copied
    }
}

fn copy_tables(src: &dyn Db, to: &dyn Db, dest: &Store) -> Result<Moved, StoreError> {
    let fail = |op| move |e| dest.classify(op, e);
    to.begin().map_err(fail("move"))?;
    let mut moved = Moved::default();
    for (table, columns) in TABLES {
        let n = columns.split(',').count();
        let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({columns}) VALUES ({})",
            marks.join(", ")
        );
        // The moved mark itself stays behind: the destination is the live queue.
        let filter = if *table == "queue_flags" {
            format!(" WHERE name <> '{MOVED}'")
        } else {
            String::new()
        };
        let mut count = 0_u64;
        let mut each = |row: Row| {
            let vals: Vec<Val> = (0..n)
                .map(|i| row.get::<Val>(i))
                .collect::<Result<_, _>>()?;
            to.exec(&insert, &vals)?;
            count += 1;
            Ok(())
        };
        let copied = src.query(
            &format!("SELECT {columns} FROM {table}{filter}"),
            &[],
            &mut each,
        );
        if let Err(e) = copied {
            let _ = to.rollback();
            return Err(fail("move")(e));
        }
        moved.rows.push((table, count));
    }
    for table in ["jobs", "audit", "names", "id_map"] {
        if let Err(e) = to.ids_copied(table) {
            let _ = to.rollback();
            return Err(fail("move")(e));
        }
    }
    to.commit().map_err(fail("move"))?;
    Ok(moved)
}
