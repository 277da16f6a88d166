//! Who does a store's single-holder work: one poller per store at a time, across processes on one data
//! directory (a file lock) or across instances on one database (a lease in the store, issue #16), and the
//! heartbeat that keeps an instance's job leases alive.

use super::config::ServiceConfig;
use super::receiver::Cell;
use crate::store::InstanceLease;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// An exclusive lock on `{data_dir}/{store}.poller.lock`: one poller per store at a time, across processes
/// (two services on one data directory). The OS releases it when the holder exits, crashed or not.
pub struct PollLock {
    /// Held open for the lock's lifetime; closing it releases the lock.
    _file: std::fs::File,
}

impl PollLock {
    /// Takes the lock of store `id`, or `None` while another poller holds it.
    pub fn try_acquire(config: &ServiceConfig, id: &str) -> Option<Self> {
        let path = config.data_dir.join(format!("{id}.poller.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .ok()?;
        file.try_lock().ok().map(|()| Self { _file: file })
    }
}

/// Issue #16: who may poll a store. On a shared database one instance at a time (a lease that lapses within
/// a few poll periods when its holder dies); on local queue files, one process per data directory.
pub(super) enum PollRight {
    Lease { me: String, ttl: Duration },
    File(Option<PollLock>),
}

impl PollRight {
    /// `owner`: the store engine's name (host, pid and a random part), which also holds its drain lease.
    pub(super) fn new(config: &ServiceConfig, owner: String) -> Self {
        if config.database.is_none() {
            return Self::File(None);
        }
        Self::Lease {
            me: owner,
            // Three polls at the polling pace: a dead holder's stores are polled again soon, a live one keeps
            // them between its polls.
            ttl: Duration::from_secs(config.poll.every_secs.saturating_mul(3).clamp(5, 600)),
        }
    }

    /// True when this instance polls now.
    pub(super) fn take(&mut self, cell: &Cell, config: &ServiceConfig) -> bool {
        match self {
            Self::Lease { me, ttl } => {
                match cell
                    .store()
                    .hold_lease(InstanceLease::Poll, me, cell.now(), *ttl)
                {
                    Ok(held) => held,
                    Err(e) => {
                        tracing::warn!(store = %cell.id, error = %e, "poll lease failed; skipping this poll");
                        false
                    }
                }
            }
            Self::File(lock) => {
                if lock.is_none() {
                    *lock = PollLock::try_acquire(config, &cell.id);
                    if lock.is_none() {
                        tracing::warn!(store = %cell.id, "another process polls this store; skipping this poll");
                    }
                }
                lock.is_some()
            }
        }
    }

    pub(super) fn release(&self, cell: &Cell) {
        if let Self::Lease { me, .. } = self {
            if let Err(e) = cell.store().release_lease(InstanceLease::Poll, me) {
                tracing::warn!(store = %cell.id, error = %e, "poll lease not released");
            }
        }
    }
}

/// What the keeper needs of a store's engine: its owner name, and whether it drains (holds the drain lease).
pub(super) struct Keep {
    pub(super) owner: String,
    pub(super) draining: Arc<AtomicBool>,
}

/// Issue #16: the service's job lease. Its keeper renews every lease its engines hold each [`KEEP_EVERY`],
/// so only a dead process (or one cut off from its database for this long) loses its jobs.
pub(super) const KEPT_LEASE: Duration = Duration::from_secs(30);
const KEEP_EVERY: Duration = Duration::from_secs(5);

/// The instance's heartbeat: every few seconds, each store's engine keeps its job leases and customer claims.
/// Only stores whose drain this instance holds: jobs are claimed only then.
pub(super) fn spawn_keeper(
    owners: Vec<(Arc<Cell>, Keep)>,
    stop: Arc<super::run::Stop>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.wait(KEEP_EVERY) {
            for (cell, Keep { owner, draining }) in &owners {
                if !draining.load(Ordering::SeqCst) {
                    continue;
                }
                if let Err(e) = cell
                    .store()
                    .keep_leases_alive(owner, cell.now(), KEPT_LEASE)
                {
                    tracing::warn!(store = %cell.id, error = %e, "job leases not renewed");
                }
            }
        }
    })
}
