//! In-process pipeline benches (issue 8). One binary, one mode per run; each prints `RESULT key=value ...`
//! lines that `benches/run.sh` turns into BENCHMARKS.md. Every timing comes with a baseline measured in the
//! same run, because the machine is shared and absolute times drift. Asserts nothing; not a test.
//!
//!   cargo bench --bench pipeline -- enqueue            checkout-path enqueue vs a bare WAL insert+commit
//!   cargo bench --bench pipeline -- mapping            map 3-line / 50-line order vs parsing its JSON
//!   cargo bench --bench pipeline -- drain-rate R N K   5,000-order backlog, 150 ms latency, R calls/window,
//!                                                      N engines, clocks K× compressed (one window measured)
//!   cargo bench --bench pipeline -- ceiling ORDERS N [BATCH]   zero-latency simulator process, no limit: orders/s
//!   cargo bench --bench pipeline -- backfill ORDERS N [BATCH]  enqueue + drain with RSS samples and database size
//!
//! `ML_CONNECTOR_BIN` names the CLI used to start the external simulator (default `dist/ml-connector`).
//! `BENCH_DB=mysql|postgres` runs `ceiling` and `backfill` on a fresh MariaDB or PostgreSQL database instead of a
//! SQLite file (issue #16; `benches/backends.sh` runs all three).

// The test suite's fresh-database helper (MariaDB on 127.0.0.1:3306, PostgreSQL on 127.0.0.1:5432).
#[path = "../../tests/engine_support/backends.rs"]
mod backends;
mod common;
mod drain;
mod exact;
mod micro;

fn main() {
    // cargo bench passes `--bench`; the mode is the first other argument.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let num = |i: usize, d: u64| -> u64 { args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d) };
    let batch = |i: usize| u32::try_from(num(i, 1)).unwrap_or(1).max(1);
    match args.first().map(String::as_str) {
        Some("enqueue") => micro::enqueue(num(1, 2000)),
        Some("mapping") => {
            micro::mapping(num(1, 2000));
            exact::run();
        }
        Some("drain-rate") => drain::rate(num(1, 500), num(2, 2), num(3, 60)),
        Some("ceiling") => drain::ceiling(num(1, 5000), num(2, 4), batch(3)),
        Some("backfill") => drain::backfill(num(1, 100_000), num(2, 4), batch(3)),
        other => {
            eprintln!(
                "unknown mode {other:?}: enqueue | mapping | drain-rate | ceiling | backfill"
            );
            std::process::exit(2);
        }
    }
}
