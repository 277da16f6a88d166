//! Visma customer numbers by normalised billing e-mail (per-email customers numbered by Visma's series).
//! The engine fills it from customers it creates and from Visma's `lastModifiedDateTime` delta; it is a cache
//! of Visma's truth, never the reverse. No interpretation of the e-mail here: callers pass the normalised key.
//! Creation claims (Issue #5) let one worker at a time create the customer of a key, across processes.

use super::db::{args, Backend, Db, Failure};
use super::{ts, Books, Store, StoreError};
use chrono::{DateTime, Utc};
use std::time::Duration;

impl Store {
    /// The Visma customer number recorded for `email_key` in `books`.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn customer_by_email(
        &self,
        books: &Books,
        email_key: &str,
    ) -> Result<Option<String>, StoreError> {
        self.conn()?
            .row_opt(
                "SELECT visma_number FROM customer_index WHERE store_id = ?1 AND company = ?2 \
                 AND email_key = ?3",
                args![books.store_id, books.company, email_key],
                |r| r.get(0),
            )
            .map_err(|e| self.classify("get customer index", e))
    }

    /// Records (or moves) `email_key` → `visma_number` in `books`, in one transaction for all rows.
    ///
    /// # Errors
    /// SQLite failures; [`StoreError::Invalid`] for an empty key or number.
    pub fn index_customers(
        &self,
        books: &Books,
        rows: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if rows.iter().any(|(e, n)| e.is_empty() || n.is_empty()) {
            return Err(StoreError::Invalid {
                field: "customer_index",
                reason: "e-mail key and customer number must not be empty".to_owned(),
            });
        }
        self.write("index customers", |tx| {
            for (email, number) in rows {
                tx.exec(
                    "INSERT INTO customer_index (store_id, company, email_key, visma_number, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (store_id, company, email_key) \
                     DO UPDATE SET visma_number = excluded.visma_number, updated_at = excluded.updated_at",
                    args![
                    books.store_id,
                    books.company,
                    email,
                    number,
                    ts(now)
                    ],
                )
                .map_err(|e| self.classify("index customers", e))?;
            }
            Ok(())
        })
    }
}

