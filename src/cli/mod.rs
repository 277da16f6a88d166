//! Command-line parsing (clap) and dispatch. Exit codes: 0 = all done, 1 = some items failed (see the audit),
//! 2 = configuration or usage error. `anyhow` is used only in this binary.

mod demo;

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
    /// Run the demo on the embedded default (placeholder until the end-to-end demo is wired).
    Demo,
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("ml-connector {}", ml_connector::VERSION);
            ExitCode::SUCCESS
        }
        Command::Demo => demo::run(),
    }
}
