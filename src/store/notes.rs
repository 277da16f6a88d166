//! Notes: "this WooCommerce object changed" (kind + id), the only thing a shopper's request writes (issue #13).
//! Building an order's REST JSON inside the request cost 16–18 ms and failed in Store API requests, where
//! WooCommerce does not load its wc/v3 routes; the background runner now reads the notes, builds the JSON and
//! enqueues it, which clears the note in the same transaction ([`clear_in`]). One row per object: noting it again
//! only moves its `seq` and time, so the runner clears exactly the note it read.

use super::audit::{self, AuditAction, AuditEvent};
use super::db::{args, Db};
use super::queue::JobKind;
use super::{bounded, parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};

/// An object waiting for its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The shop.
    pub store_id: String,
    /// Order, refund or customer.
    pub kind: JobKind,
    /// Its WooCommerce id.
    pub woo_id: u64,
    /// A refund's order id; 0 otherwise.
    pub parent_id: u64,
    /// Changes on every note of the object.
    pub seq: i64,
    /// When it was last noted.
    pub noted_at: DateTime<Utc>,
}

fn id_of(field: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid {
        field,
        reason: "larger than SQLite's integer range".into(),
    })
}

impl Store {
    /// Notes that `kind` `woo_id` of `store_id` changed. True when the object was not noted yet. One upsert.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a payment kind, a zero id or a bad store id; SQLite failures.
    pub fn note_changed(
        &self,
        store_id: &str,
        kind: JobKind,
        woo_id: u64,
        parent_id: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if kind == JobKind::Payment {
            return Err(StoreError::Invalid {
                field: "kind",
                reason: "only orders, refunds and customers are noted".into(),
            });
        }
        if woo_id == 0 || store_id.is_empty() || store_id.len() > 100 {
            return Err(StoreError::Invalid {
                field: "note",
                reason: "needs a WooCommerce id above 0 and a store id of 1 to 100 bytes".into(),
            });
        }
        let (woo, parent) = (id_of("woo_id", woo_id)?, id_of("parent_id", parent_id)?);
        let fail = |e| self.classify("note", e);
        self.write("note", |tx| {
            let existed: bool = tx
                .row("SELECT EXISTS (SELECT 1 FROM notes WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3)", args![store_id, kind.as_str(), woo], |r| r.get(0))
                .map_err(fail)?;
            tx.exec(
                "INSERT INTO notes (store_id, kind, woo_id, parent_id, seq, noted_at) \
                 VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(seq), 0) + 1 FROM notes), ?5) \
                 ON CONFLICT (store_id, kind, woo_id) DO UPDATE SET parent_id = excluded.parent_id, \
                 seq = excluded.seq, noted_at = excluded.noted_at",
                args![store_id, kind.as_str(), woo, parent, ts(now)],
            )
            .map_err(fail)?;
            Ok(!existed)
        })
    }

    /// The oldest `limit` notes (customers, orders, refunds of any store), oldest first.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn notes(&self, limit: u32) -> Result<Vec<Note>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64, String)> = self
            .conn()?
            .rows(
                "SELECT store_id, kind, woo_id, parent_id, seq, noted_at FROM notes \
                 ORDER BY noted_at, seq LIMIT ?1",
                args![limit.clamp(1, 1000)],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .map_err(|e| self.classify("notes", e))?;
        rows.into_iter()
            .map(|(store_id, kind, woo, parent, seq, at)| {
                Ok(Note {
                    store_id,
                    kind: JobKind::parse(&kind)?,
                    woo_id: super::stored_woo_id("notes", woo)?,
                    parent_id: super::stored_woo_id("notes", parent)?,
                    seq,
                    noted_at: parse_ts("notes", "noted_at", &at)?,
                })
            })
            .collect()
    }

    /// How many objects wait for their JSON.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn note_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .row("SELECT count(*) FROM notes", args![], |r| r.get(0))
            .map_err(|e| self.classify("note count", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The object could not be read (deleted, REST error): drops its note and leaves an audit row with the reason,
    /// so the merchant sees it (`status`'s last error), never a silent loss. True when a note was dropped.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn note_failed(
        &self,
        store_id: &str,
        kind: JobKind,
        woo_id: u64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let woo = id_of("woo_id", woo_id)?;
        let fail = |e| self.classify("note failed", e);
        let event = AuditEvent {
            at: now,
            job_id: None,
            store_id: Some(store_id.to_owned()),
            woo_kind: Some(kind),
            woo_id: Some(woo_id),
            action: AuditAction::Rejected,
            attempt: audit::Attempt::default(),
            visma_number: None,
            error: Some(bounded(&format!(
                "{kind} {woo_id} could not be read from WooCommerce: {reason}"
            ))),
        };
        self.write("note failed", |tx| {
            let dropped = tx
                .exec(
                    "DELETE FROM notes WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3",
                    args![store_id, kind.as_str(), woo],
                )
                .map_err(fail)?;
            audit::insert(tx, &event).map_err(fail)?;
            Ok(dropped > 0)
        })
    }
}

/// Clears the note of an object just enqueued, inside the enqueue's transaction: only the note with `seq` when
/// given (a newer note means the object changed after its JSON was built), else any note of the object.
pub(crate) fn clear_in(
    store: &Store,
    tx: &dyn Db,
    store_id: &str,
    kind: JobKind,
    woo_id: i64,
    seq: Option<i64>,
) -> Result<(), StoreError> {
    tx.exec("DELETE FROM notes WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3 AND (seq = ?4 OR ?4 IS NULL)", args![store_id, kind.as_str(), woo_id, seq])
    .map(|_| ())
    .map_err(|e| store.classify("clear note", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_noted_once_and_its_seq_moves_when_noted_again() {
        let store = Store::open_in_memory().expect("store");
        let t0 = Utc::now();
        assert!(store
            .note_changed("s", JobKind::Order, 70, 0, t0)
            .expect("note"));
        let first_seq = store.notes(10).expect("notes")[0].seq;
        assert!(!store
            .note_changed(
                "s",
                JobKind::Order,
                70,
                0,
                t0 + chrono::Duration::seconds(1)
            )
            .expect("again"));
        assert!(store
            .note_changed("s", JobKind::Refund, 71, 70, t0)
            .expect("refund"));
        let notes = store.notes(10).expect("notes");
        assert_eq!(notes.len(), 2);
        assert_eq!(
            (notes[0].kind, notes[0].woo_id, notes[0].parent_id),
            (JobKind::Refund, 71, 70)
        );
        assert_eq!((notes[1].kind, notes[1].woo_id), (JobKind::Order, 70));
        assert_ne!(notes[1].seq, first_seq, "noting again moves the seq");
        assert_eq!(store.note_count().expect("count"), 2);
        assert!(store.note_changed("s", JobKind::Payment, 1, 0, t0).is_err());
        assert!(store.note_changed("s", JobKind::Order, 0, 0, t0).is_err());
    }

    #[test]
    fn a_failed_read_drops_the_note_and_is_audited() {
        let store = Store::open_in_memory().expect("store");
        let now = Utc::now();
        store
            .note_changed("s", JobKind::Order, 5, 0, now)
            .expect("note");
        assert!(store
            .note_failed("s", JobKind::Order, 5, "order 5 was deleted", now)
            .expect("failed"));
        assert_eq!(store.note_count().expect("count"), 0);
        let rows = store
            .audit_entries(&super::super::AuditQuery::default())
            .expect("audit");
        assert!(rows
            .iter()
            .any(|r| r.error.as_deref().is_some_and(|e| e.contains("deleted"))));
    }
}
