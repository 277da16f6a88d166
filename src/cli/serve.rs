//! `ml-connector serve --config FILE`: runs the connector service (webhook receiver, poller, health monitor,
//! drain loops) for every store in the file until Ctrl-C. Parsing, logging set-up and exit codes only.

use anyhow::Context;
use clap::Args;
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::service::{Service, ServiceConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The service configuration (TOML; see the README, "Connector service").
    #[arg(long, env = "ML_CONNECTOR_SERVICE_CONFIG")]
    pub config: PathBuf,
    /// Issue #16: the queue database shared by every instance (`postgres://user@host/db`); overrides the
    /// config's `database`. Unset: one SQLite file per store.
    #[arg(long, env = "ML_CONNECTOR_DATABASE")]
    pub database: Option<String>,
}

/// Reads and validates a service configuration; relative paths in it are relative to the file.
pub fn load_config(path: &Path) -> anyhow::Result<ServiceConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    ServiceConfig::from_toml_str(&text, base)
        .with_context(|| format!("service config {}", path.display()))
}

/// Runs until Ctrl-C; exit 2 when the configuration or a store cannot be served.
pub fn run(args: &ServeArgs) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let mut config = load_config(&args.config)?;
    if let Some(url) = &args.database {
        config.database = Some(url.clone());
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let env = Arc::new(|k: &str| std::env::var(k).ok());
    let service = Service::start(&config, env, clock)?;
    println!(
        "ml-connector service on http://{} ({} store(s)); Ctrl-C stops",
        service.addr(),
        config.stores.len()
    );
    for s in &config.stores {
        println!("  {}: webhooks to {}", s.id, config.delivery_url(&s.id));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("signal runtime")?;
    // Issue #15: Ctrl-C or SIGTERM (systemd, docker stop) stops the service within seconds.
    runtime
        .block_on(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        })
        .context("waiting for Ctrl-C or SIGTERM")?;
    println!("stopping: jobs not posted yet stay queued");
    service.stop();
    Ok(())
}
