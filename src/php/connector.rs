//! The connector's PHP functions (contract: the plugin's `Core` class). Each one finds this worker's [`Host`]
//! (configured by `ml_connector_configure`, kept per process and rebuilt after a fork or a settings change),
//! calls it, and converts the answer. Thin wrappers only; the work is in `crate::host`.

use super::convert::to_php;
use super::exceptions::{ExceptionKind, PhpError};
use super::guard::guard;
use super::runtime::ProcessLocal;
use crate::host::Host;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// This worker's host and the hash of the configuration it was opened with.
struct Configured {
    hash: u64,
    host: Host,
}

/// Created by `ml_connector_configure` inside the worker, never in MINIT (fork safety, NOTES §4.1).
static HOST: ProcessLocal<Option<Configured>> = ProcessLocal::new();

fn not_configured() -> PhpError {
    PhpError::new(
        ExceptionKind::Config,
        "ml_connector_configure() has not been called in this request",
    )
}

/// Runs `f` on this worker's configured host.
fn with_host<R>(f: impl FnOnce(&mut Host) -> Result<R, PhpError>) -> Result<R, PhpError> {
    HOST.with(
        || Ok::<_, PhpError>(None),
        |cell| match cell {
            Some(c) => f(&mut c.host),
            None => Err(not_configured()),
        },
    )?
}

/// `ml_connector_configure(string $settings_json, string $data_dir, string $key_material): void` — once per
/// request; cheap when nothing changed (the host is kept per worker and compared by hash).
///
/// # Errors
/// `ConfigException` for bad settings; `InputException` for an unusable data directory or short key material;
/// `StoreException` when the queue database cannot be opened.
#[php_function]
#[php(name = "ml_connector_configure")]
pub fn ml_connector_configure(
    settings_json: &str,
    data_dir: &str,
    key_material: &str,
) -> PhpResult<()> {
    guard(|| {
        let mut h = DefaultHasher::new();
        (settings_json, data_dir, key_material).hash(&mut h);
        let hash = h.finish();
        HOST.with(
            || Ok::<_, PhpError>(None),
            |cell| {
                if cell.as_ref().is_some_and(|c| c.hash == hash) {
                    return Ok::<(), PhpError>(());
                }
                let host = Host::open(settings_json, Path::new(data_dir), key_material.as_bytes())?;
                *cell = Some(Configured { hash, host });
                Ok(())
            },
        )?
    })
}

/// `ml_connector_enqueue(string $kind, string $payload_json, string $source, ?int $note_seq = null): array` →
/// `['job_id' => int, 'outcome' => 'inserted'|'duplicate'|'replaced'|'superseded']`. With `$note_seq` (from
/// `ml_connector_notes`) the object's note is cleared only if it was not noted again since.
///
/// # Errors
/// `InputException` for a bad kind, source or payload (also audited); `StoreException`.
#[php_function]
#[php(name = "ml_connector_enqueue", optional = note_seq)]
pub fn ml_connector_enqueue(
    kind: &str,
    payload_json: &str,
    source: &str,
    note_seq: Option<i64>,
) -> PhpResult<Zval> {
    guard(|| {
        with_host(|host| {
            use crate::store::queue::EnqueueOutcome as O;
            let outcome = host.enqueue(kind, payload_json, source, note_seq)?;
            let name = match outcome {
                O::Inserted(_) => "inserted",
                O::Duplicate(_) => "duplicate",
                O::Replaced(_) => "replaced",
                O::Superseded(_) => "superseded",
            };
            to_php(&serde_json::json!({"job_id": outcome.job_id().get(), "outcome": name}))
        })
    })
}

