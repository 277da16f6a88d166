//! `enqueue`, `drain`, `status`, `audit`, `replay`: the engine from the command line, no PHP needed.
//! Parsing, output and exit codes only.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::engine::{self, Engine, EngineOptions};
use ml_connector::settings::Settings;
use ml_connector::store::audit::AuditQuery;
use ml_connector::store::queue::{Dependency, JobId, JobKind, JobSource};
use ml_connector::store::Store;
use ml_connector::visma::Client;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Where the queue lives and which settings apply.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The queue database: a SQLite file (keep it where the web server does not serve it), or
    /// `mysql://user:pass@host/db?prefix=wp_mlc_` / `postgres://user@host/db` (issue #16).
    #[arg(long, env = "ML_CONNECTOR_DB", default_value = "ml-connector.sqlite")]
    pub db: PathBuf,
    /// Settings file (TOML, or JSON from the plugin); default: the example settings for the simulator.
    #[arg(long, env = "ML_CONNECTOR_SETTINGS")]
    pub settings: Option<PathBuf>,
}

/// The engine commands.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Queue a WooCommerce order, customer or refund (REST v3 JSON).
    Enqueue(EnqueueArgs),
    /// Post due jobs to Visma.
    Drain(DrainArgs),
    /// Jobs by state, the oldest pending job and the last error.
    Status(StoreArgs),
    /// The audit trail (newest first).
    Audit(AuditArgs),
    /// Queue failed or dead jobs again.
    Replay(ReplayArgs),
}

/// `enqueue` arguments.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// An order JSON file.
    #[arg(long, conflicts_with_all = ["customer", "refund"])]
    order: Option<PathBuf>,
    /// A customer JSON file.
    #[arg(long, conflicts_with = "refund")]
    customer: Option<PathBuf>,
    /// A refund JSON file (needs `--of-order`).
    #[arg(long, requires = "of_order")]
    refund: Option<PathBuf>,
    /// The refunded order's JSON file.
    #[arg(long)]
    of_order: Option<PathBuf>,
}

/// `drain` arguments.
#[derive(Debug, Args)]
pub struct DrainArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// At most this many jobs.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Stop starting new jobs after this many seconds (at most a year).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=31_622_400))]
    max_seconds: Option<u64>,
    /// Post to a running `ml-connector simulate` at this base URL instead of the settings' connection.
    #[arg(long)]
    simulator: Option<String>,
    /// Seconds a claimed job stays ours; a crashed worker's jobs come back after this.
    #[arg(long, default_value_t = ml_connector::engine::DEFAULT_LEASE_SECS,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    lease_secs: u64,
    /// Jobs claimed, and recorded, per transaction: 20 or so for a backfill (about twice the orders per second,
    /// BENCHMARKS.md). A worker killed mid-batch charges every claimed job an attempt; their documents are
    /// adopted, never doubled, when the jobs come back after the lease.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=500))]
    batch: u32,
}

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this WooCommerce id.
    #[arg(long)]
    order: Option<u64>,
    /// Only entries at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    /// The newest this many rows.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// `replay` arguments.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The job to queue again.
    job: Option<i64>,
    /// Every failed and dead job instead.
    #[arg(long, conflicts_with = "job")]
    failed: bool,
    /// With `--failed`: only jobs that failed at or after this time (RFC 3339).
    #[arg(long, requires = "failed")]
    since: Option<DateTime<Utc>>,
}

/// Loads the settings file, or the example settings.
pub fn load_settings(path: Option<&Path>) -> anyhow::Result<Settings> {
    match path {
        None => Settings::example().context("example settings"),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading settings {}", p.display()))?;
            let parsed = if p.extension().is_some_and(|e| e == "json") {
                Settings::from_json_str(&text)
            } else {
                Settings::from_toml_str(&text)
            };
            parsed.with_context(|| format!("settings {}", p.display()))
        }
    }
}

