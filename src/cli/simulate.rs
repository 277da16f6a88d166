//! `ml-connector simulate`: runs the Visma.net simulator in the foreground, prints its URLs and the demo
//! credentials, and stops on Ctrl-C or SIGTERM. Argument parsing and printing only; the simulator is a library.

use anyhow::Context;
use clap::Args;
use ml_connector::simulator::{Company, SimConfig, Simulator};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Flags of `ml-connector simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: SocketAddr,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of API calls answered with a 500 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Share of creates stored and then answered with a dropped connection (0..1).
    #[arg(long, default_value_t = 0.0)]
    lost_response_rate: f64,
    /// API calls allowed per clock hour before 429.
    #[arg(long, default_value_t = 10_000)]
    rate_limit_per_hour: u32,
    /// Lifetime of access tokens in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// JSON file keeping created documents between runs.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Simulate a company without an API licence (every ERP call: 401, fault code 12027).
    #[arg(long)]
    no_licence: bool,
    /// Seed of the fault RNG (same seed + same calls = same faults).
    #[arg(long, default_value_t = 1)]
    fault_seed: u64,
    /// A company file (JSON, the shape `--print-seed` prints): its accounts, VAT categories, classes, segments,
    /// terms, payment methods, cash accounts, client and ids replace the demo company's.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Print the demo company as a seed file and exit.
    #[arg(long)]
    print_seed: bool,
    /// Release actions answer `Queued` (released in the background) instead of `Done`.
    #[arg(long)]
    queued_release: bool,
}

/// Runs the simulator until a signal arrives.
///
/// # Errors
/// The simulator cannot start (address taken, bad state file, rate outside 0..1) or signals cannot be watched.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    if args.print_seed {
        print!("{}", Company::default_json());
        return Ok(());
    }
    let company = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the seed file {}", path.display()))?;
            Company::from_json(&text)
                .map_err(|e| anyhow::anyhow!("seed file {}: {e}", path.display()))?
        }
        None => Company::default(),
    };
    let config = SimConfig {
        listen: args.listen,
        latency_ms: args.latency_ms,
        fault_rate: args.fault_rate,
        lost_response_rate: args.lost_response_rate,
        rate_limit_per_hour: args.rate_limit_per_hour,
        token_ttl_secs: args.token_ttl_secs,
        state_file: args.state,
        seed: args.fault_seed,
        licensed: !args.no_licence,
        queued_release: args.queued_release,
        ..SimConfig::seeded(company)
    };
    let secret = config.company.client_secret.clone();
    let (client_id, tenant_id, company_id) = (
        config.client_id.clone(),
        config.tenant_id.clone(),
        config.company_id.clone(),
    );
    let sim = Simulator::start(config).context("starting the Visma.net simulator")?;
    println!("Visma.net simulator listening on {}", sim.addr());
    println!("  token URL        {}", sim.token_url());
    println!(
        "  ERP API base     {}   (e.g. {}/v1/customer)",
        sim.base_url(),
        sim.base_url()
    );
    println!("  SalesOrders v3   {}", sim.salesorders_url());
    println!("  inspection       {}", sim.inspect_url());
    println!("  client id        {client_id}");
    println!("  client secret    {secret}   (a simulator's test secret)");
    println!("  tenant id        {tenant_id}");
    println!("  company id       {company_id}");
    println!("Press Ctrl-C to stop.");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("signal runtime")?;
    rt.block_on(wait_for_signal())?;
    sim.shutdown();
    println!("simulator stopped");
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("watching SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("watching Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("watching Ctrl-C")?;
    Ok(())
}
