//! The webhook receiver over HTTP: the real captured deliveries and pings are accepted; forged, unsigned,
//! truncated, oversized, replayed and stale deliveries are refused or ignored with an audit row that names the
//! reason and never holds the body.

mod service_support;
mod woo_sim;

use base64::Engine as _;
use ml_connector::secret::Secret;
use ml_connector::store::AuditQuery;
use ml_connector::woo::webhook;
use serde_json::Value;
use service_support::{order, poll, Harness, STORE};

const REAL_SECRET: &str = "realwoo-webhook-secret-2026";

struct Reply {
    status: u16,
    text: String,
}

fn post(url: &str, body: &[u8], headers: &[(&str, String)]) -> Reply {
    let client = reqwest::blocking::Client::new();
    let mut req = client.post(url).body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().expect("service answers");
    Reply {
        status: r.status().as_u16(),
        text: r.text().unwrap_or_default(),
    }
}

fn signed(topic: &str, body: &[u8], secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".into()),
        ("X-WC-Webhook-Topic", topic.into()),
        (
            "X-WC-Webhook-Signature",
            webhook::sign(body, &Secret::new(secret)),
        ),
        ("X-WC-Webhook-ID", "2".into()),
    ]
}

/// Audit rows, oldest first.
fn audit(h: &Harness) -> Vec<(String, Option<u64>, String)> {
    let mut rows = h
        .queue()
        .audit_entries(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .expect("audit");
    rows.sort_by_key(|e| e.id);
    rows.into_iter()
        .map(|e| (e.action, e.woo_id, e.error.unwrap_or_default()))
        .collect()
}

fn rejected(h: &Harness) -> Vec<String> {
    audit(h)
        .into_iter()
        .filter(|(a, _, _)| a == "rejected_webhook")
        .map(|(_, _, e)| e)
        .collect()
}

#[test]
fn real_captures_are_accepted_and_queued() {
    let h = Harness::with_secret(poll(3600, 3600, 3600), REAL_SECRET);
    let svc = h.start();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/webhooks");
    let mut statuses = Vec::new();
    for n in 1..=8 {
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}/{n:02}.json")).expect("fixture"),
        )
        .expect("json");
        let body = base64::engine::general_purpose::STANDARD
            .decode(v["body_b64"].as_str().expect("body"))
            .expect("b64");
        let headers: Vec<(&str, String)> = [
            "Content-Type",
            "X-WC-Webhook-Topic",
            "X-WC-Webhook-Signature",
            "X-WC-Webhook-ID",
        ]
        .into_iter()
        .filter_map(|k| v["headers"][k].as_str().map(|s| (k, s.to_owned())))
        .collect();
        statuses.push(post(&h.delivery_url(), &body, &headers).status);
    }
    assert_eq!(statuses, vec![200; 8]);
    assert!(
        rejected(&h).iter().all(|e| e.starts_with("duplicate")),
        "{:?}",
        rejected(&h)
    );
    let queued: Vec<(String, Option<u64>)> = audit(&h)
        .into_iter()
        .filter(|(a, _, _)| a == "enqueued" || a == "replaced")
        .map(|(a, id, _)| (a, id))
        .collect();
    assert!(queued.iter().any(|(_, id)| *id == Some(399)), "{queued:?}");
    svc.stop();
}