/// `ml_connector_drain(int $limit, int $deadline_ms): array` → posted, adopted, already_posted,
/// edited_after_posting, skipped, retry, failed, dead, remaining, stopped, stop_reason.
///
/// # Errors
/// `ConfigException` (no secret saved, bad connection), `StoreException`.
#[php_function]
#[php(name = "ml_connector_drain")]
pub fn ml_connector_drain(limit: i64, deadline_ms: i64) -> PhpResult<Zval> {
    guard(|| {
        // Issue #15: checked, never clamped or wrapped (drain(5, PHP_INT_MAX) overflowed the clock).
        let limit = u32::try_from(limit)
            .ok()
            .filter(|l| *l <= 100_000)
            .ok_or_else(|| PhpError::new(ExceptionKind::Input, "limit must be 0 to 100000"))?;
        let deadline = u64::try_from(deadline_ms)
            .ok()
            .filter(|d| *d <= crate::host::MAX_DRAIN_MS)
            .ok_or_else(|| {
                PhpError::new(
                    ExceptionKind::Input,
                    format!("deadline_ms must be 0 to {}", crate::host::MAX_DRAIN_MS),
                )
            })?;
        with_host(|host| {
            let (report, remaining) = host.drain(limit, deadline)?;
            let mut value = serde_json::to_value(&report).map_err(|e| {
                PhpError::new(
                    ExceptionKind::Internal,
                    format!("cannot serialise the report: {e}"),
                )
            })?;
            value["remaining"] = serde_json::json!(remaining);
            to_php(&value)
        })
    })
}

/// `ml_connector_status(): array` → counts, oldest_pending_at, last_error.
///
/// # Errors
/// `StoreException`.
#[php_function]
#[php(name = "ml_connector_status")]
pub fn ml_connector_status() -> PhpResult<Zval> {
    guard(|| with_host(|host| to_php(&host.status()?)))
}

fn text<'a>(filter: &'a ZendHashTable, key: &str) -> Option<&'a str> {
    filter
        .get(key)
        .and_then(|v| v.str())
        .filter(|s| !s.is_empty())
}

fn number(filter: &ZendHashTable, key: &str) -> Option<i64> {
    filter.get(key).and_then(|v| {
        v.long()
            .or_else(|| v.str().and_then(|s| s.trim().parse().ok()))
    })
}

/// `ml_connector_jobs(array $filter): array` — keys `state`, `kind`, `woo_id`, `per_page`, `page` (1-based);
/// newest first, every store id.
///
/// # Errors
/// `InputException` for an unknown state or kind; `StoreException`.
#[php_function]
#[php(name = "ml_connector_jobs")]
pub fn ml_connector_jobs(filter: &ZendHashTable) -> PhpResult<Zval> {
    guard(|| {
        let state = text(filter, "state");
        let kind = text(filter, "kind");
        let woo_id = number(filter, "woo_id").and_then(|n| u64::try_from(n).ok());
        let limit = number(filter, "per_page")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(50);
        let page = number(filter, "page")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1);
        with_host(|host| to_php(&host.jobs(state, kind, woo_id, limit, page)?))
    })
}

/// `ml_connector_audit(array $filter): array` — keys `job_id`, `kind`, `woo_id`, `since` (RFC 3339), `limit`;
/// newest first.
///
/// # Errors
/// `InputException` for a bad `since`; `StoreException`.
#[php_function]
#[php(name = "ml_connector_audit")]
pub fn ml_connector_audit(filter: &ZendHashTable) -> PhpResult<Zval> {
    guard(|| {
        let since = text(filter, "since")
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|_| {
                        PhpError::new(
                            ExceptionKind::Input,
                            format!("since is not RFC 3339: {s:?}"),
                        )
                    })
            })
            .transpose()?;
        let job_id = number(filter, "job_id");
        let kind = text(filter, "kind");
        let woo_id = number(filter, "woo_id").and_then(|n| u64::try_from(n).ok());
        let limit = number(filter, "limit")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(100);
        with_host(|host| to_php(&host.audit(job_id, kind, woo_id, since, limit)?))
    })
}

