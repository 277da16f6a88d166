//! Visma Connect `client_credentials` tokens (NOTES §1.1): fetched with the `oauth2` crate (`tenant_id` as an extra
//! form field, client auth as form fields or HTTP Basic), cached per (tenant, client id, scope set), refreshed five
//! minutes before expiry, and dropped on demand after a 401 so the next call fetches a fresh one.
//!
//! Token endpoint errors become typed [`VismaError`]s: `invalid_client`/`invalid_tenant`/`invalid_scope` are
//! [`VismaError::Auth`] (never retried), 429/5xx/timeouts are retryable. Tokens are [`Secret`]s; nothing here
//! logs or returns a token, a secret or a response body.

use crate::clock::Clock;
use crate::secret::Secret;
use crate::visma::config::{ClientAuth, Config};
use crate::visma::error::{parse_error_body, AuthFailure, VismaError, VismaMessage};
use crate::visma::transport::Http;
use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Endpoint name used in errors from the token endpoint.
pub const TOKEN_ENDPOINT: &str = "token";
/// The endpoint name of a token for SalesOrders scopes (issue #17: a refused SalesOrders scope names its setting).
pub const SALESORDER_TOKEN_ENDPOINT: &str = "salesorder.token";
/// Refresh this long before expiry [NOTES §1.1: ONIT `AddMinutes(-5)`]; for tokens shorter than twice this,
/// half their lifetime is used instead, so a short-lived token is still reused.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime assumed when the token response has no `expires_in` (Visma sends 3600, NOTES §1.1 LIVE).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// The cache key: one token per tenant, client and scope set (the ERP API and SalesOrders v3 use different scopes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    /// Company tenant id.
    pub tenant_id: String,
    /// Visma Connect client id.
    pub client_id: String,
    /// Space-joined scopes.
    pub scopes: String,
}

#[derive(Debug, Clone)]
struct CachedToken {
    access_token: Secret,
    refresh_at: DateTime<Utc>,
}

