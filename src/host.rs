//! The connector embedded in a host process (the PHP extension; any other embedding would use it the same way):
//! the plugin's settings document in, one [`Host`] per process out, with the calls the plugin makes. The host
//! owns the queue database in its data directory, the credential key derived from the key material it is
//! given, and — only once something must be sent — the Visma client and the engine.
//!
//! No PHP types here and no business rules: those live in `engine`, `mapping` and `settings`.

use crate::clock::{Clock, SystemClock};
use crate::engine::{self, DrainReport, Engine, IntakeError};
use crate::mapping::{self, MappingError};
use crate::secret::Secret;
use crate::settings::{PaymentMethodMap, Settings, SettingsError};
use crate::store::audit::{AuditEntry, AuditQuery};
use crate::store::queue::{EnqueueOutcome, Job, JobFilter, JobId, JobKind, JobSource, JobState};
use crate::store::{Key, Store, StoreError};
use crate::visma::{Client, Config, VismaError};
use crate::woo::{Order, WooError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The credential name of the Visma client secret.
pub const VISMA_SECRET: &str = "visma_client_secret";
/// The simulator the plugin's "simulator" mode talks to unless the settings name another URL.
pub const DEFAULT_SIMULATOR_URL: &str = "http://127.0.0.1:8765";
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

/// The plugin's settings document (its option array as JSON). Connection and sync keys are flat; `mapping`
/// overrides the accounts, payment methods and subaccount of the base settings; `settings_toml` (advanced)
/// replaces the base settings, which default to the example settings for the seeded simulator company.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PluginSettings {
    /// `simulator` or `visma`.
    pub mode: String,
    /// Visma Connect client id.
    pub visma_client_id: String,
    /// Company tenant id.
    pub visma_tenant_id: String,
    /// `ipp-company-id`.
    pub visma_company_id: String,
    /// Token endpoint (empty: Visma Connect's).
    pub visma_token_url: String,
    /// ERP API base (empty: `https://api.finance.visma.net`, or the simulator's URL in simulator mode).
    pub visma_api_base_url: String,
    /// SalesOrders v3 base.
    pub visma_salesorders_base_url: String,
    /// `customers` or `suppliers`.
    pub business_model: String,
    /// `invoice` or `sales_order`.
    pub document_type: String,
    /// When an order is sent: `placed`, `processing` or `completed`.
    pub trigger: String,
    /// Store id in document keys.
    pub store_id: String,
    /// Full settings in the TOML format of `ml-connector settings --example`.
    pub settings_toml: String,
    /// The settings screen's mapping selects.
    pub mapping: PluginMapping,
}

/// The mapping selects of the settings screen.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PluginMapping {
    /// Shipping revenue account.
    pub shipping_account: String,
    /// Fee revenue account.
    pub fee_account: String,
    /// Rounding account (empty: keep the base settings').
    pub rounding_account: String,
    /// Per WooCommerce tax class slug (`standard` for `""`): `sales_account`.
    #[serde(deserialize_with = "php_map")]
    pub tax_classes: BTreeMap<String, BTreeMap<String, String>>,
    /// WooCommerce gateway id → Visma payment method id.
    #[serde(deserialize_with = "php_map")]
    pub payment_methods: BTreeMap<String, String>,
    /// Subaccount segment id → value, for every line.
    #[serde(deserialize_with = "php_map")]
    pub subaccount: BTreeMap<String, String>,
}

/// PHP's `json_encode` writes an empty array as `[]`, never `{}`: accept both for a map.
fn php_map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::de::DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum MapOrList<V> {
        Map(BTreeMap<String, V>),
        List(Vec<serde_json::Value>),
    }
    match MapOrList::<V>::deserialize(d)? {
        MapOrList::Map(m) => Ok(m),
        MapOrList::List(l) if l.is_empty() => Ok(BTreeMap::new()),
        MapOrList::List(_) => Err(serde::de::Error::custom("expected an object")),
    }
}

/// Where the client sends: the simulator or Visma.net.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A running `ml-connector simulate` at this base URL: its demo credentials, or the client id, tenant and
    /// saved secret when the merchant entered them (so Test connection can fail as it would against Visma).
    Simulator {
        /// The simulator's base URL.
        base_url: String,
        /// Client id (empty: `demo-client`).
        client_id: String,
        /// Tenant id (empty: `demo-tenant`).
        tenant_id: String,
    },
    /// Visma.net with these ids; the secret comes from the encrypted credential store.
    Visma {
        /// Client id.
        client_id: String,
        /// Tenant id.
        tenant_id: String,
        /// Company id (empty: not sent).
        company_id: String,
        /// Token URL (empty: default).
        token_url: String,
        /// API base (empty: default).
        api_base_url: String,
        /// SalesOrders base (empty: default).
        salesorders_base_url: String,
    },
}

