//! The connector embedded in a host process (the PHP extension; any other embedding would use it the same way):
//! the plugin's settings document in, one [`Host`] per process out, with the calls the plugin makes. The host
//! owns the queue database in its data directory, the credential key derived from the key material it is
//! given, and — only once something must be sent — the Visma client and the engine.
//!
//! No PHP types here and no business rules: those live in `engine`, `mapping` and `settings`.

mod connection;
mod plugin_settings;
mod queries;
pub mod storage;
mod views;

pub use plugin_settings::{
    client_config, parse_plugin_settings, Mode, PluginSettings, DEFAULT_SIMULATOR_URL,
};
pub use views::{
    AuditRow, ConnectionReport, JobRow, LocalQueueView, NoteRow, OrderState, PauseView, Status,
    VismaTotals,
};

use crate::clock::{Clock, SystemClock};
use crate::engine::{self, DrainReport, Engine, IntakeError};
use crate::mapping::MappingError;
use crate::secret::Secret;
use crate::settings::{Settings, SettingsError};
use crate::store::queue::{EnqueueOutcome, JobKind, JobSource};
use crate::store::{Attempt, AuditAction, AuditEvent, Books, Key, Store, StoreError};
use crate::visma::{Client, VismaError};
use crate::woo::WooError;
use std::path::{Path, PathBuf};

/// The longest drain the extension runs in one call (a web request or cron run is far shorter).
pub const MAX_DRAIN_MS: u64 = 3_600_000;
use std::sync::Arc;
use std::time::Duration;

/// The credential name of the Visma client secret.
pub const VISMA_SECRET: &str = "visma_client_secret";
/// Where the URLs the Visma secret was saved for are kept ([`plugin_settings::secret_binding`]).
const VISMA_SECRET_BINDING: &str = "visma_client_secret_binding";
const DB_FILE: &str = "ml-connector.sqlite";
const KEY_CONTEXT: &str = "ml-connector credentials v1";

/// Errors the host reports; each says which setting, input or system failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The settings document is unusable.
    #[error("settings: {0}")]
    Config(String),
    /// The settings parsed but are invalid.
    #[error(transparent)]
    Settings(Box<SettingsError>),
    /// A payload or argument was refused.
    #[error(transparent)]
    Intake(Box<IntakeError>),
    /// An argument the caller passed is not acceptable.
    #[error("{0}")]
    Input(String),
    /// An order could not be read.
    #[error(transparent)]
    Woo(Box<WooError>),
    /// An order could not be mapped.
    #[error(transparent)]
    Mapping(Box<MappingError>),
    /// The queue database failed.
    #[error(transparent)]
    Store(Box<StoreError>),
    /// Visma refused or could not be reached.
    #[error("{}", .0.reason_for_merchant())]
    Visma(Box<VismaError>),
    /// The engine's store failed.
    #[error(transparent)]
    Engine(Box<engine::EngineError>),
}

/// Boxes each area's error: they are large, and errors are the rare path.
macro_rules! boxed_from {
    ($($variant:ident($ty:ty)),+ $(,)?) => {$(
        impl From<$ty> for HostError {
            fn from(e: $ty) -> Self {
                Self::$variant(Box::new(e))
            }
        }
    )+};
}

boxed_from!(
    Settings(SettingsError),
    Intake(IntakeError),
    Woo(WooError),
    Mapping(MappingError),
    Store(StoreError),
    Visma(VismaError),
    Engine(engine::EngineError),
);

enum Slot {
    Store(Store),
    Engine(Box<Engine>),
    Empty,
}

/// The connector of one process.
pub struct Host {
    slot: Slot,
    settings: Settings,
    mode: Mode,
    /// The store and the Visma company of `mode` (the id map is per company).
    books: Books,
    key: Key,
    clock: Arc<dyn Clock>,
    /// The secret the engine's client was built with: another worker may save a new one.
    engine_secret: Option<Secret>,
    /// Issue #16: this server's own SQLite file, when the queue is in the WordPress database.
    local_file: Option<PathBuf>,
    /// The next drain merges `local_file` into the shared queue (once per process, see `merge_local_queue`).
    merge_pending: bool,
    /// `local_file` was found merged (or moved): `status` stops opening it (every admin page asks for the status).
    local_settled: std::sync::atomic::AtomicBool,
}

