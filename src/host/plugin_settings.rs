//! The plugin's settings document: its option array as JSON, validated into [`Settings`] plus the connection
//! [`Mode`], and the Visma client configuration that mode implies. Pure: no I/O.
//!
//! Issue #13/#14: the document carries the complete [`Settings`] (key `settings`, the TOML file's shape) built from
//! the merchant's choices. Nothing falls back to the example settings' ids any more (a real company refused the
//! simulator's VAT categories and classes); what is not chosen is absent, and a job that needs it fails naming the
//! setting. Simulator mode is isolated: it never uses the Visma ids, URLs or the saved secret.

use super::HostError;
use crate::engine;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::visma::Config;
use serde::Deserialize;
use sha2::Digest as _;

/// The simulator the plugin's "simulator" mode talks to unless the settings name another URL.
pub const DEFAULT_SIMULATOR_URL: &str = "http://127.0.0.1:8765";

/// The plugin's settings document (its option array as JSON).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PluginSettings {
    /// `simulator` or `visma`.
    pub mode: String,
    /// The simulator's base URL in simulator mode (empty: [`DEFAULT_SIMULATOR_URL`]).
    pub simulator_url: String,
    /// Visma Connect client id.
    pub visma_client_id: String,
    /// Company tenant id.
    pub visma_tenant_id: String,
    /// `ipp-company-id`.
    pub visma_company_id: String,
    /// Token endpoint (empty: Visma Connect's).
    pub visma_token_url: String,
    /// ERP API base (empty: `https://api.finance.visma.net`).
    pub visma_api_base_url: String,
    /// SalesOrders v3 base.
    pub visma_salesorders_base_url: String,
    /// ERP scopes, space-separated (empty: the four `vismanet_erp_service_api:*`).
    pub visma_scopes: String,
    /// SalesOrders scopes, space-separated (empty: read and write); requested only when a sales order is sent.
    pub visma_salesorder_scopes: String,
    /// When an order is sent: `placed`, `processing` or `completed`.
    pub trigger: String,
    /// Store id in document keys (compatibility: `settings.store_id` is the one that counts when both are set).
    pub store_id: String,
    /// The complete settings, as the TOML file's shape in JSON.
    pub settings: Option<serde_json::Value>,
    /// The same as TOML text (advanced; `settings` wins when both are given).
    pub settings_toml: String,
    /// Issue #16: where the queue lives: `sqlite` (default; a file in the data directory) or `wordpress`
    /// (tables `{prefix}mlc_*` in the WordPress database, for a shop on several web servers).
    pub storage: String,
    /// The WordPress database, added by the plugin on every request from wp-config.php (never saved).
    pub wordpress_db: Option<WordPressDb>,
}

/// The WordPress database connection (wp-config.php's `DB_*` constants and the table prefix).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WordPressDb {
    /// `DB_HOST`: `localhost`, `host:port`, `localhost:/path/to.sock`, `[::1]:3306`.
    pub host: String,
    /// `DB_NAME`.
    pub name: String,
    /// `DB_USER`.
    pub user: String,
    /// `DB_PASSWORD` (never printed: [`Secret`]).
    pub password: crate::secret::Secret,
    /// `$wpdb->base_prefix`, e.g. `wp_` (one queue per network).
    pub prefix: String,
}

/// Where the client sends: the simulator or Visma.net.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A running `ml-connector simulate` at this base URL, with its demo credentials only.
    Simulator {
        /// The simulator's base URL.
        base_url: String,
    },
    /// Visma.net with these ids; the secret comes from the encrypted credential store.
    Visma {
        /// Client id.
        client_id: String,
        /// Tenant id.
        tenant_id: String,
        /// Company id (empty: not sent).
        company_id: String,
        /// Token URL (empty: default).
        token_url: String,
        /// API base (empty: default).
        api_base_url: String,
        /// SalesOrders base (empty: default).
        salesorders_base_url: String,
        /// ERP scopes (empty: default).
        scopes: Vec<String>,
        /// SalesOrders scopes (empty: default).
        salesorder_scopes: Vec<String>,
    },
}

