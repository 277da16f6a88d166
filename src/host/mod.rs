//! The connector embedded in a host process (the PHP extension; any other embedding would use it the same way):
//! the plugin's settings document in, one [`Host`] per process out, with the calls the plugin makes. The host
//! owns the queue database in its data directory, the credential key derived from the key material it is
//! given, and — only once something must be sent — the Visma client and the engine.
//!
//! No PHP types here and no business rules: those live in `engine`, `mapping` and `settings`.

mod plugin_settings;
mod views;

pub use plugin_settings::{
    client_config, parse_plugin_settings, Mode, PluginMapping, PluginSettings,
    DEFAULT_SIMULATOR_URL,
};
pub use views::{AuditRow, ConnectionReport, JobRow, OrderState, Status, VismaTotals};

use crate::clock::{Clock, SystemClock};
use crate::engine::{self, DrainReport, Engine, IntakeError};
use crate::mapping::{self, MappingError};
use crate::secret::Secret;
use crate::settings::{Settings, SettingsError};
use crate::store::audit::AuditQuery;
use crate::store::queue::{EnqueueOutcome, Job, JobFilter, JobId, JobKind, JobSource, JobState};
use crate::store::{Key, Store, StoreError};
use crate::visma::{Client, VismaError};
use crate::woo::{Order, WooError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The credential name of the Visma client secret.
pub const VISMA_SECRET: &str = "visma_client_secret";
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
    key: Key,
    clock: Arc<dyn Clock>,
    /// The secret the engine's client was built with: another worker may save a new one.
    engine_secret: Option<Secret>,
}

