//! The WooCommerce REST v3 client used by the service's poller and `webhooks install|repair`: build, send,
//! parse. Orders, customers and refunds come back as raw JSON values (the engine's intake reads them, the
//! mapping parses them); webhooks as [`WebhookInfo`]. No mapping, no queue, no retries here (the poller's next
//! run is the retry).
//!
//! Authentication (`shared/reference/woocommerce/NOTES.md` §2.1): over HTTPS the API key pair is HTTP Basic;
//! over plain HTTP WooCommerce accepts only one-legged OAuth 1.0a, signed here with HMAC-SHA256 ([`oauth1`]).
//! Paging: `per_page=100` and `X-WP-TotalPages` (§2.4).

pub mod oauth1;

use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Items per page: WooCommerce's maximum (NOTES §2.2).
pub const PER_PAGE: u32 = 100;
/// A runaway paging loop stops here (100 000 items).
const MAX_PAGES: u32 = 1000;

/// Why a WooCommerce call failed. Carries the endpoint name and status, never a body or a key.
#[derive(Debug, thiserror::Error)]
pub enum WooClientError {
    /// The connection failed or timed out.
    #[error("could not reach WooCommerce for {endpoint}")]
    Transport {
        /// The endpoint's name (`GET /orders`).
        endpoint: &'static str,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// WooCommerce answered with an error status.
    #[error("WooCommerce answered {endpoint} with HTTP {status} ({code})")]
    Status {
        /// The endpoint's name.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// WooCommerce's error code (`woocommerce_rest_cannot_view`), if the body had one.
        code: String,
    },
    /// The answer is not the JSON we expect.
    #[error("WooCommerce's answer to {endpoint} is not the expected JSON")]
    Json {
        /// The endpoint's name.
        endpoint: &'static str,
        /// The parser's error (position, never the body).
        #[source]
        source: serde_json::Error,
    },
    /// The configuration cannot work (bad base URL, HTTP client not buildable).
    #[error("WooCommerce client configuration: {0}")]
    Config(String),
}

impl WooClientError {
    /// Network failures, throttling and server faults pass with time; bad keys and bad requests do not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            Self::Json { .. } | Self::Config(_) => false,
        }
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Basic for `https://`, OAuth 1.0a for `http://`.
    #[default]
    Auto,
    /// HTTP Basic with the key pair (HTTPS, or a proxy that makes WordPress see HTTPS).
    Basic,
    /// One-legged OAuth 1.0a, HMAC-SHA256 (plain-HTTP development stores).
    Oauth1,
}

/// Where the shop is and its API key pair.
#[derive(Debug, Clone)]
pub struct WooConfig {
    /// The shop's home URL (`https://shop.example`); `/wp-json/wc/v3` is appended.
    pub base_url: String,
    /// `ck_…`.
    pub consumer_key: Secret,
    /// `cs_…`.
    pub consumer_secret: Secret,
    /// Basic, OAuth 1.0a or by scheme.
    pub auth: AuthMode,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// A webhook as `GET /wc/v3/webhooks` lists it (the fields the health monitor reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WebhookInfo {
    /// The webhook id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// `active`, `paused` or `disabled`.
    #[serde(default)]
    pub status: String,
    /// `order.updated` etc.
    #[serde(default)]
    pub topic: String,
    /// Where it delivers.
    #[serde(default)]
    pub delivery_url: String,
}

/// The body of `POST /webhooks` and `PUT /webhooks/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookWrite {
    /// Name shown in WooCommerce's admin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `active` to (re)enable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The topic (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Where to deliver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_url: Option<String>,
    /// The signing secret (the REST API stores it as given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A blocking WooCommerce REST v3 client for one shop.
pub struct WooClient {
    http: reqwest::blocking::Client,
    api: String,
    key: Secret,
    secret: Secret,
    oauth: bool,
}

impl std::fmt::Debug for WooClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WooClient")
            .field("api", &self.api)
            .field("oauth", &self.oauth)
            .finish_non_exhaustive()
    }
}

