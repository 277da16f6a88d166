//! The audit trail: one row per job change in the same transaction as the change (a change that fails leaves no
//! row, a row that cannot be written undoes the change), append-only, and queryable by job, entity and time.

mod store_support;

use ml_connector::store::{
    payload_hash, Attempt, AuditAction, AuditEvent, AuditQuery, Completion, JobKind, JobState,
    NewMapping, Store, StoreError,
};
use std::time::Duration;
use store_support::{at, job, t0};

const LEASE: Duration = Duration::from_secs(60);

fn actions(s: &Store, q: &AuditQuery) -> Vec<String> {
    s.audit_entries(q)
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn a_job_life_is_one_audit_row_per_change_with_the_call_facts() {
    let s = Store::open_in_memory().expect("open");
    let id = s
        .enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue")
        .job_id();
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("duplicate writes no row");
    s.enqueue(&job(JobKind::Order, 7, 2), t0())
        .expect("replace");
    let c = s.claim("w", at(1), LEASE, 1).expect("claim").remove(0);
    let call = Attempt {
        endpoint: Some("POST /v1/customerinvoice"),
        http_status: Some(503),
        duration_ms: Some(840),
    };
    s.retry_later(&c.lease, at(2), at(30), "visma answered HTTP 503", &call)
        .expect("retry");
    let c = s.claim("w", at(30), LEASE, 1).expect("claim").remove(0);
    let mapping = NewMapping {
        store_id: "default".into(),
        company: String::new(),
        kind: JobKind::Order.into(),
        woo_id: 7,
        visma_number: "100007".into(),
        external_ref: "woo:default:7".into(),
        payload_hash: payload_hash(&c.job.payload),
        posted_at: at(31),
    };
    let created = Attempt {
        endpoint: Some("POST /v1/customerinvoice"),
        http_status: Some(201),
        duration_ms: Some(95),
    };
    s.complete(
        &c.lease,
        at(31),
        &Completion::Posted {
            mapping,
            attempt: created,
        },
    )
    .expect("complete");

    let rows = s
        .audit_entries(&AuditQuery {
            job_id: Some(id),
            ..Default::default()
        })
        .expect("audit");
    let got: Vec<_> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        got,
        ["enqueued", "replaced", "claimed", "retry", "claimed", "posted"]
    );
    let retry = &rows[3];
    assert_eq!(
        (
            retry.endpoint.as_deref(),
            retry.http_status,
            retry.duration_ms,
            retry.error.as_deref()
        ),
        (
            Some("POST /v1/customerinvoice"),
            Some(503),
            Some(840),
            Some("visma answered HTTP 503")
        )
    );
    let post = &rows[5];
    assert_eq!(
        (post.http_status, post.visma_number.as_deref(), post.at),
        (Some(201), Some("100007"), at(31))
    );
    assert_eq!(
        (post.woo_kind, post.woo_id, post.store_id.as_deref()),
        (Some(JobKind::Order), Some(7), Some("default"))
    );
}

#[test]
fn a_refused_change_leaves_no_audit_row() {
    let s = Store::open_in_memory().expect("open");
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue");
    let stale = s.claim("a", t0(), LEASE, 1).expect("claim").remove(0);
    let fresh = s.claim("b", at(61), LEASE, 1).expect("reclaim").remove(0);
    let before = s.audit_count().expect("count");
    assert!(matches!(
        s.fail(&stale.lease, at(62), "late", &Attempt::default()),
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        s.complete(
            &stale.lease,
            at(62),
            &Completion::AlreadyPosted {
                visma_number: "1".into()
            }
        ),
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(s.audit_count().expect("count"), before);
    assert_eq!(
        actions(
            &s,
            &AuditQuery {
                woo_id: Some(7),
                ..Default::default()
            }
        ),
        ["enqueued", "claimed", "reclaimed"]
    );
    s.fail(
        &fresh.lease,
        at(63),
        "customer 1043 is on hold",
        &Attempt::default(),
    )
    .expect("fail");
    assert_eq!(s.audit_count().expect("count"), before + 1);
}

#[test]
fn an_audit_row_that_cannot_be_written_undoes_the_job_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let s = Store::open(&path).expect("open");
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue");
    let c = s.claim("w", t0(), LEASE, 1).expect("claim").remove(0);
    // Another connection makes every further audit insert fail.
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute_batch(
        "CREATE TRIGGER audit_jam BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'jammed'); END",
    )
    .expect("trigger");
    assert!(s.fail(&c.lease, at(1), "x", &Attempt::default()).is_err());
    assert!(s.enqueue(&job(JobKind::Order, 8, 1), at(1)).is_err());
    raw.execute_batch("DROP TRIGGER audit_jam")
        .expect("drop trigger");
    let j = s.get(c.job.id).expect("get").expect("exists");
    assert_eq!(
        (j.state, j.lease_owner.as_deref()),
        (JobState::Running, Some("w"))
    );
    assert_eq!(s.counts_by_state().expect("counts").pending, 0);
    s.fail(&c.lease, at(2), "x", &Attempt::default())
        .expect("works again");
}

#[test]
fn audit_rows_cannot_be_changed_or_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let s = Store::open(&path).expect("open");
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    assert!(raw
        .execute("UPDATE audit SET error = 'x' WHERE id = 1", [])
        .is_err());
    assert!(raw.execute("DELETE FROM audit WHERE id = 1", []).is_err());
    assert_eq!(s.audit_count().expect("count"), 1);
}

#[test]
fn events_are_queried_by_entity_job_and_time_and_long_errors_are_cut() {
    let s = Store::open_in_memory().expect("open");
    s.enqueue(&job(JobKind::Order, 7, 1), t0())
        .expect("enqueue");
    s.enqueue(&job(JobKind::Order, 8, 1), at(10))
        .expect("enqueue");
    s.audit(&AuditEvent {
        at: at(20),
        job_id: None,
        store_id: Some("default".into()),
        woo_kind: Some(JobKind::Order),
        woo_id: Some(8),
        action: AuditAction::RejectedWebhook,
        attempt: Attempt::default(),
        visma_number: None,
        error: Some("signature mismatch ".repeat(100)),
    })
    .expect("audit");
    assert_eq!(
        actions(
            &s,
            &AuditQuery {
                woo_id: Some(8),
                ..Default::default()
            }
        ),
        ["enqueued", "rejected_webhook"]
    );
    assert_eq!(
        actions(
            &s,
            &AuditQuery {
                since: Some(at(5)),
                ..Default::default()
            }
        ),
        ["enqueued", "rejected_webhook"]
    );
    assert_eq!(
        actions(
            &s,
            &AuditQuery {
                since: Some(at(15)),
                ..Default::default()
            }
        ),
        ["rejected_webhook"]
    );
    assert_eq!(
        actions(
            &s,
            &AuditQuery {
                woo_kind: Some(JobKind::Refund),
                ..Default::default()
            }
        ),
        Vec::<String>::new()
    );
    let rejected = s
        .audit_entries(&AuditQuery {
            since: Some(at(15)),
            ..Default::default()
        })
        .expect("audit");
    assert_eq!(
        rejected[0].error.as_deref().map(|e| e.chars().count()),
        Some(501)
    );
    assert_eq!(rejected[0].job_id, None);
}
