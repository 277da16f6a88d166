//! The queue's contract, intake side: idempotent enqueue (duplicates, newer and older revisions, bad payloads),
//! replay of failed and dead jobs, and the read side (list, counts, oldest pending). Time moves only by hand.

mod store_support;

use ml_connector::store::{
    payload_hash, Attempt, EnqueueOutcome, JobFilter, JobKind, JobState, RetryOutcome, Store,
    StoreError, StoreOptions,
};
use std::time::Duration;
use store_support::{at, job, posted, t0};

const LEASE: Duration = Duration::from_secs(60);

#[test]
fn the_same_payload_twice_is_one_job() {
    let s = store_support::queue();
    let first = s
        .enqueue(&job(JobKind::Order, 7, 100), t0())
        .expect("enqueue");
    let EnqueueOutcome::Inserted(id) = first else {
        panic!("expected Inserted, got {first:?}")
    };
    assert_eq!(
        s.enqueue(&job(JobKind::Order, 7, 100), at(1))
            .expect("again"),
        EnqueueOutcome::Duplicate(id)
    );
    assert_eq!(s.counts_by_state().expect("counts").pending, 1);
    let stored = s.get(id).expect("get").expect("exists");
    assert_eq!(
        stored.payload_hash,
        payload_hash(&job(JobKind::Order, 7, 100).payload)
    );
    assert_eq!(stored.attempts, 0);
}

#[test]
fn a_newer_revision_replaces_a_pending_job_and_an_older_one_is_ignored() {
    let s = store_support::queue();
    let id = s
        .enqueue(&job(JobKind::Order, 7, 100), t0())
        .expect("enqueue")
        .job_id();
    let newer = job(JobKind::Order, 7, 200);
    assert_eq!(
        s.enqueue(&newer, at(1)).expect("newer"),
        EnqueueOutcome::Replaced(id)
    );
    assert_eq!(
        s.get(id).expect("get").map(|j| (j.revision, j.payload)),
        Some((200, newer.payload.clone()))
    );
    assert_eq!(
        s.enqueue(&job(JobKind::Order, 7, 150), at(2))
            .expect("older"),
        EnqueueOutcome::Superseded(id)
    );
    assert_eq!(s.get(id).expect("get").map(|j| j.revision), Some(200));
    assert_eq!(s.counts_by_state().expect("counts").pending, 1);
}

#[test]
fn a_newer_revision_of_a_done_job_is_a_new_job() {
    let s = store_support::queue();
    let id = s
        .enqueue(&job(JobKind::Order, 7, 100), t0())
        .expect("enqueue")
        .job_id();
    let claimed = s.claim("w1", t0(), LEASE, 10).expect("claim");
    s.complete(
        &claimed[0].lease,
        at(1),
        &posted(JobKind::Order, 7, "100001"),
    )
    .expect("complete");
    let again = s
        .enqueue(&job(JobKind::Order, 7, 300), at(2))
        .expect("edited");
    let EnqueueOutcome::Inserted(new_id) = again else {
        panic!("expected Inserted, got {again:?}")
    };
    assert_ne!(new_id, id);
    assert_eq!(
        s.get(id).expect("get").map(|j| j.state),
        Some(JobState::Done)
    );
    // The original payload again is still the done job, not a third one.
    assert_eq!(
        s.enqueue(&job(JobKind::Order, 7, 100), at(3)).expect("dup"),
        EnqueueOutcome::Duplicate(id)
    );
}

#[test]
fn a_payload_that_is_not_json_is_rejected_and_nothing_is_written() {
    let s = store_support::queue();
    let mut bad = job(JobKind::Order, 1, 1);
    bad.payload = "{not json".into();
    let err = s.enqueue(&bad, t0()).expect_err("must fail");
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "payload",
                ..
            }
        ),
        "got {err:?}"
    );
    assert_eq!(s.counts_by_state().expect("counts"), Default::default());
    assert_eq!(s.audit_count().expect("audit"), 0);
}

