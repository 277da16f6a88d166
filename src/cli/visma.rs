//! `ml-connector visma …`: tools for the Visma.net connection. `visma ping [--simulator]` checks credentials,
//! company and licence and prints the company, the number of accounts and VAT categories, or the exact reason it
//! cannot connect. Exit codes: 0 connected, 1 Visma unreachable or failing, 2 configuration to fix.
//!
//! Argument handling and printing only; the check is `visma::Client::ping`.

use clap::{Args, Subcommand};
use ml_connector::clock::SystemClock;
use ml_connector::simulator::{SimConfig, Simulator};
use ml_connector::visma::{Client, Config, VismaError};
use std::process::ExitCode;
use std::sync::Arc;

/// `ml-connector visma` arguments.
#[derive(Debug, Args)]
pub struct VismaArgs {
    #[command(subcommand)]
    command: VismaCommand,
}

#[derive(Debug, Subcommand)]
enum VismaCommand {
    /// Check the Visma.net connection: credentials, company, licence.
    ///
    /// Reads VISMA_CLIENT_ID, VISMA_CLIENT_SECRET, VISMA_TENANT_ID and optionally VISMA_COMPANY_ID,
    /// VISMA_TOKEN_URL, VISMA_API_BASE_URL, VISMA_SALESORDERS_BASE_URL, VISMA_SCOPES, VISMA_CLIENT_AUTH
    /// (form|basic), VISMA_TIMEOUT_SECS, VISMA_MAX_ATTEMPTS.
    Ping {
        /// Start the built-in Visma simulator (demo company) and ping it instead of the real Visma.net.
        #[arg(long)]
        simulator: bool,
    },
}

/// Runs a `visma` subcommand.
pub fn run(args: VismaArgs) -> ExitCode {
    match args.command {
        VismaCommand::Ping { simulator } => ping(simulator),
    }
}

fn ping(simulator: bool) -> ExitCode {
    if simulator {
        return ping_simulator();
    }
    match Config::from_env() {
        Ok(config) => ping_with(config),
        Err(e) => report_failure(&e),
    }
}

fn ping_with(config: Config) -> ExitCode {
    let host = config.api_base_url.clone();
    let client = match Client::new(config, Arc::new(SystemClock)) {
        Ok(client) => client,
        Err(e) => return report_failure(&e),
    };
    match client.ping() {
        Ok(report) => {
            println!("visma: connected to {host}: {report}");
            ExitCode::SUCCESS
        }
        Err(e) => report_failure(&e),
    }
}

fn report_failure(e: &VismaError) -> ExitCode {
    eprintln!("visma: cannot connect: {}", e.reason_for_merchant());
    if e.is_configuration() {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// Starts the simulator with the seeded demo company (COMMON.md) on a free 127.0.0.1 port and pings it with the
/// demo credentials.
fn ping_simulator() -> ExitCode {
    let sim = match Simulator::start(SimConfig::default()) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("visma: could not start the simulator: {e}");
            return ExitCode::from(2);
        }
    };
    let defaults = SimConfig::default();
    let config = Config::visma_net(
        defaults.client_id.clone(),
        defaults.client_secret.clone(),
        defaults.tenant_id.clone(),
    )
    .with_urls(sim.token_url(), sim.base_url(), sim.salesorders_url())
    .with_company_id(defaults.company_id.clone());
    ping_with(config)
}
