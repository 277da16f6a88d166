//! The embedding as two PHP-FPM workers see it: two `Host`s on one data directory. A secret saved through one
//! must be the one the other sends with (found by the WordPress suite: the second worker kept its old client).

use ml_connector::host::{Host, VISMA_SECRET};
use ml_connector::simulator::{SimConfig, Simulator};

#[test]
fn a_secret_saved_by_one_worker_is_used_by_the_other() {
    let sim = Simulator::start(SimConfig::default()).expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    // Visma mode against the local simulator: simulator mode never uses a saved secret (issue #13).
    let example: toml::Value =
        toml::from_str(ml_connector::settings::EXAMPLE_TOML).expect("example settings");
    let url = sim.base_url();
    let settings = serde_json::json!({
        "mode": "visma",
        "visma_client_id": "demo-client",
        "visma_tenant_id": "demo-tenant",
        "visma_company_id": "1234567",
        "visma_token_url": format!("{url}/connect/token"),
        "visma_api_base_url": url,
        "settings": example,
    })
    .to_string();
    let key = b"wordpress-salts-wordpress-salts";
    let mut worker_a = Host::open(&settings, dir.path(), key).expect("worker a");
    let mut worker_b = Host::open(&settings, dir.path(), key).expect("worker b");

    let unsaved = worker_a.test_connection();
    assert!(!unsaved.ok, "no secret saved yet");
    assert_eq!(unsaved.setting.as_deref(), Some("visma_client_secret"));
    worker_b
        .save_secret(VISMA_SECRET, "demo-secret")
        .expect("save");
    let first = worker_a.test_connection();
    assert!(first.ok, "demo credentials work: {:?}", first.error);

    worker_b
        .save_secret(VISMA_SECRET, "not-the-secret")
        .expect("save");
    let refused = worker_a.test_connection();
    assert!(!refused.ok, "worker a must send the newly saved secret");
    assert!(
        refused
            .error
            .as_deref()
            .unwrap_or("")
            .contains("invalid_client"),
        "{:?}",
        refused.error
    );

    worker_b
        .save_secret(VISMA_SECRET, "demo-secret")
        .expect("save");
    assert!(worker_a.test_connection().ok, "and the corrected one");
    assert!(worker_a.has_secret(VISMA_SECRET).expect("has"));
}

#[test]
fn a_changed_token_url_gets_no_secret_until_it_is_entered_again() {
    // Issue #15: a shop manager who points the token URL at their own server must not receive the saved secret.
    let good = Simulator::start(SimConfig::default()).expect("simulator");
    let other = Simulator::start(SimConfig::default()).expect("the other server");
    let dir = tempfile::tempdir().expect("tempdir");
    let example: toml::Value =
        toml::from_str(ml_connector::settings::EXAMPLE_TOML).expect("example settings");
    let settings_for = |token_base: &str| {
        serde_json::json!({
            "mode": "visma",
            "visma_client_id": "demo-client",
            "visma_tenant_id": "demo-tenant",
            "visma_company_id": "1234567",
            "visma_token_url": format!("{token_base}/connect/token"),
            "visma_api_base_url": good.base_url(),
            "settings": example,
        })
        .to_string()
    };
    let key = b"wordpress-salts-wordpress-salts";
    let mut host = Host::open(&settings_for(&good.base_url()), dir.path(), key).expect("host");
    host.save_secret(VISMA_SECRET, "demo-secret").expect("save");
    assert!(host.test_connection().ok);

    let mut moved = Host::open(&settings_for(&other.base_url()), dir.path(), key).expect("host");
    let refused = moved.test_connection();
    assert!(!refused.ok);
    assert_eq!(refused.setting.as_deref(), Some("visma_client_secret"));
    assert!(
        refused
            .error
            .as_deref()
            .unwrap_or("")
            .contains("enter the secret again"),
        "{:?}",
        refused.error
    );
    assert_eq!(
        other.inspect().tokens_issued,
        0,
        "the other server never saw the secret"
    );
    moved
        .save_secret(VISMA_SECRET, "demo-secret")
        .expect("entered again");
    assert!(
        moved.test_connection().ok,
        "sent once the merchant entered it for that URL"
    );
}

#[test]
fn recent_activity_is_the_newest_rows_and_an_order_box_sees_only_its_order() {
    // Issue #15: the admin's recent activity showed the oldest rows; order 117's box showed customer 117's rows.
    let dir = tempfile::tempdir().expect("tempdir");
    let example: toml::Value =
        toml::from_str(ml_connector::settings::EXAMPLE_TOML).expect("example settings");
    let settings = serde_json::json!({
        "mode": "simulator",
        "simulator_url": "http://127.0.0.1:9",
        "settings": example,
    })
    .to_string();
    let host = Host::open(&settings, dir.path(), b"wordpress-salts-wordpress-salts").expect("host");
    let order = |id: u64| format!(r#"{{"id":{id},"status":"processing"}}"#);
    for id in [101, 102, 103] {
        host.enqueue("order", &order(id), "hook", None)
            .expect("order");
    }
    host.enqueue(
        "customer",
        r#"{"id":103,"email":"c@d.example"}"#,
        "hook",
        None,
    )
    .expect("customer");
    let newest = host.audit(None, None, None, None, 2).expect("audit");
    let ids: Vec<Option<u64>> = newest.iter().map(|r| r.woo_id).collect();
    assert_eq!(
        ids,
        [Some(103), Some(103)],
        "the customer's row, then order 103's: {newest:?}"
    );
    assert_eq!(newest[0].kind, Some("customer"));
    let box_rows = host
        .audit(None, Some("order"), Some(103), None, 20)
        .expect("audit");
    assert!(!box_rows.is_empty());
    assert!(
        box_rows.iter().all(|r| r.kind == Some("order")),
        "{box_rows:?}"
    );
}
