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

#[test]
fn two_stores_in_one_service_each_post_to_their_own_visma_company() {
    use ml_connector::clock::{Clock, SystemClock};
    use ml_connector::service::{Service, ServiceConfig};
    use ml_connector::simulator::{SimConfig, Simulator};
    use std::sync::Arc;

    let (visma_a, visma_b) = (
        Simulator::start(SimConfig::default()).expect("visma a"),
        Simulator::start(SimConfig::default()).expect("visma b"),
    );
    let now = chrono::Utc::now() - chrono::Duration::hours(1);
    let (woo_a, woo_b) = (woo_sim::WooSim::start(now), woo_sim::WooSim::start(now));
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let store = |id: &str, woo: &str, visma: &str, secret_env: &str| {
        format!(
            "[[stores]]\nid = \"{id}\"\nurl = \"{woo}\"\nauth = \"basic\"\nconsumer_key_env = \"CK\"\n\
             consumer_secret_env = \"CS\"\nwebhook_secret_env = \"{secret_env}\"\nvisma_simulator = \"{visma}\"\n"
        )
    };
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\ndata_dir = \"data\"\n\
         [poll]\nreconcile_secs = 3600\nhealth_secs = 3600\ndrain_idle_ms = 50\ninitial_lookback_hours = 0\n{}{}",
        store("nord", &woo_a.base_url(), &visma_a.base_url(), "NORD_SECRET"),
        store("syd", &woo_b.base_url(), &visma_b.base_url(), "SYD_SECRET"),
    );
    let config = ServiceConfig::from_toml_str(&text, dir.path()).expect("config");
    let env: ml_connector::service::run::Env = Arc::new(|k: &str| match k {
        "CK" => Some(woo_sim::CK.to_owned()),
        "CS" => Some(woo_sim::CS.to_owned()),
        "NORD_SECRET" => Some("nord-secret".to_owned()),
        "SYD_SECRET" => Some("syd-secret".to_owned()),
        _ => None,
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let svc = Service::start(&config, env, clock).expect("service");
    woo_a.add_webhook("order.created", &config.delivery_url("nord"), "nord-secret");
    // No lookback: the start-up polls find nothing, so only webhooks bring orders here.
    // The second shop's webhook signs with the first shop's secret: refused, never crossing stores.
    woo_b.add_webhook("order.created", &config.delivery_url("syd"), "nord-secret");
    assert_eq!(
        woo_a.save_order(order(105)).first().and_then(|s| s.status),
        Some(200)
    );
    assert_eq!(
        woo_b.save_order(order(113)).first().and_then(|s| s.status),
        Some(401)
    );
    if let Some(h) = woo_b.state().webhooks.get_mut(0) {
        h.secret = "syd-secret".into();
    }
    assert_eq!(
        woo_b.save_order(order(222)).first().and_then(|s| s.status),
        Some(200)
    );

    let refs = |sim: &ml_connector::simulator::RunningSimulator| -> Vec<String> {
        sim.inspect()
            .store
            .invoices
            .iter()
            .map(|d| {
                let r = &d["externalReference"];
                r.as_str()
                    .or_else(|| r["value"].as_str())
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    };
    wait_until("both companies have their invoice", || {
        !refs(&visma_a).is_empty() && !refs(&visma_b).is_empty()
    });
    assert_eq!(refs(&visma_a), vec!["woo:nord:105".to_owned()]);
    assert_eq!(refs(&visma_b), vec!["woo:syd:222".to_owned()]);
    assert!(config.db_path("nord").exists() && config.db_path("syd").exists());
    svc.stop();
}