/// Parses and validates the plugin's settings document.
///
/// # Errors
/// [`HostError::Config`] naming the bad key, or the settings' own validation error.
pub fn parse_plugin_settings(json: &str) -> Result<(Settings, Mode), HostError> {
    let doc: PluginSettings = serde_json::from_str(json)
        .map_err(|e| HostError::Config(format!("not a settings document: {e}")))?;
    let mut settings = if doc.settings_toml.trim().is_empty() {
        Settings::example()?
    } else {
        Settings::from_toml_str(&doc.settings_toml)?
    };
    if !doc.store_id.is_empty() {
        settings.store_id = doc.store_id.clone();
    }
    settings.business_model = match doc.business_model.as_str() {
        "" => settings.business_model,
        other => parse_enum("business_model", other)?,
    };
    settings.document_type = match doc.document_type.as_str() {
        "" => settings.document_type,
        other => parse_enum("document_type", other)?,
    };
    // The merchant's trigger decides which order statuses become documents: "placed" books unpaid orders too.
    let statuses: &[&str] = match doc.trigger.as_str() {
        "" => &[],
        "placed" => &["pending", "on-hold", "processing", "completed", "refunded"],
        "processing" => &["processing", "completed", "refunded"],
        "completed" => &["completed", "refunded"],
        other => {
            return Err(HostError::Config(format!(
                "trigger must be placed, processing or completed, not {other:?}"
            )))
        }
    };
    if !statuses.is_empty() {
        settings.invoice.statuses = statuses.iter().map(|s| (*s).to_owned()).collect();
    }
    apply_mapping(&mut settings, &doc.mapping);
    settings.validate()?;
    let mode = match doc.mode.as_str() {
        "" | "simulator" => Mode::Simulator {
            base_url: if doc.visma_api_base_url.is_empty() {
                DEFAULT_SIMULATOR_URL.to_owned()
            } else {
                doc.visma_api_base_url.trim_end_matches('/').to_owned()
            },
            client_id: doc.visma_client_id,
            tenant_id: doc.visma_tenant_id,
        },
        "visma" => {
            if doc.visma_client_id.is_empty() || doc.visma_tenant_id.is_empty() {
                return Err(HostError::Config(
                    "visma_client_id and visma_tenant_id are required in visma mode".to_owned(),
                ));
            }
            Mode::Visma {
                client_id: doc.visma_client_id,
                tenant_id: doc.visma_tenant_id,
                company_id: doc.visma_company_id,
                token_url: doc.visma_token_url,
                api_base_url: doc.visma_api_base_url,
                salesorders_base_url: doc.visma_salesorders_base_url,
            }
        }
        other => {
            return Err(HostError::Config(format!(
                "mode must be simulator or visma, not {other:?}"
            )))
        }
    };
    Ok((settings, mode))
}

fn parse_enum<T: serde::de::DeserializeOwned>(key: &str, value: &str) -> Result<T, HostError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| HostError::Config(format!("{key} has an unknown value {value:?}")))
}

fn apply_mapping(settings: &mut Settings, m: &PluginMapping) {
    let set = |target: &mut String, value: &str| {
        if !value.is_empty() {
            *target = value.to_owned();
        }
    };
    set(&mut settings.accounts.shipping, &m.shipping_account);
    set(&mut settings.accounts.fee, &m.fee_account);
    if !m.rounding_account.is_empty() {
        settings.accounts.rounding = Some(m.rounding_account.clone());
    }
    for (class, fields) in &m.tax_classes {
        let Some(account) = fields.get("sales_account").filter(|a| !a.is_empty()) else {
            continue;
        };
        if class == "standard" {
            settings.accounts.sales = account.clone();
            continue;
        }
        settings
            .accounts
            .rules
            .retain(|r| r.tax_class.as_deref() != Some(class.as_str()));
        settings.accounts.rules.insert(
            0,
            crate::settings::AccountRule {
                sku_prefix: None,
                category: None,
                tax_class: Some(class.clone()),
                account: account.clone(),
            },
        );
    }
    for (gateway, method) in &m.payment_methods {
        let cash_account = settings
            .payment_methods
            .values()
            .find(|p| &p.payment_method_id == method)
            .map_or_else(|| "1920".to_owned(), |p| p.cash_account.clone());
        settings.payment_methods.insert(
            gateway.clone(),
            PaymentMethodMap {
                payment_method_id: method.clone(),
                cash_account,
            },
        );
    }
    if !m.subaccount.is_empty() {
        let mut segments: Vec<(u32, String)> = m
            .subaccount
            .iter()
            .filter_map(|(id, v)| Some((id.parse().ok()?, v.clone())))
            .collect();
        segments.sort();
        let values: Vec<String> = segments.into_iter().map(|(_, v)| v).collect();
        let sub = &mut settings.subaccounts;
        sub.item.clone_from(&values);
        sub.shipping.clone_from(&values);
        sub.fee.clone_from(&values);
        sub.rounding = values;
    }
}