impl Mode {
    /// The Visma company this mode books into (see [`Config::books_key`]).
    pub fn books_key(&self) -> String {
        match self {
            Self::Simulator { base_url } => simulator(base_url).books_key(),
            Self::Visma {
                tenant_id,
                company_id,
                ..
            } => format!("{}/{}", tenant_id.trim(), company_id.trim()),
        }
    }
}

fn simulator(base_url: &str) -> Config {
    engine::simulator_config(
        &format!("{base_url}/connect/token"),
        base_url,
        &format!("{base_url}/api/v3/SalesOrders"),
    )
}

/// Parses and validates the plugin's settings document.
///
/// # Errors
/// [`HostError::Config`] naming the bad key, or the settings' own validation error.
pub fn parse_plugin_settings(json: &str) -> Result<(Settings, Mode), HostError> {
    let doc: PluginSettings = serde_json::from_str(json)
        .map_err(|e| HostError::Config(format!("not a settings document: {e}")))?;
    let mut settings =
        match (&doc.settings, doc.settings_toml.trim()) {
            (Some(value), _) => {
                let mut value = value.clone();
                php_empty_maps(&mut value);
                Settings::from_json_str(&value.to_string())?
            }
            (None, toml) if !toml.is_empty() => Settings::from_toml_str(toml)?,
            (None, _) => return Err(HostError::Config(
                "the settings document has no `settings` (the plugin sends the complete settings)"
                    .to_owned(),
            )),
        };
    let explicit_store = doc
        .settings
        .as_ref()
        .and_then(|s| s.get("store_id"))
        .is_some();
    if !explicit_store && !doc.store_id.is_empty() {
        settings.store_id = doc.store_id.clone();
    }
    // The merchant's trigger decides which order statuses become documents: "placed" books unpaid orders too.
    let statuses: &[&str] = match doc.trigger.as_str() {
        "" => &[],
        "placed" => &["pending", "on-hold", "processing", "completed", "refunded"],
        "processing" => &["processing", "completed", "refunded"],
        "completed" => &["completed", "refunded"],
        other => {
            return Err(HostError::Config(format!(
                "trigger must be placed, processing or completed, not {other:?}"
            )))
        }
    };
    if !statuses.is_empty() {
        settings.invoice.statuses = statuses.iter().map(|s| (*s).to_owned()).collect();
    }
    settings.validate()?;
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let mode = match doc.mode.as_str() {
        "" | "simulator" => Mode::Simulator {
            base_url: if doc.simulator_url.trim().is_empty() {
                DEFAULT_SIMULATOR_URL.to_owned()
            } else {
                checked_url("simulator_url", doc.simulator_url.trim())?
            },
        },
        "visma" => {
            if doc.visma_client_id.trim().is_empty() || doc.visma_tenant_id.trim().is_empty() {
                return Err(HostError::Config(
                    "visma_client_id and visma_tenant_id are required in visma mode".to_owned(),
                ));
            }
            Mode::Visma {
                client_id: doc.visma_client_id.trim().to_owned(),
                tenant_id: doc.visma_tenant_id.trim().to_owned(),
                company_id: doc.visma_company_id.trim().to_owned(),
                token_url: optional_url("visma_token_url", &doc.visma_token_url)?,
                api_base_url: optional_url("visma_api_base_url", &doc.visma_api_base_url)?,
                salesorders_base_url: optional_url(
                    "visma_salesorders_base_url",
                    &doc.visma_salesorders_base_url,
                )?,
                scopes: words(&doc.visma_scopes),
                salesorder_scopes: words(&doc.visma_salesorder_scopes),
            }
        }
        other => {
            return Err(HostError::Config(format!(
                "mode must be simulator or visma, not {other:?}"
            )))
        }
    };
    Ok((settings, mode))
}

/// The settings' map fields. PHP's `json_encode` writes an empty array as `[]`, never `{}`.
const MAP_FIELDS: [&[&str]; 7] = [
    &["currency_decimals"],
    &["accounts", "product_categories"],
    &["vat", "categories"],
    &["vat", "vat_ids"],
    &["payment_methods"],
    &["subaccounts", "from_order_meta"],
    &["sales_order", "items"],
];

/// Turns PHP's `[]` into `{}` where the settings hold a map.
fn php_empty_maps(settings: &mut serde_json::Value) {
    for path in MAP_FIELDS {
        let mut node = Some(&mut *settings);
        for key in path {
            node = node.and_then(|n| n.get_mut(*key));
        }
        if let Some(value) = node {
            if value.as_array().is_some_and(Vec::is_empty) {
                *value = serde_json::Value::Object(serde_json::Map::new());
            }
        }
    }
}

