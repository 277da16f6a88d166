//! Named polling cursors per shop (e.g. `orders.modified_after` for the WooCommerce poller, `customers.delta`
//! for Visma's `lastModifiedDateTime`): a text value and when it was last moved. No interpretation of the value.

use super::db::args;
use super::{parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};

/// A stored cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The value as the poller wrote it.
    pub value: String,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The cursor `name` of shop `store_id`, if set.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn cursor(&self, store_id: &str, name: &str) -> Result<Option<Cursor>, StoreError> {
        let row: Option<(String, String)> = self
            .conn()?
            .row_opt(
                "SELECT value, updated_at FROM cursors WHERE store_id = ?1 AND name = ?2",
                args![store_id, name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.classify("get cursor", e))?;
        row.map(|(value, at)| {
            Ok(Cursor {
                value,
                updated_at: parse_ts("cursors", "updated_at", &at)?,
            })
        })
        .transpose()
    }

    /// Sets the cursor `name` of shop `store_id` to `value`.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn set_cursor(
        &self,
        store_id: &str,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write("set cursor", |tx| {
            tx.exec("INSERT INTO cursors (store_id, name, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (store_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", args![store_id, name, value, ts(now)])
            .map(|_| ())
            .map_err(|e| self.classify("set cursor", e))
        })
    }
}
