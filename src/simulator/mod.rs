//! A faithful Visma.net ERP simulator (axum), built from `shared/reference/visma/NOTES.md` and the reference
//! OpenAPI files: the embedded default for merchants trying the connector, and the test double.
//!
//! [`Simulator::start`] binds a socket and runs the server on its own tokio runtime in a background thread, so
//! blocking callers (a reqwest blocking client in a test) can talk to it. One host serves three roles:
//! `/connect/token` (Visma Connect), the ERP API (`/v1/...`, `/v2/...`, aliased under `/API/controller/api/...`),
//! and SalesOrders v3 (`/api/v3/SalesOrders`). `GET /_simulator/state` is a read-only inspection route.
//! Must not: talk to the network beyond its own socket, or log secrets or tokens (bodies appear only in the
//! inspection log, never in `tracing` output).

mod ar_build;
mod auth;
pub mod company;
mod customers;
mod dates;
mod doc_index;
mod documents;
mod faults;
mod http;
mod listing;
mod lookups;
mod net;
mod payments;
mod ratelimit;
mod routes;
mod salesorders;
pub mod schema;
mod seed;
mod state;
pub mod totals;

pub use company::Company;
pub use faults::{FaultBody, Faults, ScriptedFault};
pub use state::{Inspection, LoggedRequest, Store};

use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How the simulator behaves. `Default` is the seeded demo company of COMMON.md with no faults.
#[derive(Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Visma Connect client id the token endpoint accepts.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: Secret,
    /// The company tenant id the token endpoint accepts (`tenant_id` form field).
    pub tenant_id: String,
    /// The company id a present `ipp-company-id` header must match (else fault code 12002).
    pub company_id: String,
    /// Seed of the RNGs behind faults and lost responses (one draw pair per authorised API call: same seed + same number of
    /// API calls = same faults) and behind tokens and `VismaId`s.
    pub seed: u64,
    /// Delay before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Share (0..=1) of API calls answered with a 5xx and a Visma error body, without touching state.
    pub fault_rate: f64,
    /// Share (0..=1) of successful creates that are stored and then answered by a dropped connection.
    pub lost_response_rate: f64,
    /// Fixed-window limit per hour on API calls (policy `4-fixed-window`); 429 beyond it.
    pub rate_limit_per_hour: u32,
    /// Lifetime of issued tokens in seconds.
    pub token_ttl_secs: u64,
    /// Where created documents persist between runs (JSON); `None` keeps them in memory.
    pub state_file: Option<PathBuf>,
    /// False simulates a company without an API licence: every ERP call answers 401 with fault code 12027
    /// ("No license for this company.", P-KB; the status is inferred from D-401).
    pub licensed: bool,
    /// Source of "now" for token expiry, rate windows and timestamps; tests pass a `ManualClock`.
    pub clock: Arc<dyn Clock>,
    /// The company it serves (ids the documents may name). [`SimConfig::seeded`] also takes its client and ids.
    pub company: Arc<Company>,
    /// Release actions answer `Queued` (the document is released in the background, as Visma may do) instead of
    /// `Done`, so a caller must follow the release by reading the document.
    pub queued_release: bool,
    /// False simulates a client not subscribed to the SalesOrders v3 API: a token request naming its scopes is
    /// refused with `invalid_scope` (issue #17).
    pub sales_orders_subscribed: bool,
}

impl SimConfig {
    /// The default configuration serving `company`, with its client, tenant and company id.
    pub fn seeded(company: Company) -> Self {
        Self {
            client_id: company.client_id.clone(),
            client_secret: Secret::new(company.client_secret.clone()),
            tenant_id: company.tenant_id.clone(),
            company_id: company.id.clone(),
            company: Arc::new(company),
            ..Self::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: "demo-client".to_string(),
            client_secret: Secret::new("demo-secret"),
            tenant_id: "demo-tenant".to_string(),
            company_id: "1234567".to_string(),
            seed: 1,
            latency_ms: 0,
            fault_rate: 0.0,
            lost_response_rate: 0.0,
            rate_limit_per_hour: 10_000,
            token_ttl_secs: 3600,
            state_file: None,
            licensed: true,
            clock: Arc::new(SystemClock),
            company: Arc::new(Company::default()),
            queued_release: false,
            sales_orders_subscribed: true,
        }
    }
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("tenant_id", &self.tenant_id)
            .field("company_id", &self.company_id)
            .field("seed", &self.seed)
            .field("latency_ms", &self.latency_ms)
            .field("fault_rate", &self.fault_rate)
            .field("lost_response_rate", &self.lost_response_rate)
            .field("rate_limit_per_hour", &self.rate_limit_per_hour)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("state_file", &self.state_file)
            .field("licensed", &self.licensed)
            .field("company", &self.company.name)
            .field("queued_release", &self.queued_release)
            .finish_non_exhaustive()
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("could not listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The tokio runtime or its thread could not be created.
    #[error("could not start the simulator runtime")]
    Runtime(#[source] std::io::Error),
    /// The state file exists but cannot be read or parsed.
    #[error("could not load simulator state from {path}")]
    State {
        /// The state file.
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A rate is outside 0..=1.
    #[error("{name} must be between 0 and 1, got {value}")]
    Rate {
        /// `fault_rate` or `lost_response_rate`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

impl SimError {
    /// Starting is never worth retrying blindly: the port, the file or the flag needs a fix.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The simulator's entry point.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `config.listen` and serves in a background thread until the returned handle is dropped.
    ///
    /// # Errors
    /// [`SimError::Bind`] when the address is taken, [`SimError::State`] when the state file is unreadable,
    /// [`SimError::Rate`] for a rate outside 0..=1, [`SimError::Runtime`] when no runtime can be built.
    pub fn start(config: SimConfig) -> Result<RunningSimulator, SimError> {
        net::start(config)
    }
}

pub use net::RunningSimulator;
