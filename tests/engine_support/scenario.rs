//! One store on the Nordlys simulator with releases answered `Queued` and one manual clock: send a payload as a
//! hook would and drain until the queue settles. The setup the scenario tests share.

use super::{drain_until_settled, engine, queued_release_simulator, t0};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::engine::{DrainReport, Engine};
use ml_connector::settings::Settings;
use ml_connector::simulator::RunningSimulator;
use ml_connector::store::queue::{JobKind, JobSource};
use serde_json::Value;
use std::sync::Arc;

/// The running pieces; dropped together.
pub struct Scenario {
    /// The engine on a fresh queue.
    pub engine: Engine,
    /// Nordlys, strict about releases.
    pub sim: RunningSimulator,
    /// The clock the engine, its client and the simulator share.
    pub clock: ManualClock,
    /// Dropped after the engine (fields drop in order), so a server database goes last.
    _db: super::backends::TestDb,
    _dir: tempfile::TempDir,
}

impl Scenario {
    /// A fresh queue and simulator with `settings`.
    pub fn new(settings: Settings) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(t0());
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let sim = queued_release_simulator(shared);
        // Issue #16: `ML_TEST_BACKEND=mysql|postgres` runs every scenario on that backend.
        let db = super::backends::TestDb::from_env(dir.path());
        let engine = engine(db.open(), settings, &sim, &clock);
        Scenario {
            engine,
            sim,
            clock,
            _db: db,
            _dir: dir,
        }
    }

    /// Queues `payload` as a checkout hook does and drains until nothing is pending.
    pub fn send(&self, kind: JobKind, payload: &Value) -> DrainReport {
        self.engine
            .enqueue(kind, &payload.to_string(), JobSource::Hook)
            .expect("enqueue");
        drain_until_settled(&self.engine, &self.clock, |_| {})
    }
}
