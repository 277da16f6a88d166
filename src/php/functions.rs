//! The PHP functions the extension exports. Each has an explicit `#[php(name = "ml_connector_…")]` (automatic
//! renaming inserts `_` before digits, `NOTES-ext-php-rs.md` G2) and runs its body in [`guard`].
//!
//! Thin wrappers only: argument in, library call, PHP value out. Arguments are type-strict (a wrong type is a
//! `TypeError`, G4); the plugin's `Core` casts WooCommerce's numeric strings before calling.

use super::exceptions::{ExceptionKind, PhpError};
use super::guard::guard;
use super::health::{self, HealthReport};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

/// The environment variable that arms the test-only hooks (`ml_connector_debug_panic`).
#[cfg(feature = "test-hooks")]
const TEST_HOOKS_ENV: &str = "ML_CONNECTOR_TEST_HOOKS";

/// `ml_connector_version(): string` — the crate version; the plugin refuses an extension it does not expect.
#[php_function]
#[php(name = "ml_connector_version")]
pub fn ml_connector_version() -> PhpResult<String> {
    guard(|| Ok::<_, PhpError>(crate::VERSION.to_owned()))
}

/// `ml_connector_health_check(string $data_dir, string $url): array` — writes a heartbeat row to
/// `<data_dir>/ml-connector.sqlite` and GETs `$url` (redirects not followed), both through this worker's
/// per-process connection and client. Returns `pid` (int), `db_path` (string), `db_ok` (bool), `db_error`
/// (?string), `http_status` (?int), `http_error` (?string), `elapsed_ms` (int).
///
/// # Errors
/// `InputException` (code 2) for an empty `$data_dir` or a `$url` that is not http(s).
#[php_function]
#[php(name = "ml_connector_health_check")]
pub fn ml_connector_health_check(data_dir: &str, url: &str) -> PhpResult<ZBox<ZendHashTable>> {
    guard(|| health::check(data_dir, url).and_then(|report| to_array(&report)))
}

/// `ml_connector_move_queue(string $settings_json, string $data_dir, string $to): array` — issue #16: moves the
/// queue from the storage `$settings_json` names (`storage`: `sqlite` or `wordpress`) to `$to`, every row with
/// its id, and marks the old queue moved. Returns the rows copied per table (`['jobs' => 12, 'audit' => 80, …]`).
/// The plugin saves the new `storage` setting after it returns.
///
/// # Errors
/// `InputException` when the queue is already there, the destination is not empty or a drain is sending;
/// `ConfigException` for bad settings; `StoreException` (nothing moved).
#[php_function]
#[php(name = "ml_connector_move_queue")]
pub fn ml_connector_move_queue(
    settings_json: &str,
    data_dir: &str,
    to: &str,
) -> PhpResult<ext_php_rs::types::Zval> {
    guard(|| {
        let moved = crate::host::storage::move_queue(
            settings_json,
            std::path::Path::new(data_dir),
            to,
            chrono::Utc::now(),
        )?;
        let rows: serde_json::Map<String, serde_json::Value> = moved
            .rows
            .iter()
            .map(|(table, n)| ((*table).to_owned(), serde_json::Value::from(*n)))
            .collect();
        super::convert::to_php(&rows)
    })
}

/// `ml_connector_debug_panic(string $msg): void` — a test hook, compiled only with the `test-hooks` feature
/// (`./build.sh test` builds a separate extension for the PHP tests; the shipped one has no such function). With `ML_CONNECTOR_TEST_HOOKS=1` in the
/// environment it panics with `$msg` (PHP sees `InternalError`); otherwise it throws `InputException`.
///
/// # Errors
/// Always: `InternalError` when armed, `InputException` when not.
#[cfg(feature = "test-hooks")]
#[php_function]
#[php(name = "ml_connector_debug_panic")]
pub fn ml_connector_debug_panic(msg: &str) -> PhpResult<()> {
    guard(|| {
        if std::env::var(TEST_HOOKS_ENV).as_deref() == Ok("1") {
            panic!("{msg}");
        }
        Err::<(), _>(PhpError::new(
            ExceptionKind::Input,
            format!(
                "ml_connector_debug_panic is a test hook; it is disabled unless {TEST_HOOKS_ENV}=1"
            ),
        ))
    })
}

fn to_array(report: &HealthReport) -> Result<ZBox<ZendHashTable>, PhpError> {
    let failed = |err: ext_php_rs::error::Error| {
        PhpError::new(
            ExceptionKind::Internal,
            format!("cannot build the result array: {err}"),
        )
    };
    let mut array = ZendHashTable::new();
    array.insert("pid", i64::from(report.pid)).map_err(failed)?;
    array
        .insert("db_path", report.db_path.to_string_lossy().into_owned())
        .map_err(failed)?;
    array.insert("db_ok", report.db_ok).map_err(failed)?;
    array
        .insert("db_error", report.db_error.clone())
        .map_err(failed)?;
    array
        .insert("http_status", report.http_status.map(i64::from))
        .map_err(failed)?;
    array
        .insert("http_error", report.http_error.clone())
        .map_err(failed)?;
    array
        .insert(
            "elapsed_ms",
            i64::try_from(report.elapsed_ms).unwrap_or(i64::MAX),
        )
        .map_err(failed)?;
    Ok(array)
}

/// Adds this file's functions to the module (`wrap_function!` only sees functions of its own module, G3).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    let module = module
        .function(wrap_function!(ml_connector_version))
        .function(wrap_function!(ml_connector_health_check))
        .function(wrap_function!(ml_connector_move_queue));
    #[cfg(feature = "test-hooks")]
    let module = module.function(wrap_function!(ml_connector_debug_panic));
    module
}
