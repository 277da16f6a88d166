//! `tests/fixtures/settings/example.json` is the example settings file (`settings --example`) as the JSON the
//! WordPress plugin sends in its settings document (`settings` key). PHP tests and the WordPress suites load it;
//! this test keeps it equal to the TOML. `UPDATE_FIXTURES=1 cargo test --test settings_fixture` rewrites it.

use ml_connector::settings::{Settings, EXAMPLE_TOML};

const FIXTURE: &str = "tests/fixtures/settings/example.json";

#[test]
fn the_json_fixture_is_the_example_settings() {
    let toml: toml::Value = toml::from_str(EXAMPLE_TOML).expect("example TOML");
    let want = serde_json::to_value(&toml).expect("as JSON");
    if std::env::var("UPDATE_FIXTURES").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&want).expect("pretty");
        std::fs::write(FIXTURE, text + "\n").expect("write fixture");
    }
    let text = std::fs::read_to_string(FIXTURE).expect("fixture exists");
    let got: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(got, want, "run with UPDATE_FIXTURES=1 to refresh {FIXTURE}");
    Settings::from_json_str(&text).expect("the fixture is valid settings JSON");
}