impl WooClient {
    /// A client for the shop `config` describes.
    ///
    /// # Errors
    /// [`WooClientError::Config`] for a base URL that is not http(s) or an HTTP client that cannot be built.
    pub fn new(config: &WooConfig) -> Result<Self, WooClientError> {
        let base = config.base_url.trim().trim_end_matches('/');
        let https = base.starts_with("https://");
        if !https && !base.starts_with("http://") {
            return Err(WooClientError::Config(format!(
                "base_url must start with http:// or https://, got {base:?}"
            )));
        }
        let oauth = match config.auth {
            AuthMode::Auto => !https,
            AuthMode::Basic => false,
            AuthMode::Oauth1 => true,
        };
        // Issue #15: WooCommerce takes HTTP Basic only over HTTPS; over plain HTTP it wants OAuth 1.0a
        // signatures, and Basic would send the consumer secret in clear.
        let secure =
            reqwest::Url::parse(base).is_ok_and(|u| crate::visma::config::secure_or_loopback(&u));
        if !oauth && !secure {
            return Err(WooClientError::Config(
                "auth = \"basic\" over plain http:// would send the consumer secret in clear, and WooCommerce \
                 accepts Basic only over HTTPS: use https://, or auth = \"oauth1\" (or \"auto\") to sign requests"
                    .to_owned(),
            ));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WooClientError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            api: format!("{base}/wp-json/wc/v3"),
            key: config.consumer_key.clone(),
            secret: config.consumer_secret.clone(),
            oauth,
        })
    }

    /// Every order modified after `after` (GMT), oldest modification first, all pages.
    ///
    /// # Errors
    /// Any [`WooClientError`] of a page; nothing is returned then.
    pub fn orders_modified_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Vec<Value>, WooClientError> {
        let after = after.format("%Y-%m-%dT%H:%M:%S").to_string();
        self.all_pages(
            "GET /orders",
            "/orders",
            &[
                ("modified_after", after),
                ("dates_are_gmt", "true".into()),
                ("orderby", "modified".into()),
                ("order", "asc".into()),
            ],
        )
    }

    /// One order.
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn order(&self, id: u64) -> Result<Value, WooClientError> {
        let (body, _) = self.send(
            "GET /orders/{id}",
            "GET",
            &format!("/orders/{id}"),
            &[],
            None,
        )?;
        parse("GET /orders/{id}", &body)
    }

    /// The refunds of an order (`GET /orders/{id}/refunds`).
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn refunds(&self, order_id: u64) -> Result<Vec<Value>, WooClientError> {
        self.all_pages(
            "GET /orders/{id}/refunds",
            &format!("/orders/{order_id}/refunds"),
            &[],
        )
    }

    /// Every customer, by id ascending (`/customers` has no `modified_after`, NOTES §2.3).
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn customers(&self) -> Result<Vec<Value>, WooClientError> {
        self.all_pages(
            "GET /customers",
            "/customers",
            &[("orderby", "id".into()), ("order", "asc".into())],
        )
    }

    /// The shop's webhooks.
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn webhooks(&self) -> Result<Vec<WebhookInfo>, WooClientError> {
        let values = self.all_pages("GET /webhooks", "/webhooks", &[])?;
        values
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|source| WooClientError::Json {
                    endpoint: "GET /webhooks",
                    source,
                })
            })
            .collect()
    }

    /// Creates a webhook (WooCommerce pings its delivery URL at once).
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn create_webhook(&self, hook: &WebhookWrite) -> Result<WebhookInfo, WooClientError> {
        self.write("POST /webhooks", "POST", "/webhooks", hook)
    }

    /// Updates a webhook (status, URL, secret).
    ///
    /// # Errors
    /// Any [`WooClientError`].
    pub fn update_webhook(
        &self,
        id: u64,
        hook: &WebhookWrite,
    ) -> Result<WebhookInfo, WooClientError> {
        self.write(
            "PUT /webhooks/{id}",
            "PUT",
            &format!("/webhooks/{id}"),
            hook,
        )
    }

    fn write(
        &self,
        endpoint: &'static str,
        method: &str,
        path: &str,
        hook: &WebhookWrite,
    ) -> Result<WebhookInfo, WooClientError> {
        let body =
            serde_json::to_vec(hook).map_err(|source| WooClientError::Json { endpoint, source })?;
        let (answer, _) = self.send(endpoint, method, path, &[], Some(body))?;
        parse(endpoint, &answer)
    }

    fn all_pages(
        &self,
        endpoint: &'static str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, WooClientError> {
        let mut items = Vec::new();
        let mut page = 1u32;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("per_page", PER_PAGE.to_string()));
            q.push(("page", page.to_string()));
            let (body, total_pages) = self.send(endpoint, "GET", path, &q, None)?;
            let batch: Vec<Value> = parse(endpoint, &body)?;
            let empty = batch.is_empty();
            items.extend(batch);
            // Without the header (an older proxy stripped it), an empty page ends the walk.
            let more = total_pages.map_or(!empty, |t| page < t);
            if !more || page >= MAX_PAGES {
                return Ok(items);
            }
            page += 1;
        }
    }

    /// Sends one request; returns the body and `X-WP-TotalPages`.
    fn send(
        &self,
        endpoint: &'static str,
        method: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<(Vec<u8>, Option<u32>), WooClientError> {
        let url = format!("{}{}", self.api, path);
        let mut query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let method_value = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| WooClientError::Config(format!("bad method {method}")))?;
        let mut request = if self.oauth {
            let params = oauth1::sign(
                method,
                &url,
                &query,
                self.key.expose(),
                self.secret.expose(),
                Utc::now().timestamp(),
                &oauth1::nonce(),
            );
            query.extend(params);
            self.http.request(method_value, &url)
        } else {
            self.http
                .request(method_value, &url)
                .basic_auth(self.key.expose(), Some(self.secret.expose()))
        };
        request = request.query(&query);
        if let Some(b) = body {
            request = request.header("Content-Type", "application/json").body(b);
        }
        let response = request
            .send()
            .map_err(|source| WooClientError::Transport { endpoint, source })?;
        let status = response.status().as_u16();
        let total_pages = response
            .headers()
            .get("x-wp-totalpages")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes = response
            .bytes()
            .map_err(|source| WooClientError::Transport { endpoint, source })?;
        if !(200..300).contains(&status) {
            let code = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("code")
                        .and_then(Value::as_str)
                        .map(|c| c.chars().take(80).collect())
                })
                .unwrap_or_default();
            return Err(WooClientError::Status {
                endpoint,
                status,
                code,
            });
        }
        Ok((bytes.to_vec(), total_pages))
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    endpoint: &'static str,
    body: &[u8],
) -> Result<T, WooClientError> {
    serde_json::from_slice(body).map_err(|source| WooClientError::Json { endpoint, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_follows_the_scheme_unless_forced() {
        let config = |url: &str, auth| WooConfig {
            base_url: url.into(),
            consumer_key: Secret::new("ck"),
            consumer_secret: Secret::new("cs"),
            auth,
            timeout: Duration::from_secs(1),
        };
        let c = |url, auth| WooClient::new(&config(url, auth)).expect("valid");
        assert!(!c("https://shop.example/", AuthMode::Auto).oauth);
        assert!(c("http://127.0.0.1:8089", AuthMode::Auto).oauth);
        assert!(!c("http://127.0.0.1:8089", AuthMode::Basic).oauth);
        // Issue #15: Basic over plain http to another machine would send the secret in clear.
        let clear =
            WooClient::new(&config("http://shop.example", AuthMode::Basic)).expect_err("refused");
        assert!(clear.to_string().contains("oauth1"), "{clear}");
        assert!(
            c("http://shop.example", AuthMode::Auto).oauth,
            "auto signs instead"
        );
        assert_eq!(
            c("https://shop.example/", AuthMode::Auto).api,
            "https://shop.example/wp-json/wc/v3"
        );
        assert!(WooClient::new(&config("ftp://x", AuthMode::Auto)).is_err());
        assert!(!format!("{:?}", c("https://s", AuthMode::Auto)).contains("cs"));
    }

    #[test]
    fn retryable_statuses() {
        let s = |status| WooClientError::Status {
            endpoint: "GET /orders",
            status,
            code: String::new(),
        };
        assert!(s(503).is_retryable() && s(429).is_retryable());
        assert!(!s(401).is_retryable() && !s(404).is_retryable());
    }
}
