//! The Visma.net ERP edge: request bodies ([`dto`], owned by the mapping area) and the client that sends them —
//! configuration ([`config`]), Visma Connect tokens ([`auth`]), errors ([`error`]), the pure retry policy
//! ([`retry`]), the rate limiter ([`limiter`]), GET response shapes ([`read`]) and one function per endpoint on
//! [`Client`] (ERP endpoints, SalesOrders v3, and the exactly-once `create_*_once` helpers).

pub mod auth;
pub mod client;
pub mod config;
pub mod decimal;
pub mod dto;
mod endpoints;
pub mod error;
pub mod limiter;
mod once;
pub mod ping;
pub mod read;
pub mod retry;
pub mod sales_orders;

pub use client::Client;
pub use config::{ClientAuth, Config};
pub use endpoints::PAGE_SIZE;
pub use error::{AuthFailure, VismaError, VismaMessage};
pub use once::CreateOutcome;
pub use ping::PingReport;
pub use sales_orders::{SalesOrderKey, SalesOrderQuery};
