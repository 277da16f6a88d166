//! `ml-connector map`: the dry-run preview. Prints the Visma payload(s) one order (and its refunds) would
//! become, as JSON. Exit 0 = mapped, 1 = a mapping error (printed), 2 = bad settings, files or usage.

use anyhow::Context;
use ml_connector::engine;
use ml_connector::mapping::{map_order, map_refund, preview};
use ml_connector::settings::Settings;
use ml_connector::store::queue::JobKind;
use ml_connector::woo::{Order, Refund};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `map`.
#[derive(Debug, clap::Args)]
pub struct MapArgs {
    /// The order JSON (`GET /wc/v3/orders/{id}` or a webhook body).
    #[arg(long)]
    order: PathBuf,
    /// A refund JSON: one refund object or the array `GET /orders/{id}/refunds` returns.
    #[arg(long)]
    refund: Option<PathBuf>,
    /// Settings file (TOML); without it the example settings (`settings --example`) are used.
    #[arg(long)]
    settings: Option<PathBuf>,
}

/// Runs `map`.
pub fn run(args: &MapArgs) -> ExitCode {
    let (order, refunds, settings) = match load(args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = map_order(&order, &settings).and_then(|docs| {
        let notes = refunds
            .iter()
            .map(|r| map_refund(r, &order, &settings))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(preview(&docs, &notes))
    });
    match result {
        Ok(value) => match serde_json::to_string_pretty(&value) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: could not print the payloads: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("mapping error: {e}");
            ExitCode::from(1)
        }
    }
}

fn load(args: &MapArgs) -> anyhow::Result<(Order, Vec<Refund>, Settings)> {
    let settings = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Settings::from_toml_str(&text)
                .with_context(|| format!("settings {}", path.display()))?
        }
        None => Settings::example().context("example settings")?,
    };
    let body =
        std::fs::read(&args.order).with_context(|| format!("reading {}", args.order.display()))?;
    // Issue #15: one door. The order and its refunds pass the check `enqueue`, the extension, the hooks, the
    // webhook receiver and the poller use, with the same verdict and message.
    engine::key_of(JobKind::Order, &body)
        .with_context(|| format!("order {}", args.order.display()))?;
    let order =
        Order::from_json(&body).with_context(|| format!("order {}", args.order.display()))?;
    let refunds = match &args.refund {
        None => Vec::new(),
        Some(path) => {
            let body =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let order_body = std::fs::read(&args.order)
                .with_context(|| format!("reading {}", args.order.display()))?;
            engine::refund_envelopes(&order_body, &body)
                .with_context(|| format!("refund {}", path.display()))?
                .iter()
                .map(|envelope| {
                    let v: serde_json::Value = serde_json::from_str(envelope)?;
                    Ok(Refund::from_json(v["refund"].to_string().as_bytes())?)
                })
                .collect::<anyhow::Result<Vec<Refund>>>()
                .with_context(|| format!("refund {}", path.display()))?
        }
    };
    Ok((order, refunds, settings))
}
