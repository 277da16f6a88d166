//! `ml-connector visma …`: tools for the Visma.net connection. `visma ping [--simulator]` checks credentials,
//! company and licence and prints the company, the number of accounts and VAT categories, or the exact reason it
//! cannot connect. `visma check --settings F` also reads the company's lists and names every id of the settings
//! file the company does not have, with the setting that holds it (issue #14). Exit codes: 0 connected (and every
//! id known), 1 Visma unreachable or failing, or an id unknown, 2 configuration to fix.
//!
//! Argument handling and printing only; the checks are `visma::Client::ping`, `Client::company_ids` and
//! `settings::check::unknown_ids`.

use clap::{Args, Subcommand};
use ml_connector::clock::SystemClock;
use ml_connector::settings::check::unknown_ids;
use ml_connector::settings::Settings;
use ml_connector::simulator::{Company, SimConfig, Simulator};
use ml_connector::visma::{Client, Config, VismaError};
use std::path::PathBuf;
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
    /// Check every Visma id of a settings file (accounts, VAT categories, classes, terms, branch, payment methods,
    /// cash accounts, subaccount values, order type) against the company; the connection as for `ping`.
    Check {
        /// The settings file (TOML).
        #[arg(long)]
        settings: PathBuf,
        /// Check against the built-in simulator instead of Visma.net.
        #[arg(long)]
        simulator: bool,
        /// With --simulator: the company to seed it with (a `simulate --print-seed` file).
        #[arg(long, requires = "simulator")]
        seed: Option<PathBuf>,
    },
}

/// Runs a `visma` subcommand.
pub fn run(args: VismaArgs) -> ExitCode {
    match args.command {
        VismaCommand::Ping { simulator } => ping(simulator),
        VismaCommand::Check {
            settings,
            simulator,
            seed,
        } => check(&settings, simulator, seed.as_deref()),
    }
}

fn check(path: &std::path::Path, simulator: bool, seed: Option<&std::path::Path>) -> ExitCode {
    let settings = match std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .and_then(|text| Settings::from_toml_str(&text).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("visma: {e}");
            return ExitCode::from(2);
        }
    };
    let mut _sim = None;
    let config = if simulator {
        let sim_config = match seed.map(std::fs::read_to_string).transpose() {
            Ok(None) => SimConfig::default(),
            Ok(Some(text)) => match Company::from_json(&text) {
                Ok(company) => SimConfig::seeded(company),
                Err(e) => {
                    eprintln!("visma: the seed file is not a company: {e}");
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("visma: cannot read the seed file: {e}");
                return ExitCode::from(2);
            }
        };
        let sim = match Simulator::start(sim_config.clone()) {
            Ok(sim) => sim,
            Err(e) => {
                eprintln!("visma: could not start the simulator: {e}");
                return ExitCode::from(2);
            }
        };
        let config = Config::visma_net(
            sim_config.client_id.clone(),
            sim_config.client_secret.clone(),
            sim_config.tenant_id.clone(),
        )
        .with_urls(sim.token_url(), sim.base_url(), sim.salesorders_url())
        .with_company_id(sim_config.company_id.clone());
        _sim = Some(sim);
        config
    } else {
        match Config::from_env() {
            Ok(config) => config,
            Err(e) => return report_failure(&e),
        }
    };
    let client = match Client::new(config, Arc::new(SystemClock)) {
        Ok(client) => client,
        Err(e) => return report_failure(&e),
    };
    let company = match client.ping().and_then(|_| client.company_ids()) {
        Ok(ids) => ids,
        Err(e) => return report_failure(&e),
    };
    let unknown = unknown_ids(&settings, &company);
    for u in &unknown {
        println!("{u}");
    }
    if unknown.is_empty() {
        println!("visma: every id in {} is in the company", path.display());
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "visma: {} ids in {} are not in the company",
            unknown.len(),
            path.display()
        );
        ExitCode::from(1)
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
