//! Shared helpers for the `store_*` integration tests: a fixed start time and job builders. No assertions here.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use ml_connector::store::{
    payload_hash, Attempt, Completion, JobKind, JobSource, NewJob, NewMapping, Store,
};

#[path = "../engine_support/backends.rs"]
pub mod backends;

/// A fresh, empty queue: SQLite in memory, or with `ML_TEST_BACKEND=mysql|postgres` a new database on that
/// server (issue #16: the store's contract holds on every backend). Dropped after the store.
pub struct Queue {
    store: Store,
    _db: Option<(backends::TestDb, tempfile::TempDir)>,
}

impl std::ops::Deref for Queue {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// See [`Queue`].
pub fn queue() -> Queue {
    match backends::backend_from_env() {
        backends::Backend::Sqlite => Queue {
            store: Store::open_in_memory().expect("open"),
            _db: None,
        },
        backend => {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = backends::TestDb::new(backend, dir.path());
            Queue {
                store: db.open(),
                _db: Some((db, dir)),
            }
        }
    }
}

/// The fixed "now" every test starts from (time moves only by hand).
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
        .expect("valid literal")
        .with_timezone(&Utc)
}

/// `t0()` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

/// A job for shop `default` with a small JSON payload naming the entity and revision.
pub fn job(kind: JobKind, woo_id: u64, revision: i64) -> NewJob {
    NewJob {
        source: JobSource::Hook,
        store_id: "default".into(),
        kind,
        woo_id,
        revision,
        payload: format!(
            r#"{{"id":{woo_id},"kind":"{kind}","date_modified_gmt_unix":{revision}}}"#
        ),
        depends_on: None,
    }
}

/// An id map row for shop `default` (the external reference follows the invoice key `woo:{store}:{id}`).
pub fn mapping(kind: JobKind, woo_id: u64, number: &str) -> NewMapping {
    NewMapping {
        store_id: "default".into(),
        company: String::new(),
        kind: kind.into(),
        woo_id,
        visma_number: number.into(),
        external_ref: format!("woo:default:{woo_id}"),
        payload_hash: payload_hash("{}"),
        posted_at: t0(),
    }
}

/// A `Posted` completion with that id map row and a 201 from the invoice endpoint.
pub fn posted(kind: JobKind, woo_id: u64, number: &str) -> Completion {
    Completion::Posted {
        mapping: mapping(kind, woo_id, number),
        attempt: Attempt {
            endpoint: Some("POST /v1/customerinvoice"),
            http_status: Some(201),
            duration_ms: Some(12),
        },
    }
}