#[test]
fn forged_unsigned_truncated_and_oversized_deliveries_are_refused_with_audit_rows() {
    let mut h = Harness::new(poll(3600, 3600, 3600));
    h.config.max_body_bytes = 64 * 1024;
    let svc = h.start();
    let url = h.delivery_url();
    let body = woo_sim::php_json(&order(105));

    let ping = post(
        &url,
        b"webhook_id=7",
        &[("Content-Type", "application/x-www-form-urlencoded".into())],
    );
    assert_eq!((ping.status, ping.text.as_str()), (200, "pong"));

    let forged = post(
        &url,
        body.as_bytes(),
        &signed("order.created", body.as_bytes(), "guessed"),
    );
    assert_eq!(
        (forged.status, forged.text.as_str()),
        (401, "bad_signature")
    );

    let unsigned = post(
        &url,
        body.as_bytes(),
        &[("X-WC-Webhook-Topic", "order.created".into())],
    );
    assert_eq!(
        (unsigned.status, unsigned.text.as_str()),
        (401, "missing_signature")
    );

    let headers = signed("order.created", body.as_bytes(), &h.secret);
    let cut = body.get(..body.len() / 2).expect("half");
    let truncated = post(&url, cut.as_bytes(), &headers);
    assert_eq!(
        (truncated.status, truncated.text.as_str()),
        (401, "bad_signature")
    );

    let big = format!("{{\"id\":105,\"pad\":\"{}\"}}", "x".repeat(100 * 1024));
    let oversized = post(
        &url,
        big.as_bytes(),
        &signed("order.created", big.as_bytes(), &h.secret),
    );
    assert_eq!(
        (oversized.status, oversized.text.as_str()),
        (413, "too_large")
    );

    let elsewhere = post(&url.replace(STORE, "other"), body.as_bytes(), &headers);
    assert_eq!(elsewhere.status, 404);

    let reasons: Vec<String> = rejected(&h)
        .into_iter()
        .map(|e| e.split(':').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "bad_signature",
            "missing_signature",
            "bad_signature",
            "too_large"
        ]
    );
    // No audit row carries the body (the billing email is in it).
    let email = order(105)["billing"]["email"]
        .as_str()
        .expect("email")
        .to_owned();
    assert!(audit(&h)
        .iter()
        .all(|(_, _, e)| !e.contains(&email) && !e.contains("pad")));
    assert_eq!(
        h.queue().counts_by_state().expect("counts").pending,
        0,
        "nothing refused was queued"
    );
    let status = svc.status(STORE).expect("store");
    assert_eq!(status.last_rejection.as_deref(), Some("too_large"));
    svc.stop();
}

