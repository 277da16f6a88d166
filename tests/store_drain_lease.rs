//! Issue #16: several connector-service instances share one database; one at a time sends a store's jobs (its
//! rate limiter is then the company's whole budget). On every backend: the lease is held by one instance, renewed
//! by it, taken over when it runs out or is released, and two instances grabbing it at once get it once.

#[path = "engine_support/backends.rs"]
mod backends;

use backends::{Backend, TestDb};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(15);

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
        .expect("literal")
        .with_timezone(&Utc)
}

fn one_holder(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(backend, dir.path());
    let (a, b) = (db.open(), db.open());
    assert!(a.hold_drain_lease("a", t0(), TTL).expect("take"));
    assert!(!b.hold_drain_lease("b", t0(), TTL).expect("a holds it"));
    let renewed = t0() + chrono::Duration::seconds(10);
    assert!(a.hold_drain_lease("a", renewed, TTL).expect("renew"));
    let after_first_ttl = t0() + chrono::Duration::seconds(20);
    assert!(
        !b.hold_drain_lease("b", after_first_ttl, TTL)
            .expect("renewal counts"),
        "the renewal moved the expiry"
    );
    let dead = renewed + chrono::Duration::seconds(16);
    assert!(b
        .hold_drain_lease("b", dead, TTL)
        .expect("a died: b takes over"));
    b.release_drain_lease("b").expect("release");
    assert!(a
        .hold_drain_lease("a", dead, TTL)
        .expect("released: free at once"));

    // Eight instances at the same moment on an expired lease: exactly one gets it.
    let later = dead + chrono::Duration::seconds(60);
    let barrier = Arc::new(Barrier::new(8));
    let winners: usize = (0..8)
        .map(|i| {
            let (barrier, location) = (barrier.clone(), db.location.clone());
            std::thread::spawn(move || {
                let store = ml_connector::store::Store::open_location(
                    &location,
                    &ml_connector::store::StoreOptions::default(),
                )
                .expect("open");
                barrier.wait();
                loop {
                    match store.hold_drain_lease(&format!("i{i}"), later, TTL) {
                        Ok(got) => return usize::from(got),
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("lease: {e}"),
                    }
                }
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .sum();
    assert_eq!(winners, 1, "{backend:?}");
}

#[test]
fn sqlite_has_one_drain_lease_holder() {
    one_holder(Backend::Sqlite);
}

#[test]
fn mariadb_has_one_drain_lease_holder() {
    one_holder(Backend::MySql);
}

#[test]
fn postgres_has_one_drain_lease_holder() {
    one_holder(Backend::Postgres);
}
