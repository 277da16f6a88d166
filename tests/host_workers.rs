//! The embedding as two PHP-FPM workers see it: two `Host`s on one data directory. A secret saved through one
//! must be the one the other sends with (found by the WordPress suite: the second worker kept its old client).

use ml_connector::host::{Host, VISMA_SECRET};
use ml_connector::simulator::{SimConfig, Simulator};

#[test]
fn a_secret_saved_by_one_worker_is_used_by_the_other() {
    let sim = Simulator::start(SimConfig::default()).expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = format!(
        r#"{{"mode":"simulator","visma_api_base_url":"{}"}}"#,
        sim.base_url()
    );
    let key = b"wordpress-salts-wordpress-salts";
    let mut worker_a = Host::open(&settings, dir.path(), key).expect("worker a");
    let mut worker_b = Host::open(&settings, dir.path(), key).expect("worker b");

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
