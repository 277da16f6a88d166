//! The sync engine: enqueue → claim → map → post → record. The only module that imports both `woo` and `visma`.
//!
//! - [`intake`]: the checkout path. Key the payload, one short transaction, return.
//! - [`Engine::drain`]: claims due jobs under a lease (customers before orders before refunds), maps each with
//!   the pure [`crate::mapping`], finds or creates its customer ([`customers`]), and posts the document
//!   through the client's exactly-once helpers (search by external reference before any create after an
//!   unknown outcome, adopt what an earlier attempt stored). The id map turns a re-sent order into a no-op
//!   that says so, and an order edited after posting into a report, never a second document.
//! - Failures: retryable ones wait with backoff; permanent ones stop in `failed` with a reason the merchant
//!   can act on; after the store's attempt limit a job is `dead`. A configuration or credentials error stops
//!   the drain (every job would fail the same way) and puts the claimed jobs back.

mod connect;
mod customers;
pub mod intake;
mod pause;
mod post;
mod report;
mod sales_orders;
mod steps;

pub use connect::{client_config, simulator_config};
pub use intake::{enqueue, key_of, parse_kind, refund_envelopes, IntakeError, Keyed};
pub use pause::RETEST_AFTER;
pub use report::DrainReport;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::audit::{Attempt, AuditEvent};
use crate::store::queue::{ClaimedJob, Completion};
use crate::store::{Books, Finished, NewMapping, NextClaim, Outcome, Recorded};
use crate::store::{Store, StoreError};
use crate::visma::retry::{self, Decision, Failure as RetryFailure, Policy};
use crate::visma::{Client, VismaError};
use chrono::{DateTime, Utc};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

/// The default lease: 15 minutes (see [`EngineOptions::lease`]).
pub const DEFAULT_LEASE_SECS: u64 = 900;

/// Tunables of the drain loop.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How long a claimed job is ours before another worker may take it over (a crashed worker's jobs come back).
    /// The lease is renewed before each search-and-create, but one `create_*_once` can itself take minutes
    /// (the client's own retries: 5 attempts of up to 60 s plus backoff and Retry-After), so the default is
    /// well above that worst case: a second worker must never start the same create.
    pub lease: Duration,
    /// Jobs claimed per transaction. Every claimed job is charged an attempt, so a worker killed mid-batch
    /// charges the jobs it never started too (ten such kills make an untried job `dead`); keep this at 1
    /// unless workers are never killed.
    pub batch: u32,
    /// Backoff between attempts of one job: first step and cap (full jitter in between).
    pub retry_base: Duration,
    /// Longest wait between two attempts of one job.
    pub retry_cap: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(DEFAULT_LEASE_SECS),
            // Issue #5: was 20. `ml-connector drain` killed 50 times made 658 reclaims of 200 jobs and one job
            // reached 10 claims (one short of `dead`) without ever being the one in flight (tests/engine_kill.rs).
            batch: 1,
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(3600),
        }
    }
}

/// Errors that end a drain: the local store is unusable. Visma and mapping failures are job outcomes, not these.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The queue database failed.
    #[error("local queue: {0}")]
    Store(#[from] StoreError),
}

/// Why one job did not complete, classified for the queue.
#[derive(Debug, Clone)]
pub(crate) struct JobFailure {
    /// For the merchant (never a body or a secret).
    pub reason: String,
    /// A later attempt may succeed.
    pub retryable: bool,
    /// Every job would fail the same way (credentials, licence, settings): stop draining and pause the queue.
    pub stops_drain: bool,
    /// The setting to fix, for a configuration error.
    pub setting: Option<&'static str>,
    /// The server asked us to wait this long.
    pub server_wait: Option<Duration>,
    /// Something in progress elsewhere (another worker's customer creation, Visma's background release): look
    /// again after this fixed pause, not after the attempt's exponential backoff.
    pub look_again: Option<LookAgain>,
    /// The call that failed.
    pub attempt: Attempt,
}

