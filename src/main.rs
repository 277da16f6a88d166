//! The `ml-connector` command: the connector without PHP (and the tools a merchant uses around it).
//! Argument parsing and exit codes only; the work happens in the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
