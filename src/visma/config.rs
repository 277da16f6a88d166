//! `visma::Config`: where Visma.net and Visma Connect live and who we are to them. Constructors for the real
//! endpoints (NOTES §1–2), for a simulator's URLs, and from environment variables.
//!
//! No I/O here except reading the environment in [`Config::from_env`]; the secret stays a [`Secret`].

use crate::secret::Secret;
use crate::visma::error::VismaError;
use std::time::Duration;

/// Visma Connect token endpoint [NOTES §1.1, D-AUTH].
pub const VISMA_TOKEN_URL: &str = "https://connect.visma.com/connect/token";
/// Visma.net ERP API host; paths are `/v1/...` and `/v2/...` [NOTES §2, D-URL].
pub const VISMA_API_BASE_URL: &str = "https://api.finance.visma.net";
/// SalesOrders v3 service host; paths are `/api/v3/SalesOrders...` [NOTES §2, SOV3].
pub const VISMA_SALESORDERS_BASE_URL: &str = "https://salesorder.visma.net";
/// ERP service-API scopes [NOTES §1.1].
pub const ERP_SCOPES: [&str; 4] = [
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
];
/// SalesOrders v3 scopes [NOTES §1.1, SOV3 `securitySchemes.oauth2`].
pub const SALESORDER_SCOPES: [&str; 2] = [
    "visma.net.erp.salesorder:read",
    "visma.net.erp.salesorder:write",
];

/// How the client id and secret travel to the token endpoint. Visma documents form fields; HTTP Basic is what
/// a maintained Go client uses (NOTES §1.1), kept as an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields (Visma's documented way).
    #[default]
    Form,
    /// `Authorization: Basic` with the client id and secret.
    Basic,
}

/// Everything the Visma client needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Visma Connect token endpoint.
    pub token_url: String,
    /// ERP API base, without `/v1` (e.g. `https://api.finance.visma.net`).
    pub api_base_url: String,
    /// SalesOrders service base, without `/api/v3` (e.g. `https://salesorder.visma.net`).
    pub salesorders_base_url: String,
    /// Visma Connect client id of the service integration.
    pub client_id: String,
    /// Visma Connect client secret.
    pub client_secret: Secret,
    /// The company tenant id (not the customer tenant id, NOTES §1.1 D-401).
    pub tenant_id: String,
    /// The legacy `ipp-company-id`, sent on every ERP call when set.
    pub company_id: Option<String>,
    /// Scopes for the ERP API token.
    pub scopes: Vec<String>,
    /// Scopes for the SalesOrders v3 token.
    pub salesorder_scopes: Vec<String>,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// Per-request timeout (connect + answer).
    pub timeout: Duration,
    /// Attempts per request, the first included (retries apply only where safe).
    pub max_attempts: u32,
    /// Longest the rate limiter waits for a window reset before failing with a retryable error.
    pub max_limiter_wait: Duration,
    /// Calls of each rate window left unused for the other workers drawing on the same budget (the limit is per
    /// company and client id, and each worker only sees the `Remaining` of its own last answer). Set it to the
    /// number of concurrent drain workers minus one; 0 for a single worker.
    pub rate_limit_reserve: u64,
}

impl Config {
    /// A configuration for the real Visma.net endpoints.
    pub fn visma_net(
        client_id: impl Into<String>,
        client_secret: Secret,
        tenant_id: impl Into<String>,
    ) -> Self {
        Self {
            token_url: VISMA_TOKEN_URL.to_owned(),
            api_base_url: VISMA_API_BASE_URL.to_owned(),
            salesorders_base_url: VISMA_SALESORDERS_BASE_URL.to_owned(),
            client_id: client_id.into(),
            client_secret,
            tenant_id: tenant_id.into(),
            company_id: None,
            scopes: ERP_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            salesorder_scopes: SALESORDER_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            client_auth: ClientAuth::Form,
            timeout: Duration::from_secs(60),
            max_attempts: 5,
            max_limiter_wait: Duration::from_secs(300),
            rate_limit_reserve: 0,
        }
    }