/// A fixed pause before the next attempt, and whether that attempt is charged against `max_attempts`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LookAgain {
    /// The pause in milliseconds (small: `JobFailure` travels in every `Result`).
    pub after_ms: u32,
    /// Charged: waiting on Visma is (a release that never ends must end the job); waiting on another worker of
    /// ours is not (its claim expires with its lease).
    pub counts: bool,
}

impl JobFailure {
    /// A failure no retry can fix (bad payload, missing mapping).
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retryable: false,
            stops_drain: false,
            setting: None,
            server_wait: None,
            look_again: None,
            attempt: Attempt::default(),
        }
    }

    /// A failure that goes away by itself (waiting for another document).
    pub fn later(reason: impl Into<String>) -> Self {
        Self {
            retryable: true,
            ..Self::permanent(reason)
        }
    }

    /// Waiting for something in progress: retried after the fixed `after`, charged an attempt when `counts`.
    pub fn look_again(reason: impl Into<String>, after: Duration, counts: bool) -> Self {
        Self {
            look_again: Some(LookAgain {
                after_ms: u32::try_from(after.as_millis()).unwrap_or(u32::MAX),
                counts,
            }),
            ..Self::later(reason)
        }
    }

    /// Classifies a Visma error: retryable and unknown-outcome errors wait (the next attempt searches first),
    /// configuration errors stop the drain, rejections are permanent.
    pub fn visma(endpoint: &'static str, e: &VismaError) -> Self {
        let stops_drain = e.is_configuration();
        Self {
            reason: e.reason_for_merchant(),
            retryable: e.is_retryable() || e.is_outcome_unknown() || stops_drain,
            stops_drain,
            setting: e.setting_to_fix(),
            server_wait: e.retry_after(),
            look_again: None,
            attempt: Attempt {
                endpoint: Some(endpoint),
                http_status: e.status(),
                duration_ms: None,
            },
        }
    }
}

impl From<StoreError> for JobFailure {
    fn from(e: StoreError) -> Self {
        Self {
            retryable: e.is_retryable(),
            ..Self::permanent(format!("local store: {e}"))
        }
    }
}

/// The engine of one process: its store connection, settings, Visma client and clock.
pub struct Engine {
    store: Store,
    settings: Settings,
    /// The store and the Visma company the documents go to (the id map and customer index are per company).
    books: Books,
    visma: Client,
    clock: Arc<dyn Clock>,
    owner: String,
    options: EngineOptions,
}

