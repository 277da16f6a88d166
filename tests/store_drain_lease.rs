//! Issue #16: several connector-service instances share one database; one at a time sends a store's jobs (its
//! rate limiter is then the company's whole budget). On every backend: the lease is held by one instance, renewed
//! by it, taken over when it runs out or is released, and two instances grabbing it at once get it once.

#[path = "engine_support/backends.rs"]
mod backends;

use backends::{Backend, TestDb};
use chrono::{DateTime, Utc};
use ml_connector::store::InstanceLease;
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
    assert!(a
        .hold_lease(InstanceLease::Drain, "a", t0(), TTL)
        .expect("take"));
    assert!(!b
        .hold_lease(InstanceLease::Drain, "b", t0(), TTL)
        .expect("a holds it"));
    let renewed = t0() + chrono::Duration::seconds(10);
    assert!(a
        .hold_lease(InstanceLease::Drain, "a", renewed, TTL)
        .expect("renew"));
    let after_first_ttl = t0() + chrono::Duration::seconds(20);
    assert!(
        !b.hold_lease(InstanceLease::Drain, "b", after_first_ttl, TTL)
            .expect("renewal counts"),
        "the renewal moved the expiry"
    );
    let dead = renewed + chrono::Duration::seconds(16);
    assert!(b
        .hold_lease(InstanceLease::Drain, "b", dead, TTL)
        .expect("a died: b takes over"));
    // The poll lease is another lease: b may poll while it sends, and a may poll while b holds the drain.
    assert!(a
        .hold_lease(InstanceLease::Poll, "a", dead, TTL)
        .expect("poll lease"));
    assert!(!b
        .hold_lease(InstanceLease::Poll, "b", dead, TTL)
        .expect("a polls"));
    b.release_lease(InstanceLease::Drain, "b").expect("release");
    assert!(!a
        .hold_lease(InstanceLease::Poll, "b", dead, TTL)
        .expect("releasing the drain leaves the poll lease"));
    assert!(a
        .hold_lease(InstanceLease::Drain, "a", dead, TTL)
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
                    match store.hold_lease(InstanceLease::Drain, &format!("i{i}"), later, TTL) {
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
