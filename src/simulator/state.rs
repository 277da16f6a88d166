//! Everything the simulator remembers: the stored documents (persisted to the state file as JSON), issued
//! tokens, the rate window, the fault settings and the request log (secrets redacted before they get here).
//! Documents are kept in their GET DTO shape (plain JSON, SPEC25/SOV3), in creation order.
//! Must not: hold secrets or bearer tokens in anything serialised (the token table is never persisted).

use super::faults::Faults;
use super::ratelimit::Window;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::Path;

/// Largest page the list endpoints serve (ONIT asks for 1000; the real number is not published, NOTES §8.5).
pub const MAX_PAGE_SIZE: usize = 1000;

/// Page size when `pageSize` is omitted (undocumented; small enough that a client that forgets paging notices).
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// Requests the log keeps (the oldest are dropped beyond this).
pub const MAX_LOGGED_REQUESTS: usize = 10_000;

/// The documents created through the API: what the state file holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Store {
    /// `CustomerDto`s.
    pub customers: Vec<Value>,
    /// `SupplierDto`s.
    pub suppliers: Vec<Value>,
    /// `CustomerInvoiceDto`s.
    pub invoices: Vec<Value>,
    /// `CustomerCreditNoteDto`s.
    pub credit_notes: Vec<Value>,
    /// `PaymentDto`s.
    pub payments: Vec<Value>,
    /// SalesOrders v3 `SalesOrderDto`s, each with its lines under `_lines` removed before it is served.
    pub sales_orders: Vec<Value>,
    /// The unwrapped update DTO each invoice and credit note was last built from, by `{path}:{number}`
    /// (a PUT merges into it and rebuilds the document).
    pub requests: std::collections::BTreeMap<String, Value>,
    /// Last number handed out per series (`customer`, `supplier`, `invoice`, `creditNote`, `payment`, `salesOrder`,
    /// `internalId`).
    pub counters: HashMap<String, u64>,
    /// Lookup cache over `invoices` (never saved; see [`super::doc_index`]).
    #[serde(skip)]
    pub(crate) invoice_index: super::doc_index::DocIndex,
    /// Lookup cache over `credit_notes`.
    #[serde(skip)]
    pub(crate) credit_note_index: super::doc_index::DocIndex,
    /// Lookup cache over `payments`.
    #[serde(skip)]
    pub(crate) payment_index: super::doc_index::PaymentIndex,
}

impl Store {
    /// The next number of `series`, starting after `first - 1`.
    pub fn next(&mut self, series: &str, first: u64) -> u64 {
        let n = self
            .counters
            .entry(series.to_string())
            .or_insert(first.saturating_sub(1));
        *n = n.saturating_add(1);
        *n
    }

    /// Loads a state file; a missing file is an empty store.
    ///
    /// # Errors
    /// The file exists but cannot be read or is not a store.
    pub fn load(path: &Path) -> std::io::Result<Store> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the store atomically (temp file, then rename).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}

/// One request as the log keeps it. No bodies of token calls, no secrets, no tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// 1-based order of arrival.
    pub seq: u64,
    /// When it arrived (injected clock).
    pub at: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Query string as sent (empty if none).
    pub query: String,
    /// `Authorization` with the credential replaced: `Bearer ***`, `Basic ***` or empty.
    pub authorization: String,
    /// `ipp-company-id` if sent.
    pub company_id: Option<String>,
    /// JSON body of API calls (token calls: the form with `client_secret` shown as `***`).
    pub body: Option<Value>,
    /// Status answered; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// `ok`, `fault`, `lost`, `rate_limited`, `unauthorized`, `rejected`.
    pub outcome: String,
}

/// A request as the server keeps it between inspections: the body as received (issue #8: a parsed copy of every
/// body in a 10,000-entry log was most of the simulator's allocations), turned into a [`LoggedRequest`] only when
/// inspected.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The request, with `body` left empty.
    pub request: LoggedRequest,
    /// The body: JSON bytes of an API call, to parse on inspection.
    pub raw_json: Option<axum::body::Bytes>,
}

impl LogEntry {
    /// The request with its body parsed (`None` when the body is empty or not JSON, as it was logged before).
    pub fn to_logged(&self) -> LoggedRequest {
        let mut r = self.request.clone();
        if r.body.is_none() {
            r.body = self
                .raw_json
                .as_ref()
                .and_then(|b| serde_json::from_slice::<Value>(b).ok());
        }
        r
    }
}

/// A snapshot for tests and the demo (`RunningSimulator::inspect`, `GET /_simulator/state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    /// Stored documents.
    pub store: Store,
    /// Every request seen, oldest first.
    pub requests: Vec<LoggedRequest>,
    /// Number of tokens issued so far.
    pub tokens_issued: u64,
    /// The current rate window.
    pub rate_window: Window,
    /// Current fault settings (with what is left of the script).
    pub faults: Faults,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// The mutable state behind the server's lock.
#[derive(Debug)]
pub struct State {
    /// Stored documents.
    pub store: Store,
    /// Issued tokens by value.
    pub tokens: HashMap<String, TokenGrant>,
    /// Number of tokens issued.
    pub tokens_issued: u64,
    /// Rate-limit window.
    pub window: Window,
    /// Fault settings.
    pub faults: Faults,
    /// Seeded RNG for tokens, `VismaId`s and request ids.
    pub rng: StdRng,
    /// Seeded RNG for faults only, so the fault sequence depends on the seed and the number of API calls alone.
    pub fault_rng: StdRng,
    /// Request log (newest [`MAX_LOGGED_REQUESTS`]). A ring: issue #8 found `Vec::remove(0)` moving the whole
    /// full log (megabytes) on every request of a long run, most of the simulator's time.
    pub log: VecDeque<LogEntry>,
    /// Requests seen since start (the log's `seq`).
    pub requests_seen: u64,
}

impl State {
    /// The snapshot served by the inspection route.
    pub fn inspect(&self) -> Inspection {
        Inspection {
            store: self.store.clone(),
            requests: self.log.iter().map(LogEntry::to_logged).collect(),
            tokens_issued: self.tokens_issued,
            rate_window: self.window.clone(),
            faults: self.faults.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_round_trips_through_the_state_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        assert_eq!(
            Store::load(&path).expect("missing = empty"),
            Store::default()
        );
        let mut s = Store::default();
        assert_eq!(s.next("customer", 10000), 10000);
        assert_eq!(s.next("customer", 10000), 10001);
        s.customers.push(serde_json::json!({"number": "10000"}));
        s.save(&path).expect("save");
        let loaded = Store::load(&path).expect("load");
        assert_eq!(loaded, s);
        std::fs::write(&path, b"not json").expect("write");
        assert!(Store::load(&path).is_err());
    }
}