impl Engine {
    /// An engine draining `store` into Visma through `visma`.
    pub fn new(store: Store, settings: Settings, visma: Client, clock: Arc<dyn Clock>) -> Self {
        let owner = format!(
            "{}:{}:{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        let books = Books::new(settings.store_id.clone(), visma.config.books_key());
        Self {
            store,
            settings,
            books,
            visma,
            clock,
            owner,
            options: EngineOptions::default(),
        }
    }

    /// The store and Visma company documents are booked in.
    pub fn books(&self) -> &Books {
        &self.books
    }

    /// Replaces the drain tunables.
    pub fn with_options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    /// The name this engine's claims and leases are held under.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The queue.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Gives the queue back (e.g. to rebuild the engine with a new secret).
    pub fn into_store(self) -> Store {
        self.store
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Visma client.
    pub fn visma(&self) -> &Client {
        &self.visma
    }

    /// Queues a payload (see [`intake::enqueue`]) with this engine's store id and clock.
    ///
    /// # Errors
    /// As [`intake::enqueue`].
    pub fn enqueue(
        &self,
        kind: crate::store::queue::JobKind,
        payload: &str,
        source: crate::store::queue::JobSource,
    ) -> Result<crate::store::queue::EnqueueOutcome, IntakeError> {
        intake::enqueue(
            &self.store,
            &self.settings.store_id,
            kind,
            payload,
            source,
            self.clock.now(),
        )
    }

    /// Works through due jobs until `limit` jobs were handled, none is due, or `deadline` passed.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the local database fails; job failures are counted in the report instead.
    pub fn drain(
        &self,
        limit: u32,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<DrainReport, EngineError> {
        let mut report = DrainReport::default();
        if let Some(pause) = self.paused()? {
            report.stopped = true;
            report.paused = true;
            report.stop_reason = Some(pause.reason);
            report.stop_setting = pause.setting;
            return Ok(report);
        }
        let mut handled = 0u32;
        let want = |handled: u32| self.options.batch.min(limit - handled).max(1);
        let mut batch = if limit > 0 && deadline.is_none_or(|d| self.clock.now() < d) {
            self.store
                .claim(&self.owner, self.clock.now(), self.options.lease, want(0))?
        } else {
            Vec::new()
        };
        while !batch.is_empty() {
            // The batch's outcomes are recorded together, in one transaction with the next claim
            // (`Store::record_and_claim`).
            let mut ended: Vec<Ended<'_>> = Vec::with_capacity(batch.len());
            let mut stop: Option<String> = None;
            let mut stop_setting: Option<&'static str> = None;
            for claimed in &batch {
                handled += 1;
                match &stop {
                    // Every job would fail the same way: give the rest of the batch back untouched by Visma.
                    Some(reason) => ended.push(self.given_back(claimed, reason)),
                    None => {
                        let end = match self.run(claimed, &mut report) {
                            Ok(Some(end)) => end,
                            Ok(None) => continue,
                            Err(e) => {
                                // The store failed: still record what this batch posted, so those jobs do not
                                // wait out their lease to be adopted.
                                if let Err(also) = self.record(&ended, None, &mut report) {
                                    tracing::warn!(error = %also, "could not record the batch before stopping");
                                }
                                return Err(e);
                            }
                        };
                        if let Err(failure) = &end.result {
                            stop = failure.stops_drain.then(|| failure.reason.clone());
                            stop_setting = failure.setting;
                        }
                        ended.push(end);
                    }
                }
            }
            let now = self.clock.now();
            let more = stop.is_none() && handled < limit && deadline.is_none_or(|d| now < d);
            let next = more.then(|| NextClaim {
                owner: &self.owner,
                now,
                lease: self.options.lease,
                limit: want(handled),
            });
            let next_batch = self.record(&ended, next, &mut report)?;
            if let Some(reason) = stop {
                self.pause(&reason, stop_setting)?;
                report.stopped = true;
                report.paused = true;
                report.stop_reason = Some(reason);
                report.stop_setting = stop_setting.map(str::to_owned);
                break;
            }
            batch = next_batch;
        }
        self.checkpoint(handled);
        Ok(report)
    }

    /// After a drain that wrote something, the store's housekeeping here, in the background worker: the WAL
    /// copy, so a checkout's enqueue does not pay for it (`StoreOptions::wal_autocheckpoint_pages`), and the
    /// payloads past `[queue] payload_retention_days` (issue #16).
    fn checkpoint(&self, handled: u32) {
        if handled > 0 {
            let days = self.settings.queue.payload_retention_days;
            self.store.housekeep(self.clock.now(), days);
        }
    }

    /// Runs one claimed job; `None` when another worker had already taken it over.
    fn run<'a>(
        &self,
        claimed: &'a ClaimedJob,
        report: &mut DrainReport,
    ) -> Result<Option<Ended<'a>>, EngineError> {
        let held = Held::new(claimed);
        // Issue #5: a job claimed in a batch waits behind the others; its lease may have run out and another
        // worker may have taken it over. Without this check both posted it (two invoices for one order in
        // tests/engine_processes.rs). Renewing also gives the job a full lease from the moment it starts.
        match self.keep_lease(&held) {
            Ok(()) => {}
            Err(StoreError::LeaseLost { .. }) => {
                report.lost_lease += 1;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        let result = post::process(self, &held);
        let now = self.clock.now();
        let next_attempt_at = match &result {
            Err(JobFailure {
                retryable: true,
                look_again: Some(again),
                ..
            }) => now + chrono::Duration::milliseconds(i64::from(again.after_ms)),
            Err(failure) if failure.retryable => self.retry_at(claimed, failure.server_wait, now),
            _ => now,
        };
        Ok(Some(Ended {
            claimed,
            now,
            next_attempt_at,
            counts: true,
            result,
            notes: held.notes.take(),
            mappings: held.mappings.take(),
        }))
    }

    /// A claimed job put back untried after the drain stopped.
    fn given_back<'a>(&self, claimed: &'a ClaimedJob, reason: &str) -> Ended<'a> {
        let now = self.clock.now();
        let failure = JobFailure::later(format!("not sent: {reason}"));
        Ended {
            claimed,
            now,
            next_attempt_at: self.retry_at(claimed, None, now),
            counts: false,
            result: Err(failure),
            notes: Vec::new(),
            mappings: Vec::new(),
        }
    }

    /// When a job that failed retryably may run again: `now` plus its backoff.
    fn retry_at(
        &self,
        claimed: &ClaimedJob,
        server_wait: Option<Duration>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let wait = self.backoff(claimed.job.attempts, server_wait);
        now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }

    /// Writes how the jobs of a batch ended, in one transaction, and counts them. A job whose lease another worker
    /// took over is counted as such (that worker adopts its document); any other store error ends the drain once
    /// the rest are written.
    fn record(
        &self,
        ended: &[Ended<'_>],
        next: Option<NextClaim<'_>>,
        report: &mut DrainReport,
    ) -> Result<Vec<ClaimedJob>, EngineError> {
        if ended.is_empty() {
            return Ok(match next {
                Some(n) => self.store.claim(n.owner, n.now, n.lease, n.limit)?,
                None => Vec::new(),
            });
        }
        let finished: Vec<Finished<'_>> = ended
            .iter()
            .map(|e| Finished {
                lease: &e.claimed.lease,
                now: e.now,
                outcome: match &e.result {
                    Ok(completion) => Outcome::Complete(completion),
                    Err(f) if f.retryable => Outcome::Retry {
                        next_attempt_at: e.next_attempt_at,
                        error: &f.reason,
                        attempt: &f.attempt,
                        counts: e.counts
                            && !f.stops_drain
                            && f.server_wait.is_none()
                            && f.look_again.is_none_or(|a| a.counts),
                    },
                    Err(f) => Outcome::Fail {
                        error: &f.reason,
                        attempt: &f.attempt,
                    },
                },
                notes: &e.notes,
                mappings: &e.mappings,
            })
            .collect();
        let mut first_error = None;
        let (recorded, claimed) = self.store.record_and_claim(&finished, next)?;
        for (e, recorded) in ended.iter().zip(recorded) {
            match recorded {
                Ok(Recorded::Done) => match &e.result {
                    Ok(Completion::Posted { .. }) => report.posted += 1,
                    Ok(Completion::Adopted { .. }) => report.adopted += 1,
                    Ok(Completion::AlreadyPosted { .. }) => report.already_posted += 1,
                    Ok(Completion::EditedAfterPosting { .. }) => report.edited_after_posting += 1,
                    Ok(Completion::Skipped { .. }) => report.skipped += 1,
                    // A failure is recorded as retry, dead or failed, never as done.
                    Err(_) => {}
                },
                Ok(Recorded::Scheduled(_)) => report.retry += 1,
                Ok(Recorded::Dead) => report.dead += 1,
                Ok(Recorded::Failed) => report.failed += 1,
                Err(StoreError::LeaseLost { .. }) => report.lost_lease += 1,
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        let Some(err) = first_error else {
            return Ok(claimed?);
        };
        // The drain ends on this error: the jobs claimed with the records go back untried.
        if let Ok(claimed) = claimed {
            let reason = format!("the drain stopped on a local store error: {err}");
            let back: Vec<Ended<'_>> = claimed
                .iter()
                .map(|c| self.given_back(c, &reason))
                .collect();
            let mut ignored = DrainReport::default();
            if let Err(e) = self.record(&back, None, &mut ignored) {
                tracing::warn!(error = %e, "could not give claimed jobs back; they return after their lease");
            }
        }
        Err(err.into())
    }

    /// Wait before the next attempt of a job: exponential with full jitter, at least what the server asked.
    fn backoff(&self, attempts: u32, server_wait: Option<Duration>) -> Duration {
        let policy = Policy {
            base: self.options.retry_base,
            cap: self.options.retry_cap,
            max_attempts: u32::MAX,
        };
        let failure = RetryFailure {
            retryable: true,
            outcome_unknown: false,
        };
        match retry::decide(
            &policy,
            failure,
            attempts.max(1),
            server_wait,
            rand::random::<f64>(),
        ) {
            Decision::RetryAfter(wait) => wait.max(server_wait.unwrap_or_default()),
            Decision::GiveUp => self.options.retry_cap,
        }
    }

    /// Makes sure `held` has nearly a full lease from now: renews it in the store unless it was claimed or
    /// renewed less than [`renew_slack`] ago, or says that another worker has the job. Issue #8: renewing before
    /// every create cost a WAL commit each (three per paid order) while the lease was seconds old; only the lease
    /// owner or a claim after expiry changes a running job, so a lease this fresh cannot have been lost.
    pub(crate) fn keep_lease(&self, held: &Held<'_>) -> Result<(), StoreError> {
        let now = self.clock.now();
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::MAX);
        let slack = chrono::Duration::from_std(renew_slack(self.options.lease))
            .unwrap_or(chrono::Duration::zero());
        if held.expires_at.get() - now >= lease - slack {
            return Ok(());
        }
        let renewed = self
            .store
            .renew_lease(&held.claimed.lease, now, self.options.lease)?;
        held.expires_at.set(renewed.expires_at);
        Ok(())
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// A job this worker ran, waiting to be recorded with the rest of its batch.
struct Ended<'a> {
    claimed: &'a ClaimedJob,
    now: DateTime<Utc>,
    /// When a retryable failure may run again (unused otherwise).
    next_attempt_at: DateTime<Utc>,
    /// False for a job given back untried: the attempt does not count towards `dead`.
    counts: bool,
    result: Result<Completion, JobFailure>,
    notes: Vec<AuditEvent>,
    mappings: Vec<NewMapping>,
}

/// How much of a lease may be used up before [`Engine::keep_lease`] renews it: a tenth, at most 30 s, so a
/// create always starts with at least 90 % of its lease ahead.
fn renew_slack(lease: Duration) -> Duration {
    (lease / 10).min(Duration::from_secs(30))
}

/// A claimed job while this worker runs it: its lease's expiry as last written to the store, and the audit rows
/// made along the way (a rounding line, a payment), written with the job's outcome in one transaction.
pub(crate) struct Held<'a> {
    pub claimed: &'a ClaimedJob,
    expires_at: Cell<DateTime<Utc>>,
    notes: RefCell<Vec<AuditEvent>>,
    mappings: RefCell<Vec<NewMapping>>,
}

impl<'a> Held<'a> {
    fn new(claimed: &'a ClaimedJob) -> Self {
        Self {
            claimed,
            expires_at: Cell::new(claimed.lease.expires_at),
            notes: RefCell::new(Vec::new()),
            mappings: RefCell::new(Vec::new()),
        }
    }

    /// Adds an audit row to be written with the job's outcome.
    pub fn note(&self, event: AuditEvent) {
        self.notes.borrow_mut().push(event);
    }

    /// Records a step's document (a payment, a settlement) in the id map with the job's outcome, whatever it is.
    pub fn map(&self, mapping: NewMapping) {
        self.mappings.borrow_mut().push(mapping);
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned())
}
