//! Issue #16: storage that scales. Payloads are stored compressed and read back exactly; a done job's payload is
//! dropped after the retention period while pending and failed jobs keep theirs; on every backend
//! (`ML_TEST_BACKEND`).

mod store_support;

use ml_connector::store::{Attempt, JobKind, NewJob};
use std::time::Duration;
use store_support::{at, job, posted, queue, t0};

const LEASE: Duration = Duration::from_secs(60);

/// A real-sized order payload: 40 lines of WooCommerce-shaped JSON.
fn big(id: u64) -> NewJob {
    let lines: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"id":{i},"name":"Ullgenser – str. M «Fjell»","quantity":1,"total":"799.00","total_tax":"199.75","meta_data":[]}}"#))
        .collect();
    NewJob {
        payload: format!(
            r#"{{"id":{id},"status":"processing","line_items":[{}]}}"#,
            lines.join(",")
        ),
        ..job(JobKind::Order, id, 1)
    }
}

#[test]
fn payloads_read_back_exactly_and_done_ones_are_dropped_after_the_retention() {
    let s = queue();
    let (a, b, c) = (big(1), big(2), big(3));
    for j in [&a, &b, &c] {
        s.enqueue(j, t0()).expect("enqueue");
    }
    let claimed = s.claim("w", at(1), LEASE, 3).expect("claim");
    assert_eq!(claimed.len(), 3);
    for cl in &claimed {
        let want = [&a, &b, &c]
            .into_iter()
            .find(|j| j.woo_id == cl.job.woo_id)
            .expect("one of ours");
        assert_eq!(cl.job.payload, want.payload, "read back exactly");
    }
    let by_woo = |w: u64| claimed.iter().find(|c| c.job.woo_id == w).expect("claimed");
    s.complete(&by_woo(1).lease, at(2), &posted(JobKind::Order, 1, "INV-1"))
        .expect("done");
    s.fail(&by_woo(2).lease, at(2), "refused", &Attempt::default())
        .expect("failed");

    // Within the retention nothing goes; after it, only the done job's payload.
    assert_eq!(s.prune_payloads(at(1)).expect("prune"), 0);
    assert_eq!(s.prune_payloads(at(100)).expect("prune"), 1);
    let done = s.get(by_woo(1).job.id).expect("get").expect("row");
    assert_eq!(done.payload, "", "the done job's payload is gone");
    assert!(
        s.lookup_mapping(
            &ml_connector::store::Books::new("default", ""),
            JobKind::Order,
            1
        )
        .expect("id map")
        .is_some(),
        "what was posted stays"
    );
    let failed = s.get(by_woo(2).job.id).expect("get").expect("row");
    assert_eq!(
        failed.payload, b.payload,
        "a failed job keeps its payload for the replay"
    );
    let running = s.get(by_woo(3).job.id).expect("get").expect("row");
    assert_eq!(running.payload, c.payload);
    assert_eq!(s.prune_payloads(at(100)).expect("again"), 0, "once");
}

#[test]
fn stored_payloads_take_a_fraction_of_their_json() {
    let s = queue();
    let before = s.bytes_used().expect("size");
    let mut json = 0;
    for id in 1..=300 {
        let j = big(id);
        json += j.payload.len();
        s.enqueue(&j, t0()).expect("enqueue");
    }
    s.checkpoint().expect("checkpoint");
    let grew = s.bytes_used().expect("size") - before;
    eprintln!("{json} bytes of JSON took {grew} bytes");
    // Jobs, audit rows and indexes included, the queue grows by well under half the JSON it holds.
    assert!(
        grew * 2 < i64::try_from(json).expect("small"),
        "{json} bytes of JSON took {grew} bytes"
    );
}

/// A payload that cannot be read back (a damaged row) ends its job `failed`, saying why, once: the claim that finds
/// it still hands out the other jobs, and no later claim trips over it again.
#[test]
fn an_unreadable_payload_fails_its_job_and_the_claim_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let s = ml_connector::store::Store::open(&path).expect("open");
    for id in 1..=3 {
        s.enqueue(&big(id), t0()).expect("enqueue");
    }
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute(
        "UPDATE job_payloads SET payload = x'28b52ffd00deadbeef' WHERE job_id = 2",
        [],
    )
    .expect("damage one payload");
    drop(raw);
    let claimed = s.claim("w", at(1), LEASE, 3).expect("the claim goes on");
    let mut woo: Vec<u64> = claimed.iter().map(|c| c.job.woo_id).collect();
    woo.sort_unstable();
    assert_eq!(woo, vec![1, 3]);
    let counts = s.counts_by_state().expect("counts");
    assert_eq!((counts.running, counts.failed), (2, 1));
    // The reason is in the job's audit row (listing the job would read its payload again).
    let audit = s
        .audit_entries(&ml_connector::store::AuditQuery {
            woo_id: Some(2),
            ..Default::default()
        })
        .expect("audit");
    let last = audit.last().expect("rows");
    assert_eq!(last.action, "failed", "{last:?}");
    assert!(
        last.error
            .as_deref()
            .unwrap_or("")
            .contains("cannot be read"),
        "{last:?}"
    );
    assert!(s.claim("w", at(2), LEASE, 3).expect("again").is_empty());
}
