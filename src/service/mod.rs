//! The connector without PHP: a small service next to the shop. WooCommerce webhooks arrive at
//! `POST /webhooks/woocommerce/{store}` ([`receiver`]): verified on the raw bytes before anything is parsed,
//! queued through the engine's intake, answered at once. A background loop per store drains the queue into
//! Visma ([`run`]). The [`poller`] reads `GET /wc/v3/orders?modified_after=…` with a stored cursor, an overlap
//! window and the queue's payload-hash dedupe, so whichever path sees an order first, it is posted once.
//! The [`health`] monitor lists the shop's webhooks and switches a store to polling when they are disabled,
//! paused, missing or silent; `webhooks install|repair` ([`health::repair`]) re-creates them with a fresh secret.
//! Several stores ("cells") share one service, each with its own keys, secrets, queue file and Visma company
//! ([`config`]); poll pace comes from [`schedule`], and one poller per store runs at a time ([`leases::PollLock`]). No mapping and no SQL here: those stay in `mapping` and `store`.

pub mod config;
pub mod health;
pub mod intake;
pub mod leases;
pub mod poller;
pub mod receiver;
pub mod run;
pub mod schedule;
pub mod secrets;
mod wake;

pub use config::{ServiceConfig, StoreConfig};
pub use run::{RunningService, Service};

/// Why the service could not start or a store could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The configuration is invalid or names something missing.
    #[error("service configuration: {0}")]
    Config(String),
    /// A store's queue or credentials failed.
    #[error("store {store}: local queue")]
    Store {
        /// The store id.
        store: String,
        /// The queue's error (boxed: it is large and this error travels through every service call).
        #[source]
        source: Box<crate::store::StoreError>,
    },
    /// WooCommerce could not be reached or refused a call.
    #[error("store {store}: WooCommerce")]
    Woo {
        /// The store id.
        store: String,
        /// The client's error.
        #[source]
        source: crate::woo::client::WooClientError,
    },
    /// The Visma client could not be built.
    #[error("store {store}: Visma client")]
    Visma {
        /// The store id.
        store: String,
        /// The client's error.
        #[source]
        source: Box<crate::visma::VismaError>,
    },
    /// The HTTP listener could not start.
    #[error("could not listen on {addr}")]
    Listen {
        /// The address.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ServiceError {
    /// A queue error of store `store`.
    pub fn store(store: &str, source: crate::store::StoreError) -> Self {
        Self::Store {
            store: store.to_owned(),
            source: Box::new(source),
        }
    }

    /// Only network trouble with WooCommerce and a busy queue pass with time.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Woo { source, .. } => source.is_retryable(),
            Self::Store { source, .. } => source.is_retryable(),
            Self::Config(_) | Self::Visma { .. } | Self::Listen { .. } => false,
        }
    }
}