impl Host {
    /// Opens (creating it if needed) `<data_dir>/ml-connector.sqlite` with the plugin's settings.
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
        let store = Store::open(db_path(data_dir))?;
        Ok(Self {
            slot: Slot::Store(store),
            settings,
            mode,
            key: Key::derive(key_material, KEY_CONTEXT),
            clock: Arc::new(SystemClock),
            engine_secret: None,
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
        Ok(engine::enqueue(
            self.store()?,
            &self.settings.store_id,
            kind,
            payload,
            source,
            self.clock.now(),
        )?)
    }

    /// The engine, built on first use: the Visma client is made only when something must be sent.
    fn engine(&mut self) -> Result<&Engine, HostError> {
        // The secret is read on every send (one small decrypt, never on the checkout path), so a secret saved by
        // another PHP-FPM worker takes effect here too.
        let secret = self.store()?.get_credential(VISMA_SECRET, &self.key)?;
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
    /// Configuration errors (no secret); store errors. Job failures are counted in the report.
    pub fn drain(&mut self, limit: u32, deadline_ms: u64) -> Result<(DrainReport, u64), HostError> {
        let deadline = self.clock.now()
            + chrono::Duration::milliseconds(i64::try_from(deadline_ms).unwrap_or(i64::MAX / 2));
        let report = self.engine()?.drain(limit, Some(deadline))?;
        let counts = self.store()?.counts_by_state()?;
        Ok((report, counts.pending + counts.running))
    }

    /// Queue counts, oldest pending job, newest failure.
    ///
    /// # Errors
    /// Store errors.
    pub fn status(&self) -> Result<Status, HostError> {
        let store = self.store()?;
        let c = store.counts_by_state()?;
        let counts = BTreeMap::from([
            ("pending", c.pending),
            ("running", c.running),
            ("done", c.done),
            ("failed", c.failed),
            ("dead", c.dead),
        ]);
        let last_error = store
            .audit_entries(&AuditQuery {
                limit: 200,
                ..AuditQuery::default()
            })?
            .into_iter()
            .find(|e| matches!(e.action.as_str(), "failed" | "dead" | "retry" | "rejected"))
            .and_then(|e| e.error);
        Ok(Status {
            counts,
            oldest_pending_at: store.oldest_pending()?.map(|j| j.created_at.to_rfc3339()),
            last_error,
        })
    }

    /// Jobs by state/kind/WooCommerce id, newest first.
    ///
    /// # Errors
    /// [`HostError::Input`] for an unknown state or kind; store errors.
    pub fn jobs(
        &self,
        state: Option<&str>,
        kind: Option<&str>,
        woo_id: Option<u64>,
        limit: u32,
    ) -> Result<Vec<JobRow>, HostError> {
        let store = self.store()?;
        let filter = JobFilter {
            store_id: Some(self.settings.store_id.clone()),
            state: state
                .map(|s| {
                    JobState::parse(s).map_err(|_| HostError::Input(format!("unknown state {s:?}")))
                })
                .transpose()?,
            kind: kind.map(engine::parse_kind).transpose()?,
            woo_id,
            before: None,
            limit,
        };
        store
            .list(&filter)?
            .into_iter()
            .map(|j| self.job_row(store, j))
            .collect()
    }

    fn job_row(&self, store: &Store, j: Job) -> Result<JobRow, HostError> {
        let visma_number = store
            .lookup_mapping(&j.store_id, j.kind, j.woo_id)?
            .map(|m| m.mapping.visma_number);
        Ok(JobRow {
            id: j.id.get(),
            kind: j.kind.as_str(),
            woo_id: j.woo_id,
            state: j.state.as_str(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at.to_rfc3339(),
            last_error: j.last_error,
            visma_number,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
        })
    }

    /// Audit rows, newest first.
    ///
    /// # Errors
    /// Store errors.
    pub fn audit(
        &self,
        job_id: Option<i64>,
        woo_id: Option<u64>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, HostError> {
        let rows = self.store()?.audit_entries(&AuditQuery {
            job_id: job_id.map(JobId::new),
            store_id: Some(self.settings.store_id.clone()),
            woo_id,
            since,
            limit,
            ..AuditQuery::default()
        })?;
        Ok(rows.into_iter().map(views::audit_row).collect())
    }

    /// The invoice Visma holds for order `order_id` (read from Visma, not from our records), for
    /// `wp ml-connector reconcile`. Orders not posted, or posted as sales orders, give no amounts.
    ///
    /// # Errors
    /// Visma and store errors.
    pub fn visma_totals(&mut self, order_id: u64) -> Result<VismaTotals, HostError> {
        let store_id = self.settings.store_id.clone();
        let number = self
            .store()?
            .lookup_mapping(&store_id, JobKind::Order, order_id)?
            .map(|m| m.mapping.visma_number);
        let mut totals = VismaTotals {
            visma_number: number.clone(),
            amount_minor: None,
            vat_minor: None,
            currency: None,
        };
        let Some(number) = number else {
            return Ok(totals);
        };
        let Some(invoice) = self.engine()?.visma().get_invoice(&number)? else {
            return Ok(totals);
        };
        let decimals = invoice
            .currency_id
            .as_deref()
            .and_then(|c| self.settings.currency(c).ok())
            .map_or(2, |c| c.decimals());
        totals.amount_minor = invoice
            .amount_in_currency
            .and_then(|a| a.to_minor(decimals));
        totals.vat_minor = invoice
            .vat_total_in_currency
            .and_then(|a| a.to_minor(decimals));
        totals.currency = invoice.currency_id;
        Ok(totals)
    }

    /// The sync state of order `order_id`.
    ///
    /// # Errors
    /// Store errors.
    pub fn order_state(&self, order_id: u64) -> Result<OrderState, HostError> {
        let store = self.store()?;
        let visma_number = store
            .lookup_mapping(&self.settings.store_id, JobKind::Order, order_id)?
            .map(|m| m.mapping.visma_number);
        let newest = store
            .list(&JobFilter {
                store_id: Some(self.settings.store_id.clone()),
                kind: Some(JobKind::Order),
                woo_id: Some(order_id),
                limit: 1,
                ..JobFilter::default()
            })?
            .into_iter()
            .next();
        Ok(OrderState {
            state: newest.as_ref().map_or("none", |j| j.state.as_str()),
            last_error: newest.and_then(|j| j.last_error),
            visma_number,
        })
    }

    /// Queues a failed or dead job again.
    ///
    /// # Errors
    /// Store errors (unknown job, job not failed).
    pub fn replay(&self, job_id: i64) -> Result<(), HostError> {
        Ok(self.store()?.replay(JobId::new(job_id), self.clock.now())?)
    }

    /// Queues every failed and dead job (since `since`) again; returns how many.
    ///
    /// # Errors
    /// Store errors.
    pub fn replay_failed(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<usize, HostError> {
        Ok(self.store()?.replay_failed(since, self.clock.now())?.len())
    }

    /// The Visma payload(s) `order_json` would become, pretty-printed.
    ///
    /// # Errors
    /// The order's parse or mapping error.
    pub fn map_preview(&self, order_json: &str) -> Result<String, HostError> {
        let order = Order::from_json(order_json.as_bytes())?;
        let docs = mapping::map_order(&order, &self.settings)?;
        serde_json::to_string_pretty(&mapping::preview(&docs, &[]))
            .map_err(|e| HostError::Input(format!("cannot print the preview: {e}")))
    }

    /// Authenticates and counts accounts and VAT categories; failures are reported, not thrown.
    pub fn test_connection(&mut self) -> ConnectionReport {
        let result = self
            .engine()
            .and_then(|e| e.visma().ping().map_err(HostError::from));
        match result {
            Ok(p) => ConnectionReport {
                ok: true,
                company: Some(match (&p.company_id, &p.branch) {
                    (Some(id), Some((_, name))) => format!("{id} ({name})"),
                    (Some(id), None) => id.clone(),
                    (None, Some((_, name))) => name.clone(),
                    (None, None) => "connected".to_owned(),
                }),
                accounts: p.accounts,
                vat_categories: p.vat_categories,
                error: None,
            },
            Err(e) => ConnectionReport {
                ok: false,
                company: None,
                accounts: 0,
                vat_categories: 0,
                error: Some(e.to_string()),
            },
        }
    }

    /// Accounts, VAT categories, payment methods and subaccount segments for the settings selects.
    ///
    /// # Errors
    /// Visma errors; configuration errors.
    pub fn lookups(&mut self) -> Result<serde_json::Value, HostError> {
        let visma = self.engine()?.visma();
        let accounts: Vec<_> = visma
            .list_accounts()?
            .into_iter()
            .filter_map(|a| {
                Some(serde_json::json!([
                    a.account_cd?,
                    a.description.unwrap_or_default()
                ]))
            })
            .collect();
        let vat: Vec<_> = visma
            .list_vat_categories()?
            .into_iter()
            .filter_map(|v| {
                Some(serde_json::json!([
                    v.vat_category_id?,
                    v.description.unwrap_or_default()
                ]))
            })
            .collect();
        let methods: Vec<_> = visma
            .list_payment_methods()?
            .into_iter()
            .filter_map(|m| {
                Some(serde_json::json!([
                    m.payment_method_id?,
                    m.description.unwrap_or_default()
                ]))
            })
            .collect();
        let dimension = visma.get_dimension("SUBACCOUNT")?;
        let segments: Vec<_> = dimension
            .segments
            .into_iter()
            .map(|s| {
                let values: Vec<_> = s
                    .segment_values
                    .into_iter()
                    .filter_map(|v| Some(serde_json::json!([v.value_id?, v.description.unwrap_or_default()])))
                    .collect();
                serde_json::json!({"segment_id": s.segment_id, "description": s.description, "values": values})
            })
            .collect();
        Ok(serde_json::json!({
            "accounts": accounts, "vat_categories": vat, "payment_methods": methods,
            "subaccount_segments": segments,
        }))
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
        // The next send sees the new secret and rebuilds its client (see `engine`).
        Ok(())
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
