//! Named facts about the whole queue (`queue_flags`, migration 0007). The one flag today is the pause (issue #14):
//! a configuration error (wrong secret, client not approved for the tenant, unknown company, missing scope) would
//! fail every job the same way, so the whole queue waits — one notice, one e-mail — until a connection test passes,
//! instead of each job retrying until it dies.

use super::db::{args, Failure};
use super::{parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const PAUSE: &str = "pause";
/// Issue #16: a store's work that one service instance at a time does, among instances sharing a database
/// (see [`Store::hold_lease`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceLease {
    /// Sending the store's jobs: the holder's rate limiter is then the company's whole budget.
    Drain,
    /// Polling the shop: one reader of WooCommerce's REST API per store, not one per instance.
    Poll,
}

impl InstanceLease {
    fn flag(self) -> &'static str {
        match self {
            Self::Drain => "drainer",
            Self::Poll => "poller",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Drain => "drain lease",
            Self::Poll => "poll lease",
        }
    }
}

/// Why and since when the queue is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// What is wrong, for the merchant (names the setting; never a secret).
    pub reason: String,
    /// The setting to fix, when one is known (`visma_client_secret`, `visma_tenant_id`, …).
    pub setting: Option<String>,
    /// When the queue paused.
    pub since: DateTime<Utc>,
    /// When the connection was last tested while paused (the drain tests again after a while).
    pub tested_at: DateTime<Utc>,
}

impl Store {
    /// The pause in force, if any.
    ///
    /// # Errors
    /// SQLite failures; [`StoreError::BadRow`] for a value this build cannot read.
    pub fn pause(&self) -> Result<Option<Pause>, StoreError> {
        let row: Option<(String, String)> = self
            .conn()?
            .row_opt(
                "SELECT value, updated_at FROM queue_flags WHERE name = ?1",
                args![PAUSE],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.classify("read pause", e))?;
        let Some((value, updated_at)) = row else {
            return Ok(None);
        };
        parse_ts("queue_flags", "updated_at", &updated_at)?;
        serde_json::from_str(&value)
            .map(Some)
            .map_err(|_| StoreError::BadRow {
                table: "queue_flags",
                column: "value",
                value: value.chars().take(64).collect(),
            })
    }

    /// Pauses the queue (or refreshes the pause's reason and test time). True when it was not paused before.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn set_pause(&self, pause: &Pause) -> Result<bool, StoreError> {
        let value = serde_json::to_string(pause).map_err(|e| StoreError::Invalid {
            field: "pause",
            reason: e.to_string(),
        })?;
        let fail = |e| self.classify("pause", e);
        self.write("pause", |tx| {
            let existed: bool = tx
                .row(
                    "SELECT EXISTS (SELECT 1 FROM queue_flags WHERE name = ?1)",
                    args![PAUSE],
                    |r| r.get(0),
                )
                .map_err(fail)?;
            tx.exec("INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", args![PAUSE, value, ts(pause.tested_at)])
            .map_err(fail)?;
            Ok(!existed)
        })
    }

    /// Resumes the queue. True when it was paused; then the pending jobs are due at `now`: the connection was
    /// just tested good, and a merchant who fixed the secret expects the waiting orders to go, not to sit out the
    /// backoff their failed attempts earned while the queue was paused.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn clear_pause(&self, now: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
        self.write("resume", |tx| {
            let n = tx
                .exec("DELETE FROM queue_flags WHERE name = ?1", args![PAUSE])
                .map_err(|e| self.classify("resume", e))?;
            if n > 0 {
                tx.exec("UPDATE jobs SET next_attempt_at = ?1 WHERE state = 'pending' AND next_attempt_at > ?1", args![super::encoding::micros(now)])
                .map_err(|e| self.classify("resume", e))?;
            }
            Ok(n > 0)
        })
    }
}

