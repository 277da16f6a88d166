//! The service's configuration file (TOML, documented in the README): where to listen, the public URL
//! WooCommerce delivers to, where the queues live, poll and health intervals, and one `[[stores]]` entry per
//! shop. Secrets are never in this file: it names environment variables, or leaves them to the encrypted
//! credentials store (`webhooks install` writes the webhook secret there). Parse and validate only; no I/O
//! beyond what the caller hands in.

use super::schedule::{Schedule, ScheduleError};
use super::ServiceError;
use crate::woo::client::AuthMode;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Listen address, e.g. `127.0.0.1:8787`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The URL WooCommerce reaches this service at (`https://connector.example`); webhooks deliver to
    /// `{public_url}/webhooks/woocommerce/{store}`.
    pub public_url: String,
    /// Directory of the per-store queue files (`{store}.sqlite`); relative to the config file.
    pub data_dir: PathBuf,
    /// The credentials key file (default `{data_dir}/credentials.key`, created mode 0600).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Issue #16: a PostgreSQL (or MariaDB/MySQL) URL shared by every instance of the service; each store gets
    /// its own tables (`mlc_{store}_jobs`, …). Unset: one SQLite file per store in `data_dir`. `serve --database`
    /// or `ML_CONNECTOR_DATABASE` overrides it, so the password need not be in this file.
    #[serde(default)]
    pub database: Option<String>,
    /// Largest webhook body accepted (bytes); larger ones get 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Poll, health and drain timing.
    #[serde(default)]
    pub poll: PollConfig,
    /// The shops.
    pub stores: Vec<StoreConfig>,
}

/// Timing of the background loops.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollConfig {
    /// Poll interval while a store is in polling mode (webhooks unhealthy), seconds.
    pub every_secs: u64,
    /// Instead of `every_secs`: `"every 5 minutes"`, `"hourly"`, `"daily at 02:00"` (UTC), jittered.
    pub schedule: Option<String>,
    /// Reconciliation poll interval while webhooks are healthy, seconds.
    pub reconcile_secs: u64,
    /// Re-read orders modified this many seconds before the cursor (clock skew, same-second edits).
    pub overlap_secs: u64,
    /// A store with no cursor starts this many hours back (not from the shop's first order).
    pub initial_lookback_hours: u64,
    /// How often the webhook list is checked, seconds.
    pub health_secs: u64,
    /// Longest pause of the drain loop when nothing wakes it, milliseconds.
    pub drain_idle_ms: u64,
    /// Grace period in which the previous webhook secret still verifies after `webhooks repair`, seconds.
    pub secret_grace_secs: u64,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            every_secs: 300,
            schedule: None,
            reconcile_secs: 3600,
            overlap_secs: 120,
            initial_lookback_hours: 24,
            health_secs: 300,
            drain_idle_ms: 5000,
            secret_grace_secs: 86_400,
        }
    }
}

impl PollConfig {
    /// The schedule for a store in the given mode: its own or this section's polling schedule while polling,
    /// the reconciliation interval while webhooks are healthy.
    ///
    /// # Errors
    /// [`ScheduleError`] for a schedule text that does not parse (checked at load time).
    pub fn schedule_for(
        &self,
        store: Option<&str>,
        polling: bool,
    ) -> Result<Schedule, ScheduleError> {
        if !polling {
            return Ok(Schedule::Every(Duration::from_secs(
                self.reconcile_secs.max(1),
            )));
        }
        match store.or(self.schedule.as_deref()) {
            Some(text) => Schedule::parse(text),
            None => Ok(Schedule::Every(Duration::from_secs(self.every_secs.max(1)))),
        }
    }
}

