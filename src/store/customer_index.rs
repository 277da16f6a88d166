//! Visma customer numbers by normalised billing e-mail (per-email customers numbered by Visma's series).
//! The engine fills it from customers it creates and from Visma's `lastModifiedDateTime` delta; it is a cache
//! of Visma's truth, never the reverse. No interpretation of the e-mail here: callers pass the normalised key.

use super::{ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// The Visma customer number recorded for `email_key` in shop `store_id`.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn customer_by_email(
        &self,
        store_id: &str,
        email_key: &str,
    ) -> Result<Option<String>, StoreError> {
        self.conn()?
            .prepare_cached(
                "SELECT visma_number FROM customer_index WHERE store_id = ?1 AND email_key = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![store_id, email_key], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.classify("get customer index", e))
    }

    /// Records (or moves) `email_key` → `visma_number` for shop `store_id`, in one transaction for all rows.
    ///
    /// # Errors
    /// SQLite failures; [`StoreError::Invalid`] for an empty key or number.
    pub fn index_customers(
        &self,
        store_id: &str,
        rows: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if rows.iter().any(|(e, n)| e.is_empty() || n.is_empty()) {
            return Err(StoreError::Invalid {
                field: "customer_index",
                reason: "e-mail key and customer number must not be empty".to_owned(),
            });
        }
        let tx = self.begin()?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO customer_index (store_id, email_key, visma_number, updated_at) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (store_id, email_key) \
                     DO UPDATE SET visma_number = excluded.visma_number, updated_at = excluded.updated_at",
                )
                .map_err(|e| self.classify("index customers", e))?;
            for (email, number) in rows {
                stmt.execute(params![store_id, email, number, ts(now)])
                    .map_err(|e| self.classify("index customers", e))?;
            }
        }
        self.commit(tx, "index customers")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_email_is_found_and_moved() {
        let store = Store::open_in_memory().expect("in-memory store");
        let now = Utc::now();
        assert_eq!(store.customer_by_email("s", "a@b.no").expect("query"), None);
        store
            .index_customers("s", &[("a@b.no".into(), "10001".into())], now)
            .expect("index");
        assert_eq!(
            store
                .customer_by_email("s", "a@b.no")
                .expect("query")
                .as_deref(),
            Some("10001")
        );
        assert_eq!(
            store.customer_by_email("other", "a@b.no").expect("query"),
            None
        );
        store
            .index_customers("s", &[("a@b.no".into(), "10002".into())], now)
            .expect("re-index");
        assert_eq!(
            store
                .customer_by_email("s", "a@b.no")
                .expect("query")
                .as_deref(),
            Some("10002")
        );
        assert!(store
            .index_customers("s", &[(String::new(), "1".into())], now)
            .is_err());
    }
}
