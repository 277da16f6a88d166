//! Issue #16: a shop whose web servers each kept a SQLite queue moves one of them into the WordPress database; the
//! other servers' files are merged into that live queue. Nothing is lost (jobs still to send, notes, history,
//! what was posted), nothing is sent twice (a job the shared queue has, a posted order), and an order both servers
//! posted is shown as a conflict, never hidden. On SQLite, MariaDB and PostgreSQL as the shared queue.

mod store_support;

use ml_connector::secret::Secret;
use ml_connector::store::{
    Attempt, AuditQuery, Books, Dependency, JobFilter, JobKind, JobState, Key, Store, StoreError,
};
use std::time::Duration;
use store_support::backends::{Backend, TestDb};
use store_support::{at, job, posted, t0};

const LEASE: Duration = Duration::from_secs(60);

fn books() -> Books {
    Books::new("default", "")
}

/// The shared queue: order 1 posted as INV-1, order 2 pending, a cursor and a note of its own.
fn shared_queue(s: &Store) {
    for id in [1, 2] {
        s.enqueue(&job(JobKind::Order, id, 100), t0())
            .expect("enqueue");
    }
    let claimed = s.claim("a", at(1), LEASE, 1).expect("claim");
    assert_eq!(claimed[0].job.woo_id, 1);
    s.complete(
        &claimed[0].lease,
        at(2),
        &posted(JobKind::Order, 1, "INV-1"),
    )
    .expect("complete");
    s.set_cursor("default", "orders", "shared", t0())
        .expect("cursor");
    s.note_changed("default", JobKind::Order, 7, 0, t0())
        .expect("note");
}

/// Node b's own file: order 2 with the payload the shared queue has, order 3 pending and a refund that waits for
/// it, order 4 posted as INV-4, order 1 posted again as INV-99 (both nodes sent it), order 5 failed, order 6 at an
/// older revision than the shared queue's; a cursor, notes and the secret.
fn node_queue(s: &Store, key: &Key) -> u64 {
    let mut order3 = None;
    for (id, revision) in [(2, 100), (3, 100), (4, 100), (1, 101), (5, 100), (6, 50)] {
        let outcome = s
            .enqueue(&job(JobKind::Order, id, revision), t0())
            .expect("enqueue");
        if id == 3 {
            order3 = Some(outcome.job_id());
        }
    }
    let mut refund = job(JobKind::Refund, 30, 100);
    refund.depends_on = order3.map(Dependency::Job);
    s.enqueue(&refund, t0()).expect("refund");
    let claimed = s.claim("b", at(1), LEASE, 10).expect("claim");
    for c in &claimed {
        match c.job.woo_id {
            4 => s.complete(&c.lease, at(2), &posted(JobKind::Order, 4, "INV-4")),
            1 => s.complete(&c.lease, at(2), &posted(JobKind::Order, 1, "INV-99")),
            5 => s
                .fail(&c.lease, at(2), "Visma refused it", &Attempt::default())
                .map(|_| ()),
            _ => s
                .retry_later(&c.lease, at(2), at(2), "later", &Attempt::default())
                .map(|_| ()),
        }
        .expect("finish");
    }
    s.set_cursor("default", "orders", "node b", t0())
        .expect("cursor");
    s.set_cursor("default", "refunds", "node b", t0())
        .expect("cursor");
    s.note_changed("default", JobKind::Order, 7, 0, t0())
        .expect("note");
    s.note_changed("default", JobKind::Order, 8, 0, t0())
        .expect("note");
    s.put_credential("visma_client_secret", &Secret::new("s3cret"), key, t0())
        .expect("credential");
    s.audit_count().expect("audit")
}

