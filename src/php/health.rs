//! The Site Health probe behind `ml_connector_health_check`: one heartbeat row in this worker's SQLite
//! connection and one GET through this worker's HTTP client, both from the per-process cells in `runtime`.
//! It proves, from inside a real PHP worker, that the fork-safe plumbing works.
//!
//! No Zend types here (so `cargo test` covers it). The heartbeat is a store cursor per worker pid, written
//! through the real store (migrations, pragmas read back), so the probe proves what the connector uses.

use super::exceptions::{error_chain, ExceptionKind, PhpError};
use super::runtime::{http_client, ProcessLocal};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The SQLite file inside the data directory (shared with the store).
pub const DB_FILE_NAME: &str = "ml-connector.sqlite";

/// The cursor namespace of the heartbeats (not a shop id: shop ids come from settings).
const HEALTH_STORE: &str = "health";

/// What the probe saw. Failures are reported here rather than thrown, so Site Health can show all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// The worker's process id.
    pub pid: u32,
    /// The SQLite file written to.
    pub db_path: PathBuf,
    /// Whether the heartbeat row was written.
    pub db_ok: bool,
    /// Why the heartbeat failed, when it did.
    pub db_error: Option<String>,
    /// The HTTP status of the GET, when a response arrived (redirects are not followed).
    pub http_status: Option<u16>,
    /// Why the GET failed, when it did (without the URL).
    pub http_error: Option<String>,
    /// Wall time of the whole probe in milliseconds.
    pub elapsed_ms: u64,
}

/// This worker's queue store for one data directory; reopened when a different directory is asked for.
struct HealthDb {
    path: PathBuf,
    store: Store,
}

static HEALTH_DB: ProcessLocal<HealthDb> = ProcessLocal::new();

/// Writes a heartbeat to `<data_dir>/ml-connector.sqlite` and GETs `url`.
///
/// # Errors
/// [`ExceptionKind::Input`] when `data_dir` is empty or `url` is not an absolute http(s) URL. Database and HTTP
/// failures do not error: they are in the report.
pub fn check(data_dir: &str, url: &str) -> Result<HealthReport, PhpError> {
    if data_dir.is_empty() {
        return Err(PhpError::new(ExceptionKind::Input, "data_dir is empty"));
    }
    let url = parse_http_url(url)?;
    let started = Instant::now();
    let db_path = Path::new(data_dir).join(DB_FILE_NAME);

    let db_error = heartbeat(&db_path).err();
    let (http_status, http_error) = match get_status(url) {
        Ok(status) => (Some(status), None),
        Err(err) => (None, Some(err)),
    };
    Ok(HealthReport {
        pid: std::process::id(),
        db_path,
        db_ok: db_error.is_none(),
        db_error,
        http_status,
        http_error,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn parse_http_url(url: &str) -> Result<reqwest::Url, PhpError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|err| PhpError::new(ExceptionKind::Input, format!("url is not valid: {err}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(PhpError::new(
            ExceptionKind::Input,
            format!("url scheme must be http or https, not {other}"),
        )),
    }
}

fn heartbeat(db_path: &Path) -> Result<(), String> {
    let opened = HEALTH_DB.with(
        || open(db_path),
        |db| {
            if db.path != db_path {
                *db = open(db_path)?;
            }
            write_heartbeat(&db.store).map_err(|err| format!("heartbeat write failed: {err}"))
        },
    );
    opened.and_then(|written| written)
}

fn open(path: &Path) -> Result<HealthDb, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    }
    // The real queue store (migrations, WAL and busy_timeout read back), so the probe proves what the
    // connector itself will use.
    let store =
        Store::open(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    Ok(HealthDb {
        path: path.to_path_buf(),
        store,
    })
}

/// One cursor per worker pid (`health` / `heartbeat.<pid>`) counting its beats: a write through the store API.
fn write_heartbeat(store: &Store) -> Result<(), crate::store::StoreError> {
    let name = format!("heartbeat.{}", std::process::id());
    let beats = store
        .cursor(HEALTH_STORE, &name)?
        .and_then(|c| c.value.parse::<u64>().ok())
        .unwrap_or(0);
    store.set_cursor(
        HEALTH_STORE,
        &name,
        &(beats + 1).to_string(),
        chrono::Utc::now(),
    )
}

fn get_status(url: reqwest::Url) -> Result<u16, String> {
    let client = http_client().map_err(|err| format!("cannot build http client: {err}"))?;
    client
        .get(url)
        .send()
        .map(|response| response.status().as_u16())
        .map_err(|err| format!("GET failed: {}", error_chain(&err.without_url())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-request HTTP server on 127.0.0.1 answering `status`.
    fn serve_once(status: u16) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nLocation: http://example.invalid/\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        format!("http://{addr}/health")
    }

    fn beats(db_path: &Path) -> i64 {
        let store = Store::open(db_path).expect("open for reading");
        store
            .cursor(HEALTH_STORE, &format!("heartbeat.{}", std::process::id()))
            .expect("read cursor")
            .and_then(|c| c.value.parse().ok())
            .expect("heartbeat row")
    }

    // One test for the success path: the cells are per process, so parallel tests would share them.
    #[test]
    fn check_writes_heartbeats_and_reports_status_without_following_redirects() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("data");
        let data_dir = data_dir.to_str().expect("utf-8 temp path");

        let first = check(data_dir, &serve_once(204)).expect("valid input");
        assert_eq!(first.pid, std::process::id());
        assert!(first.db_ok, "db error: {:?}", first.db_error);
        assert_eq!(first.http_status, Some(204));
        assert_eq!(first.http_error, None);
        assert_eq!(first.db_path, Path::new(data_dir).join(DB_FILE_NAME));

        // A 302 is reported as such: the client must not follow it to example.invalid.
        let second = check(data_dir, &serve_once(302)).expect("valid input");
        assert_eq!(second.http_status, Some(302));
        assert_eq!(beats(&first.db_path), 2);

        let other = dir.path().join("other");
        let third = check(other.to_str().expect("utf-8"), &serve_once(200)).expect("valid");
        assert!(third.db_ok, "db error: {:?}", third.db_error);
        assert_eq!(beats(&third.db_path), 1, "a new data dir gets its own file");
    }

    #[test]
    fn bad_input_is_an_input_error() {
        for (data_dir, url) in [
            ("", "http://127.0.0.1/"),
            ("/tmp", "not a url"),
            ("/tmp", "file:///etc/passwd"),
        ] {
            let err = check(data_dir, url).expect_err("must be rejected");
            assert_eq!(err.kind(), ExceptionKind::Input, "{data_dir} {url}");
        }
    }

    #[test]
    fn an_unwritable_data_dir_is_reported_not_thrown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").expect("write blocker");
        // The data dir would live inside a regular file, so it cannot be created.
        let data_dir = blocker.join("data");
        let report = check(data_dir.to_str().expect("utf-8"), &serve_once(200)).expect("valid");
        assert!(!report.db_ok);
        let error = report.db_error.expect("a reason");
        assert!(error.starts_with("cannot create"), "{error}");
        assert_eq!(
            report.http_status,
            Some(200),
            "http is probed even when the db fails"
        );
    }
}
