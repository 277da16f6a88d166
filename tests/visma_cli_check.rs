//! `ml-connector visma check --settings F` (issue #14): every Visma id of a settings file is checked against the
//! company, and each one the company does not have is named with its setting. Against the built-in simulator
//! seeded with the Nordlys company, whose ids all differ from the default's. Only 127.0.0.1 is contacted.

use std::process::Command;

const NORDLYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/visma/seed-nordlys.json"
);

/// Settings that use only ids of the Nordlys company.
const FITS_NORDLYS: &str = r#"
base_country = "NO"
base_currency = "NOK"
currencies = ["NOK"]
[customer]
class_id = "DOM"
foreign_class_id = "INT"
credit_terms_id = "KONTANT"
[accounts]
sales = "3001"
shipping = "3701"
fee = "3711"
rounding = "3741"
[[accounts.rules]]
tax_class = "reduced-rate"
account = "3011"
[vat]
categories = { "H" = "25", "M" = "15", "U" = "0", "E" = "0" }
not_taxable = "U"
export = "E"
rounding = "U"
[[vat.rates]]
woo_rate_id = 1
category = "H"
[payment_methods.bacs]
payment_method_id = "BANKOVF"
cash_account = "1921"
[subaccounts]
item = ["11", "110"]
rounding = ["01", "210"]
[invoice]
branch_number = "2"
"#;

fn check(settings: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("settings.toml");
    std::fs::write(&path, settings).expect("write settings");
    let out = Command::new(env!("CARGO_BIN_EXE_ml-connector"))
        .args([
            "visma",
            "check",
            "--simulator",
            "--seed",
            NORDLYS,
            "--settings",
        ])
        .arg(&path)
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn settings_with_the_companys_ids_pass() {
    let (code, stdout, stderr) = check(FITS_NORDLYS);
    assert_eq!(code, 0, "stdout: {stdout} stderr: {stderr}");
    assert!(stdout.contains("every id"), "{stdout}");
}

#[test]
fn each_unknown_id_is_named_with_its_setting() {
    let edited = FITS_NORDLYS
        .replace("sales = \"3001\"", "sales = \"3000\"")
        .replace("class_id = \"DOM\"", "class_id = \"1\"")
        .replace("item = [\"11\", \"110\"]", "item = [\"11\", \"999\"]")
        .replace("cash_account = \"1921\"", "cash_account = \"1920\"");
    let (code, stdout, stderr) = check(&edited);
    assert_eq!(code, 1, "stdout: {stdout} stderr: {stderr}");
    for line in [
        "setting `accounts.sales`: account \"3000\" is not in the Visma company",
        "setting `customer.class_id`: customer class \"1\" is not in the Visma company",
        "setting `payment_methods.bacs.cash_account`: cash account \"1920\" is not in the Visma company",
        "setting `subaccounts.item[1]`: subaccount segment value \"999\" is not in the Visma company",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in {stdout}");
    }
    assert_eq!(
        stdout.lines().count(),
        4,
        "nothing else is reported: {stdout}"
    );
    assert!(stderr.contains("4 ids"), "{stderr}");
}

#[test]
fn the_example_settings_do_not_fit_another_company() {
    let (code, stdout, _) = check(ml_connector::settings::EXAMPLE_TOML);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("setting `vat.rates[0].category`: VAT category \"3\""),
        "{stdout}"
    );
}
