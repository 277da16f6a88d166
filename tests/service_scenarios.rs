//! End-to-end scenarios of the connector service against the Visma.net simulator and the WooCommerce test
//! simulator: webhooks on, webhooks disabled after failures, a restart mid-stream. In each, every order lands in
//! Visma exactly once (counted by external reference in the simulator's store).

mod service_support;
mod woo_sim;

use service_support::{order, poll, wait_until, Harness, ORDERS, SECRET, STORE};
use std::collections::HashMap;

fn assert_each_once(docs: &HashMap<String, usize>, orders: &[u64]) {
    for id in orders {
        assert_eq!(
            docs.get(&format!("woo:{STORE}:{id}")),
            Some(&1),
            "order {id}: {docs:?}"
        );
    }
    assert!(
        docs.values().all(|n| *n == 1),
        "a document was posted twice: {docs:?}"
    );
}

#[test]
fn webhooks_on_every_order_lands_once() {
    // Polls only at start (reconcile every hour): the webhooks carry everything.
    let h = Harness::new(poll(3600, 3600, 3600));
    h.seed_refunds(&ORDERS);
    h.subscribe_all(SECRET);
    let svc = h.start();
    for id in ORDERS {
        let sent = h.woo.save_order(order(id));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent.first().and_then(|s| s.status), Some(200), "order {id}");
        // WooCommerce builds the payload at delivery time, so order.updated repeats the same body.
        let current = h.woo.state().orders.get(&id).cloned().expect("saved");
        let again = h.woo.deliver("order.updated", &current);
        assert_eq!(again.first().and_then(|s| s.status), Some(200));
    }
    let docs = h.wait_for_documents(&ORDERS);
    assert_each_once(&docs, &ORDERS);
    // 10 invoices + 4 credit notes (the refunds were fetched after order.created listed them).
    assert_eq!(docs.len(), 14, "{docs:?}");
    assert_eq!(h.jobs_of(ml_connector::store::queue::JobKind::Order), 10);
    let status = svc.status(STORE).expect("store");
    assert!(!status.polling, "{status:?}");
    assert!(status.last_delivery_at.is_some());
    svc.stop();
}

#[test]
fn webhooks_disabled_after_failures_polling_catches_every_order_none_twice() {
    // Health every second; polling every second once webhooks are unhealthy.
    let h = Harness::new(poll(1, 3600, 1));
    h.seed_refunds(&ORDERS);
    let hooks = h.subscribe_all(SECRET);
    let created_hook = *hooks.first().expect("order.created hook");
    let svc = h.start();
    let (first, rest) = ORDERS.split_at(3);
    for id in first {
        let sent = h.woo.save_order(order(*id));
        assert_eq!(sent.first().and_then(|s| s.status), Some(200));
    }
    // The shop's secret changes behind the service's back: every delivery now fails verification.
    for w in h.woo.state().webhooks.iter_mut() {
        w.secret = "changed-in-wp-admin".into();
    }
    let mut statuses = Vec::new();
    for id in rest {
        statuses.extend(h.woo.save_order(order(*id)).into_iter().map(|s| s.status));
    }
    assert_eq!(statuses, vec![Some(401); 7]);
    let hook = h.woo.webhook(created_hook).expect("hook");
    assert_eq!(
        (hook.status.as_str(), hook.failure_count),
        ("disabled", 6),
        "7th failure disables"
    );

    let docs = h.wait_for_documents(&ORDERS);
    assert_each_once(&docs, &ORDERS);
    assert_eq!(docs.len(), 14, "{docs:?}");
    wait_until("the store is in polling mode", || {
        svc.status(STORE).is_some_and(|s| s.polling)
    });
    let status = svc.status(STORE).expect("store");
    assert!(
        status
            .problems
            .iter()
            .any(|p| p.contains("order.created") && p.contains("disabled")),
        "{status:?}"
    );
    assert_eq!(status.last_rejection.as_deref(), Some("bad_signature"));
    let rejected = h
        .queue()
        .audit_entries(&ml_connector::store::AuditQuery {
            limit: 1000,
            ..Default::default()
        })
        .expect("audit")
        .into_iter()
        .filter(|e| {
            e.action == "rejected_webhook"
                && e.error
                    .as_deref()
                    .is_some_and(|m| m.starts_with("bad_signature"))
        })
        .count();
    assert_eq!(rejected, 7);
    svc.stop();
}

#[test]
fn service_restarted_mid_stream_loses_nothing() {
    let h = Harness::new(poll(3600, 3600, 3600));
    h.seed_refunds(&ORDERS);
    h.subscribe_all(SECRET);
    let (before, during) = ORDERS.split_at(5);
    let svc = h.start();
    for id in before {
        assert_eq!(
            h.woo.save_order(order(*id)).first().and_then(|s| s.status),
            Some(200)
        );
    }
    svc.stop();
    // Down: WooCommerce's deliveries fail and are never retried.
    for id in during {
        assert_eq!(
            h.woo.save_order(order(*id)).first().and_then(|s| s.status),
            None
        );
    }
    // The restarted service polls at start and finds what it missed; the queue kept the rest.
    let svc = h.start();
    let docs = h.wait_for_documents(&ORDERS);
    assert_each_once(&docs, &ORDERS);
    assert_eq!(docs.len(), 14, "{docs:?}");
    svc.stop();
}