fn merge_into(shared: &Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::generate();
    shared_queue(shared);
    // Order 6 is at revision 60 in the shared queue, newer than node b's 50.
    shared
        .enqueue(&job(JobKind::Order, 6, 60), t0())
        .expect("enqueue");
    let shared_audit = shared.audit_count().expect("audit");
    let node = Store::open(dir.path().join("node-b.sqlite")).expect("sqlite");
    let node_audit = node_queue(&node, &key);

    let merged = node
        .merge_into(shared, at(10))
        .expect("merge")
        .expect("merged");
    // Orders 2 (same payload) and 6 (older revision) were there; 3, 4, 1@101, 5 and the refund arrive.
    assert_eq!(
        (merged.jobs, merged.jobs_already_there),
        (5, 2),
        "{merged:?}"
    );
    assert_eq!(
        merged.unfinished, 3,
        "order 3, the refund, failed order 5: {merged:?}"
    );
    assert_eq!((merged.mappings, merged.notes), (1, 1), "{merged:?}");
    assert_eq!(merged.audit, node_audit);
    assert_eq!(merged.conflicts.len(), 1, "{merged:?}");
    assert!(
        merged.conflicts[0].contains("as INV-99 by the queue merged in and as INV-1 by this one"),
        "{:?}",
        merged.conflicts
    );

    // What was posted stays posted: the shared queue's document for order 1, node b's for order 4, on its job.
    let one = shared
        .lookup_mapping(&books(), JobKind::Order, 1)
        .expect("map")
        .expect("order 1");
    assert_eq!(
        one.mapping.visma_number, "INV-1",
        "the shared queue's row stays in force"
    );
    let four = shared
        .lookup_mapping(&books(), JobKind::Order, 4)
        .expect("map")
        .expect("order 4");
    assert_eq!(four.mapping.visma_number, "INV-4");
    let four_job = shared
        .get(four.job_id.expect("job"))
        .expect("job")
        .expect("there");
    assert_eq!((four_job.woo_id, four_job.state), (4, JobState::Done));

    // The conflict and the merge are in the audit, after every row of both queues.
    let audit = shared
        .audit_entries(&AuditQuery {
            limit: 10_000,
            ..AuditQuery::default()
        })
        .expect("audit");
    assert_eq!(audit.len() as u64, shared_audit + node_audit + 2);
    let conflict = audit
        .iter()
        .find(|e| e.action == "merge_conflict")
        .expect("conflict row");
    assert_eq!(
        (conflict.woo_id, conflict.visma_number.as_deref()),
        (Some(1), Some("INV-99"))
    );
    let summary = audit.last().expect("rows");
    assert_eq!(summary.action, "merged");
    assert!(
        summary
            .error
            .as_deref()
            .unwrap_or("")
            .contains("node-b.sqlite"),
        "{summary:?}"
    );

    // Cursors and notes: the shared queue's stay, node b's new ones arrive; the secret opens with the same key.
    assert_eq!(
        shared
            .cursor("default", "orders")
            .expect("c")
            .expect("c")
            .value,
        "shared"
    );
    assert_eq!(
        shared
            .cursor("default", "refunds")
            .expect("c")
            .expect("c")
            .value,
        "node b"
    );
    assert_eq!(shared.note_count().expect("notes"), 2);
    let secret = shared
        .get_credential("visma_client_secret", &key)
        .expect("secret")
        .expect("there");
    assert_eq!(secret.expose(), "s3cret");

    // Sending goes on from the shared queue: orders 2 and 3 once each, not 1, 4 or 6's old revision; the refund
    // waits for order 3's new job.
    let claimed = shared.claim("a", at(20), LEASE, 20).expect("claim");
    let mut woo: Vec<(JobKind, u64)> = claimed.iter().map(|c| (c.job.kind, c.job.woo_id)).collect();
    woo.sort();
    assert_eq!(
        woo,
        vec![
            (JobKind::Order, 2),
            (JobKind::Order, 3),
            (JobKind::Order, 6)
        ],
        "{woo:?}"
    );
    let order3 = claimed.iter().find(|c| c.job.woo_id == 3).expect("order 3");
    let refunds = shared
        .list(&JobFilter {
            kind: Some(JobKind::Refund),
            ..JobFilter::default()
        })
        .expect("jobs");
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0].depends_on,
        Some(Dependency::Job(order3.job.id)),
        "the refund waits for order 3's job in the shared queue"
    );
    let failed = shared
        .list(&JobFilter {
            state: Some(JobState::Failed),
            ..JobFilter::default()
        })
        .expect("jobs");
    assert_eq!(
        failed.iter().map(|j| j.woo_id).collect::<Vec<_>>(),
        vec![5],
        "shown, to replay"
    );

    // Node b's file is merged once: it refuses writes (late ones go to the shared queue) and a second merge,
    // by this runner or another, finds nothing to do.
    assert!(matches!(
        node.enqueue(&job(JobKind::Order, 9, 1), at(30)),
        Err(StoreError::Moved { .. })
    ));
    let before = shared.audit_count().expect("audit");
    assert_eq!(node.merge_into(shared, at(31)).expect("again"), None);
    assert_eq!(
        shared.audit_count().expect("audit"),
        before,
        "nothing merged twice"
    );
}

#[test]
fn a_second_servers_queue_merges_into_a_shared_sqlite_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    merge_into(&Store::open(dir.path().join("shared.sqlite")).expect("sqlite"));
}

#[test]
fn a_second_servers_queue_merges_into_the_wordpress_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestDb::new(Backend::MySql, dir.path());
    merge_into(&server.open());
}

#[test]
fn a_second_servers_queue_merges_into_postgres() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestDb::new(Backend::Postgres, dir.path());
    merge_into(&server.open());
}

#[test]
fn a_merge_that_fails_leaves_the_servers_queue_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = Store::open(dir.path().join("node.sqlite")).expect("node");
    node.enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("enqueue");
    // A destination that was itself moved away refuses the merge's transaction.
    let gone = Store::open(dir.path().join("gone.sqlite")).expect("gone");
    let elsewhere = Store::open(dir.path().join("elsewhere.sqlite")).expect("elsewhere");
    gone.move_into(&elsewhere, t0()).expect("move");
    let err = node.merge_into(&gone, at(1)).expect_err("refused");
    assert!(matches!(err, StoreError::Moved { .. }), "{err:?}");
    node.enqueue(&job(JobKind::Order, 2, 1), at(2))
        .expect("the node's queue was not marked merged");
    assert_eq!(node.counts_by_state().expect("counts").pending, 2);

    // A job being sent right now is waited for.
    let claimed = node.claim("w", at(3), LEASE, 1).expect("claim");
    let busy = node.merge_into(&elsewhere, at(4)).expect_err("live lease");
    assert!(busy.to_string().contains("sending"), "{busy}");
    node.retry_later(
        &claimed[0].lease,
        at(5),
        at(5),
        "later",
        &Attempt::default(),
    )
    .expect("release");
    let merged = node
        .merge_into(&elsewhere, at(6))
        .expect("merge")
        .expect("merged");
    assert_eq!(merged.unfinished, 2);
}