impl Store {
    /// Takes the right to create the Visma customer of `claim_key` for `owner` until `now + lease`. True when
    /// taken: the key was free, its claim expired (a crashed worker), or `owner` already held it.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty key or owner; [`StoreError::Busy`] (retryable); SQLite failures.
    pub fn claim_customer_creation(
        &self,
        store_id: &str,
        claim_key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        if claim_key.is_empty() || owner.is_empty() {
            return Err(StoreError::Invalid {
                field: "customer_claims",
                reason: "claim key and owner must not be empty".to_owned(),
            });
        }
        let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::days(1));
        // Two MariaDB workers claiming one new key can deadlock (both hold the gap lock of the missing row and
        // insert): the server rolls one back, and it runs again.
        self.write("claim customer creation", |tx| {
            if tx.backend() == Backend::MySql {
                return self.claim_customer_mysql(
                    tx,
                    store_id,
                    claim_key,
                    owner,
                    &ts(expires),
                    &ts(now),
                );
            }
            let changed = tx
                .exec("INSERT INTO customer_claims (store_id, claim_key, owner, expires_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (store_id, claim_key) DO UPDATE SET owner = excluded.owner, \
                     expires_at = excluded.expires_at \
                     WHERE customer_claims.owner = excluded.owner OR customer_claims.expires_at <= ?5", args![store_id, claim_key, owner, ts(expires), ts(now)])
                .map_err(|e| self.classify("claim customer creation", e))?;
            Ok(changed == 1)
        })
    }

    /// MySQL's upsert has no WHERE, so the claim reads the row under its lock and decides; a second claimer
    /// inserting the same key at the same moment gets the duplicate-key error, which only undoes its statement.
    fn claim_customer_mysql(
        &self,
        tx: &dyn Db,
        store_id: &str,
        claim_key: &str,
        owner: &str,
        expires: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let fail = |e| self.classify("claim customer creation", e);
        let held: Option<(String, String)> = tx
            .row_opt(
                "SELECT owner, expires_at FROM customer_claims WHERE store_id = ?1 AND claim_key = ?2 FOR UPDATE",
                args![store_id, claim_key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(fail)?;
        match held {
            None => match tx.exec(
                "INSERT INTO customer_claims (store_id, claim_key, owner, expires_at) VALUES (?1, ?2, ?3, ?4)",
                args![store_id, claim_key, owner, expires],
            ) {
                Ok(n) => Ok(n == 1),
                Err(e) if e.failure() == Failure::Unique => Ok(false),
                Err(e) => Err(fail(e)),
            },
            Some((holder, until)) if holder == owner || until.as_str() <= now => {
                let n = tx
                    .exec(
                        "UPDATE customer_claims SET owner = ?3, expires_at = ?4 WHERE store_id = ?1 AND claim_key = ?2",
                        args![store_id, claim_key, owner, expires],
                    )
                    .map_err(fail)?;
                Ok(n == 1)
            }
            Some(_) => Ok(false),
        }
    }

    /// Gives up `owner`'s claim on `claim_key`. Zero rows is fine: the claim expired and another worker has it.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn release_customer_creation(
        &self,
        store_id: &str,
        claim_key: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        self.write("release customer creation", |tx| {
            tx.exec(
                "DELETE FROM customer_claims WHERE store_id = ?1 AND claim_key = ?2 AND owner = ?3",
                args![store_id, claim_key, owner],
            )
            .map(|_| ())
            .map_err(|e| self.classify("release customer creation", e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_email_is_found_and_moved() {
        let store = Store::open_in_memory().expect("in-memory store");
        let now = Utc::now();
        let s = Books::new("s", "tenant/1");
        assert_eq!(store.customer_by_email(&s, "a@b.no").expect("query"), None);
        store
            .index_customers(&s, &[("a@b.no".into(), "10001".into())], now)
            .expect("index");
        assert_eq!(
            store
                .customer_by_email(&s, "a@b.no")
                .expect("query")
                .as_deref(),
            Some("10001")
        );
        assert_eq!(
            store
                .customer_by_email(&Books::new("other", "tenant/1"), "a@b.no")
                .expect("query"),
            None
        );
        // Issue #13: another Visma company of the same store has its own customers.
        assert_eq!(
            store
                .customer_by_email(&Books::new("s", "tenant/2"), "a@b.no")
                .expect("query"),
            None
        );
        store
            .index_customers(&s, &[("a@b.no".into(), "10002".into())], now)
            .expect("re-index");
        assert_eq!(
            store
                .customer_by_email(&s, "a@b.no")
                .expect("query")
                .as_deref(),
            Some("10002")
        );
        assert!(store
            .index_customers(&s, &[(String::new(), "1".into())], now)
            .is_err());
    }

    #[test]
    fn one_worker_at_a_time_may_create_a_customer_and_a_dead_claim_expires() {
        let store = Store::open_in_memory().expect("in-memory store");
        let now = Utc::now();
        let lease = Duration::from_secs(60);
        let claim = |owner: &str, at| {
            store
                .claim_customer_creation("s", "a@b.no", owner, at, lease)
                .expect("claim")
        };
        assert!(claim("w1", now));
        assert!(!claim("w2", now), "held by w1");
        assert!(claim("w1", now), "w1 may renew its own claim");
        assert!(
            claim("w2", now + chrono::Duration::seconds(61)),
            "w1's claim expired"
        );
        store
            .release_customer_creation("s", "a@b.no", "w1")
            .expect("stale release");
        assert!(
            !claim("w3", now + chrono::Duration::seconds(62)),
            "w1's late release left w2's claim"
        );
        store
            .release_customer_creation("s", "a@b.no", "w2")
            .expect("release");
        assert!(claim("w3", now + chrono::Duration::seconds(62)));
    }
}
