//! `ml-connector simulate` as a merchant runs it: it prints where it listens and the demo credentials, serves a
//! token, and refuses impossible flags with exit code 2.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn simulate_prints_its_urls_and_serves_tokens() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--fault-seed", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn ml-connector");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let addr = first.rsplit(' ').next().expect("address").to_string();
    let rest: Vec<String> = lines.by_ref().take(9).map(|l| l.expect("utf-8")).collect();
    let printed = rest.join("\n");
    for needle in [
        "/connect/token",
        "/api/v3/SalesOrders",
        "demo-client",
        "demo-secret",
        "demo-tenant",
        "1234567",
    ] {
        assert!(
            printed.contains(needle),
            "{needle} missing from:\n{printed}"
        );
    }
    let token = reqwest::blocking::Client::new()
        .post(format!("http://{addr}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
        ])
        .send()
        .expect("token call");
    let status = token.status();
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(status, 200);
}

#[test]
fn impossible_rates_are_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--fault-rate", "1.5"])
        .output()
        .expect("run ml-connector");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fault_rate must be between 0 and 1"));
}
