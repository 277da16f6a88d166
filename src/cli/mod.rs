//! Command-line parsing (clap) and dispatch. Exit codes: 0 = all done, 1 = some items failed (see the audit),
//! 2 = configuration or usage error. `anyhow` is used only in this binary.

mod map;
mod settings;
mod simulate;
mod visma;
mod demo;
mod demo_data;
mod sync;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// WooCommerce → Visma.net ERP connector.
#[derive(Debug, Parser)]
#[command(name = "ml-connector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version.
    Version,
    /// Print the Visma payload(s) an order (and its refunds) would become: the dry-run preview.
    Map(map::MapArgs),
    /// Print the example settings file (`--example`) or validate one (`--check FILE`).
    Settings(settings::SettingsArgs),
    /// Run the Visma.net simulator (token endpoint, ERP API, SalesOrders v3) until Ctrl-C.
    Simulate(simulate::SimulateArgs),
    /// Visma.net connection tools (`visma ping`).
    Visma(visma::VismaArgs),
    /// The whole path on the embedded simulator: real orders in, Visma documents out, totals compared.
    Demo(demo::DemoArgs),
    #[command(flatten)]
    Sync(sync::SyncCommand),
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("ml-connector {}", ml_connector::VERSION);
            ExitCode::SUCCESS
        }
        Command::Map(args) => map::run(&args),
        Command::Settings(args) => settings::run(&args),
        Command::Simulate(args) => match simulate::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Visma(args) => visma::run(args),
        Command::Demo(args) => demo::run(&args),
        Command::Sync(command) => sync::run(command),
    }
}