impl Host {
    /// Opens (creating it if needed) the queue the settings' `storage` names (`<data_dir>/ml-connector.sqlite` or
    /// the WordPress database) with the plugin's settings.
    ///
    /// # Errors
    /// Settings errors; a data directory that cannot be created; store errors.
    pub fn open(
        settings_json: &str,
        data_dir: &Path,
        key_material: &[u8],
    ) -> Result<Self, HostError> {
        let (settings, mode) = parse_plugin_settings(settings_json)?;
        if data_dir.as_os_str().is_empty() {
            return Err(HostError::Input("the data directory is empty".to_owned()));
        }
        if key_material.len() < 16 {
            return Err(HostError::Input(
                "the key material must be at least 16 bytes".to_owned(),
            ));
        }
        std::fs::create_dir_all(data_dir).map_err(|e| {
            HostError::Input(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let storage = storage::parse_storage(settings_json)?;
        let store = storage::open(&storage, data_dir)?;
        let local_file = storage::local_file(&storage, data_dir);
        let books = Books::new(settings.store_id.clone(), mode.books_key());
        // Rows written before the id map knew companies belong to the connection the store has now.
        store.adopt_legacy_books(&books)?;
        Ok(Self {
            slot: Slot::Store(store),
            settings,
            mode,
            books,
            key: Key::derive(key_material, KEY_CONTEXT),
            clock: Arc::new(SystemClock),
            engine_secret: None,
            merge_pending: local_file.is_some(),
            local_file,
            local_settled: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn store(&self) -> Result<&Store, HostError> {
        match &self.slot {
            Slot::Store(s) => Ok(s),
            Slot::Engine(e) => Ok(e.store()),
            Slot::Empty => Err(HostError::Input("the queue is not open".to_owned())),
        }
    }

    /// Queues a WooCommerce object (`order`, `customer`, `refund`) from `source`.
    ///
    /// # Errors
    /// [`HostError::Intake`] for a bad kind, source or payload; store errors.
    pub fn enqueue(
        &self,
        kind: &str,
        payload: &str,
        source: &str,
        note_seq: Option<i64>,
    ) -> Result<EnqueueOutcome, HostError> {
        let kind = engine::parse_kind(kind)?;
        let source = match source {
            "hook" => JobSource::Hook,
            "webhook" => JobSource::Webhook,
            "poll" => JobSource::Poll,
            "cli" | "backfill" => JobSource::Cli,
            other => {
                return Err(HostError::Input(format!(
                    "unknown source {:?} (hook, webhook, poll, cli, backfill)",
                    other.chars().take(40).collect::<String>()
                )))
            }
        };
        Ok(engine::intake::enqueue_noted(
            self.store()?,
            &self.settings.store_id,
            kind,
            payload,
            source,
            self.clock.now(),
            note_seq,
        )?)
    }

    /// Notes that a WooCommerce object changed (issue #13: the only write on a shopper's request). True when it was
    /// not noted yet.
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown kind or a bad id; store errors.
    pub fn note(&self, kind: &str, woo_id: i64, parent_id: i64) -> Result<bool, HostError> {
        let kind = note_kind(kind)?;
        let woo_id = u64::try_from(woo_id)
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| HostError::Input("the WooCommerce id must be above 0".to_owned()))?;
        let parent_id = u64::try_from(parent_id)
            .map_err(|_| HostError::Input("the parent id must not be negative".to_owned()))?;
        Ok(self.store()?.note_changed(
            &self.settings.store_id,
            kind,
            woo_id,
            parent_id,
            self.clock.now(),
        )?)
    }

    /// The oldest noted objects, for the background runner.
    ///
    /// # Errors
    /// Store errors.
    pub fn notes(&self, limit: u32) -> Result<Vec<NoteRow>, HostError> {
        Ok(self
            .store()?
            .notes(limit)?
            .into_iter()
            .map(views::note_row)
            .collect())
    }

    /// A noted object could not be read from WooCommerce: its note is dropped with a visible reason.
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown kind; store errors.
    pub fn note_failed(&self, kind: &str, woo_id: i64, reason: &str) -> Result<bool, HostError> {
        let kind = note_kind(kind)?;
        let woo_id = u64::try_from(woo_id)
            .map_err(|_| HostError::Input("the WooCommerce id must be above 0".to_owned()))?;
        let reason: String = reason.chars().take(300).collect();
        Ok(self.store()?.note_failed(
            &self.settings.store_id,
            kind,
            woo_id,
            &reason,
            self.clock.now(),
        )?)
    }

    /// The engine, built on first use: the Visma client is made only when something must be sent.
    fn engine(&mut self) -> Result<&Engine, HostError> {
        // The secret is read on every send (one small decrypt, never on the checkout path), so a secret saved by
        // another PHP-FPM worker takes effect here too.
        let secret = self.store()?.get_credential(VISMA_SECRET, &self.key)?;
        self.check_binding(secret.is_some())?;
        if matches!(self.slot, Slot::Engine(_)) && secret != self.engine_secret {
            if let Slot::Engine(engine) = std::mem::replace(&mut self.slot, Slot::Empty) {
                self.slot = Slot::Store(engine.into_store());
            }
        }
        if let Slot::Store(_) = self.slot {
            self.engine_secret.clone_from(&secret);
            let client = Client::new(client_config(&self.mode, secret)?, self.clock.clone())?;
            let Slot::Store(store) = std::mem::replace(&mut self.slot, Slot::Empty) else {
                return Err(HostError::Input("the queue is not open".to_owned()));
            };
            self.slot = Slot::Engine(Box::new(Engine::new(
                store,
                self.settings.clone(),
                client,
                self.clock.clone(),
            )));
        }
        match &self.slot {
            Slot::Engine(e) => Ok(e),
            _ => Err(HostError::Input("the queue is not open".to_owned())),
        }
    }

    /// Posts due jobs for at most `deadline_ms` milliseconds.
    ///
    /// # Errors
    /// [`HostError::Input`] for a deadline above [`MAX_DRAIN_MS`]; configuration errors (no secret); store errors. Job failures are counted in the report.
    pub fn drain(&mut self, limit: u32, deadline_ms: u64) -> Result<(DrainReport, u64), HostError> {
        // Issue #15: a count from outside is checked, not trusted (PHP_INT_MAX overflowed the clock).
        if deadline_ms > MAX_DRAIN_MS {
            return Err(HostError::Input(format!(
                "deadline_ms must be at most {MAX_DRAIN_MS} (an hour)"
            )));
        }
        let deadline = self.clock.now()
            + chrono::Duration::milliseconds(i64::try_from(deadline_ms).unwrap_or(0));
        self.merge_local_queue()?;
        let report = self.engine()?.drain(limit, Some(deadline))?;
        let counts = self.store()?.counts_by_state()?;
        Ok((report, counts.pending + counts.running))
    }

    /// Issue #16: a server that kept its own SQLite file before another server moved the queue into the WordPress
    /// database merges the file into the shared queue at its first drain (never on a shopper's request), so its
    /// jobs, notes and history are sent and kept once. Tried once per process: a failure is audited on the shared
    /// queue and shown by `status` until a later process merges the file; a drain still sending from the file
    /// (a live lease) is waited for.
    fn merge_local_queue(&mut self) -> Result<(), HostError> {
        if !std::mem::take(&mut self.merge_pending) {
            return Ok(());
        }
        let Some(path) = self.local_file.clone() else {
            return Ok(());
        };
        let now = self.clock.now();
        match storage::merge_local(&path, self.store()?, now) {
            Ok(_) => {
                self.local_settled
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Err(HostError::Store(e))
                if matches!(*e, StoreError::Invalid { field: "queue", .. }) =>
            {
                self.merge_pending = true;
                Ok(())
            }
            Err(e) => {
                let event = AuditEvent {
                    at: now,
                    job_id: None,
                    store_id: Some(self.settings.store_id.clone()),
                    woo_kind: None,
                    woo_id: None,
                    action: AuditAction::MergeFailed,
                    attempt: Attempt::default(),
                    visma_number: None,
                    error: Some(format!(
                        "the queue this server kept in {} could not be merged into the shared queue: {e}",
                        path.display()
                    )),
                };
                self.store()?.audit(&event)?;
                Ok(())
            }
        }
    }

    /// Saves a secret encrypted (never returned to the caller).
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown name; store errors.
    pub fn save_secret(&mut self, name: &str, value: &str) -> Result<(), HostError> {
        check_secret_name(name)?;
        let now = self.clock.now();
        self.store()?
            .put_credential(name, &Secret::new(value), &self.key, now)?;
        if name == VISMA_SECRET {
            self.bind_secret()?;
        }
        // The next send sees the new secret and rebuilds its client (see `engine`).
        Ok(())
    }

    /// Records the URLs the Visma secret may go to (those of the connection in force).
    fn bind_secret(&mut self) -> Result<(), HostError> {
        if let Some(binding) = plugin_settings::secret_binding(&self.mode) {
            let now = self.clock.now();
            self.store()?.put_credential(
                VISMA_SECRET_BINDING,
                &Secret::new(binding),
                &self.key,
                now,
            )?;
        }
        Ok(())
    }

    /// Issue #15: the secret goes only to the URLs it was saved for. A secret saved before bindings existed is
    /// bound to the URLs in force now (an upgrade keeps working); after that, a changed token URL or API base
    /// needs the secret entered again.
    fn check_binding(&mut self, has_secret: bool) -> Result<(), HostError> {
        let Some(now_bound) = plugin_settings::secret_binding(&self.mode) else {
            return Ok(());
        };
        if !has_secret {
            return Ok(());
        }
        match self.store()?.get_credential(VISMA_SECRET_BINDING, &self.key)? {
            None => self.bind_secret(),
            Some(saved) if saved.expose() == now_bound => Ok(()),
            Some(_) => Err(HostError::Config(
                "the Visma token URL or API address changed since the client secret was saved: enter the \
                 secret again (visma_client_secret) to send it there"
                    .to_owned(),
            )),
        }
    }

    /// Clears a saved secret; true when one was there.
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown name; store errors.
    pub fn delete_secret(&mut self, name: &str) -> Result<bool, HostError> {
        check_secret_name(name)?;
        Ok(self.store()?.delete_credential(name)?)
    }

    /// Whether a secret is saved under `name`.
    ///
    /// # Errors
    /// Store errors.
    pub fn has_secret(&self, name: &str) -> Result<bool, HostError> {
        check_secret_name(name)?;
        Ok(self.store()?.credential_names()?.iter().any(|n| n == name))
    }
}

fn note_kind(kind: &str) -> Result<JobKind, HostError> {
    match kind {
        "order" => Ok(JobKind::Order),
        "refund" => Ok(JobKind::Refund),
        "customer" => Ok(JobKind::Customer),
        other => Err(HostError::Input(format!(
            "unknown kind {:?} (order, refund, customer)",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

fn check_secret_name(name: &str) -> Result<(), HostError> {
    const KNOWN: [&str; 3] = [
        VISMA_SECRET,
        "woocommerce_consumer_secret",
        "webhook_secret",
    ];
    if KNOWN.contains(&name) {
        Ok(())
    } else {
        Err(HostError::Input(format!(
            "unknown secret name {:?}",
            name.chars().take(40).collect::<String>()
        )))
    }
}

/// The queue database inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// How long a drain started from a web request may run by default.
pub const DEFAULT_DRAIN_BUDGET: Duration = Duration::from_secs(20);