/// One shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The store id: the URL path segment, the queue file name and `{store}` in Visma document keys.
    pub id: String,
    /// The shop's home URL.
    pub url: String,
    /// `auto` (Basic over https, OAuth 1.0a over http), `basic` or `oauth1`.
    #[serde(default)]
    pub auth: AuthMode,
    /// Environment variable holding the consumer key (else credential `woo:{id}:consumer_key`).
    #[serde(default)]
    pub consumer_key_env: Option<String>,
    /// Environment variable holding the consumer secret (else credential `woo:{id}:consumer_secret`).
    #[serde(default)]
    pub consumer_secret_env: Option<String>,
    /// Environment variable holding the webhook secret (credential `woo:{id}:webhook_secret` also verifies).
    #[serde(default)]
    pub webhook_secret_env: Option<String>,
    /// The mapping settings for this shop (Visma company, accounts, VAT); relative to the config file.
    /// Default: the example settings. Its `store_id` is replaced by `id`.
    #[serde(default)]
    pub settings: Option<PathBuf>,
    /// This store's polling-mode schedule (overrides `[poll] schedule`/`every_secs`).
    #[serde(default)]
    pub poll_schedule: Option<String>,
    /// Post to a Visma.net simulator at this base URL instead of the settings' connection (development).
    #[serde(default)]
    pub visma_simulator: Option<String>,
}

/// The longest interval the service accepts in its `[poll]` settings (a week).
const WEEK_SECS: u64 = 7 * 86_400;

fn default_listen() -> String {
    "127.0.0.1:8787".into()
}

fn default_max_body() -> usize {
    2 * 1024 * 1024
}

