//! Per-process state for the extension: [`ProcessLocal`], a lazy cell keyed by the process id, and the two
//! cells built on it (the HTTP client and the health-check SQLite connection).
//!
//! Why: php-fpm loads the extension in the master, then forks workers. A reqwest blocking client owns a
//! background thread and a SQLite handle owns file locks; neither survives `fork()`, and dropping a stale
//! client in the child hangs (`NOTES-ext-php-rs.md` §4.1). So nothing here is created in MINIT: each value is
//! created on first use inside the worker, rebuilt when `std::process::id()` changes, and the stale value
//! inherited from the parent is `std::mem::forget`-ten, never dropped.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A value created lazily once per process. Safe to put in a `static`.
///
/// The value is only reached through [`ProcessLocal::with`], which holds the cell's lock while the closure
/// runs: the closure must not call into PHP (a bailout would skip the unlock) and must not re-enter the cell.
pub struct ProcessLocal<T> {
    slot: Mutex<Option<Slot<T>>>,
}

struct Slot<T> {
    pid: u32,
    value: T,
}

impl<T> ProcessLocal<T> {
    /// An empty cell; nothing is created until the first [`ProcessLocal::with`].
    pub const fn new() -> Self {
        Self {
            slot: Mutex::new(None),
        }
    }

    /// Runs `use_value` on this process's value, creating it with `init` first when the cell is empty or holds
    /// a value created by another process (the parent before a fork).
    ///
    /// # Errors
    /// The error of `init`; the cell then stays empty and the next call tries again.
    pub fn with<R, E>(
        &self,
        init: impl FnOnce() -> Result<T, E>,
        use_value: impl FnOnce(&mut T) -> R,
    ) -> Result<R, E> {
        self.with_pid(std::process::id(), init, use_value)
    }

    /// [`ProcessLocal::with`] for a given pid, so tests can simulate a fork.
    fn with_pid<R, E>(
        &self,
        pid: u32,
        init: impl FnOnce() -> Result<T, E>,
        use_value: impl FnOnce(&mut T) -> R,
    ) -> Result<R, E> {
        // A panic while the lock was held poisons it; the value is still usable (a connection or a client
        // has no invariant a panic in our code can break), so take it back.
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|s| s.pid != pid) {
            // Inherited across fork(): its threads and locks belong to the parent. Dropping it can block
            // forever, so leak it; a worker forks at most once.
            if let Some(stale) = slot.take() {
                std::mem::forget(stale);
            }
        }
        let current = match slot.as_mut() {
            Some(current) => current,
            None => slot.insert(Slot {
                pid,
                value: init()?,
            }),
        };
        Ok(use_value(&mut current.value))
    }
}

impl<T> Default for ProcessLocal<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// How long an HTTP exchange may take before it fails (connect, then the whole request).
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// See [`HTTP_CONNECT_TIMEOUT`].
pub const HTTP_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

static HTTP_CLIENT: ProcessLocal<reqwest::blocking::Client> = ProcessLocal::new();

/// This worker's HTTP client: no redirects (oauth2 requires it, and it closes an SSRF hole), bounded timeouts.
/// The returned handle is a cheap clone, so no lock is held during a request.
///
/// # Errors
/// The client could not be built (the TLS backend failed to initialise).
pub fn http_client() -> Result<reqwest::blocking::Client, reqwest::Error> {
    HTTP_CLIENT.with(build_http_client, |client| client.clone())
}

fn build_http_client() -> Result<reqwest::blocking::Client, reqwest::Error> {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(HTTP_CONNECT_TIMEOUT)
        .timeout(HTTP_REQUEST_TIMEOUT)
        .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts its drops, to prove a stale value is forgotten rather than dropped.
    struct Tracked {
        generation: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn tracked(
        generation: usize,
        drops: &Arc<AtomicUsize>,
    ) -> impl FnOnce() -> Result<Tracked, String> {
        let drops = Arc::clone(drops);
        move || Ok(Tracked { generation, drops })
    }

    #[test]
    fn value_is_created_once_per_pid() {
        let cell = ProcessLocal::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let first = cell.with_pid(100, tracked(1, &drops), |t| t.generation);
        let second = cell.with_pid(100, tracked(2, &drops), |t| t.generation);
        assert_eq!(first, Ok(1));
        assert_eq!(second, Ok(1), "same pid must reuse the value");
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_new_pid_rebuilds_and_forgets_the_stale_value() {
        let cell = ProcessLocal::new();
        let drops = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            cell.with_pid(100, tracked(1, &drops), |t| t.generation),
            Ok(1)
        );
        // As after fork(): the child sees a value created by its parent.
        assert_eq!(
            cell.with_pid(200, tracked(2, &drops), |t| t.generation),
            Ok(2)
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            0,
            "the stale value must be forgotten, not dropped"
        );
        assert_eq!(
            cell.with_pid(200, tracked(3, &drops), |t| t.generation),
            Ok(2)
        );
    }

    #[test]
    fn a_failed_init_leaves_the_cell_empty_for_the_next_call() {
        let cell: ProcessLocal<Tracked> = ProcessLocal::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let failed = cell.with_pid(100, || Err("no tls".to_owned()), |t| t.generation);
        assert_eq!(failed, Err("no tls".to_owned()));
        assert_eq!(
            cell.with_pid(100, tracked(5, &drops), |t| t.generation),
            Ok(5)
        );
    }

    #[test]
    fn the_value_is_mutable_in_place() {
        let cell = ProcessLocal::new();
        let bump = |n: &mut u32| {
            *n += 1;
            *n
        };
        assert_eq!(cell.with_pid(1, || Ok::<u32, ()>(0), bump), Ok(1));
        assert_eq!(cell.with_pid(1, || Ok::<u32, ()>(0), bump), Ok(2));
    }

    #[test]
    fn a_panic_inside_the_cell_does_not_lock_it_forever() {
        let cell = ProcessLocal::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = cell.with_pid(
                1,
                || Ok::<u32, ()>(0),
                |_: &mut u32| -> u32 { panic!("inside") },
            );
        }));
        assert!(caught.is_err());
        assert_eq!(cell.with_pid(1, || Ok::<u32, ()>(9), |n| *n), Ok(0));
    }
}
