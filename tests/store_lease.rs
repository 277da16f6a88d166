//! The queue's contract, worker side: claim order, leases (expiry, takeover, renewal, fencing by attempt),
//! retries and dead after N attempts, dependencies, one running job per entity, and the id map written with the
//! completion. Time moves only by hand.

mod store_support;

use ml_connector::store::{
    Attempt, Books, Completion, Dependency, EnqueueOutcome, JobKind, JobState, Lease, RetryOutcome,
    Store, StoreError, StoreOptions,
};
use std::time::Duration;
use store_support::{at, job, mapping, posted, t0};

const LEASE: Duration = Duration::from_secs(60);

#[test]
fn claim_takes_customers_then_orders_then_refunds_then_by_id() {
    let s = store_support::queue();
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
    let s = store_support::queue();
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
    let s = store_support::queue();
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
        .lookup_mapping(&Books::new("default", ""), JobKind::Order, 9)
        .expect("lookup")
        .is_none());
    s.complete(&fresh.lease, at(63), &posted(JobKind::Order, 9, "100009"))
        .expect("fresh completes");
    assert_eq!(
        s.get(fresh.job.id).expect("get").map(|j| j.state),
        Some(JobState::Done)
    );
    assert_eq!(
        s.lookup_mapping(&Books::new("default", ""), JobKind::Order, 9)
            .expect("lookup")
            .map(|m| m.mapping.visma_number),
        Some("100009".into())
    );
}

#[test]
fn renewing_a_lease_keeps_others_out() {
    let s = store_support::queue();
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
fn a_refund_waits_until_its_order_is_in_the_id_map() {
    let s = store_support::queue();
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
    let s = store_support::queue();
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
    let s = store_support::queue();
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
    let s = store_support::queue();
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
        s.lookup_document("", JobKind::Order, "100007")
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

/// Issue #8: a batch's outcomes are recorded in one transaction with the next claim. Each job under its own
/// savepoint: a lost lease leaves out only that job; a failed claim leaves the records written.
#[test]
fn records_and_the_next_claim_share_a_transaction_and_fail_apart() {
    use ml_connector::store::{Finished, NextClaim, Outcome, Recorded};
    let s = store_support::queue();
    for id in 1..=4 {
        s.enqueue(&job(JobKind::Order, id, 1), t0()).expect("e");
    }
    let first = s.claim("w1", t0(), LEASE, 2).expect("claim");
    assert_eq!(first.len(), 2);
    // Both leases run out and another worker takes the first job over.
    let taken = s.claim("w2", at(61), LEASE, 1).expect("takeover");
    assert_eq!(taken.first().map(|c| c.job.id), Some(first[0].job.id));
    let done = posted(JobKind::Order, first[0].job.woo_id, "100001");
    let also = posted(JobKind::Order, first[1].job.woo_id, "100002");
    let finished = [
        Finished {
            lease: &first[0].lease,
            now: at(62),
            outcome: Outcome::Complete(&done),
            notes: &[],
            mappings: &[],
        },
        Finished {
            lease: &first[1].lease,
            now: at(62),
            outcome: Outcome::Complete(&also),
            notes: &[],
            mappings: &[],
        },
    ];
    let next = NextClaim {
        owner: "w1",
        now: at(62),
        lease: LEASE,
        limit: 1,
    };
    let (recorded, claimed) = s
        .record_and_claim(&finished, Some(next))
        .expect("one transaction");
    assert!(matches!(recorded[0], Err(StoreError::LeaseLost { .. })));
    assert_eq!(recorded[1].as_ref().ok(), Some(&Recorded::Done));
    let claimed = claimed.expect("next claim");
    assert_eq!(claimed.len(), 1);
    assert_ne!(
        claimed[0].job.id, first[0].job.id,
        "w2's job is not claimed again"
    );
    let states = |id| s.get(id).expect("get").map(|j| j.state);
    assert_eq!(states(first[0].job.id), Some(JobState::Running));
    assert_eq!(states(first[1].job.id), Some(JobState::Done));

    // A claim that fails (no worker name) leaves the record written.
    let skipped = Completion::Skipped {
        reason: "status pending".into(),
    };
    let (recorded, claimed) = s
        .record_and_claim(
            &[Finished {
                lease: &claimed[0].lease,
                now: at(63),
                outcome: Outcome::Complete(&skipped),
                notes: &[],
                mappings: &[],
            }],
            Some(NextClaim { owner: "", ..next }),
        )
        .expect("records written");
    assert_eq!(recorded[0].as_ref().ok(), Some(&Recorded::Done));
    assert!(matches!(claimed, Err(StoreError::Invalid { .. })));
    // Job 3 done (skipped), job 4 still pending: the failed claim took nothing.
    let counts = s.counts_by_state().expect("counts");
    assert_eq!(
        (counts.done, counts.running, counts.pending),
        (2, 1, 1),
        "{counts:?}"
    );
}

#[test]
fn a_running_job_whose_lease_ran_out_counts_as_stalled_not_running() {
    // Issue #13: the queue page showed a killed worker's jobs as "running" for good.
    let s = store_support::queue();
    for id in 1..=2 {
        s.enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    assert_eq!(s.claim("w1", t0(), LEASE, 2).expect("claim").len(), 2);
    assert_eq!(
        s.stalled_count(at(59)).expect("count"),
        0,
        "leases still live"
    );
    assert_eq!(
        s.stalled_count(at(60)).expect("count"),
        2,
        "both leases ran out"
    );
    assert_eq!(s.counts_by_state().expect("counts").running, 2);
}

#[test]
fn a_live_workers_heartbeat_keeps_its_leases_and_a_dead_ones_run_out() {
    // Issue #16: the service's keeper extends what its engine holds, every few seconds, with short leases.
    let s = store_support::queue();
    for id in [1, 2, 3] {
        s.enqueue(&job(JobKind::Order, id, 1), t0())
            .expect("enqueue");
    }
    let short = Duration::from_secs(30);
    let alive = s.claim("alive", t0(), short, 2).expect("claim");
    assert_eq!(alive.len(), 2);
    let dead = s.claim("dead", t0(), short, 1).expect("claim").remove(0);
    assert!(s
        .claim_customer_creation("shop", "c|a@b", "alive", t0(), short)
        .expect("customer claim"));
    assert!(s
        .claim_customer_creation("shop", "c|x@y", "dead", t0(), short)
        .expect("customer claim"));
    // Beats at 20 s and 40 s: long past the first lease, the live worker's jobs and claim are still its own.
    assert_eq!(
        s.keep_leases_alive("alive", at(20), short).expect("beat"),
        2
    );
    assert_eq!(
        s.keep_leases_alive("alive", at(40), short).expect("beat"),
        2
    );
    let taken = s.claim("other", at(60), short, 10).expect("claim");
    assert_eq!(
        taken.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        vec![dead.job.id],
        "only the dead worker's job comes back"
    );
    assert!(!s
        .claim_customer_creation("shop", "c|a@b", "other", at(60), short)
        .expect("held"));
    assert!(s
        .claim_customer_creation("shop", "c|x@y", "other", at(60), short)
        .expect("the dead worker's claim ran out"));
    // A heartbeat after a lease ran out does not take it back from its new holder.
    assert_eq!(s.keep_leases_alive("dead", at(61), short).expect("beat"), 0);
    let first = alive.first().expect("claimed");
    s.complete(&first.lease, at(65), &posted(JobKind::Order, 1, "100001"))
        .expect("the live worker finishes: its lease still holds");
}
