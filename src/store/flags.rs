//! Named facts about the whole queue (`queue_flags`, migration 0007). The one flag today is the pause (issue #14):
//! a configuration error (wrong secret, client not approved for the tenant, unknown company, missing scope) would
//! fail every job the same way, so the whole queue waits — one notice, one e-mail — until a connection test passes,
//! instead of each job retrying until it dies.

use super::{parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

const PAUSE: &str = "pause";

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
            .prepare_cached("SELECT value, updated_at FROM queue_flags WHERE name = ?1")
            .and_then(|mut s| {
                s.query_row(params![PAUSE], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
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
        let tx = self.begin()?;
        let fail = |e| self.classify("pause", e);
        let existed: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM queue_flags WHERE name = ?1)")
            .and_then(|mut s| s.query_row(params![PAUSE], |r| r.get(0)))
            .map_err(fail)?;
        tx.prepare_cached(
            "INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .and_then(|mut s| s.execute(params![PAUSE, value, ts(pause.tested_at)]))
        .map_err(fail)?;
        self.commit(tx, "pause")?;
        Ok(!existed)
    }

    /// Resumes the queue. True when it was paused; then the pending jobs are due at `now`: the connection was
    /// just tested good, and a merchant who fixed the secret expects the waiting orders to go, not to sit out the
    /// backoff their failed attempts earned while the queue was paused.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn clear_pause(&self, now: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
        let tx = self.begin()?;
        let n = tx
            .prepare_cached("DELETE FROM queue_flags WHERE name = ?1")
            .and_then(|mut s| s.execute(params![PAUSE]))
            .map_err(|e| self.classify("resume", e))?;
        if n > 0 {
            tx.prepare_cached(
                "UPDATE jobs SET next_attempt_at = ?1 WHERE state = 'pending' AND next_attempt_at > ?1",
            )
            .and_then(|mut s| s.execute(params![super::ts(now)]))
            .map_err(|e| self.classify("resume", e))?;
        }
        self.commit(tx, "resume")?;
        Ok(n > 0)
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
}
