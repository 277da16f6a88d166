//! Writers of one SQLite file inside one process take turns here before `BEGIN IMMEDIATE`.
//!
//! SQLite lets one connection write at a time and tells the others "busy"; they poll (see `busy`), sleeping
//! between tries. Engines of one process (the service, `drain --workers N`) that wrote the same file at once
//! spent a fifth of the machine asleep at batch 1, the write lock free part of that time. Here a writer waits on
//! a condition variable instead and is woken as the previous one ends its transaction. Other processes still
//! meet SQLite's lock and the busy handler, and the gate decides nothing: a writer that waited past the busy
//! limit goes on without it and lets SQLite answer, so a thread that already holds the turn (two stores of one
//! file on one thread) gets SQLite's "busy" as before instead of waiting for itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The turn of one database file.
pub(crate) struct Gate {
    held: Mutex<bool>,
    free: Condvar,
}

/// The gate of the file at `path`: one per file per process, kept for the process's life (a process opens a
/// handful of files).
pub(crate) fn for_file(path: &Path) -> &'static Gate {
    static GATES: OnceLock<Mutex<HashMap<PathBuf, &'static Gate>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut gates = GATES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    gates.entry(key).or_insert_with(|| {
        Box::leak(Box::new(Gate {
            held: Mutex::new(false),
            free: Condvar::new(),
        }))
    })
}

impl Gate {
    /// Waits for the turn, at most `limit`; `None` when the wait ran out (the caller writes without the turn).
    pub(crate) fn enter(&'static self, limit: Duration) -> Option<Turn> {
        let deadline = Instant::now() + limit;
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held {
            let left = deadline.checked_duration_since(Instant::now())?;
            held = self
                .free
                .wait_timeout(held, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *held = true;
        Some(Turn(self))
    }
}

/// A writer's turn; the next writer's when dropped.
pub(crate) struct Turn(&'static Gate);

impl Drop for Turn {
    fn drop(&mut self) {
        *self.0.held.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.0.free.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// One writer at a time; the next one enters as soon as the turn is given back; a wait past the limit
    /// gives up (no turn) instead of blocking.
    #[test]
    fn writers_take_turns_and_a_long_wait_gives_up() {
        let dir = tempfile::tempdir().expect("dir");
        let gate = for_file(&dir.path().join("q.db"));
        assert!(std::ptr::eq(gate, for_file(&dir.path().join("q.db"))));
        let first = gate.enter(Duration::from_secs(5)).expect("free gate");
        assert!(
            gate.enter(Duration::from_millis(20)).is_none(),
            "held twice"
        );
        let released = Arc::new(AtomicBool::new(false));
        let waiter = {
            let released = released.clone();
            std::thread::spawn(move || {
                let turn = gate.enter(Duration::from_secs(30));
                (turn.is_some(), released.load(Ordering::SeqCst))
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        released.store(true, Ordering::SeqCst);
        drop(first);
        let (entered, after_release) = waiter.join().expect("waiter");
        assert!(
            entered && after_release,
            "entered before the turn was given back"
        );
        assert!(gate.enter(Duration::from_millis(20)).is_some());
    }
}
