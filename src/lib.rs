//! ml-connector: WooCommerce orders and customers become Visma.net ERP documents, exactly once.
//!
//! The flow, one way only:
//! 1. A WooCommerce order or customer arrives as its REST v3 JSON ([`woo`]): from a plugin hook (through the
//!    PHP extension, [`php`]), a signed webhook or REST polling ([`service`]).
//! 2. [`engine`] puts it in the durable local queue ([`store`]) in one short transaction and returns.
//! 3. In the background [`engine`] claims due jobs, [`mapping`] turns each into Visma documents (pure code,
//!    money in [`money`] as integer minor units, settings in [`settings`]), and the Visma client ([`visma`])
//!    posts them, looking first for a document an earlier, unanswered attempt may have created.
//! 4. Every attempt lands in the audit trail; failures are retried with backoff or stop where the merchant sees why.
//!
//! [`simulator`] is a faithful Visma.net stand-in: the embedded default and the test double.

pub mod clock;
pub mod engine;
pub mod host;
pub mod mapping;
pub mod money;
#[cfg(feature = "php")]
mod php;
pub mod secret;
pub mod service;
pub mod settings;
pub mod simulator;
pub mod store;
pub mod visma;
pub mod woo;

/// The crate version; the PHP plugin refuses an extension whose version it does not expect.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
