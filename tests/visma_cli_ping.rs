//! `ml-connector visma ping` as a merchant runs it: against the built-in simulator (exit 0 and the company
//! report), with missing settings (exit 2 and the variable named), and with an unreachable host (exit 1).
//! Only 127.0.0.1 is contacted.

use std::process::Command;

fn ping(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ml-connector"));
    cmd.arg("visma").arg("ping").args(args);
    for var in [
        "VISMA_CLIENT_ID",
        "VISMA_CLIENT_SECRET",
        "VISMA_TENANT_ID",
        "VISMA_COMPANY_ID",
        "VISMA_TOKEN_URL",
        "VISMA_API_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ping_against_the_simulator_reports_the_demo_company() {
    let (code, stdout, stderr) = ping(&["--simulator"], &[]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(
        stdout.contains("company 1234567 (branch 1 Hovedkontor): 14 accounts, 6 VAT categories"),
        "stdout: {stdout}"
    );
}

#[test]
fn missing_settings_exit_2_naming_the_variable() {
    let (code, stdout, stderr) = ping(&[], &[]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("VISMA_CLIENT_ID: not set"),
        "stderr: {stderr}"
    );
}

#[test]
fn an_unreachable_host_exits_1_and_never_prints_the_secret() {
    let (code, stdout, stderr) = ping(
        &[],
        &[
            ("VISMA_CLIENT_ID", "demo-client"),
            ("VISMA_CLIENT_SECRET", "very-secret-value"),
            ("VISMA_TENANT_ID", "demo-tenant"),
            ("VISMA_TOKEN_URL", "http://127.0.0.1:9/connect/token"),
            ("VISMA_API_BASE_URL", "http://127.0.0.1:9"),
            ("VISMA_MAX_ATTEMPTS", "1"),
        ],
    );
    assert_eq!(code, 1, "stderr: {stderr}");
    assert!(
        stderr.contains("unreachable at 127.0.0.1"),
        "stderr: {stderr}"
    );
    assert!(!stdout.contains("very-secret-value") && !stderr.contains("very-secret-value"));
}
