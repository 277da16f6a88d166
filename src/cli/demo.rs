//! `ml-connector demo`: placeholder until the end-to-end demo is wired (the lead's issue). It proves the CLI
//! runs and says plainly that nothing is synced yet. No I/O beyond stdout.

use std::process::ExitCode;

/// Prints the version and the demo's status.
pub fn run() -> ExitCode {
    println!("ml-connector {}", ml_connector::VERSION);
    println!("The end-to-end demo (sample order -> mapping -> Visma simulator) is not wired yet.");
    ExitCode::SUCCESS
}
