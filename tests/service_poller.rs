//! The poller, the health check and `repair`, called directly (no service threads) against the WooCommerce
//! test simulator: paging, cursor and overlap, the queue's dedupe; a disabled, a missing and a foreign webhook
//! detected; repair re-creating and re-activating them with a fresh secret while the old one keeps verifying
//! for the grace period. Time is a manual clock.

mod woo_sim;

use chrono::{DateTime, Utc};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::secret::Secret;
use ml_connector::service::receiver::{Cell, Delivery};
use ml_connector::service::{health, poller, secrets};
use ml_connector::store::{Key, Store};
use ml_connector::woo::client::{AuthMode, WooClient, WooConfig};
use ml_connector::woo::webhook::{self, Topic};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use woo_sim::{WooSim, CK, CS};

const URL: &str = "https://connector.example/webhooks/woocommerce/shop";

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z")
        .expect("literal")
        .with_timezone(&Utc)
}

fn base_order() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/woo/real/orders/105.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn client(sim: &WooSim, secret: &str) -> WooClient {
    WooClient::new(&WooConfig {
        base_url: sim.base_url(),
        consumer_key: Secret::new(CK),
        consumer_secret: Secret::new(secret),
        auth: AuthMode::Basic,
        timeout: Duration::from_secs(5),
    })
    .expect("client")
}

fn cell(clock: &ManualClock, key: &Key) -> Cell {
    let (wake, _) = std::sync::mpsc::channel();
    let (follow, _) = std::sync::mpsc::channel();
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    Cell::new(
        "shop".into(),
        Store::open_in_memory().expect("store"),
        key.clone(),
        None,
        clock,
        wake,
        follow,
    )
}

#[test]
fn poller_pages_moves_its_cursor_and_queues_each_state_once() {
    // The shop's clock starts 10 minutes before ours; 150 orders are saved one second apart.
    let sim = WooSim::start(t0() - chrono::Duration::minutes(10));
    let clock = ManualClock::new(t0());
    let c = cell(&clock, &Key::generate());
    for id in 1000..1150u64 {
        let mut o = base_order();
        o["id"] = id.into();
        sim.save_order(o);
    }
    let woo = client(&sim, CS);
    let overlap = Duration::from_secs(120);
    let lookback = Duration::from_secs(3600);

    let first = poller::poll_orders(&c, &woo, overlap, lookback).expect("poll");
    assert_eq!(
        (first.orders_seen, first.queued, first.unchanged),
        (150, 150, 0)
    );
    let pages: Vec<String> = sim
        .state()
        .requests
        .iter()
        .filter(|r| r.starts_with("/orders?"))
        .cloned()
        .collect();
    assert_eq!(
        pages.len(),
        2,
        "per_page=100 and X-WP-TotalPages: {pages:?}"
    );
    let cursor = c
        .store()
        .cursor("shop", poller::ORDERS_CURSOR)
        .expect("cursor")
        .expect("set")
        .value;
    assert_eq!(
        cursor, "2026-11-24T07:52:30+00:00",
        "newest date_modified_gmt"
    );

    // Again: only the overlap window comes back (`modified_after` is exclusive: 120 orders), all already queued.
    let again = poller::poll_orders(&c, &woo, overlap, lookback).expect("poll");
    assert_eq!(
        (again.orders_seen, again.queued, again.unchanged),
        (120, 0, 120)
    );

    // One order changes: it alone is new.
    let mut changed = sim.state().orders.get(&1007).cloned().expect("order");
    changed["customer_note"] = "leave at the door".into();
    sim.save_order(changed);
    let third = poller::poll_orders(&c, &woo, overlap, lookback).expect("poll");
    assert_eq!(third.queued, 1);
    assert_eq!(c.store().counts_by_state().expect("counts").pending, 150);
}

#[test]
fn bad_keys_are_a_named_error_and_the_cursor_stays() {
    let sim = WooSim::start(t0());
    let clock = ManualClock::new(t0());
    let c = cell(&clock, &Key::generate());
    let err = poller::poll_orders(
        &c,
        &client(&sim, "cs_wrong"),
        Duration::ZERO,
        Duration::from_secs(60),
    )
    .expect_err("401");
    let text = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(
        text.contains("401") && text.contains("woocommerce_rest_cannot_view"),
        "{text}"
    );
    assert!(!err.is_retryable());
    assert!(!text.contains("cs_wrong"));
    assert_eq!(
        c.store()
            .cursor("shop", poller::ORDERS_CURSOR)
            .expect("cursor"),
        None
    );
}

