//! How a connection waits for another connection's write lock.
//!
//! Issue #8: SQLite's `busy_timeout` handler sleeps 1, 2, 5, 10 … ms between tries, while our write transactions
//! hold the lock for tens of microseconds. A checkout's enqueue that met a draining worker's commit slept a whole
//! millisecond, and drain workers sharing one file spent much of their time asleep (the overhead-ceiling bench
//! used about half of the machine's two cores). This handler tries again after 50 µs, then 250 µs, then every
//! millisecond, and gives up after the store's `busy_timeout` as before.
//!
//! SQLite's handler is a plain function, so the limit travels in a thread-local that [`Store`](super::Store) sets
//! before every use of its connection (a connection is used by one thread at a time).

use rusqlite::Connection;
use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// The busy limit of the connection this thread is using now.
    static LIMIT: Cell<Duration> = const { Cell::new(Duration::from_secs(5)) };
}

/// Installs the handler on `conn` (it replaces SQLite's `busy_timeout`).
pub(super) fn install(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(wait))
}

/// Makes `limit` the wait of the connection this thread uses next.
pub(super) fn set_limit(limit: Duration) {
    LIMIT.with(|l| l.set(limit));
}

/// Pause before try `n + 1` (0-based).
fn step(n: u32) -> Duration {
    match n {
        0..=9 => Duration::from_micros(50),
        10..=29 => Duration::from_micros(250),
        _ => Duration::from_millis(1),
    }
}

/// Sum of the pauses before try `n` (0-based): what SQLite has already waited when it calls with `n`.
fn waited_before(n: u32) -> Duration {
    let fine = n.min(10);
    let medium = n.clamp(10, 30) - 10;
    let coarse = n.saturating_sub(30);
    Duration::from_micros(50) * fine
        + Duration::from_micros(250) * medium
        + Duration::from_millis(1) * coarse
}

/// SQLite's busy callback: true = try again, false = give up with `SQLITE_BUSY`.
fn wait(count: i32) -> bool {
    let n = u32::try_from(count).unwrap_or(0);
    if waited_before(n) >= LIMIT.with(Cell::get) {
        return false;
    }
    std::thread::sleep(step(n));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_add_up_to_the_limit() {
        assert_eq!(waited_before(0), Duration::ZERO);
        assert_eq!(waited_before(1), Duration::from_micros(50));
        assert_eq!(waited_before(10), Duration::from_micros(500));
        assert_eq!(waited_before(30), Duration::from_micros(5500));
        assert_eq!(waited_before(31), Duration::from_micros(6500));
        let sum: Duration = (0..200).map(step).sum();
        assert_eq!(sum, waited_before(200));
        set_limit(Duration::from_millis(3));
        let tries = (0..)
            .take_while(|&n| waited_before(n) < Duration::from_millis(3))
            .count();
        assert_eq!(tries, 20, "50 µs × 10 + 250 µs × 10 = 3 ms");
        assert!(wait(0));
        assert!(!wait(20));
        set_limit(Duration::from_secs(5));
    }
}
