//! The queue's contract: idempotent enqueue, claim order and leases, lease-checked completion, retries, dead after
//! N attempts, replay, dependencies, and the read side. Time moves only by hand.

mod store_support;

use ml_connector::store::{
    payload_hash, Attempt, Completion, Dependency, EnqueueOutcome, JobFilter, JobKind, JobState,
    Lease, NewMapping, RetryOutcome, Store, StoreError, StoreOptions,
};
use std::time::Duration;
use store_support::{at, job, t0};

const LEASE: Duration = Duration::from_secs(60);

fn mapping(kind: JobKind, woo_id: u64, number: &str) -> NewMapping {
    NewMapping {
        store_id: "default".into(),
        kind,
        woo_id,
        visma_number: number.into(),
        external_ref: format!("woo:default:{woo_id}"),
        payload_hash: payload_hash("{}"),
        posted_at: t0(),
    }
}

fn posted(kind: JobKind, woo_id: u64, number: &str) -> Completion {
    Completion::Posted {
        mapping: mapping(kind, woo_id, number),
        attempt: Attempt {
            endpoint: Some("POST /v1/customerinvoice"),
            http_status: Some(201),
            duration_ms: Some(12),
        },
    }
}

#[test]
fn the_same_payload_twice_is_one_job() {
    let s = Store::open_in_memory().expect("open");
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
    let s = Store::open_in_memory().expect("open");
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
    let s = Store::open_in_memory().expect("open");
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
    let s = Store::open_in_memory().expect("open");
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
fn claim_takes_customers_then_orders_then_refunds_then_by_id() {
    let s = Store::open_in_memory().expect("open");
    let refund = s
        .enqueue(&job(JobKind::Refund, 1, 1), t0())
        .expect("e")
        .job_id();
    let order_a = s
        .enqueue(&job(JobKind::Order, 2, 1), t0())
        .expect("e")
        .job_id();
    let payment = s
        .enqueue(&job(JobKind::Payment, 3, 1), t0())
        .expect("e")
        .job_id();
    let customer = s
        .enqueue(&job(JobKind::Customer, 4, 1), t0())
        .expect("e")
        .job_id();
    let order_b = s
        .enqueue(&job(JobKind::Order, 5, 1), t0())
        .expect("e")
        .job_id();
    let ids: Vec<_> = s
        .claim("w1", t0(), LEASE, 10)
        .expect("claim")
        .iter()
        .map(|c| c.job.id)
        .collect();
    assert_eq!(ids, [customer, order_a, order_b, refund, payment]);
    assert_eq!(
        s.claim("w2", t0(), LEASE, 10).expect("claim again").len(),
        0
    );
}

#[test]
fn claim_respects_limit_next_attempt_and_sets_the_lease() {
    let s = Store::open_in_memory().expect("open");
    for id in 1..=3 {
        s.enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    let got = s.claim("w1", t0(), LEASE, 2).expect("claim");
    assert_eq!(got.len(), 2);
    let c = &got[0];
    assert_eq!(c.job.state, JobState::Running);
    assert_eq!(c.job.attempts, 1);
    assert_eq!(c.lease.attempt, 1);
    assert_eq!(c.lease.owner, "w1");
    assert_eq!(c.job.lease_owner.as_deref(), Some("w1"));
    assert_eq!(c.lease.expires_at, at(60));
    assert_eq!(c.job.lease_expires_at, Some(at(60)));
    // A retried job is not due before its next attempt time.
    s.retry_later(&c.lease, at(1), at(100), "HTTP 503", &Attempt::default())
        .expect("retry");
    let third: Vec<_> = s
        .claim("w2", at(2), LEASE, 10)
        .expect("claim")
        .into_iter()
        .map(|c| c.job.woo_id)
        .collect();
    assert_eq!(third, [3]);
    let later: Vec<_> = s
        .claim("w3", at(99), LEASE, 10)
        .expect("claim")
        .into_iter()
        .map(|c| c.job.woo_id)
        .collect();
    // At 99 s the retried job is not due yet; the other two leases (to 60 s and 62 s) have expired.
    assert_eq!(later, [2, 3]);
    let last: Vec<_> = s
        .claim("w3", at(100), LEASE, 10)
        .expect("claim")
        .into_iter()
        .map(|c| (c.job.id, c.lease.attempt))
        .collect();
    assert_eq!(last, [(c.job.id, 2)]);
}

#[test]
fn an_expired_lease_is_reclaimed_and_the_stale_worker_cannot_finish() {
    let s = Store::open_in_memory().expect("open");
    s.enqueue(&job(JobKind::Order, 9, 1), t0())
        .expect("enqueue");
    let stale = s.claim("crashed", t0(), LEASE, 1).expect("claim").remove(0);
    assert!(s
        .claim("w2", at(59), LEASE, 1)
        .expect("still leased")
        .is_empty());
    let fresh = s.claim("w2", at(61), LEASE, 1).expect("reclaim").remove(0);
    assert_eq!(fresh.job.id, stale.job.id);
    assert_eq!(fresh.lease.attempt, 2);
    for err in [
        s.complete(&stale.lease, at(62), &posted(JobKind::Order, 9, "1"))
            .expect_err("stale complete"),
        s.fail(&stale.lease, at(62), "x", &Attempt::default())
            .expect_err("stale fail"),
        s.retry_later(&stale.lease, at(62), at(90), "x", &Attempt::default())
            .map(|_| ())
            .expect_err("stale retry"),
    ] {
        assert!(matches!(err, StoreError::LeaseLost { .. }), "got {err:?}");
    }
    // Same owner name, old attempt number: still refused (the attempt is the fencing token).
    let forged = Lease {
        owner: "w2".into(),
        ..stale.lease.clone()
    };
    assert!(matches!(
        s.fail(&forged, at(62), "x", &Attempt::default()),
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(s
        .lookup_mapping("default", JobKind::Order, 9)
        .expect("lookup")
        .is_none());
    s.complete(&fresh.lease, at(63), &posted(JobKind::Order, 9, "100009"))
        .expect("fresh completes");
    assert_eq!(
        s.get(fresh.job.id).expect("get").map(|j| j.state),
        Some(JobState::Done)
    );
    assert_eq!(
        s.lookup_mapping("default", JobKind::Order, 9)
            .expect("lookup")
            .map(|m| m.mapping.visma_number),
        Some("100009".into())
    );
}

#[test]
fn renewing_a_lease_keeps_others_out() {
    let s = Store::open_in_memory().expect("open");
    s.enqueue(&job(JobKind::Order, 9, 1), t0())
        .expect("enqueue");
    let c = s.claim("w1", t0(), LEASE, 1).expect("claim").remove(0);
    let renewed = s.renew_lease(&c.lease, at(50), LEASE).expect("renew");
    assert_eq!(renewed.expires_at, at(110));
    assert!(s.claim("w2", at(100), LEASE, 1).expect("claim").is_empty());
    s.complete(&renewed, at(105), &posted(JobKind::Order, 9, "100009"))
        .expect("complete");
}

#[test]
fn a_job_dies_after_max_attempts() {
    let s = Store::open_in_memory_with(&StoreOptions {
        max_attempts: 3,
        ..Default::default()
    })
    .expect("open");
    let id = s
        .enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("enqueue")
        .job_id();
    let mut outcomes = Vec::new();
    for round in 0..3 {
        let now = at(round * 100);
        let c = s.claim("w", now, LEASE, 1).expect("claim").remove(0);
        outcomes.push(
            s.retry_later(
                &c.lease,
                now,
                now + chrono::Duration::seconds(10),
                "HTTP 503",
                &Attempt::default(),
            )
            .expect("retry"),
        );
    }
    assert_eq!(
        outcomes,
        [
            RetryOutcome::Scheduled(at(10)),
            RetryOutcome::Scheduled(at(110)),
            RetryOutcome::Dead
        ]
    );
    let j = s.get(id).expect("get").expect("exists");
    assert_eq!(
        (j.state, j.attempts, j.last_error.as_deref()),
        (JobState::Dead, 3, Some("HTTP 503"))
    );
    assert!(s.claim("w", at(1000), LEASE, 1).expect("claim").is_empty());
}

#[test]
fn a_job_whose_worker_keeps_crashing_dies_instead_of_looping() {
    let s = Store::open_in_memory_with(&StoreOptions {
        max_attempts: 2,
        ..Default::default()
    })
    .expect("open");
    let id = s
        .enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("enqueue")
        .job_id();
    assert_eq!(s.claim("a", t0(), LEASE, 1).expect("1").len(), 1);
    assert_eq!(s.claim("b", at(61), LEASE, 1).expect("2").len(), 1);
    assert!(s.claim("c", at(200), LEASE, 1).expect("3").is_empty());
    assert_eq!(
        s.get(id).expect("get").map(|j| j.state),
        Some(JobState::Dead)
    );
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
fn a_refund_waits_until_its_order_is_in_the_id_map() {
    let s = Store::open_in_memory().expect("open");
    let mut refund = job(JobKind::Refund, 50, 1);
    refund.depends_on = Some(Dependency::Woo {
        kind: JobKind::Order,
        woo_id: 7,
    });
    let refund_id = s.enqueue(&refund, t0()).expect("refund").job_id();
    assert!(s.claim("w", t0(), LEASE, 10).expect("claim").is_empty());
    s.enqueue(&job(JobKind::Order, 7, 1), t0()).expect("order");
    let order = s.claim("w", t0(), LEASE, 10).expect("claim");
    assert_eq!(
        order.iter().map(|c| c.job.kind).collect::<Vec<_>>(),
        [JobKind::Order]
    );
    s.complete(&order[0].lease, at(1), &posted(JobKind::Order, 7, "100007"))
        .expect("complete");
    let next = s.claim("w", at(2), LEASE, 10).expect("claim");
    assert_eq!(
        next.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        [refund_id]
    );
    assert_eq!(
        next[0].job.depends_on,
        Some(Dependency::Woo {
            kind: JobKind::Order,
            woo_id: 7
        })
    );
}

#[test]
fn a_job_waits_for_the_job_it_depends_on() {
    let s = Store::open_in_memory().expect("open");
    let customer = s
        .enqueue(&job(JobKind::Customer, 1, 1), t0())
        .expect("c")
        .job_id();
    let mut order = job(JobKind::Order, 2, 1);
    order.depends_on = Some(Dependency::Job(customer));
    let order_id = s.enqueue(&order, t0()).expect("o").job_id();
    let first = s.claim("w", t0(), LEASE, 10).expect("claim");
    assert_eq!(
        first.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        [customer]
    );
    s.complete(
        &first[0].lease,
        at(1),
        &posted(JobKind::Customer, 1, "10001"),
    )
    .expect("complete");
    assert_eq!(
        s.claim("w", at(2), LEASE, 10)
            .expect("claim")
            .iter()
            .map(|c| c.job.id)
            .collect::<Vec<_>>(),
        [order_id]
    );
}

#[test]
fn only_one_job_per_entity_runs_at_a_time() {
    let s = Store::open_in_memory().expect("open");
    s.enqueue(&job(JobKind::Order, 7, 1), t0()).expect("first");
    let running = s.claim("w1", t0(), LEASE, 10).expect("claim").remove(0);
    // A newer revision arrives while the first is running: a new job, held back until the first finishes.
    let EnqueueOutcome::Inserted(second) = s
        .enqueue(&job(JobKind::Order, 7, 2), at(1))
        .expect("second")
    else {
        panic!("expected a new job");
    };
    assert!(s.claim("w2", at(2), LEASE, 10).expect("claim").is_empty());
    s.complete(&running.lease, at(3), &posted(JobKind::Order, 7, "100007"))
        .expect("complete");
    assert_eq!(
        s.claim("w2", at(4), LEASE, 10)
            .expect("claim")
            .iter()
            .map(|c| c.job.id)
            .collect::<Vec<_>>(),
        [second]
    );
}

#[test]
fn a_second_document_for_the_same_order_is_refused_and_the_job_stays_running() {
    let s = Store::open_in_memory().expect("open");
    s.record_mapping(&mapping(JobKind::Order, 7, "100007"))
        .expect("record");
    assert!(matches!(
        s.record_mapping(&mapping(JobKind::Order, 7, "100008")),
        Err(StoreError::AlreadyMapped { .. })
    ));
    // The same document number for another order is refused too.
    assert!(matches!(
        s.record_mapping(&mapping(JobKind::Order, 8, "100007")),
        Err(StoreError::AlreadyMapped { .. })
    ));
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue");
    let c = s.claim("w", t0(), LEASE, 1).expect("claim").remove(0);
    let audit_before = s.audit_count().expect("audit");
    let err = s
        .complete(&c.lease, at(1), &posted(JobKind::Order, 7, "100009"))
        .expect_err("duplicate document");
    assert!(
        matches!(err, StoreError::AlreadyMapped { woo_id: 7, .. }),
        "got {err:?}"
    );
    assert_eq!(
        s.get(c.job.id).expect("get").map(|j| j.state),
        Some(JobState::Running)
    );
    assert_eq!(s.audit_count().expect("audit"), audit_before);
    assert_eq!(
        s.lookup_document(JobKind::Order, "100007")
            .expect("doc")
            .map(|m| m.mapping.woo_id),
        Some(7)
    );
    // "Already posted" must name the document on record.
    let wrong = Completion::AlreadyPosted {
        visma_number: "100009".into(),
    };
    assert!(matches!(
        s.complete(&c.lease, at(2), &wrong),
        Err(StoreError::Invalid {
            field: "completion",
            ..
        })
    ));
    s.complete(
        &c.lease,
        at(2),
        &Completion::AlreadyPosted {
            visma_number: "100007".into(),
        },
    )
    .expect("no-op");
    let q = ml_connector::store::AuditQuery {
        job_id: Some(c.job.id),
        ..Default::default()
    };
    let rows = s.audit_entries(&q).expect("audit");
    assert_eq!(
        rows.last()
            .map(|r| (r.action.as_str(), r.visma_number.as_deref())),
        Some(("already_posted", Some("100007")))
    );
}

#[test]
fn list_counts_and_oldest_pending_read_back_what_was_stored() {
    let s = Store::open_in_memory().expect("open");
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