#[test]
fn health_finds_bad_webhooks_and_repair_rotates_to_a_fresh_secret_with_a_grace_period() {
    let sim = WooSim::start(t0());
    let clock = ManualClock::new(t0());
    let key = Key::generate();
    let c = cell(&clock, &key);
    let woo = client(&sim, CS);
    let old = Secret::new("old-secret-still-in-woocommerce");
    secrets::rotate_webhook_secret(
        "shop",
        &old,
        Duration::from_secs(60),
        &c.store(),
        &key,
        clock.now(),
    )
    .expect("store secret");
    for t in Topic::ALL.iter().filter(|t| **t != Topic::CustomerDeleted) {
        sim.add_webhook(t.as_str(), URL, old.expose());
    }
    sim.add_webhook("customer.deleted", "https://elsewhere.example/hook", "x");
    if let Some(h) = sim.state().webhooks.get_mut(1) {
        h.status = "disabled".into();
        h.failure_count = 6;
    }
    assert!(health::check(&c, &woo, URL, 0));
    let status = c.status();
    assert_eq!(
        status.problems,
        vec![
            "order.updated: webhook 2 is disabled".to_owned(),
            "customer.deleted: no webhook delivers to this service".to_owned()
        ]
    );

    let report = health::repair(
        &woo,
        &c.store(),
        &key,
        "shop",
        URL,
        Duration::from_secs(60),
        clock.now(),
    )
    .expect("repair");
    assert_eq!(report.created, vec!["customer.deleted".to_owned()]);
    assert_eq!(report.updated, vec![1, 2, 3, 4, 5, 6]);
    let hooks = sim.state().webhooks.clone();
    let ours: Vec<_> = hooks.iter().filter(|h| h.delivery_url == URL).collect();
    assert_eq!(ours.len(), 7);
    assert!(ours.iter().all(|h| h.status == "active"));
    let fresh = ours.first().map(|h| h.secret.clone()).expect("hook");
    assert!(ours.iter().all(|h| h.secret == fresh) && fresh != old.expose() && fresh.len() == 48);
    assert!(!health::check(&c, &woo, URL, 0));
    assert!(
        health::check(&c, &woo, URL, 3),
        "changes only the poller saw make the webhooks silent"
    );

    // Both secrets verify during the grace period, only the fresh one after it.
    let body = woo_sim::php_json(&base_order());
    let deliver = |secret: &str| {
        let sig = webhook::sign(body.as_bytes(), &Secret::new(secret));
        c.handle(body.as_bytes(), Some(&sig), Some("order.updated"))
    };
    assert!(matches!(deliver(&fresh), Delivery::Queued { .. }));
    assert!(matches!(deliver(old.expose()), Delivery::Unchanged { .. }));
    clock.advance(Duration::from_secs(61));
    assert_eq!(
        deliver(old.expose()),
        Delivery::Rejected(webhook::WebhookRejection::BadSignature)
    );
}

#[test]
fn plain_http_requests_carry_an_oauth1_signature_woocommerce_accepts() {
    let sim = WooSim::start(t0());
    let woo = WooClient::new(&WooConfig {
        base_url: sim.base_url(),
        consumer_key: Secret::new(CK),
        consumer_secret: Secret::new(CS),
        auth: AuthMode::Auto,
        timeout: Duration::from_secs(5),
    })
    .expect("client");
    let orders = woo.orders_modified_after(t0()).expect("listed");
    assert!(orders.is_empty());
    let query = sim
        .state()
        .oauth_queries
        .first()
        .cloned()
        .expect("an OAuth request");
    assert!(!query.contains(CS), "the consumer secret never travels");
    // PHP parses the query as WordPress's $_GET does, then rebuilds the signature as
    // WC_REST_Authentication::check_oauth_signature() does.
    let url = format!("{}/wp-json/wc/v3/orders", sim.base_url());
    let out = std::process::Command::new("php")
        .arg("-r")
        .arg(
            r#"
            parse_str($argv[1], $params);
            $given = $params['oauth_signature'];
            unset($params['oauth_signature']);
            uksort($params, 'strcmp');
            $enc = function ($v) { return str_replace(array('+', '%7E'), array(' ', '~'), rawurlencode($v)); };
            $norm = array_combine(array_map($enc, array_keys($params)), array_map($enc, array_values($params)));
            $pairs = array();
            foreach ($norm as $k => $v) { $pairs[] = $enc($k . '=' . $v); }
            $string = 'GET&' . rawurlencode($argv[2]) . '&' . implode('%26', $pairs);
            $sig = base64_encode(hash_hmac('sha256', $string, $argv[3] . '&', true));
            echo hash_equals($sig, $given) ? 'valid ' : 'invalid ';
            echo $params['oauth_signature_method'], ' ', $params['oauth_consumer_key'], ' ', $params['dates_are_gmt'];
            "#,
        )
        .args([&query, &url, CS])
        .output()
        .expect("php8.2-cli is installed");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("valid HMAC-SHA256 {CK} true"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn one_poller_per_store_at_a_time() {
    use ml_connector::service::leases::PollLock;
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "public_url = \"http://127.0.0.1:1\"\ndata_dir = \"d\"\n[[stores]]\nid = \"shop\"\nurl = \"http://127.0.0.1:2\"\n";
    let config =
        ml_connector::service::ServiceConfig::from_toml_str(text, dir.path()).expect("config");
    std::fs::create_dir_all(&config.data_dir).expect("dir");
    let first = PollLock::try_acquire(&config, "shop").expect("free");
    assert!(
        PollLock::try_acquire(&config, "shop").is_none(),
        "held by the first poller"
    );
    assert!(
        PollLock::try_acquire(&config, "other").is_some(),
        "per store"
    );
    drop(first);
    assert!(
        PollLock::try_acquire(&config, "shop").is_some(),
        "released with its holder"
    );
}
