//! A write transaction: the guard that rolls it back unless committed, and running a whole one again when the
//! database says that settles its failure.

use super::db::Db;
use super::{gate, Store, StoreError};
use std::time::Duration;

/// An open write transaction; rolls back when dropped uncommitted.
pub(crate) struct Tx<'a> {
    pub(super) db: &'a dyn Db,
    pub(super) open: bool,
    /// Given back after the transaction ended (fields drop after `Drop::drop`).
    pub(super) _turn: Option<gate::Turn>,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = dyn Db + 'a;
    fn deref(&self) -> &Self::Target {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.db.rollback();
        }
    }
}

/// How many times one transaction runs in all before its failure is reported.
const RUNS: u32 = 5;

impl Store {
    /// Runs `attempt`, one whole transaction, again while its failure is one that running it again settles: the
    /// server rolled it back to break a deadlock or a serialization conflict (MariaDB 1213 "try restarting
    /// transaction", PostgreSQL 40P01/40001; after a short pause), or `also` says so. Nothing of a failed run was
    /// written, so the runs are exact. At most [`RUNS`] runs.
    pub(super) fn run_again<T>(
        &self,
        also: impl Fn(&StoreError) -> bool,
        mut attempt: impl FnMut() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut runs = 1u32;
        loop {
            match attempt() {
                Err(e) if runs < RUNS => {
                    if let StoreError::Busy { source, .. } = &e {
                        if !source.asks_to_run_again() {
                            return Err(e);
                        }
                        std::thread::sleep(Duration::from_millis(2 * u64::from(runs)));
                    } else if !also(&e) {
                        return Err(e);
                    }
                }
                other => return other,
            }
            runs += 1;
        }
    }

    /// One write transaction: `body` runs inside it, then it commits (as `op` in errors); run again whole when
    /// the server rolled it back to break a deadlock ([`Store::run_again`]). `body` writes only through the
    /// transaction it is given, so a run that was rolled back leaves nothing behind.
    pub(super) fn write<T>(
        &self,
        op: &'static str,
        mut body: impl FnMut(&dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run_again(
            |_| false,
            || {
                let tx = self.begin()?;
                let value = body(&*tx)?;
                self.commit(tx, op)?;
                Ok(value)
            },
        )
    }
}