fn optional_url(key: &str, value: &str) -> Result<String, HostError> {
    let value = value.trim();
    if value.is_empty() {
        Ok(String::new())
    } else {
        checked_url(key, value)
    }
}

/// Issue #15: the client secret goes to whatever token URL the settings hold, so only HTTPS is accepted, or plain
/// HTTP to this machine (a local simulator). The error names the setting, never the value.
fn checked_url(key: &str, value: &str) -> Result<String, HostError> {
    let bad = || {
        HostError::Config(format!(
            "{key} must be an https:// URL (or http:// to this machine, for a local simulator)"
        ))
    };
    let url = reqwest::Url::parse(value).map_err(|_| bad())?;
    if crate::visma::config::secure_or_loopback(&url) {
        Ok(value.trim_end_matches('/').to_owned())
    } else {
        Err(bad())
    }
}

/// What the Visma secret is bound to: the token URL and API bases it may be sent to (issue #15: a shop manager
/// who points the token URL at their own server must not receive the saved secret). `None` in simulator mode.
pub fn secret_binding(mode: &Mode) -> Option<String> {
    let config = client_config(mode, Some(Secret::new("binding"))).ok()?;
    if matches!(mode, Mode::Simulator { .. }) {
        return None;
    }
    let text = format!(
        "{}\n{}\n{}",
        config.token_url, config.api_base_url, config.salesorders_base_url
    );
    Some(hex::encode(sha2::Sha256::digest(text.as_bytes())))
}