    /// Points the configuration at other hosts, e.g. a simulator's `token_url()`, `base_url()` and
    /// `salesorders_url()`. A SalesOrders URL ending in `/api/v3/SalesOrders` is reduced to its root, since the
    /// client adds that path itself.
    pub fn with_urls(
        mut self,
        token_url: impl Into<String>,
        api_base_url: impl Into<String>,
        salesorders_base_url: impl Into<String>,
    ) -> Self {
        self.token_url = token_url.into();
        self.api_base_url = api_base_url.into();
        self.salesorders_base_url = salesorders_root(&salesorders_base_url.into());
        self
    }

    /// Which Visma company this configuration books into: `{tenant id}/{company id}`. The id map and the customer
    /// index are kept per company (issue #13), so a store pointed at another company never re-uses its numbers.
    pub fn books_key(&self) -> String {
        format!(
            "{}/{}",
            self.tenant_id.trim(),
            self.company_id.as_deref().unwrap_or("").trim()
        )
    }

    /// Sets the `ipp-company-id` sent on ERP calls.
    pub fn with_company_id(mut self, company_id: impl Into<String>) -> Self {
        self.company_id = Some(company_id.into());
        self
    }

    /// Reads the configuration from the environment:
    ///
    /// | Variable | Meaning | Default |
    /// |---|---|---|
    /// | `VISMA_CLIENT_ID` | Visma Connect client id | required |
    /// | `VISMA_CLIENT_SECRET` | Visma Connect client secret | required |
    /// | `VISMA_TENANT_ID` | company tenant id | required |
    /// | `VISMA_COMPANY_ID` | `ipp-company-id` | none (not sent) |
    /// | `VISMA_TOKEN_URL` | token endpoint | `https://connect.visma.com/connect/token` |
    /// | `VISMA_API_BASE_URL` | ERP API base | `https://api.finance.visma.net` |
    /// | `VISMA_SALESORDERS_BASE_URL` | SalesOrders v3 base | `https://salesorder.visma.net` |
    /// | `VISMA_SCOPES` | ERP scopes, space-separated | the four `vismanet_erp_service_api:*` |
    /// | `VISMA_SALESORDER_SCOPES` | SalesOrders scopes | `visma.net.erp.salesorder:read …:write` |
    /// | `VISMA_CLIENT_AUTH` | `form` or `basic` | `form` |
    /// | `VISMA_TIMEOUT_SECS` | per-request timeout | `60` |
    /// | `VISMA_MAX_ATTEMPTS` | attempts per request | `5` |
    ///
    /// # Errors
    /// [`VismaError::Config`] naming the variable that is missing or invalid.
    pub fn from_env() -> Result<Self, VismaError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any variable source (tests pass a map).
    ///
    /// # Errors
    /// [`VismaError::Config`] naming the variable that is missing or invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, VismaError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            get(name).ok_or(VismaError::Config {
                field: name,
                reason: "not set".into(),
            })
        };
        let mut config = Self::visma_net(
            required("VISMA_CLIENT_ID")?,
            Secret::new(required("VISMA_CLIENT_SECRET")?),
            required("VISMA_TENANT_ID")?,
        );
        config.company_id = get("VISMA_COMPANY_ID");
        if let Some(v) = get("VISMA_TOKEN_URL") {
            config.token_url = v;
        }
        if let Some(v) = get("VISMA_API_BASE_URL") {
            config.api_base_url = v;
        }
        if let Some(v) = get("VISMA_SALESORDERS_BASE_URL") {
            config.salesorders_base_url = salesorders_root(&v);
        }
        if let Some(v) = get("VISMA_SCOPES") {
            config.scopes = v.split_whitespace().map(str::to_owned).collect();
        }
        if let Some(v) = get("VISMA_SALESORDER_SCOPES") {
            config.salesorder_scopes = v.split_whitespace().map(str::to_owned).collect();
        }
        if let Some(v) = get("VISMA_CLIENT_AUTH") {
            config.client_auth = match v.to_ascii_lowercase().as_str() {
                "form" => ClientAuth::Form,
                "basic" => ClientAuth::Basic,
                _ => {
                    return Err(VismaError::Config {
                        field: "VISMA_CLIENT_AUTH",
                        reason: "must be `form` or `basic`".into(),
                    })
                }
            };
        }
        if let Some(v) = get("VISMA_TIMEOUT_SECS") {
            let secs: u64 = v
                .parse()
                .ok()
                .filter(|s| *s > 0)
                .ok_or(VismaError::Config {
                    field: "VISMA_TIMEOUT_SECS",
                    reason: "must be a positive whole number of seconds".into(),
                })?;
            config.timeout = Duration::from_secs(secs);
        }
        if let Some(v) = get("VISMA_MAX_ATTEMPTS") {
            config.max_attempts = v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(VismaError::Config {
                    field: "VISMA_MAX_ATTEMPTS",
                    reason: "must be a positive whole number".into(),
                })?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the URLs and identities before any request is made. Issue #15: a URL the secret or a token goes to
    /// is https, or http to this machine only (a local simulator).
    ///
    /// # Errors
    /// [`VismaError::Config`] naming the first bad field.
    pub fn validate(&self) -> Result<(), VismaError> {
        for (field, url) in [
            ("token_url", &self.token_url),
            ("api_base_url", &self.api_base_url),
            ("salesorders_base_url", &self.salesorders_base_url),
        ] {
            let parsed = reqwest::Url::parse(url).map_err(|e| VismaError::Config {
                field,
                reason: format!("not a URL: {e}"),
            })?;
            if !secure_or_loopback(&parsed) {
                return Err(VismaError::Config {
                    field,
                    reason: "must be an https:// URL (or http:// to this machine, for a local simulator)"
                        .into(),
                });
            }
        }
        for (field, value) in [
            ("client_id", &self.client_id),
            ("tenant_id", &self.tenant_id),
        ] {
            if value.trim().is_empty() {
                return Err(VismaError::Config {
                    field,
                    reason: "empty".into(),
                });
            }
        }
        if let Some(company) = &self.company_id {
            // `ipp-company-id` is an integer context id [NOTES §1.2]; anything else cannot be a header value we send.
            if company.is_empty() || !company.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VismaError::Config {
                    field: "company_id",
                    reason: "must be the numeric company id".into(),
                });
            }
        }
        if self.client_secret.is_empty() {
            return Err(VismaError::Config {
                field: "client_secret",
                reason: "empty".into(),
            });
        }
        if self.max_attempts == 0 {
            return Err(VismaError::Config {
                field: "max_attempts",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// `https://host/api/v3/SalesOrders[/]` → `https://host`; anything else unchanged.
fn salesorders_root(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let suffix = "/api/v3/salesorders";
    match trimmed
        .len()
        .checked_sub(suffix.len())
        .and_then(|at| trimmed.get(at..).map(|tail| (at, tail)))
    {
        Some((at, tail)) if tail.eq_ignore_ascii_case(suffix) => {
            trimmed.get(..at).unwrap_or(trimmed).to_owned()
        }
        _ => url.to_owned(),
    }
}

/// True for an `https://` URL with a host, or an `http://` URL to this machine (`localhost`, 127.0.0.0/8, `::1`):
/// the only places a secret may be sent (issue #15).
pub fn secure_or_loopback(url: &reqwest::Url) -> bool {
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => !host.is_empty(),
        "http" => loopback,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_goes_over_https_or_to_this_machine_only() {
        for (url, ok) in [
            ("https://connect.visma.com/connect/token", true),
            ("http://127.0.0.1:8090/connect/token", true),
            ("http://localhost:8090", true),
            ("http://[::1]:8090", true),
            ("http://evil.example/connect/token", false),
            ("http://10.0.0.5/token", false),
            ("ftp://127.0.0.1/", false),
        ] {
            let parsed = reqwest::Url::parse(url).expect("url");
            assert_eq!(secure_or_loopback(&parsed), ok, "{url}");
        }
        let mut c = Config::visma_net("c", crate::secret::Secret::new("s"), "t");
        c.token_url = "http://evil.example/connect/token".into();
        assert!(c.validate().is_err());
    }
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 3] = [
        ("VISMA_CLIENT_ID", "demo-client"),
        ("VISMA_CLIENT_SECRET", "demo-secret"),
        ("VISMA_TENANT_ID", "demo-tenant"),
    ];

    #[test]
    fn minimal_env_gives_the_real_endpoints() {
        let config = Config::from_lookup(env(&BASE)).expect("valid");
        assert_eq!(config.token_url, VISMA_TOKEN_URL);
        assert_eq!(config.api_base_url, "https://api.finance.visma.net");
        assert_eq!(config.salesorders_base_url, "https://salesorder.visma.net");
        assert_eq!(config.client_secret.expose(), "demo-secret");
        assert_eq!(config.company_id, None);
        assert_eq!(config.scopes.len(), 4);
        assert_eq!(config.client_auth, ClientAuth::Form);
        assert!(!format!("{config:?}").contains("demo-secret"));
    }

    #[test]
    fn salesorders_urls_are_reduced_to_their_root() {
        let c = Config::visma_net("c", Secret::new("s"), "t").with_urls(
            "http://127.0.0.1:1/connect/token",
            "http://127.0.0.1:1",
            "http://127.0.0.1:1/api/v3/SalesOrders/",
        );
        assert_eq!(c.salesorders_base_url, "http://127.0.0.1:1");
        assert_eq!(
            salesorders_root("https://salesorder.visma.net"),
            "https://salesorder.visma.net"
        );
        assert_eq!(
            salesorders_root("https://x.test/prefix/API/V3/salesorders"),
            "https://x.test/prefix"
        );
    }

    #[test]
    fn overrides_are_read() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("VISMA_COMPANY_ID", "1234567"),
            ("VISMA_API_BASE_URL", "http://127.0.0.1:9000"),
            ("VISMA_CLIENT_AUTH", "Basic"),
            ("VISMA_TIMEOUT_SECS", "5"),
            ("VISMA_MAX_ATTEMPTS", "2"),
            ("VISMA_SCOPES", "a:read  b:write"),
        ]);
        let config = Config::from_lookup(env(&pairs)).expect("valid");
        assert_eq!(config.company_id.as_deref(), Some("1234567"));
        assert_eq!(config.api_base_url, "http://127.0.0.1:9000");
        assert_eq!(config.client_auth, ClientAuth::Basic);
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.max_attempts, 2);
        assert_eq!(
            config.scopes,
            vec!["a:read".to_owned(), "b:write".to_owned()]
        );
    }

    #[test]
    fn missing_or_bad_values_name_the_variable() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (BASE[..2].to_vec(), "VISMA_TENANT_ID"),
            (
                vec![BASE[0], ("VISMA_CLIENT_SECRET", "  "), BASE[2]],
                "VISMA_CLIENT_SECRET",
            ),
            (
                [BASE.to_vec(), vec![("VISMA_TIMEOUT_SECS", "0")]].concat(),
                "VISMA_TIMEOUT_SECS",
            ),
            (
                [BASE.to_vec(), vec![("VISMA_CLIENT_AUTH", "jwt")]].concat(),
                "VISMA_CLIENT_AUTH",
            ),
            (
                [
                    BASE.to_vec(),
                    vec![("VISMA_TOKEN_URL", "connect.visma.com")],
                ]
                .concat(),
                "token_url",
            ),
            (
                [BASE.to_vec(), vec![("VISMA_API_BASE_URL", "ftp://x")]].concat(),
                "api_base_url",
            ),
        ];
        for (pairs, want) in cases {
            match Config::from_lookup(env(&pairs)) {
                Err(VismaError::Config { field, .. }) => assert_eq!(field, want),
                other => panic!("{want}: expected a config error, got {other:?}"),
            }
        }
    }
}
