//! Where a store's secrets come from: the environment variables its config names, else the encrypted
//! credentials store. Webhook secrets rotate: `webhooks repair` keeps the old one as `…:previous` with an
//! expiry cursor, and both verify until then. The receiver reads them per delivery, so a rotation done by the
//! CLI in another process takes effect at once. No HTTP here; values only travel as [`Secret`].

use super::config::StoreConfig;
use crate::secret::Secret;
use crate::store::{Key, Store, StoreError};
use chrono::{DateTime, Utc};

/// Credential name of a store's current webhook secret.
pub fn webhook_secret_name(store_id: &str) -> String {
    format!("woo:{store_id}:webhook_secret")
}

/// Credential name of the previous webhook secret (valid until the cursor [`PREVIOUS_UNTIL_CURSOR`]).
pub fn previous_secret_name(store_id: &str) -> String {
    format!("woo:{store_id}:webhook_secret:previous")
}

/// Cursor holding the previous secret's expiry (RFC 3339).
pub const PREVIOUS_UNTIL_CURSOR: &str = "webhook_secret.previous_until";

/// The API key pair of a store: env first, then credentials.
///
/// # Errors
/// [`StoreError`] from the credentials store. `Ok(None)` when neither source has both halves.
pub fn woo_keys(
    cfg: &StoreConfig,
    env: &dyn Fn(&str) -> Option<String>,
    store: &Store,
    key: &Key,
) -> Result<Option<(Secret, Secret)>, StoreError> {
    let from_env = |var: &Option<String>| {
        var.as_deref()
            .and_then(env)
            .filter(|v| !v.is_empty())
            .map(Secret::new)
    };
    let ck = match from_env(&cfg.consumer_key_env) {
        Some(v) => Some(v),
        None => store.get_credential(&format!("woo:{}:consumer_key", cfg.id), key)?,
    };
    let cs = match from_env(&cfg.consumer_secret_env) {
        Some(v) => Some(v),
        None => store.get_credential(&format!("woo:{}:consumer_secret", cfg.id), key)?,
    };
    Ok(ck.zip(cs))
}

/// Every webhook secret that verifies at `now`: the env secret, the stored current one and, until its expiry,
/// the stored previous one.
///
/// # Errors
/// [`StoreError`] from the credentials store.
pub fn webhook_secrets(
    store_id: &str,
    env_secret: Option<&Secret>,
    store: &Store,
    key: &Key,
    now: DateTime<Utc>,
) -> Result<Vec<Secret>, StoreError> {
    let mut out: Vec<Secret> = env_secret.into_iter().cloned().collect();
    out.extend(store.get_credential(&webhook_secret_name(store_id), key)?);
    let until = store
        .cursor(store_id, PREVIOUS_UNTIL_CURSOR)?
        .and_then(|c| DateTime::parse_from_rfc3339(&c.value).ok())
        .map(|t| t.with_timezone(&Utc));
    if until.is_some_and(|u| now < u) {
        out.extend(store.get_credential(&previous_secret_name(store_id), key)?);
    }
    out.retain(|s| !s.is_empty());
    Ok(out)
}

/// Makes `fresh` the current webhook secret; the old current one stays valid for `grace`.
///
/// # Errors
/// [`StoreError`] from the credentials store.
pub fn rotate_webhook_secret(
    store_id: &str,
    fresh: &Secret,
    grace: std::time::Duration,
    store: &Store,
    key: &Key,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(old) = store.get_credential(&webhook_secret_name(store_id), key)? {
        store.put_credential(&previous_secret_name(store_id), &old, key, now)?;
        let until = now + chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::days(1));
        store.set_cursor(store_id, PREVIOUS_UNTIL_CURSOR, &until.to_rfc3339(), now)?;
    }
    store.put_credential(&webhook_secret_name(store_id), fresh, key, now)
}

/// A new random webhook secret: 48 alphanumeric characters (no characters WordPress would entity-encode).
pub fn fresh_secret() -> Secret {
    use rand::distributions::{Alphanumeric, DistString};
    Secret::new(Alphanumeric.sample_string(&mut rand::thread_rng(), 48))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn after_rotation_both_verify_until_the_grace_period_ends() {
        let store = Store::open_in_memory().expect("store");
        let key = Key::generate();
        let t0 = Utc::now();
        let first = fresh_secret();
        rotate_webhook_secret("s", &first, Duration::from_secs(60), &store, &key, t0).expect("put");
        assert_eq!(
            webhook_secrets("s", None, &store, &key, t0).expect("read"),
            vec![first.clone()]
        );
        let second = fresh_secret();
        assert_ne!(first, second);
        rotate_webhook_secret("s", &second, Duration::from_secs(60), &store, &key, t0)
            .expect("rotate");
        let during = webhook_secrets("s", None, &store, &key, t0 + chrono::Duration::seconds(59))
            .expect("read");
        assert_eq!(during, vec![second.clone(), first]);
        let after = webhook_secrets("s", None, &store, &key, t0 + chrono::Duration::seconds(61))
            .expect("read");
        assert_eq!(after, vec![second]);
    }
}
