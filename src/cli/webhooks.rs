//! `ml-connector webhooks install|repair|status|keys --config FILE --store ID`: creates or re-activates a
//! store's WooCommerce webhooks with a fresh secret (the previous one verifies for the grace period), shows the
//! store's webhook health, or saves its API keys (read from stdin, never from the command line) in the
//! encrypted credentials store. Parsing and output only.

use super::serve::load_config;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use ml_connector::clock::{Clock, SystemClock};
use ml_connector::secret::Secret;
use ml_connector::service::health::{self, MODE_CURSOR};
use ml_connector::service::run::woo_client;
use ml_connector::service::ServiceConfig;
use ml_connector::store::{Key, Store};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `webhooks` subcommands.
#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    command: WebhooksCommand,
}

#[derive(Debug, Subcommand)]
enum WebhooksCommand {
    /// Create the store's webhooks (all seven topics) pointing at this service, with a fresh secret.
    Install(Target),
    /// Re-activate disabled or paused webhooks, re-create missing ones, rotate to a fresh secret.
    Repair(Target),
    /// The store's webhooks as WooCommerce lists them and the service's last health verdict.
    Status(Target),
    /// Save the store's consumer key and secret (two lines on stdin) in the encrypted credentials store.
    Keys(Target),
}

/// Which store of which config.
#[derive(Debug, Args)]
struct Target {
    /// The service configuration.
    #[arg(long, env = "ML_CONNECTOR_SERVICE_CONFIG")]
    config: PathBuf,
    /// The store id (`[[stores]] id`).
    #[arg(long)]
    store: String,
}

/// Runs a `webhooks` subcommand: exit 0 done, 1 WooCommerce refused or unhealthy, 2 configuration error.
pub fn run(args: WebhooksArgs) -> ExitCode {
    match dispatch(args.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn open(config: &ServiceConfig, store: &str) -> anyhow::Result<(Store, Key)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let key = Key::load_or_create(config.key_path()).context("credentials key")?;
    let db = Store::open(config.db_path(store)).context("store queue")?;
    Ok((db, key))
}

fn dispatch(command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let (t, what) = match &command {
        WebhooksCommand::Install(t) => (t, "install"),
        WebhooksCommand::Repair(t) => (t, "repair"),
        WebhooksCommand::Status(t) => (t, "status"),
        WebhooksCommand::Keys(t) => (t, "keys"),
    };
    let config = load_config(&t.config)?;
    let Some(sc) = config.store(&t.store) else {
        bail!("no store {:?} in {}", t.store, t.config.display());
    };
    let (db, key) = open(&config, &sc.id)?;
    let now = SystemClock.now();
    if what == "keys" {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = |name: &str| -> anyhow::Result<Secret> {
            let line = lines
                .next()
                .with_context(|| format!("{name} missing on stdin"))??;
            let v = line.trim().to_owned();
            if v.is_empty() {
                bail!("{name} is empty");
            }
            Ok(Secret::new(v))
        };
        let (ck, cs) = (next("consumer key")?, next("consumer secret")?);
        db.put_credential(&format!("woo:{}:consumer_key", sc.id), &ck, &key, now)?;
        db.put_credential(&format!("woo:{}:consumer_secret", sc.id), &cs, &key, now)?;
        println!("saved the API keys of store {} (encrypted)", sc.id);
        return Ok(ExitCode::SUCCESS);
    }
    let env = |k: &str| std::env::var(k).ok();
    let Some(woo) = woo_client(sc, &env, &db, &key)? else {
        bail!(
            "store {}: no API keys (set its consumer_*_env variables or run `webhooks keys`)",
            sc.id
        );
    };
    let url = config.delivery_url(&sc.id);
    if what == "status" {
        let hooks = woo.webhooks().context("listing webhooks")?;
        let problems = health::assess(&hooks, &url);
        let last = db.cursor(&sc.id, MODE_CURSOR)?.map(|c| c.value);
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "store": sc.id, "delivery_url": url, "webhooks": hooks, "problems": problems,
                "service_last_verdict": last.and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok()),
            }))?
        );
        return Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let grace = Duration::from_secs(config.poll.secret_grace_secs);
    match health::repair(&woo, &db, &key, &sc.id, &url, grace, now) {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is_retryable() => {
            eprintln!("error: {e:#} (try again; the previous secret still verifies)");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