fn open_store(path: &Path) -> anyhow::Result<Store> {
    let location = path.to_string_lossy();
    if Store::is_server_location(&location) {
        // The message names the server without the URL's password.
        return Store::open_location(&location, &ml_connector::store::StoreOptions::default())
            .context("opening the queue database");
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Store::open(path).with_context(|| format!("opening the queue {}", path.display()))
}

/// Runs an engine command. Usage and configuration problems exit 2, failed jobs exit 1.
pub fn run(command: SyncCommand) -> ExitCode {
    match dispatch(command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: SyncCommand) -> anyhow::Result<ExitCode> {
    match command {
        SyncCommand::Enqueue(a) => enqueue(&a),
        SyncCommand::Drain(a) => drain(&a),
        SyncCommand::Status(a) => status(&a),
        SyncCommand::Audit(a) => audit(&a),
        SyncCommand::Replay(a) => replay(&a),
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn enqueue(a: &EnqueueArgs) -> anyhow::Result<ExitCode> {
    let settings = load_settings(a.store.settings.as_deref())?;
    let (kind, payload) = match (&a.order, &a.customer, &a.refund, &a.of_order) {
        (Some(o), None, None, _) => (JobKind::Order, read(o)?),
        (None, Some(c), None, _) => (JobKind::Customer, read(c)?),
        (None, None, Some(r), Some(o)) => {
            // One refund or the array `GET /orders/{id}/refunds` returns, as `map --refund` takes (issue #15).
            let envelopes = engine::refund_envelopes(read(o)?.as_bytes(), read(r)?.as_bytes())?;
            let store = open_store(&a.store.db)?;
            for envelope in envelopes {
                let outcome = engine::enqueue(
                    &store,
                    &settings.store_id,
                    JobKind::Refund,
                    &envelope,
                    JobSource::Cli,
                    SystemClock.now(),
                )?;
                println!("{outcome:?}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ => bail!("give one of --order, --customer or --refund with --of-order"),
    };
    let store = open_store(&a.store.db)?;
    let outcome = engine::enqueue(
        &store,
        &settings.store_id,
        kind,
        &payload,
        JobSource::Cli,
        SystemClock.now(),
    )?;
    println!("{outcome:?}");
    Ok(ExitCode::SUCCESS)
}

/// The client for `drain`: a running simulator, or the settings' connection.
pub fn client_for(settings: &Settings, simulator: Option<&str>) -> anyhow::Result<Client> {
    let config = match simulator {
        Some(base) => {
            let base = base.trim_end_matches('/');
            engine::simulator_config(
                &format!("{base}/connect/token"),
                base,
                &format!("{base}/api/v3/SalesOrders"),
            )
        }
        None => engine::client_config(settings, |k| std::env::var(k).ok())
            .context("Visma connection (settings [connection] or VISMA_* variables)")?,
    };
    Client::new(config, Arc::new(SystemClock)).context("Visma client")
}

fn drain(a: &DrainArgs) -> anyhow::Result<ExitCode> {
    let settings = load_settings(a.store.settings.as_deref())?;
    let client = client_for(&settings, a.simulator.as_deref())?;
    let store = open_store(&a.store.db)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let deadline = a
        .max_seconds
        .map(|s| clock.now() + chrono::Duration::seconds(i64::try_from(s).unwrap_or(0)));
    let engine = Engine::new(store, settings, client, clock).with_options(EngineOptions {
        lease: std::time::Duration::from_secs(a.lease_secs.max(1)),
        batch: a.batch,
        ..EngineOptions::default()
    });
    let report = engine.drain(a.limit, deadline)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn status(a: &StoreArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&a.db)?;
    let counts = store.counts_by_state()?;
    let oldest = store.oldest_pending()?;
    // Issue #15: the newest failure, not the first among the oldest rows.
    let last_error = store
        .audit_entries(&AuditQuery {
            limit: 200,
            newest_first: true,
            ..AuditQuery::default()
        })?
        .into_iter()
        .find_map(|e| {
            matches!(e.action.as_str(), "failed" | "dead" | "retry" | "rejected").then_some(e)
        })
        .map(|e| json!({"at": e.at, "job_id": e.job_id.map(JobId::get), "woo_id": e.woo_id, "error": e.error}));
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "counts": {"pending": counts.pending, "running": counts.running, "done": counts.done,
                       "failed": counts.failed, "dead": counts.dead},
            "oldest_pending": oldest.map(|j| json!({"job_id": j.id.get(), "kind": j.kind.as_str(),
                "woo_id": j.woo_id, "since": j.created_at, "next_attempt_at": j.next_attempt_at,
                "waiting_for": j.depends_on.as_ref().map(waiting_for)})),
            "last_error": last_error,
        }))?
    );
    Ok(ExitCode::SUCCESS)
}

/// What a pending job waits for, in the merchant's words (a refund whose order is not posted yet).
fn waiting_for(d: &Dependency) -> String {
    match d {
        Dependency::Woo { kind, woo_id } => format!("{kind} {woo_id} to be posted"),
        Dependency::Job(id) => format!("job {} to finish", id.get()),
    }
}

fn audit(a: &AuditArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&a.store.db)?;
    // Issue #15: the newest `limit` rows (printed oldest first), and with --order only that order's.
    let mut rows = store.audit_entries(&AuditQuery {
        woo_kind: a.order.map(|_| JobKind::Order),
        woo_id: a.order,
        since: a.since,
        limit: a.limit,
        newest_first: true,
        ..AuditQuery::default()
    })?;
    rows.reverse();
    for e in rows {
        println!(
            "{}  job {:>6}  {:<8} {:>8}  {:<22} {:<26} {:>4} {:>6}  {}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.job_id.map_or(String::from("-"), |j| j.get().to_string()),
            e.woo_kind.map_or("-", JobKind::as_str),
            e.woo_id.map_or(String::from("-"), |w| w.to_string()),
            e.action,
            e.endpoint.unwrap_or_default(),
            e.http_status.map_or(String::new(), |s| s.to_string()),
            e.duration_ms.map_or(String::new(), |d| format!("{d}ms")),
            e.visma_number.unwrap_or_default(),
            e.error.unwrap_or_default(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn replay(a: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&a.store.db)?;
    let now = SystemClock.now();
    if a.failed {
        let ids = store.replay_failed(a.since, now)?;
        println!("queued again: {} job(s)", ids.len());
    } else if let Some(job) = a.job {
        store.replay(JobId::new(job), now)?;
        println!("queued again: job {job}");
    } else {
        bail!("give a job id or --failed");
    }
    Ok(ExitCode::SUCCESS)
}