/// `ml_connector_order_state(int $order_id): array` → state, visma_number, last_error.
///
/// # Errors
/// `StoreException`.
#[php_function]
#[php(name = "ml_connector_order_state")]
pub fn ml_connector_order_state(order_id: i64) -> PhpResult<Zval> {
    guard(|| {
        let id = u64::try_from(order_id)
            .map_err(|_| PhpError::new(ExceptionKind::Input, "order id must be positive"))?;
        with_host(|host| to_php(&host.order_state(id)?))
    })
}

/// `ml_connector_visma_totals(int $order_id): array` → visma_number, amount_minor, vat_minor, currency: the
/// order's invoice as Visma holds it (for reconciliation).
///
/// # Errors
/// `VismaException`, `ConfigException`, `StoreException`.
#[php_function]
#[php(name = "ml_connector_visma_totals")]
pub fn ml_connector_visma_totals(order_id: i64) -> PhpResult<Zval> {
    guard(|| {
        let id = u64::try_from(order_id)
            .map_err(|_| PhpError::new(ExceptionKind::Input, "order id must be positive"))?;
        with_host(|host| to_php(&host.visma_totals(id)?))
    })
}

/// `ml_connector_replay(int $job_id): void`.
///
/// # Errors
/// `StoreException` for an unknown job or one that is not failed.
#[php_function]
#[php(name = "ml_connector_replay")]
pub fn ml_connector_replay(job_id: i64) -> PhpResult<()> {
    guard(|| with_host(|host| Ok(host.replay(job_id)?)))
}

/// `ml_connector_replay_failed(string $since): int` — `''` replays every failed and dead job.
///
/// # Errors
/// `InputException` for a bad `since`; `StoreException`.
#[php_function]
#[php(name = "ml_connector_replay_failed")]
pub fn ml_connector_replay_failed(since: &str) -> PhpResult<i64> {
    guard(|| {
        let since = if since.is_empty() {
            None
        } else {
            Some(
                chrono::DateTime::parse_from_rfc3339(since)
                    .map_err(|_| PhpError::new(ExceptionKind::Input, "since is not RFC 3339"))?
                    .with_timezone(&chrono::Utc),
            )
        };
        with_host(|host| Ok(i64::try_from(host.replay_failed(since)?).unwrap_or(i64::MAX)))
    })
}

/// `ml_connector_map_preview(string $order_json): string` — the dry-run payload.
///
/// # Errors
/// `InputException` for bad JSON, `MappingException` naming the line and setting.
#[php_function]
#[php(name = "ml_connector_map_preview")]
pub fn ml_connector_map_preview(order_json: &str) -> PhpResult<String> {
    guard(|| with_host(|host| Ok(host.map_preview(order_json)?)))
}

/// `ml_connector_test_connection(): array` → ok, company, accounts, vat_categories, error. Never throws for a
/// Visma failure: the reason is in `error`.
///
/// # Errors
/// `ConfigException` when not configured.
#[php_function]
#[php(name = "ml_connector_test_connection")]
pub fn ml_connector_test_connection() -> PhpResult<Zval> {
    guard(|| with_host(|host| to_php(&host.test_connection())))
}

/// `ml_connector_lookups(): array` → accounts, vat_categories, payment_methods, subaccount_segments.
///
/// # Errors
/// `VismaException`, `ConfigException`.
#[php_function]
#[php(name = "ml_connector_lookups")]
pub fn ml_connector_lookups() -> PhpResult<Zval> {
    guard(|| with_host(|host| to_php(&host.lookups()?)))
}

/// `ml_connector_save_secret(string $name, string $value): void` — stored encrypted, never returned.
///
/// # Errors
/// `InputException` for an unknown name; `StoreException`.
#[php_function]
#[php(name = "ml_connector_save_secret")]
pub fn ml_connector_save_secret(name: &str, value: &str) -> PhpResult<()> {
    guard(|| with_host(|host| Ok(host.save_secret(name, value)?)))
}

