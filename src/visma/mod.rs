//! The Visma.net ERP edge: request bodies ([`dto`], owned by the mapping area) and the client that sends them —
//! configuration ([`config`]), Visma Connect tokens ([`auth`]), errors ([`error`]), the pure retry policy
//! ([`retry`]), the rate limiter ([`limiter`]), GET response shapes ([`read`]) and one function per endpoint on
//! [`Client`] (ERP endpoints, SalesOrders v3, and the exactly-once `create_*_once` helpers).
//!
//! ```no_run
//! use ml_connector::clock::SystemClock;
//! use ml_connector::visma::{Client, Config, CreateOutcome};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), ml_connector::visma::VismaError> {
//! let client = Client::new(Config::from_env()?, Arc::new(SystemClock))?;
//! let body = serde_json::json!({"customerNumber": {"value": "10000"}}); // a visma::dto value in practice
//! match client.create_invoice_once("woo:default:1234", &body) {
//!     Ok(CreateOutcome::Created(number) | CreateOutcome::Adopted(number)) => println!("invoice {number}"),
//!     Err(e) if e.is_retryable() => { /* reschedule; e.retry_after() may say when */ }
//!     Err(e) => eprintln!("{}", e.reason_for_merchant()),
//! }
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod client;
pub mod config;
pub mod decimal;
pub mod dto;
mod endpoints;
pub mod error;
mod error_body;
pub mod limiter;
mod location;
pub mod lookups;
mod once;
pub mod ping;
pub mod read;
pub mod release;
pub mod retry;
pub mod sales_orders;
mod transport;

pub use client::Client;
pub use config::{ClientAuth, Config};
pub use endpoints::PAGE_SIZE;
pub use error::{AuthFailure, VismaError, VismaMessage};
pub use once::{CreateOutcome, Prior};
pub use ping::PingReport;
pub use release::{DocumentState, Releasable, Released};
pub use sales_orders::{SalesOrderKey, SalesOrderQuery};
