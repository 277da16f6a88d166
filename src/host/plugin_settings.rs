//! The plugin's settings document: its option array as JSON, validated into [`Settings`] plus the connection
//! [`Mode`], and the Visma client configuration that mode implies. Pure: no I/O.

use super::HostError;
use crate::engine;
use crate::secret::Secret;
use crate::settings::{PaymentMethodMap, Settings};
use crate::visma::Config;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The simulator the plugin's "simulator" mode talks to unless the settings name another URL.
pub const DEFAULT_SIMULATOR_URL: &str = "http://127.0.0.1:8765";

/// The plugin's settings document (its option array as JSON). Connection and sync keys are flat; `mapping`
/// overrides the accounts, payment methods and subaccount of the base settings; `settings_toml` (advanced)
/// replaces the base settings, which default to the example settings for the seeded simulator company.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PluginSettings {
    /// `simulator` or `visma`.
    pub mode: String,
    /// Visma Connect client id.
    pub visma_client_id: String,
    /// Company tenant id.
    pub visma_tenant_id: String,
    /// `ipp-company-id`.
    pub visma_company_id: String,
    /// Token endpoint (empty: Visma Connect's).
    pub visma_token_url: String,
    /// ERP API base (empty: `https://api.finance.visma.net`, or the simulator's URL in simulator mode).
    pub visma_api_base_url: String,
    /// SalesOrders v3 base.
    pub visma_salesorders_base_url: String,
    /// `customers` or `suppliers`.
    pub business_model: String,
    /// `invoice` or `sales_order`.
    pub document_type: String,
    /// When an order is sent: `placed`, `processing` or `completed`.
    pub trigger: String,
    /// Store id in document keys.
    pub store_id: String,
    /// Full settings in the TOML format of `ml-connector settings --example`.
    pub settings_toml: String,
    /// The settings screen's mapping selects.
    pub mapping: PluginMapping,
}

/// The mapping selects of the settings screen.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PluginMapping {
    /// Shipping revenue account.
    pub shipping_account: String,
    /// Fee revenue account.
    pub fee_account: String,
    /// Rounding account (empty: keep the base settings').
    pub rounding_account: String,
    /// Per WooCommerce tax class slug (`standard` for `""`): `sales_account`.
    #[serde(deserialize_with = "php_map")]
    pub tax_classes: BTreeMap<String, BTreeMap<String, String>>,
    /// WooCommerce gateway id → Visma payment method id.
    #[serde(deserialize_with = "php_map")]
    pub payment_methods: BTreeMap<String, String>,
    /// Subaccount segment id → value, for every line.
    #[serde(deserialize_with = "php_map")]
    pub subaccount: BTreeMap<String, String>,
}

/// PHP's `json_encode` writes an empty array as `[]`, never `{}`: accept both for a map.
fn php_map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::de::DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum MapOrList<V> {
        Map(BTreeMap<String, V>),
        List(Vec<serde_json::Value>),
    }
    match MapOrList::<V>::deserialize(d)? {
        MapOrList::Map(m) => Ok(m),
        MapOrList::List(l) if l.is_empty() => Ok(BTreeMap::new()),
        MapOrList::List(_) => Err(serde::de::Error::custom("expected an object")),
    }
}

/// Where the client sends: the simulator or Visma.net.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A running `ml-connector simulate` at this base URL: its demo credentials, or the client id, tenant and
    /// saved secret when the merchant entered them (so Test connection can fail as it would against Visma).
    Simulator {
        /// The simulator's base URL.
        base_url: String,
        /// Client id (empty: `demo-client`).
        client_id: String,
        /// Tenant id (empty: `demo-tenant`).
        tenant_id: String,
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
    },
}

