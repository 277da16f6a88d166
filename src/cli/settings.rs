//! `ml-connector settings`: print the commented example settings file, or check one.
//! Exit 0 = printed / valid, 2 = invalid settings or usage.

use ml_connector::settings::{Settings, EXAMPLE_TOML};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `settings`.
#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    /// Print a complete, commented settings file for the simulator's demo company.
    #[arg(long, conflicts_with = "check")]
    example: bool,
    /// Validate a settings file (TOML) and report the first problem.
    #[arg(long)]
    check: Option<PathBuf>,
}

/// Runs `settings`.
pub fn run(args: &SettingsArgs) -> ExitCode {
    if args.example {
        print!("{EXAMPLE_TOML}");
        return ExitCode::SUCCESS;
    }
    let Some(path) = &args.check else {
        eprintln!("error: give --example or --check FILE");
        return ExitCode::from(2);
    };
    let loaded = std::fs::read_to_string(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))
        .and_then(|text| Settings::from_toml_str(&text).map_err(|e| e.to_string()));
    match loaded {
        Ok(_) => {
            println!("{}: valid", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
