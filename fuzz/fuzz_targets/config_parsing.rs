//! Settings (TOML and the plugin's JSON) and the service's configuration. Nothing may panic, and an error never
//! repeats the text it was given (a secret typed in the wrong place).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_connector::service::config::ServiceConfig;
use ml_connector::settings::{Settings, SettingsError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The parser's own errors (syntax, shape): validation errors name ids, which are no secrets.
    if let Err(SettingsError::Toml(message)) = Settings::from_toml_str(text) {
        // A quoted value of 12+ characters is never echoed (lower-case words may be the expected variants the
        // parser names, e.g. `visma_series`).
        let word = |q: &str| q.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        for quoted in text.split('"').skip(1).step_by(2).filter(|q| q.len() >= 12 && !word(q)) {
            assert!(!message.contains(quoted), "{message}");
        }
    }
    let _ = Settings::from_json_str(text);
    let _ = ServiceConfig::from_toml_str(text, std::path::Path::new("/"));
});