/// Parses and validates the plugin's settings document.
///
/// # Errors
/// [`HostError::Config`] naming the bad key, or the settings' own validation error.
pub fn parse_plugin_settings(json: &str) -> Result<(Settings, Mode), HostError> {
    let doc: PluginSettings = serde_json::from_str(json)
        .map_err(|e| HostError::Config(format!("not a settings document: {e}")))?;
    let mut settings = if doc.settings_toml.trim().is_empty() {
        Settings::example()?
    } else {
        Settings::from_toml_str(&doc.settings_toml)?
    };
    if !doc.store_id.is_empty() {
        settings.store_id = doc.store_id.clone();
    }
    settings.business_model = match doc.business_model.as_str() {
        "" => settings.business_model,
        other => parse_enum("business_model", other)?,
    };
    settings.document_type = match doc.document_type.as_str() {
        "" => settings.document_type,
        other => parse_enum("document_type", other)?,
    };
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
    apply_mapping(&mut settings, &doc.mapping);
    settings.validate()?;
    let mode = match doc.mode.as_str() {
        "" | "simulator" => Mode::Simulator {
            base_url: if doc.visma_api_base_url.is_empty() {
                DEFAULT_SIMULATOR_URL.to_owned()
            } else {
                doc.visma_api_base_url.trim_end_matches('/').to_owned()
            },
            client_id: doc.visma_client_id,
            tenant_id: doc.visma_tenant_id,
        },
        "visma" => {
            if doc.visma_client_id.is_empty() || doc.visma_tenant_id.is_empty() {
                return Err(HostError::Config(
                    "visma_client_id and visma_tenant_id are required in visma mode".to_owned(),
                ));
            }
            Mode::Visma {
                client_id: doc.visma_client_id,
                tenant_id: doc.visma_tenant_id,
                company_id: doc.visma_company_id,
                token_url: doc.visma_token_url,
                api_base_url: doc.visma_api_base_url,
                salesorders_base_url: doc.visma_salesorders_base_url,
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

fn parse_enum<T: serde::de::DeserializeOwned>(key: &str, value: &str) -> Result<T, HostError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| HostError::Config(format!("{key} has an unknown value {value:?}")))
}

fn apply_mapping(settings: &mut Settings, m: &PluginMapping) {
    let set = |target: &mut String, value: &str| {
        if !value.is_empty() {
            *target = value.to_owned();
        }
    };
    set(&mut settings.accounts.shipping, &m.shipping_account);
    set(&mut settings.accounts.fee, &m.fee_account);
    if !m.rounding_account.is_empty() {
        settings.accounts.rounding = Some(m.rounding_account.clone());
    }
    for (class, fields) in &m.tax_classes {
        let Some(account) = fields.get("sales_account").filter(|a| !a.is_empty()) else {
            continue;
        };
        if class == "standard" {
            settings.accounts.sales = account.clone();
            continue;
        }
        settings
            .accounts
            .rules
            .retain(|r| r.tax_class.as_deref() != Some(class.as_str()));
        settings.accounts.rules.insert(
            0,
            crate::settings::AccountRule {
                sku_prefix: None,
                category: None,
                tax_class: Some(class.clone()),
                account: account.clone(),
            },
        );
    }
    for (gateway, method) in &m.payment_methods {
        let cash_account = settings
            .payment_methods
            .values()
            .find(|p| &p.payment_method_id == method)
            .map_or_else(|| "1920".to_owned(), |p| p.cash_account.clone());
        settings.payment_methods.insert(
            gateway.clone(),
            PaymentMethodMap {
                payment_method_id: method.clone(),
                cash_account,
            },
        );
    }
    if !m.subaccount.is_empty() {
        let mut segments: Vec<(u32, String)> = m
            .subaccount
            .iter()
            .filter_map(|(id, v)| Some((id.parse().ok()?, v.clone())))
            .collect();
        segments.sort();
        let values: Vec<String> = segments.into_iter().map(|(_, v)| v).collect();
        let sub = &mut settings.subaccounts;
        sub.item.clone_from(&values);
        sub.shipping.clone_from(&values);
        sub.fee.clone_from(&values);
        sub.rounding = values;
    }
}

/// The Visma client configuration for `mode`, with the secret from the credential store.
///
/// # Errors
/// [`HostError::Config`] when Visma mode has no saved secret; the client's configuration errors.
pub fn client_config(mode: &Mode, secret: Option<Secret>) -> Result<Config, HostError> {
    match mode {
        Mode::Simulator {
            base_url,
            client_id,
            tenant_id,
        } => {
            let mut config = engine::simulator_config(
                &format!("{base_url}/connect/token"),
                base_url,
                &format!("{base_url}/api/v3/SalesOrders"),
            );
            if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                config.client_secret = secret;
            }
            if !client_id.is_empty() {
                config.client_id.clone_from(client_id);
            }
            if !tenant_id.is_empty() {
                config.tenant_id.clone_from(tenant_id);
            }
            Ok(config)
        }
        Mode::Visma {
            client_id,
            tenant_id,
            company_id,
            token_url,
            api_base_url,
            salesorders_base_url,
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
            config.validate()?;
            Ok(config)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_document_with_php_empty_arrays_parses() {
        let (settings, mode) = parse_plugin_settings(
            r#"{"mode":"simulator","store_id":"shop1","mapping":{"shipping_account":"3700",
               "tax_classes":[],"payment_methods":[],"subaccount":[]}}"#,
        )
        .expect("valid document");
        assert_eq!(settings.store_id, "shop1");
        assert_eq!(
            mode,
            Mode::Simulator {
                base_url: DEFAULT_SIMULATOR_URL.to_owned(),
                client_id: String::new(),
                tenant_id: String::new(),
            }
        );
    }

    #[test]
    fn trigger_decides_which_statuses_are_invoiced() {
        let (placed, _) = parse_plugin_settings(r#"{"trigger":"placed"}"#).expect("valid");
        assert!(placed.invoice.statuses.iter().any(|s| s == "on-hold"));
        let (completed, _) = parse_plugin_settings(r#"{"trigger":"completed"}"#).expect("valid");
        assert!(!completed.invoice.statuses.iter().any(|s| s == "processing"));
    }

    #[test]
    fn simulator_mode_uses_the_saved_secret_when_there_is_one() {
        let (_, mode) = parse_plugin_settings(r#"{"mode":"simulator"}"#).expect("valid");
        let demo = client_config(&mode, None).expect("demo credentials");
        assert_eq!(demo.client_secret.expose(), "demo-secret");
        let own = client_config(&mode, Some(Secret::new("wrong"))).expect("configured");
        assert_eq!(own.client_secret.expose(), "wrong");
    }

    #[test]
    fn plugin_mapping_overrides_accounts_methods_and_segments() {
        let (settings, _) = parse_plugin_settings(
            r#"{"mode":"simulator","mapping":{"fee_account":"3710","rounding_account":"3740",
               "tax_classes":{"standard":{"sales_account":"3000"},"reduced-rate":{"sales_account":"3010"}},
               "payment_methods":{"cod":"COD"},"subaccount":{"2":"100","1":"10"}}}"#,
        )
        .expect("valid document");
        assert_eq!(settings.accounts.sales, "3000");
        assert_eq!(
            settings.accounts.rules[0].tax_class.as_deref(),
            Some("reduced-rate")
        );
        assert_eq!(settings.accounts.rules[0].account, "3010");
        assert_eq!(settings.payment_methods["cod"].payment_method_id, "COD");
        assert_eq!(
            settings.subaccounts.item,
            vec!["10".to_owned(), "100".to_owned()]
        );
    }

    #[test]
    fn bad_documents_name_the_key() {
        for (doc, needle) in [
            (r#"{"mode":"cloud"}"#, "mode"),
            (r#"{"business_model":"resellers"}"#, "business_model"),
            (r#"{"mode":"visma"}"#, "visma_client_id"),
            (r#"{"trigger":"paid"}"#, "trigger"),
            ("[1]", "settings document"),
        ] {
            let err = parse_plugin_settings(doc).expect_err(doc);
            assert!(err.to_string().contains(needle), "{doc}: {err}");
        }
    }
}