/// The Visma client configuration for `mode`, with the secret from the credential store.
///
/// # Errors
/// [`HostError::Config`] when Visma mode has no saved secret; the client's configuration errors.
pub fn client_config(mode: &Mode, secret: Option<Secret>) -> Result<Config, HostError> {
    match mode {
        Mode::Simulator {
            base_url,
            client_id,
            tenant_id,
        } => {
            let mut config = engine::simulator_config(
                &format!("{base_url}/connect/token"),
                base_url,
                &format!("{base_url}/api/v3/SalesOrders"),
            );
            if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                config.client_secret = secret;
            }
            if !client_id.is_empty() {
                config.client_id.clone_from(client_id);
            }
            if !tenant_id.is_empty() {
                config.tenant_id.clone_from(tenant_id);
            }
            Ok(config)
        }
        Mode::Visma {
            client_id,
            tenant_id,
            company_id,
            token_url,
            api_base_url,
            salesorders_base_url,
        } => {
            let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
                HostError::Config("no Visma client secret is saved yet".to_owned())
            })?;
            let mut config = Config::visma_net(client_id.clone(), secret, tenant_id.clone());
            let pick = |v: &str, d: &str| {
                if v.is_empty() {
                    d.to_owned()
                } else {
                    v.to_owned()
                }
            };
            let urls = (
                pick(token_url, &config.token_url),
                pick(api_base_url, &config.api_base_url),
                pick(salesorders_base_url, &config.salesorders_base_url),
            );
            config = config.with_urls(urls.0, urls.1, urls.2);
            if !company_id.is_empty() {
                config = config.with_company_id(company_id.clone());
            }
            config.validate()?;
            Ok(config)
        }
    }
}

/// Queue counts, the oldest pending job and the newest failure.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Jobs per state.
    pub counts: BTreeMap<&'static str, u64>,
    /// When the oldest pending job was queued (RFC 3339).
    pub oldest_pending_at: Option<String>,
    /// The most recent failure reason.
    pub last_error: Option<String>,
}

