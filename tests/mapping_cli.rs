//! `ml-connector map` and `ml-connector settings` exit codes and output, on real fixtures.

use std::process::Command;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woo/real");

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ml-connector"))
}

#[test]
fn map_prints_the_invoice_payment_and_credit_notes() {
    let out = bin()
        .args([
            "map",
            "--order",
            &format!("{REAL}/orders/70.json"),
            "--refund",
            &format!("{REAL}/refunds/70.json"),
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["key"], "woo:default:70");
    assert_eq!(
        v["customer_invoice"]["externalReference"]["value"],
        "woo:default:70"
    );
    assert_eq!(v["totals"]["gross_minor"], 651_899);
    // WooCommerce's VAT goes as tax detail lines (issue #14), so order 70 needs no rounding line; its VAT is
    // total_tax 1,210.67.
    assert_eq!(v["rounding"], serde_json::Value::Null);
    let vat: f64 = v["customer_invoice"]["taxDetailLines"]
        .as_array()
        .expect("taxDetailLines")
        .iter()
        .filter_map(|d| d["vatAmount"]["value"].as_f64())
        .sum();
    assert!((vat - 1210.67).abs() < 0.001, "{vat}");
    assert_eq!(v["credit_notes"][0]["key"], "woo:default:refund:367");
    assert_eq!(v["payment"]["paymentAmount"]["value"], 6518.99);
}

#[test]
fn map_exits_1_on_a_mapping_error_and_2_on_bad_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = ml_connector::settings::EXAMPLE_TOML;
    let no_rounding = dir.path().join("no-rounding.toml");
    // Without VAT ids Visma computes the VAT, order 70 is 0.01 off, and there is no rounding account for it.
    let text = example.replacen("rounding = \"3740\"", "", 1);
    let start = text.find("vat_ids = {").expect("example has vat_ids");
    let end = start + text[start..].find('\n').expect("line end");
    std::fs::write(&no_rounding, format!("{}{}", &text[..start], &text[end..])).expect("write");
    let out = bin()
        .args([
            "map",
            "--order",
            &format!("{REAL}/orders/70.json"),
            "--settings",
        ])
        .arg(&no_rounding)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("order 70"));
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        example.replacen("category = \"31\"", "category = \"99\"", 1),
    )
    .expect("write");
    let out = bin()
        .args([
            "map",
            "--order",
            &format!("{REAL}/orders/70.json"),
            "--settings",
        ])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["settings", "--check"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn settings_example_prints_a_file_that_loads() {
    let out = bin()
        .args(["settings", "--example"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let s = ml_connector::settings::Settings::from_toml_str(&text).expect("example loads");
    assert_eq!(
        s.connection.map(|c| c.company_id),
        Some("1234567".to_owned())
    );
}

#[test]
fn drain_refuses_durations_that_would_overflow_with_a_usage_error() {
    // Issue #15: `--max-seconds u64::MAX` exited 101 (a panic).
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("q.sqlite");
    for args in [
        ["--max-seconds", "18446744073709551615"],
        ["--lease-secs", "18446744073709551615"],
        ["--lease-secs", "0"],
    ] {
        let out = bin()
            .args(["drain", "--db"])
            .arg(&db)
            .args(args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(args[0]) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn map_and_enqueue_give_one_verdict_and_one_message_for_bad_input() {
    // Issue #15: `map` accepted id −5 and read [1,2,3] as order 1 while `enqueue` refused both; an id above
    // i64::MAX was a store error.
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_order = format!("{{\"id\":5,\"meta_data\":{deep}}}");
    let cases = [
        (
            "negative id",
            r#"{"id":-5,"status":"processing"}"#.to_owned(),
            "id must be a positive integer",
        ),
        ("an array", "[1,2,3]".to_owned(), "invalid type"),
        (
            "id above i64::MAX",
            r#"{"id":9223372036854775808}"#.to_owned(),
            "id must be a positive integer",
        ),
        ("10k-deep JSON", deep_order, "nested deeper than 64"),
    ];
    for (name, body, want) in cases {
        let order = dir.path().join("order.json");
        std::fs::write(&order, &body).expect("write");
        let map = bin()
            .args(["map", "--order"])
            .arg(&order)
            .output()
            .expect("map runs");
        let enqueue = bin()
            .args(["enqueue", "--db"])
            .arg(dir.path().join("q.sqlite"))
            .arg("--order")
            .arg(&order)
            .output()
            .expect("enqueue runs");
        let reason = |out: &std::process::Output| {
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(!out.status.success(), "{name}: accepted");
            assert!(!text.contains("panicked"), "{name}: {text}");
            assert!(text.contains(want), "{name}: {text}");
            // The reason after the file name, the same from both doors.
            text.split(": ")
                .skip(1)
                .collect::<Vec<_>>()
                .join(": ")
                .trim()
                .to_owned()
        };
        let (m, e) = (reason(&map), reason(&enqueue));
        assert!(
            m.ends_with(&e) || e.ends_with(&m),
            "{name}: map {m:?} vs enqueue {e:?}"
        );
    }
    // A refund file with the array GET /orders/{id}/refunds returns: both take it.
    let order = format!("{REAL}/orders/70.json");
    let refunds = format!("{REAL}/refunds/70.json");
    let map = bin()
        .args(["map", "--order", &order, "--refund", &refunds])
        .output()
        .expect("map");
    assert_eq!(
        map.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&map.stderr)
    );
    let enqueue = bin()
        .args(["enqueue", "--db"])
        .arg(dir.path().join("q2.sqlite"))
        .args(["--refund", &refunds, "--of-order", &order])
        .output()
        .expect("enqueue");
    assert!(
        enqueue.status.success(),
        "{}",
        String::from_utf8_lossy(&enqueue.stderr)
    );
    assert!(String::from_utf8_lossy(&enqueue.stdout).contains("Inserted"));
}