#[test]
fn replayed_and_stale_deliveries_change_nothing_and_are_recorded() {
    let h = Harness::new(poll(3600, 3600, 3600));
    let svc = h.start();
    let url = h.delivery_url();
    let mut v1 = order(105);
    v1["date_modified_gmt"] = "2026-11-24T07:00:00".into();
    let mut v2 = v1.clone();
    v2["date_modified_gmt"] = "2026-11-24T07:05:00".into();
    v2["customer_note"] = "ring the bell".into();
    let (b1, b2) = (woo_sim::php_json(&v1), woo_sim::php_json(&v2));

    let first = post(
        &url,
        b1.as_bytes(),
        &signed("order.created", b1.as_bytes(), &h.secret),
    );
    assert_eq!((first.status, first.text.as_str()), (200, "queued"));
    let replay = post(
        &url,
        b1.as_bytes(),
        &signed("order.created", b1.as_bytes(), &h.secret),
    );
    assert_eq!(
        (replay.status, replay.text.as_str()),
        (200, "already queued")
    );
    let newer = post(
        &url,
        b2.as_bytes(),
        &signed("order.updated", b2.as_bytes(), &h.secret),
    );
    assert_eq!(newer.status, 200);
    let jobs_of_105 = || {
        let mut jobs = h
            .queue()
            .list(&ml_connector::store::JobFilter {
                woo_id: Some(105),
                ..Default::default()
            })
            .expect("jobs");
        jobs.sort_by_key(|j| j.id.get());
        jobs.into_iter()
            .map(|j| (j.id.get(), j.revision, j.payload))
            .collect::<Vec<_>>()
    };
    let before = jobs_of_105();
    // The old body again: either still queued as posted (duplicate) or older than the queued one (stale).
    let stale = post(
        &url,
        b1.as_bytes(),
        &signed("order.updated", b1.as_bytes(), &h.secret),
    );
    assert_eq!((stale.status, stale.text.as_str()), (200, "already queued"));
    let after = jobs_of_105();
    assert_eq!(before.len(), after.len());
    assert!(after
        .last()
        .is_some_and(|(_, rev, p)| *rev == 1_795_503_900 && p.contains("ring the bell")));

    let notes = rejected(&h);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes
            .first()
            .is_some_and(|n| n.starts_with("duplicate delivery")),
        "{notes:?}"
    );
    assert!(
        notes.get(1).is_some_and(|n| n.starts_with("stale delivery") || n.starts_with("duplicate delivery")),
        "{notes:?}"
    );

    // A deletion is recorded, not queued; an unhandled topic is accepted and recorded.
    let del = br#"{"id":105}"#;
    assert_eq!(
        post(&url, del, &signed("order.deleted", del, &h.secret)).status,
        202
    );
    let product = br#"{"id":15}"#;
    assert_eq!(
        post(
            &url,
            product,
            &signed("product.updated", product, &h.secret)
        )
        .status,
        202
    );
    let rows = audit(&h);
    assert!(rows
        .iter()
        .any(|(a, id, e)| a == "skipped" && *id == Some(105) && e.starts_with("order.deleted")));
    assert!(rejected(&h)
        .last()
        .is_some_and(|e| e.starts_with("unsupported_topic")));
    // customer.updated also fires for administrators (profile_update): recorded, never a Visma customer.
    let admin = br#"{"id":1,"role":"administrator","email":"admin@example.com"}"#;
    assert_eq!(
        post(&url, admin, &signed("customer.updated", admin, &h.secret)).status,
        202
    );
    let rows = audit(&h);
    assert!(rows
        .iter()
        .any(|(a, id, e)| a == "skipped" && *id == Some(1) && e.contains("administrator")));
    assert_eq!(h.jobs_of(ml_connector::store::queue::JobKind::Customer), 0);
    svc.stop();
}

#[test]
fn an_edited_topic_resource_or_source_header_is_refused_the_body_decides() {
    // Issue #15: WooCommerce signs only the body; an order delivery whose topic was edited to customer.created
    // was posted as a Visma customer.
    let h = Harness::new(poll(3600, 3600, 3600));
    let svc = h.start();
    let url = h.delivery_url();
    let body = woo_sim::php_json(&order(105));
    let mut as_customer = signed("customer.created", body.as_bytes(), service_support::SECRET);
    let edited = post(&url, body.as_bytes(), &as_customer);
    assert_eq!(
        (edited.status, edited.text.as_str()),
        (400, "topic_mismatch")
    );
    as_customer[1].1 = "order.created".into();
    let mut with_resource = as_customer.clone();
    with_resource.push(("X-WC-Webhook-Resource", "customer".into()));
    let wrong_resource = post(&url, body.as_bytes(), &with_resource);
    assert_eq!(
        (wrong_resource.status, wrong_resource.text.as_str()),
        (400, "topic_mismatch")
    );
    let mut elsewhere = as_customer.clone();
    elsewhere.push((
        "X-WC-Webhook-Source",
        "https://another-shop.example/".into(),
    ));
    let other_shop = post(&url, body.as_bytes(), &elsewhere);
    assert_eq!(
        (other_shop.status, other_shop.text.as_str()),
        (400, "source_mismatch")
    );
    let mut right = as_customer.clone();
    right.push(("X-WC-Webhook-Resource", "order".into()));
    right.push(("X-WC-Webhook-Source", format!("{}/", h.woo.base_url())));
    let good = post(&url, body.as_bytes(), &right);
    assert_eq!((good.status, good.text.as_str()), (200, "queued"));
    let reasons = rejected(&h);
    for r in ["topic_mismatch", "source_mismatch"] {
        assert!(reasons.iter().any(|e| e.starts_with(r)), "{reasons:?}");
    }
    svc.stop();
}
