//! From settings to a Visma client configuration: the `connection` section names the endpoints and ids, and
//! the client secret comes from the environment variable it names (never from the settings file). With no
//! `connection` section the client's own `VISMA_*` variables apply.

use crate::secret::Secret;
use crate::settings::Settings;
use crate::visma::{Config, VismaError};

/// The client configuration `settings` describe, reading the secret with `env`.
///
/// # Errors
/// [`VismaError::Config`] naming what is missing (the secret's variable, the client id, a bad URL).
pub fn client_config(
    settings: &Settings,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, VismaError> {
    let Some(c) = &settings.connection else {
        return Config::from_lookup(env);
    };
    let secret_var = if c.client_secret_env.is_empty() {
        "VISMA_CLIENT_SECRET"
    } else {
        c.client_secret_env.as_str()
    };
    let secret = env(secret_var)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| VismaError::Config {
            field: "connection.client_secret_env",
            reason: format!("environment variable {secret_var} is not set"),
        })?;
    let mut config = Config::visma_net(
        c.client_id.clone(),
        Secret::new(secret),
        c.tenant_id.clone(),
    );
    let or = |v: &str, d: &str| {
        if v.is_empty() {
            d.to_owned()
        } else {
            v.to_owned()
        }
    };
    let urls = (
        or(&c.token_url, &config.token_url),
        or(&c.api_base_url, &config.api_base_url),
        or(&c.sales_order_base_url, &config.salesorders_base_url),
    );
    config = config.with_urls(urls.0, urls.1, urls.2);
    if !c.company_id.is_empty() {
        config = config.with_company_id(c.company_id.clone());
    }
    if !c.scopes.is_empty() {
        config.scopes = c.scopes.clone();
    }
    // Issue #17: a separate token, asked for only when a SalesOrders call is made (sales-order mode).
    if !c.sales_order_scopes.is_empty() {
        config.salesorder_scopes = c.sales_order_scopes.clone();
    }
    config.validate()?;
    Ok(config)
}

/// The configuration for a running simulator with its demo credentials.
pub fn simulator_config(token_url: &str, api_base_url: &str, salesorders_url: &str) -> Config {
    Config::visma_net("demo-client", Secret::new("demo-secret"), "demo-tenant")
        .with_urls(token_url, api_base_url, salesorders_url)
        .with_company_id("1234567")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comes_from_the_named_variable_and_its_absence_is_named() {
        let mut settings = Settings::example().expect("example settings");
        settings.connection = Some(crate::settings::ConnectionSettings {
            client_id: "c".into(),
            tenant_id: "t".into(),
            client_secret_env: "MY_SECRET".into(),
            company_id: "42".into(),
            ..Default::default()
        });
        let err = client_config(&settings, |_| None).expect_err("no secret");
        assert!(err.to_string().contains("MY_SECRET"), "{err}");
        let config = client_config(&settings, |k| (k == "MY_SECRET").then(|| "s3".to_owned()))
            .expect("configured");
        assert_eq!(config.client_secret.expose(), "s3");
        assert_eq!(config.company_id.as_deref(), Some("42"));
        assert!(!format!("{config:?}").contains("s3"));
    }
}
