//! Settings loading and validation against the bundled example (`src/settings/example.toml`).

use ml_connector::money::VatRate;
use ml_connector::settings::{Settings, SettingsError, EXAMPLE_TOML};

#[test]
fn example_settings_are_valid_and_match_the_demo_company() {
    let s = Settings::example().expect("example is valid");
    assert_eq!(s.store_id, "default");
    assert_eq!(s.category_rate("3"), Some(VatRate::from_percent(25)));
    assert_eq!(s.category_rate("33"), Some(VatRate::from_percent(12)));
    assert_eq!(s.accounts.rounding.as_deref(), Some("3740"));
    assert_eq!(
        s.payment_methods
            .get("bacs")
            .map(|p| p.payment_method_id.as_str()),
        Some("BANK")
    );
    assert_eq!(s.currency("nok").map(|c| c.decimals()).ok(), Some(2));
    assert!(s.currency("JPY").is_err());
}

fn broken(from: &str, to: &str) -> String {
    assert!(EXAMPLE_TOML.contains(from), "example holds {from}");
    EXAMPLE_TOML.replacen(from, to, 1)
}

#[test]
fn references_to_missing_things_fail_at_load_time() {
    let cases = [
        (
            broken("category = \"31\"", "category = \"99\""),
            "vat.rates[1].category",
        ),
        (
            broken("rounding = \"3740\"", "rounding = \"\""),
            "accounts.rounding",
        ),
        (
            broken("rounding = \"6\"", "rounding = \"3\""),
            "vat.rounding",
        ),
        (
            broken("store_id = \"default\"", "store_id = \"a:b\""),
            "store_id",
        ),
        (
            broken("\"33\" = \"12\"", "\"33\" = \"x\""),
            "vat.categories",
        ),
        (
            broken("identity = \"per_email\"", "identity = \"generic\""),
            "customer.generic_number",
        ),
        (
            broken("cash_account = \"1920\"", "cash_account = \"\""),
            "payment_methods.bacs",
        ),
        (
            broken("tax_class = \"low-rate\"", "category = \"Mat\""),
            "accounts.rules[1].category",
        ),
    ];
    for (text, key) in cases {
        match Settings::from_toml_str(&text) {
            Err(SettingsError::Invalid { key: k, .. }) => {
                assert!(k.starts_with(key), "{k} vs {key}")
            }
            other => panic!("expected Invalid {key}, got {other:?}"),
        }
    }
}

#[test]
fn unknown_keys_are_rejected_not_ignored() {
    let text = broken("[accounts]", "[accounts]\nsalse = \"3000\"");
    assert!(matches!(
        Settings::from_toml_str(&text),
        Err(SettingsError::Toml(_))
    ));
}

#[test]
fn json_of_the_same_shape_loads_the_same_settings() {
    let json = r#"{"base_country":"NO","base_currency":"NOK","currencies":["NOK"],
        "accounts":{"sales":"3000","shipping":"3700","fee":"3710"},
        "vat":{"categories":{"3":"25","6":"0"},"rates":[{"woo_rate_id":1,"category":"3"}],
               "not_taxable":"6","untaxed_domestic":"6","export":"6","reverse_charge":"6","rounding":"6"}}"#;
    let s = Settings::from_json_str(json).expect("valid JSON settings");
    assert_eq!(s.store_id, "default");
    assert_eq!(s.accounts.rounding, None);
    let bad = json.replace("\"category\":\"3\"", "\"category\":\"31\"");
    assert!(matches!(
        Settings::from_json_str(&bad),
        Err(SettingsError::Invalid { .. })
    ));
}

#[test]
fn a_settings_error_names_the_key_and_line_but_never_repeats_the_value() {
    // Issue #15: a secret typed into the settings file (where only the name of its variable belongs) was quoted
    // back in the error, and so in logs and on screens.
    let text = broken(
        "client_id = \"demo-client\"",
        "client_id = \"demo-client\"\nclient_secret = \"s3cr3t-canary\"",
    );
    let err = Settings::from_toml_str(&text)
        .expect_err("unknown key")
        .to_string();
    assert!(
        err.contains("client_secret") && err.contains("line "),
        "{err}"
    );
    assert!(!err.contains("s3cr3t-canary"), "{err}");
    let text = broken(
        "store_id = \"default\"",
        "store_id = 7\nbase_country = \"canary-two\"",
    );
    let err = Settings::from_toml_str(&text)
        .expect_err("wrong type")
        .to_string();
    assert!(!err.contains("canary"), "{err}");
}

#[test]
fn an_unknown_variant_is_not_repeated_either_in_toml_or_json() {
    // Found by fuzzing (fuzz/ config_parsing): serde names an unknown variant in backticks with the value typed.
    let text = broken(
        "business_model = \"customers\"",
        "business_model = \"canary-variant-value\"",
    );
    let err = Settings::from_toml_str(&text)
        .expect_err("unknown variant")
        .to_string();
    assert!(
        err.contains("unknown variant") && !err.contains("canary"),
        "{err}"
    );
    let json = r#"{"business_model":"canary-variant-value","base_country":"NO","base_currency":"NOK",
        "currencies":["NOK"],"accounts":{"sales":"3000","shipping":"3700","fee":"3710"},
        "vat":{"categories":{"6":"0"},"rates":[],"not_taxable":"6","untaxed_domestic":"6","export":"6",
               "reverse_charge":"6","rounding":"6"}}"#;
    let err = Settings::from_json_str(json)
        .expect_err("unknown variant")
        .to_string();
    assert!(
        err.contains("unknown variant") && !err.contains("canary"),
        "{err}"
    );
}