/// A token cache, shareable between clients of the same process.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<TokenKey, CachedToken>>,
    fetches: AtomicU64,
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many tokens were fetched from the token endpoint so far (for tests and the status view).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A valid access token for `scopes`: the cached one unless it is within the refresh margin of its expiry.
    ///
    /// # Errors
    /// [`VismaError::Auth`] for rejected credentials; [`VismaError::Throttled`], [`VismaError::Server`],
    /// [`VismaError::Timeout`] or [`VismaError::Transport`] (retryable) when the token endpoint is unavailable;
    /// [`VismaError::Config`] for a bad token URL.
    pub(crate) fn token(
        &self,
        http: &Http,
        config: &Config,
        scopes: &[String],
        clock: &dyn Clock,
    ) -> Result<Secret, VismaError> {
        let key = TokenKey {
            tenant_id: config.tenant_id.clone(),
            client_id: config.client_id.clone(),
            scopes: scopes.join(" "),
        };
        // Held across the fetch on purpose: concurrent callers wait for one fetch instead of each making one.
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let now = clock.now();
        if let Some(cached) = tokens.get(&key).filter(|t| now < t.refresh_at) {
            return Ok(cached.access_token.clone());
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let (access_token, lifetime) = fetch(http, config, scopes)?;
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        let refresh_at =
            now + chrono::Duration::from_std(lifetime.saturating_sub(margin)).unwrap_or_default();
        tracing::debug!(tenant = %key.tenant_id, lifetime_secs = lifetime.as_secs(), "visma token fetched");
        tokens.insert(
            key,
            CachedToken {
                access_token: access_token.clone(),
                refresh_at,
            },
        );
        Ok(access_token)
    }

    /// Drops the cached token for `scopes` (after the API answered 401), so the next call fetches a new one.
    pub fn invalidate(&self, config: &Config, scopes: &[String]) {
        let key = TokenKey {
            tenant_id: config.tenant_id.clone(),
            client_id: config.client_id.clone(),
            scopes: scopes.join(" "),
        };
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

/// What the HTTP adapter saw of the token endpoint's last answer (`oauth2` drops the status on unreadable bodies).
#[derive(Default)]
struct Seen {
    status: Option<u16>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// One `client_credentials` request. Returns the token and its lifetime.
fn fetch(
    http: &Http,
    config: &Config,
    scopes: &[String],
) -> Result<(Secret, Duration), VismaError> {
    let token_url = TokenUrl::new(config.token_url.clone()).map_err(|e| VismaError::Config {
        field: "token_url",
        reason: e.to_string(),
    })?;
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
        .set_token_uri(token_url)
        .set_auth_type(match config.client_auth {
            ClientAuth::Form => AuthType::RequestBody,
            ClientAuth::Basic => AuthType::BasicAuth,
        });
    let seen = RefCell::new(Seen::default());
    let send = |request: oauth2::HttpRequest| -> Result<oauth2::HttpResponse, reqwest::Error> {
        let answer = http.execute(reqwest::Request::try_from(request)?)?;
        let status = reqwest::StatusCode::from_u16(answer.status)
            .unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        let headers = answer.headers;
        let body = answer.body?;
        let mut s = seen.borrow_mut();
        s.status = Some(answer.status);
        s.retry_after = retry_after_header(&headers);
        s.body.clone_from(&body);
        let mut out = oauth2::HttpResponse::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    };
    let result = client
        .exchange_client_credentials()
        .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
        .add_extra_param("tenant_id", config.tenant_id.clone())
        .request(&send);
    let seen = seen.into_inner();
    match result {
        Ok(token) => {
            let lifetime = token.expires_in().unwrap_or(DEFAULT_LIFETIME);
            Ok((Secret::new(token.access_token().secret().clone()), lifetime))
        }
        Err(RequestTokenError::Request(source)) if source.is_timeout() => {
            Err(VismaError::Timeout {
                endpoint: TOKEN_ENDPOINT,
                outcome_unknown: false,
                source,
            })
        }
        Err(RequestTokenError::Request(source)) => Err(VismaError::Transport {
            endpoint: TOKEN_ENDPOINT,
            outcome_unknown: false,
            source,
        }),
        Err(RequestTokenError::ServerResponse(err)) => {
            let code = err.error().as_ref().to_owned();
            let message = VismaMessage {
                text: err
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| code.clone()),
                ..VismaMessage::default()
            };
            Err(classify(seen.status, seen.retry_after, Some(code), message))
        }
        Err(RequestTokenError::Parse(..)) | Err(RequestTokenError::Other(_)) => Err(classify(
            seen.status,
            seen.retry_after,
            None,
            parse_error_body(&seen.body),
        )),
    }
    .map_err(|e| match e {
        VismaError::Auth {
            status,
            failure,
            message,
            ..
        } if scopes
            .iter()
            .any(|s| s.starts_with("visma.net.erp.salesorder")) =>
        {
            VismaError::Auth {
                endpoint: SALESORDER_TOKEN_ENDPOINT,
                status,
                failure,
                message,
            }
        }
        other => other,
    })
}

/// Maps a failed token answer to an error: throttling and server faults are retryable; an OAuth error code or any
/// other 4xx is the merchant's credentials.
fn classify(
    status: Option<u16>,
    retry_after: Option<Duration>,
    oauth_code: Option<String>,
    message: VismaMessage,
) -> VismaError {
    let message = Box::new(message);
    let transient_code = matches!(
        oauth_code.as_deref(),
        Some("server_error" | "temporarily_unavailable")
    );
    match status {
        Some(429) => VismaError::Throttled {
            endpoint: TOKEN_ENDPOINT,
            retry_after,
        },
        Some(status @ 500..=599) => VismaError::Server {
            endpoint: TOKEN_ENDPOINT,
            status,
            message,
            outcome_unknown: false,
        },
        Some(status) if transient_code => VismaError::Server {
            endpoint: TOKEN_ENDPOINT,
            status,
            message,
            outcome_unknown: false,
        },
        Some(status @ 200..=299) => VismaError::InvalidResponse {
            endpoint: TOKEN_ENDPOINT,
            status,
            reason: "token response without a readable access_token".into(),
            outcome_unknown: false,
        },
        status => VismaError::Auth {
            endpoint: TOKEN_ENDPOINT,
            status,
            failure: oauth_code
                .as_deref()
                .map_or(AuthFailure::TokenRejected, AuthFailure::from_oauth_code),
            message,
        },
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Visma's gateway and is ignored).
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoint_failures_are_classified() {
        let msg = VismaMessage::default();
        let auth = classify(Some(400), None, Some("invalid_tenant".into()), msg.clone());
        assert!(matches!(
            auth,
            VismaError::Auth {
                failure: AuthFailure::InvalidTenant,
                status: Some(400),
                ..
            }
        ));
        assert!(!auth.is_retryable());
        let client = classify(Some(401), None, Some("invalid_client".into()), msg.clone());
        assert!(matches!(
            client,
            VismaError::Auth {
                failure: AuthFailure::InvalidClient,
                ..
            }
        ));
        let throttled = classify(Some(429), Some(Duration::from_secs(9)), None, msg.clone());
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(9)));
        assert!(throttled.is_retryable());
        let server = classify(Some(503), None, None, msg.clone());
        assert!(server.is_retryable());
        assert!(!server.is_outcome_unknown());
        let unavailable = classify(
            Some(400),
            None,
            Some("temporarily_unavailable".into()),
            msg.clone(),
        );
        assert!(unavailable.is_retryable());
        let html_400 = classify(Some(400), None, None, msg.clone());
        assert!(matches!(
            html_400,
            VismaError::Auth {
                failure: AuthFailure::TokenRejected,
                ..
            }
        ));
        let bad_ok = classify(Some(200), None, None, msg);
        assert!(matches!(
            bad_ok,
            VismaError::InvalidResponse { status: 200, .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "17".parse().expect("literal"));
        assert_eq!(retry_after_header(&h), Some(Duration::from_secs(17)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().expect("literal"),
        );
        assert_eq!(retry_after_header(&h), None);
    }
}