/// One job, for the queue screen.
#[derive(Debug, Serialize)]
pub struct JobRow {
    /// Job id.
    pub id: i64,
    /// order, customer, refund.
    pub kind: &'static str,
    /// WooCommerce id.
    pub woo_id: u64,
    /// State name.
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt (RFC 3339).
    pub next_attempt_at: String,
    /// Last failure.
    pub last_error: Option<String>,
    /// The Visma document, once posted.
    pub visma_number: Option<String>,
    /// Queued at.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// One audit row, for the queue screen and the order meta box.
#[derive(Debug, Serialize)]
pub struct AuditRow {
    /// When.
    pub at: String,
    /// Job id.
    pub job_id: Option<i64>,
    /// Entity kind.
    pub kind: Option<&'static str>,
    /// WooCommerce id.
    pub woo_id: Option<u64>,
    /// What happened.
    pub action: String,
    /// Visma endpoint.
    pub endpoint: Option<String>,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// Call duration.
    pub duration_ms: Option<u64>,
    /// Visma document number.
    pub visma_number: Option<String>,
    /// Error or detail.
    pub error: Option<String>,
}

/// The sync state of one order, for the order list column and meta box.
#[derive(Debug, Serialize)]
pub struct OrderState {
    /// `none`, or the newest job's state.
    pub state: &'static str,
    /// The invoice or sales order number.
    pub visma_number: Option<String>,
    /// Why the newest job failed.
    pub last_error: Option<String>,
}

/// What a connection test found.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// True when Visma answered.
    pub ok: bool,
    /// The company (id and branch name).
    pub company: Option<String>,
    /// GL accounts found.
    pub accounts: usize,
    /// VAT categories found.
    pub vat_categories: usize,
    /// Why it failed, in the merchant's terms.
    pub error: Option<String>,
}

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
        if let Slot::Store(_) = self.slot {
            let secret = self.store()?.get_credential(VISMA_SECRET, &self.key)?;
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
        Ok(rows.into_iter().map(audit_row).collect())
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
        // The next send builds its client with the new secret.
        if let Slot::Engine(_) = self.slot {
            if let Slot::Engine(engine) = std::mem::replace(&mut self.slot, Slot::Empty) {
                self.slot = Slot::Store(engine.into_store());
            }
        }
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

fn audit_row(e: AuditEntry) -> AuditRow {
    AuditRow {
        at: e.at.to_rfc3339(),
        job_id: e.job_id.map(JobId::get),
        kind: e.woo_kind.map(JobKind::as_str),
        woo_id: e.woo_id,
        action: e.action,
        endpoint: e.endpoint,
        http_status: e.http_status,
        duration_ms: e.duration_ms,
        visma_number: e.visma_number,
        error: e.error,
    }
}

/// The queue database inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// How long a drain started from a web request may run by default.
pub const DEFAULT_DRAIN_BUDGET: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_document_with_php_empty_arrays_parses() {
        let (settings, mode) = parse_plugin_settings(
            r#"{"mode":"simulator","store_id":"shop1","mapping":{"shipping_account":"3700",
               "tax_classes":[],"payment_methods":[],"subaccount":[]}}"#,
        )
        .expect("valid document");
        assert_eq!(settings.store_id, "shop1");
        assert_eq!(
            mode,
            Mode::Simulator {
                base_url: DEFAULT_SIMULATOR_URL.to_owned(),
                client_id: String::new(),
                tenant_id: String::new(),
            }
        );
    }

    #[test]
    fn trigger_decides_which_statuses_are_invoiced() {
        let (placed, _) = parse_plugin_settings(r#"{"trigger":"placed"}"#).expect("valid");
        assert!(placed.invoice.statuses.iter().any(|s| s == "on-hold"));
        let (completed, _) = parse_plugin_settings(r#"{"trigger":"completed"}"#).expect("valid");
        assert!(!completed.invoice.statuses.iter().any(|s| s == "processing"));
    }

    #[test]
    fn simulator_mode_uses_the_saved_secret_when_there_is_one() {
        let (_, mode) = parse_plugin_settings(r#"{"mode":"simulator"}"#).expect("valid");
        let demo = client_config(&mode, None).expect("demo credentials");
        assert_eq!(demo.client_secret.expose(), "demo-secret");
        let own = client_config(&mode, Some(Secret::new("wrong"))).expect("configured");
        assert_eq!(own.client_secret.expose(), "wrong");
    }

    #[test]
    fn plugin_mapping_overrides_accounts_methods_and_segments() {
        let (settings, _) = parse_plugin_settings(
            r#"{"mode":"simulator","mapping":{"fee_account":"3710","rounding_account":"3740",
               "tax_classes":{"standard":{"sales_account":"3000"},"reduced-rate":{"sales_account":"3010"}},
               "payment_methods":{"cod":"COD"},"subaccount":{"2":"100","1":"10"}}}"#,
        )
        .expect("valid document");
        assert_eq!(settings.accounts.sales, "3000");
        assert_eq!(
            settings.accounts.rules[0].tax_class.as_deref(),
            Some("reduced-rate")
        );
        assert_eq!(settings.accounts.rules[0].account, "3010");
        assert_eq!(settings.payment_methods["cod"].payment_method_id, "COD");
        assert_eq!(
            settings.subaccounts.item,
            vec!["10".to_owned(), "100".to_owned()]
        );
    }

    #[test]
    fn bad_documents_name_the_key() {
        for (doc, needle) in [
            (r#"{"mode":"cloud"}"#, "mode"),
            (r#"{"business_model":"resellers"}"#, "business_model"),
            (r#"{"mode":"visma"}"#, "visma_client_id"),
            (r#"{"trigger":"paid"}"#, "trigger"),
            ("[1]", "settings document"),
        ] {
            let err = parse_plugin_settings(doc).expect_err(doc);
            assert!(err.to_string().contains(needle), "{doc}: {err}");
        }
    }
}