/// `ml_connector_has_secret(string $name): bool`.
///
/// # Errors
/// `InputException` for an unknown name; `StoreException`.
#[php_function]
#[php(name = "ml_connector_has_secret")]
pub fn ml_connector_has_secret(name: &str) -> PhpResult<bool> {
    guard(|| with_host(|host| Ok(host.has_secret(name)?)))
}

/// `ml_connector_note(string $kind, int $woo_id, int $parent_id): bool` — the shopper's request only notes that
/// an object changed (one small upsert); true when newly noted.
///
/// # Errors
/// `InputException` for an unknown kind or a bad id; `StoreException`.
#[php_function]
#[php(name = "ml_connector_note")]
pub fn ml_connector_note(kind: &str, woo_id: i64, parent_id: i64) -> PhpResult<bool> {
    guard(|| with_host(|host| Ok(host.note(kind, woo_id, parent_id)?)))
}

/// `ml_connector_notes(int $limit): array` — the oldest noted objects: kind, woo_id, parent_id, noted_at, seq.
///
/// # Errors
/// `StoreException`.
#[php_function]
#[php(name = "ml_connector_notes")]
pub fn ml_connector_notes(limit: i64) -> PhpResult<Zval> {
    guard(|| {
        let limit = u32::try_from(limit.clamp(1, 1000)).unwrap_or(100);
        with_host(|host| to_php(&host.notes(limit)?))
    })
}

/// `ml_connector_note_failed(string $kind, int $woo_id, string $reason): void` — the object could not be read;
/// its note is dropped with an audit row naming the reason.
///
/// # Errors
/// `InputException` for an unknown kind; `StoreException`.
#[php_function]
#[php(name = "ml_connector_note_failed")]
pub fn ml_connector_note_failed(kind: &str, woo_id: i64, reason: &str) -> PhpResult<()> {
    guard(|| {
        with_host(|host| {
            host.note_failed(kind, woo_id, reason)?;
            Ok(())
        })
    })
}

/// `ml_connector_delete_secret(string $name): bool` — clears a saved secret; true when one was there.
///
/// # Errors
/// `InputException` for an unknown name; `StoreException`.
#[php_function]
#[php(name = "ml_connector_delete_secret")]
pub fn ml_connector_delete_secret(name: &str) -> PhpResult<bool> {
    guard(|| with_host(|host| Ok(host.delete_secret(name)?)))
}

/// `ml_connector_visma_documents(string $from, string $to): array` — the invoices and credit notes Visma holds for
/// this store dated in [from, to] (`YYYY-MM-DD`), read from Visma (Reconciliation screen).
///
/// # Errors
/// `InputException` for a bad date; `VismaException`; `ConfigException`.
#[php_function]
#[php(name = "ml_connector_visma_documents")]
pub fn ml_connector_visma_documents(from: &str, to: &str) -> PhpResult<Zval> {
    guard(|| with_host(|host| to_php(&host.visma_documents(from, to)?)))
}

/// Adds this file's functions to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(ml_connector_configure))
        .function(wrap_function!(ml_connector_enqueue))
        .function(wrap_function!(ml_connector_drain))
        .function(wrap_function!(ml_connector_status))
        .function(wrap_function!(ml_connector_jobs))
        .function(wrap_function!(ml_connector_audit))
        .function(wrap_function!(ml_connector_order_state))
        .function(wrap_function!(ml_connector_visma_totals))
        .function(wrap_function!(ml_connector_replay))
        .function(wrap_function!(ml_connector_replay_failed))
        .function(wrap_function!(ml_connector_map_preview))
        .function(wrap_function!(ml_connector_test_connection))
        .function(wrap_function!(ml_connector_lookups))
        .function(wrap_function!(ml_connector_save_secret))
        .function(wrap_function!(ml_connector_has_secret))
        .function(wrap_function!(ml_connector_note))
        .function(wrap_function!(ml_connector_notes))
        .function(wrap_function!(ml_connector_note_failed))
        .function(wrap_function!(ml_connector_delete_secret))
        .function(wrap_function!(ml_connector_visma_documents))
}
