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