impl ServiceConfig {
    /// Parses and validates the file; relative paths are resolved against `base_dir`.
    ///
    /// # Errors
    /// [`ServiceError::Config`] naming the key that is wrong.
    pub fn from_toml_str(text: &str, base_dir: &Path) -> Result<Self, ServiceError> {
        let mut c: ServiceConfig = toml::from_str(text)
            .map_err(|e| ServiceError::Config(crate::settings::toml_problem(text, &e)))?;
        if c.stores.is_empty() {
            return Err(ServiceError::Config("no [[stores]] configured".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for s in &c.stores {
            let ok = !s.id.is_empty()
                && s.id.len() <= 64
                && s.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(ServiceError::Config(format!(
                    "stores.id {:?}: use 1–64 letters, digits, - or _",
                    s.id
                )));
            }
            if !seen.insert(s.id.clone()) {
                return Err(ServiceError::Config(format!(
                    "stores.id {:?} appears twice",
                    s.id
                )));
            }
            if !(s.url.starts_with("https://") || s.url.starts_with("http://")) {
                return Err(ServiceError::Config(format!(
                    "stores[{}].url must be http(s)",
                    s.id
                )));
            }
        }
        if !(c.public_url.starts_with("https://") || c.public_url.starts_with("http://")) {
            return Err(ServiceError::Config("public_url must be http(s)".into()));
        }
        c.poll
            .schedule_for(None, true)
            .map_err(|e| ServiceError::Config(e.to_string()))?;
        for s in &c.stores {
            c.poll
                .schedule_for(s.poll_schedule.as_deref(), true)
                .map_err(|e| {
                    ServiceError::Config(format!("stores[{}].poll_schedule: {e}", s.id))
                })?;
        }
        // Issue #15: every duration from the file is checked here, once, so none can overflow a clock later.
        let p = &c.poll;
        for (key, value, max) in [
            ("poll.every_secs", p.every_secs, WEEK_SECS),
            ("poll.reconcile_secs", p.reconcile_secs, WEEK_SECS),
            ("poll.overlap_secs", p.overlap_secs, WEEK_SECS),
            (
                "poll.initial_lookback_hours",
                p.initial_lookback_hours,
                24 * 366,
            ),
            ("poll.health_secs", p.health_secs, WEEK_SECS),
            ("poll.drain_idle_ms", p.drain_idle_ms, 3_600_000),
            ("poll.secret_grace_secs", p.secret_grace_secs, 31 * 86_400),
        ] {
            if value > max {
                return Err(ServiceError::Config(format!(
                    "{key} must be at most {max} (got a larger number)"
                )));
            }
        }
        if c.max_body_bytes < 1024 {
            return Err(ServiceError::Config(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        c.data_dir = base_dir.join(&c.data_dir);
        c.key_file = c.key_file.map(|k| base_dir.join(k));
        for s in &mut c.stores {
            s.settings = s.settings.take().map(|p| base_dir.join(p));
        }
        Ok(c)
    }

    /// The store named `id`.
    pub fn store(&self, id: &str) -> Option<&StoreConfig> {
        self.stores.iter().find(|s| s.id == id)
    }

    /// The queue file of store `id`.
    pub fn db_path(&self, id: &str) -> PathBuf {
        self.data_dir.join(format!("{id}.sqlite"))
    }

    /// Where store `id`'s queue lives: its tables in [`ServiceConfig::database`], else its SQLite file.
    pub fn store_location(&self, id: &str) -> String {
        match &self.database {
            // Store ids are ASCII letters, digits, `-` and `_`; a table name takes `_` for `-`.
            Some(url) => crate::store::db::with_param(
                url,
                "prefix",
                &format!("mlc_{}_", id.to_ascii_lowercase().replace('-', "_")),
            ),
            None => self.db_path(id).display().to_string(),
        }
    }

    /// The credentials key file.
    pub fn key_path(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("credentials.key"))
    }

    /// Where WooCommerce delivers store `id`'s webhooks.
    pub fn delivery_url(&self, id: &str) -> String {
        format!(
            "{}/webhooks/woocommerce/{id}",
            self.public_url.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
public_url = "https://connector.example/"
data_dir = "data"
[poll]
every_secs = 60
[[stores]]
id = "nord"
url = "https://nord.example"
consumer_key_env = "NORD_CK"
consumer_secret_env = "NORD_CS"
settings = "nord.toml"
[[stores]]
id = "syd"
url = "http://127.0.0.1:8089"
auth = "oauth1"
poll_schedule = "daily at 02:00"
"#;

    #[test]
    fn stores_paths_and_urls_are_resolved() {
        let c = ServiceConfig::from_toml_str(FILE, Path::new("/etc/mlc")).expect("valid");
        assert_eq!(c.stores.len(), 2);
        assert_eq!(
            c.db_path("nord"),
            PathBuf::from("/etc/mlc/data/nord.sqlite")
        );
        assert_eq!(c.key_path(), PathBuf::from("/etc/mlc/data/credentials.key"));
        assert_eq!(
            c.delivery_url("syd"),
            "https://connector.example/webhooks/woocommerce/syd"
        );
        assert_eq!(c.store("syd").map(|s| s.auth), Some(AuthMode::Oauth1));
        assert_eq!(c.poll.every_secs, 60);
        assert_eq!(
            c.poll.schedule_for(None, true),
            Ok(Schedule::Every(Duration::from_secs(60)))
        );
        let syd = c.store("syd").and_then(|s| s.poll_schedule.clone());
        assert!(matches!(
            c.poll.schedule_for(syd.as_deref(), true),
            Ok(Schedule::DailyAt(_))
        ));
        assert_eq!(
            c.poll.schedule_for(syd.as_deref(), false),
            Ok(Schedule::Every(Duration::from_secs(3600)))
        );
        assert_eq!(c.poll.overlap_secs, 120);
        assert_eq!(
            c.store("nord").and_then(|s| s.settings.clone()),
            Some(PathBuf::from("/etc/mlc/nord.toml"))
        );
    }

    #[test]
    fn plain_secrets_and_bad_ids_are_refused() {
        let with_secret = FILE.replace(
            "consumer_key_env = \"NORD_CK\"",
            "consumer_secret = \"cs_x\"",
        );
        assert!(ServiceConfig::from_toml_str(&with_secret, Path::new("/")).is_err());
        let dup = FILE.replace("id = \"syd\"", "id = \"nord\"");
        assert!(ServiceConfig::from_toml_str(&dup, Path::new("/")).is_err());
        let bad = FILE.replace("id = \"syd\"", "id = \"../x\"");
        assert!(ServiceConfig::from_toml_str(&bad, Path::new("/")).is_err());
        let bad = FILE.replace("daily at 02:00", "weekly");
        assert!(ServiceConfig::from_toml_str(&bad, Path::new("/")).is_err());
    }

    #[test]
    fn a_duration_that_would_overflow_the_clock_is_refused_naming_its_key() {
        // Issue #15: health_secs = i64::MAX killed the poller while /health said all was well.
        for key in [
            "health_secs",
            "reconcile_secs",
            "overlap_secs",
            "drain_idle_ms",
        ] {
            let text = FILE.replace(
                "every_secs = 60",
                &format!("every_secs = 60\n{key} = {}", i64::MAX),
            );
            let err = ServiceConfig::from_toml_str(&text, Path::new("/")).expect_err(key);
            assert!(err.to_string().contains(&format!("poll.{key}")), "{err}");
        }
    }
}