impl Store {
    /// Issue #16: takes or renews `lease` for `ttl`: true when `owner` holds it now. Several service instances
    /// share one database; Visma's rate limits are per company, so one instance at a time sends a store's jobs
    /// and its own rate limiter is then the company's whole budget ([`InstanceLease::Drain`]), and one polls the shop
    /// ([`InstanceLease::Poll`]). The others still take webhooks (those only queue) and take over within `ttl` when the
    /// holder stops or dies.
    ///
    /// # Errors
    /// Database failures (a clash with another instance taking it at the same moment is `false`, not an error).
    pub fn hold_lease(
        &self,
        which: InstanceLease,
        owner: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(1));
        let fail = |e| self.classify(which.label(), e);
        // Run again whole on a deadlock; a `false` rolls back (on PostgreSQL the refused insert has aborted it).
        self.run_again(
            |_| false,
            || {
                let tx = self.begin()?;
                let held: Option<String> = tx
                    .row_opt(
                        "SELECT value FROM queue_flags WHERE name = ?1",
                        args![which.flag()],
                        |r| r.get(0),
                    )
                    .map_err(fail)?;
                if let Some(old) = &held {
                    let lease: serde_json::Value = serde_json::from_str(old).unwrap_or_default();
                    let other = lease["owner"].as_str().unwrap_or_default() != owner;
                    let live = lease["until"]
                        .as_str()
                        .is_some_and(|t| t > ts(now).as_str());
                    if other && live {
                        return Ok(false);
                    }
                    // Only the lease we read: an instance that took it over in the meantime wrote another value, and
                    // the servers' row locks make this delete wait for it and then find nothing
                    // (tests/store_drain_lease.rs).
                    let gone = tx
                        .exec(
                            "DELETE FROM queue_flags WHERE name = ?1 AND value = ?2",
                            args![which.flag(), old],
                        )
                        .map_err(fail)?;
                    if gone == 0 {
                        return Ok(false);
                    }
                }
                let value = serde_json::json!({ "owner": owner, "until": ts(until) }).to_string();
                match tx.exec(
                    "INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3)",
                    args![which.flag(), value, ts(now)],
                ) {
                    Ok(_) => {}
                    // Another instance took it between our read and our write.
                    Err(e) if e.failure() == Failure::Unique => return Ok(false),
                    Err(e) => return Err(fail(e)),
                }
                self.commit(tx, which.label())?;
                Ok(true)
            },
        )
    }

    /// Gives `lease` up (a stopping instance), so another takes over at once.
    ///
    /// # Errors
    /// Database failures.
    pub fn release_lease(&self, which: InstanceLease, owner: &str) -> Result<(), StoreError> {
        self.write(which.label(), |tx| {
            let held: Option<String> = tx
                .row_opt(
                    "SELECT value FROM queue_flags WHERE name = ?1",
                    args![which.flag()],
                    |r| r.get(0),
                )
                .map_err(|e| self.classify(which.label(), e))?;
            let ours = held
                .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
                .is_some_and(|v| v["owner"].as_str() == Some(owner));
            if ours {
                tx.exec(
                    "DELETE FROM queue_flags WHERE name = ?1",
                    args![which.flag()],
                )
                .map_err(|e| self.classify(which.label(), e))?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_kept_until_cleared() {
        let store = Store::open_in_memory().expect("store");
        assert_eq!(store.pause().expect("read"), None);
        let now = Utc::now();
        let pause = Pause {
            reason: "Visma refused the client secret".to_owned(),
            setting: Some("visma_client_secret".to_owned()),
            since: now,
            tested_at: now,
        };
        assert!(store.set_pause(&pause).expect("pause"));
        assert!(!store.set_pause(&pause).expect("again"));
        assert_eq!(store.pause().expect("read"), Some(pause));
        assert!(store.clear_pause(chrono::Utc::now()).expect("resume"));
        assert!(!store.clear_pause(chrono::Utc::now()).expect("resume again"));
        assert_eq!(store.pause().expect("read"), None);
    }

    #[test]
    fn one_instance_holds_the_drain_lease_until_it_expires_or_is_released() {
        let store = Store::open_in_memory().expect("store");
        let now = Utc::now();
        let ttl = std::time::Duration::from_secs(30);
        assert!(store
            .hold_lease(InstanceLease::Drain, "a", now, ttl)
            .expect("take"));
        assert!(!store
            .hold_lease(InstanceLease::Drain, "b", now, ttl)
            .expect("held by a"));
        assert!(store
            .hold_lease(InstanceLease::Drain, "a", now, ttl)
            .expect("renew"));
        let later = now + chrono::Duration::seconds(31);
        assert!(store
            .hold_lease(InstanceLease::Drain, "b", later, ttl)
            .expect("expired: b takes it"));
        store
            .release_lease(InstanceLease::Drain, "a")
            .expect("not a's: no-op");
        assert!(!store
            .hold_lease(InstanceLease::Drain, "a", later, ttl)
            .expect("still b's"));
        store
            .release_lease(InstanceLease::Drain, "b")
            .expect("release");
        assert!(store
            .hold_lease(InstanceLease::Drain, "a", later, ttl)
            .expect("free again"));
    }
}