#[test]
fn replay_requeues_failed_and_dead_jobs_only() {
    let s = Store::open_in_memory_with(&StoreOptions {
        max_attempts: 1,
        ..Default::default()
    })
    .expect("open");
    let failed = s
        .enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("e")
        .job_id();
    let dead = s
        .enqueue(&job(JobKind::Order, 2, 1), t0())
        .expect("e")
        .job_id();
    let pending = s
        .enqueue(&job(JobKind::Order, 3, 1), at(500))
        .expect("e")
        .job_id();
    let got = s.claim("w", t0(), LEASE, 2).expect("claim");
    s.fail(
        &got[0].lease,
        at(10),
        "VAT category 3 does not exist in Visma",
        &Attempt::default(),
    )
    .expect("fail");
    assert_eq!(
        s.retry_later(
            &got[1].lease,
            at(20),
            at(30),
            "HTTP 500",
            &Attempt::default()
        )
        .expect("retry"),
        RetryOutcome::Dead
    );
    assert!(matches!(
        s.replay(pending, at(30)),
        Err(StoreError::StateConflict {
            actual: JobState::Pending,
            ..
        })
    ));
    assert!(matches!(
        s.replay(ml_connector::store::JobId::new(999), at(30)),
        Err(StoreError::NotFound { .. })
    ));

    s.replay(failed, at(40)).expect("replay");
    let j = s.get(failed).expect("get").expect("exists");
    assert_eq!(
        (j.state, j.attempts, j.next_attempt_at),
        (JobState::Pending, 0, at(40))
    );
    assert_eq!(
        j.last_error.as_deref(),
        Some("VAT category 3 does not exist in Visma")
    );
    assert!(matches!(
        s.replay(failed, at(41)),
        Err(StoreError::StateConflict { .. })
    ));

    // Only the dead job changed at or after t0+15s is still failed/dead.
    assert_eq!(
        s.replay_failed(Some(at(25)), at(50))
            .expect("replay failed"),
        Vec::new()
    );
    assert_eq!(
        s.replay_failed(Some(at(15)), at(50))
            .expect("replay failed"),
        [dead]
    );
    assert_eq!(s.counts_by_state().expect("counts").pending, 3);
}

#[test]
fn list_counts_and_oldest_pending_read_back_what_was_stored() {
    let s = store_support::queue();
    let ids: Vec<_> = (1..=5)
        .map(|w| {
            s.enqueue(
                &job(JobKind::Order, w, 1),
                at(i64::try_from(w).expect("small")),
            )
            .expect("e")
            .job_id()
        })
        .collect();
    s.enqueue(&job(JobKind::Customer, 1, 1), at(10))
        .expect("customer");
    let c = s.claim("w", at(20), LEASE, 1).expect("claim").remove(0);
    s.fail(
        &c.lease,
        at(21),
        "customer 1043 is on hold",
        &Attempt::default(),
    )
    .expect("fail");
    let counts = s.counts_by_state().expect("counts");
    assert_eq!(
        (
            counts.pending,
            counts.failed,
            counts.running,
            counts.done,
            counts.dead
        ),
        (5, 1, 0, 0, 0)
    );
    assert_eq!(
        s.oldest_pending().expect("oldest").map(|j| j.id),
        Some(ids[0])
    );
    let page1 = s
        .list(&JobFilter {
            kind: Some(JobKind::Order),
            limit: 2,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        page1.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let page2 = s
        .list(&JobFilter {
            kind: Some(JobKind::Order),
            limit: 2,
            before: Some(ids[3]),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        page2.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    let failed = s
        .list(&JobFilter {
            state: Some(JobState::Failed),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        failed
            .iter()
            .map(|j| (j.kind, j.woo_id))
            .collect::<Vec<_>>(),
        [(JobKind::Customer, 1)]
    );
    let by_woo = s
        .list(&JobFilter {
            woo_id: Some(3),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(by_woo.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[2]]);
}

#[test]
fn a_newer_revision_of_a_failed_job_starts_it_over() {
    let s = store_support::queue();
    let id = s
        .enqueue(&job(JobKind::Order, 7, 100), t0())
        .expect("enqueue")
        .job_id();
    let c = s.claim("w", t0(), LEASE, 1).expect("claim").remove(0);
    s.fail(
        &c.lease,
        at(1),
        "VAT category 3 does not exist in Visma",
        &Attempt::default(),
    )
    .expect("fail");
    let fixed = job(JobKind::Order, 7, 200);
    assert_eq!(
        s.enqueue(&fixed, at(2)).expect("fixed"),
        EnqueueOutcome::Replaced(id)
    );
    let j = s.get(id).expect("get").expect("exists");
    assert_eq!(
        (j.state, j.attempts, j.revision, j.next_attempt_at),
        (JobState::Pending, 0, 200, at(2))
    );
    assert_eq!(j.payload, fixed.payload);
    assert_eq!(s.counts_by_state().expect("counts").failed, 0);
}