/// The Visma client configuration for `mode`, with the secret from the credential store (Visma mode only: the
/// simulator always gets its demo credentials, so a saved secret never breaks simulator mode).
///
/// # Errors
/// [`HostError::Config`] when Visma mode has no saved secret; the client's configuration errors.
pub fn client_config(mode: &Mode, secret: Option<Secret>) -> Result<Config, HostError> {
    match mode {
        Mode::Simulator { base_url } => Ok(simulator(base_url)),
        Mode::Visma {
            client_id,
            tenant_id,
            company_id,
            token_url,
            api_base_url,
            salesorders_base_url,
            scopes,
            salesorder_scopes,
        } => {
            let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
                HostError::Config("no Visma client secret is saved yet".to_owned())
            })?;
            let mut config = Config::visma_net(client_id.clone(), secret, tenant_id.clone());
            let pick = |v: &str, d: &str| {
                if v.is_empty() {
                    d.to_owned()
                } else {
                    v.to_owned()
                }
            };
            let urls = (
                pick(token_url, &config.token_url),
                pick(api_base_url, &config.api_base_url),
                pick(salesorders_base_url, &config.salesorders_base_url),
            );
            config = config.with_urls(urls.0, urls.1, urls.2);
            if !company_id.is_empty() {
                config = config.with_company_id(company_id.clone());
            }
            if !scopes.is_empty() {
                config.scopes.clone_from(scopes);
            }
            if !salesorder_scopes.is_empty() {
                config.salesorder_scopes.clone_from(salesorder_scopes);
            }
            config.validate()?;
            Ok(config)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example settings as the plugin would send them (JSON of the TOML shape).
    fn doc(extra: &str) -> String {
        let settings: toml::Value = toml::from_str(crate::settings::EXAMPLE_TOML).expect("example");
        let json = serde_json::to_string(&settings).expect("json");
        format!(r#"{{"settings":{json}{extra}}}"#)
    }

    #[test]
    fn the_document_carries_the_whole_settings_and_a_missing_one_is_named() {
        let (settings, mode) =
            parse_plugin_settings(&doc(r#","store_id":"shop1""#)).expect("valid");
        // settings.store_id wins over the compatibility key.
        assert_eq!(settings.store_id, "default");
        assert_eq!(
            mode,
            Mode::Simulator {
                base_url: DEFAULT_SIMULATOR_URL.to_owned()
            }
        );
        let err =
            parse_plugin_settings(r#"{"mode":"simulator","store_id":"x"}"#).expect_err("none");
        assert!(err.to_string().contains("`settings`"), "{err}");
    }

    #[test]
    fn php_empty_arrays_are_read_as_empty_maps() {
        let mut value: serde_json::Value = serde_json::from_str(&doc("")).expect("json");
        value["settings"]["accounts"]["product_categories"] = serde_json::json!([]);
        value["settings"]["payment_methods"] = serde_json::json!([]);
        value["settings"]["sales_order"] = serde_json::json!({"items": []});
        let (settings, _) = parse_plugin_settings(&value.to_string()).expect("valid");
        assert!(settings.payment_methods.is_empty());
        assert!(settings.sales_order.items.is_empty());
    }

    #[test]
    fn trigger_decides_which_statuses_are_invoiced() {
        let (placed, _) = parse_plugin_settings(&doc(r#","trigger":"placed""#)).expect("valid");
        assert!(placed.invoice.statuses.iter().any(|s| s == "on-hold"));
        let (completed, _) =
            parse_plugin_settings(&doc(r#","trigger":"completed""#)).expect("valid");
        assert!(!completed.invoice.statuses.iter().any(|s| s == "processing"));
    }

    // Issue #13: simulator mode used the Visma URLs and credentials, and a saved secret broke it.
    #[test]
    fn simulator_mode_never_uses_visma_ids_urls_or_the_saved_secret() {
        let (_, mode) = parse_plugin_settings(&doc(
            r#","mode":"simulator","simulator_url":"http://127.0.0.1:9999","visma_client_id":"real",
               "visma_tenant_id":"real-tenant","visma_api_base_url":"https://api.finance.visma.net""#,
        ))
        .expect("valid");
        let config = client_config(&mode, Some(Secret::new("real-secret"))).expect("config");
        assert_eq!(config.client_secret.expose(), "demo-secret");
        assert_eq!(config.client_id, "demo-client");
        assert_eq!(config.api_base_url, "http://127.0.0.1:9999");
        assert_eq!(mode.books_key(), "demo-tenant/1234567");
    }

    #[test]
    fn visma_mode_books_key_names_tenant_and_company() {
        let (_, mode) = parse_plugin_settings(&doc(
            r#","mode":"visma","visma_client_id":"c","visma_tenant_id":"t1","visma_company_id":"42""#,
        ))
        .expect("valid");
        assert_eq!(mode.books_key(), "t1/42");
        assert!(client_config(&mode, None).is_err(), "no secret saved");
        let config = client_config(&mode, Some(Secret::new("s"))).expect("config");
        assert_eq!(config.api_base_url, "https://api.finance.visma.net");
        assert_eq!(config.books_key(), "t1/42");
    }

    // Issue #15: a shop manager must not be able to send the secret to a server of their own over plain HTTP.
    #[test]
    fn token_and_api_urls_must_be_https_or_loopback() {
        for (url, ok) in [
            ("https://connect.visma.com/connect/token", true),
            ("http://127.0.0.1:8765/connect/token", true),
            ("http://localhost:8765/connect/token", true),
            ("http://[::1]:8765/connect/token", true),
            ("http://evil.example/connect/token", false),
            ("http://10.0.0.5/token", false),
            ("ftp://connect.visma.com/", false),
            ("not a url", false),
        ] {
            let result = parse_plugin_settings(&doc(&format!(
                r#","mode":"visma","visma_client_id":"c","visma_tenant_id":"t","visma_token_url":"{url}""#
            )));
            assert_eq!(result.is_ok(), ok, "{url}");
            if let Err(e) = result {
                assert!(e.to_string().contains("visma_token_url"), "{e}");
                assert!(
                    !e.to_string().contains("evil"),
                    "the value is not echoed: {e}"
                );
            }
        }
    }

    #[test]
    fn bad_documents_name_the_key() {
        for (extra, needle) in [
            (r#","mode":"cloud""#, "mode"),
            (r#","mode":"visma""#, "visma_client_id"),
            (r#","trigger":"paid""#, "trigger"),
        ] {
            let err = parse_plugin_settings(&doc(extra)).expect_err(extra);
            assert!(err.to_string().contains(needle), "{extra}: {err}");
        }
        let err = parse_plugin_settings("[1]").expect_err("array");
        assert!(err.to_string().contains("settings document"), "{err}");
    }
}
