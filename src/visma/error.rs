//! `VismaError`: everything that can go wrong talking to Visma.net, with the facts the engine and the merchant
//! need (endpoint, HTTP status, Visma's message and fault code) and the two questions the engine asks:
//! "can a retry help?" and "may the request have been applied anyway?".
//!
//! Also the pure parser for Visma's error bodies (NOTES §5.2). Errors never hold a secret, a token, a request body
//! or a header map: only ids, statuses and Visma's own message text.

use std::time::Duration;

pub use super::error_body::{parse_error_body, VismaMessage};

/// `ExceptionFaultCode` for "No license for this company." [NOTES §1.1, P-KB].
pub const FAULT_NO_LICENCE: &str = "12027";
/// `ExceptionFaultCode` for an invalid `ipp-company-id` [NOTES §1.2, infobridgekb].
pub const FAULT_WRONG_COMPANY: &str = "12002";

/// Why Visma Connect or the API refused our credentials. Each one is for the merchant to fix; none is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// `invalid_client`: unknown client id or wrong client secret.
    InvalidClient,
    /// `invalid_tenant`: the tenant id is wrong or the application is not connected to it.
    InvalidTenant,
    /// `invalid_scope`: the application lacks a requested scope.
    InvalidScope,
    /// `unauthorized_client` / `unsupported_grant_type`: the application may not use client credentials.
    UnauthorizedClient,
    /// The API answered 401 again after one token refresh (wrong tenant kind, revoked access, …).
    TokenRejected,
    /// The API answered 403 to a valid token: the client lacks this API's scope (issue #14).
    Forbidden,
    /// Another OAuth error code, kept verbatim.
    Other(String),
}

impl AuthFailure {
    /// Classifies an OAuth `error` code from the token endpoint.
    pub fn from_oauth_code(code: &str) -> Self {
        match code {
            "invalid_client" => Self::InvalidClient,
            "invalid_tenant" => Self::InvalidTenant,
            "invalid_scope" => Self::InvalidScope,
            "unauthorized_client" | "unsupported_grant_type" => Self::UnauthorizedClient,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidClient => f.write_str("invalid client id or secret (invalid_client)"),
            Self::InvalidTenant => {
                f.write_str("wrong tenant id or app not connected to it (invalid_tenant)")
            }
            Self::InvalidScope => {
                f.write_str("scope not granted to the application (invalid_scope)")
            }
            Self::UnauthorizedClient => f.write_str("application may not use client credentials"),
            Self::TokenRejected => f.write_str("token rejected by the API after a refresh"),
            Self::Forbidden => f.write_str("the API refused the token (HTTP 403: missing scope)"),
            Self::Other(code) => write!(f, "{code}"),
        }
    }
}

/// A failure talking to Visma.net or Visma Connect.
#[derive(Debug, thiserror::Error)]
pub enum VismaError {
    /// The connector's Visma settings are unusable (bad URL, missing client id, …).
    #[error("visma configuration: {field}: {reason}")]
    Config {
        /// The setting or environment variable at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Credentials refused: by the token endpoint, or by the API after one refresh.
    #[error("visma authentication failed at {endpoint}: {failure}: {message}")]
    Auth {
        /// `token` or the API endpoint that answered 401.
        endpoint: &'static str,
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// The classified reason.
        failure: AuthFailure,
        /// Visma's description.
        message: Box<VismaMessage>,
    },
    /// Visma refused the request (400, 403, 404, 409, 412, …): the same request will fail again.
    #[error("visma rejected {endpoint} with HTTP {status}: {message}")]
    Rejected {
        /// The endpoint name, e.g. `customerinvoice.create`.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// Visma's explanation.
        message: Box<VismaMessage>,
    },
    /// 429: over the rate limit. Nothing was applied.
    #[error("visma throttled {endpoint} (HTTP 429){}", fmt_wait(*retry_after))]
    Throttled {
        /// The endpoint name.
        endpoint: &'static str,
        /// `Retry-After` or `X-RateLimit-Reset`, when sent.
        retry_after: Option<Duration>,
    },
    /// The client-side limiter would have to wait longer than allowed for the rate-limit window to reset.
    #[error("visma rate-limit budget used up before {endpoint}; the window resets in {}s", reset_in.as_secs())]
    BudgetExhausted {
        /// The endpoint that was not sent.
        endpoint: &'static str,
        /// Time until the window resets.
        reset_in: Duration,
    },
    /// 5xx from Visma.
    #[error("visma failed {endpoint} with HTTP {status}: {message}")]
    Server {
        /// The endpoint name.
        endpoint: &'static str,
        /// HTTP status (500..=599).
        status: u16,
        /// Visma's explanation, if any.
        message: Box<VismaMessage>,
        /// True for a write: Visma may have stored it before failing.
        outcome_unknown: bool,
    },
    /// No answer within the configured timeout.
    #[error("visma did not answer {endpoint} in time")]
    Timeout {
        /// The endpoint name.
        endpoint: &'static str,
        /// True for a write: it may have been applied.
        outcome_unknown: bool,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// Could not connect, or the connection broke.
    #[error("could not reach visma for {endpoint}")]
    Transport {
        /// The endpoint name.
        endpoint: &'static str,
        /// True for a write whose request may have reached Visma (the connection broke after connecting).
        outcome_unknown: bool,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// A success status with a body or `Location` header we cannot read.
    #[error("unexpected visma response from {endpoint} (HTTP {status}): {reason}")]
    InvalidResponse {
        /// The endpoint name.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// What was wrong (never the body itself).
        reason: String,
        /// True for a write Visma accepted but whose new number we could not read.
        outcome_unknown: bool,
    },
    /// The request body could not be serialised (a bug in the DTO, not Visma's fault).
    #[error("could not serialise the body for {endpoint}")]
    Body {
        /// The endpoint name.
        endpoint: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
}

fn fmt_wait(wait: Option<Duration>) -> String {
    wait.map(|d| format!("; retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl VismaError {
    /// Throttling, server faults, timeouts and network failures may pass on a later try; a rejected document, a
    /// configuration or authentication problem will not.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled { .. }
                | Self::BudgetExhausted { .. }
                | Self::Timeout { .. }
                | Self::Transport { .. }
        ) || matches!(self, Self::Server { status, .. } if *status != 501)
    }

    /// True when a write may have been applied although we got no success answer (timeout, dropped connection,
    /// 5xx after sending, or a 201 without a readable `Location`). The caller must search for the document before
    /// creating it again.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Self::Server {
                outcome_unknown, ..
            }
            | Self::Timeout {
                outcome_unknown, ..
            }
            | Self::Transport {
                outcome_unknown, ..
            }
            | Self::InvalidResponse {
                outcome_unknown, ..
            } => *outcome_unknown,
            _ => false,
        }
    }

    /// True for credential problems the merchant must fix (bad secret, wrong tenant, missing scope).
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// True when a SalesOrders v3 call (or its token) failed.
    fn is_sales_orders(&self) -> bool {
        matches!(self, Self::Auth { endpoint, .. } | Self::Rejected { endpoint, .. }
            if endpoint.starts_with("salesorder"))
    }

    /// True for a 404 answer: the document or lookup value does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The HTTP status, when Visma answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. }
            | Self::Server { status, .. }
            | Self::InvalidResponse { status, .. } => Some(*status),
            Self::Auth { status, .. } => *status,
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    /// Visma's fault code (`ExceptionFaultCode`), e.g. `12027` (no licence) or `12002` (wrong company id).
    pub fn fault_code(&self) -> Option<&str> {
        self.message().and_then(|m| m.fault_code.as_deref())
    }

    /// Visma's parsed message, when it sent one.
    pub fn message(&self) -> Option<&VismaMessage> {
        match self {
            Self::Auth { message, .. }
            | Self::Rejected { message, .. }
            | Self::Server { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The wait Visma asked for (`Retry-After` / `X-RateLimit-Reset`), or the limiter's time to reset.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after, .. } => *retry_after,
            Self::BudgetExhausted { reset_in, .. } => Some(*reset_in),
            _ => None,
        }
    }

    /// True when the merchant must change a setting (client id, secret, tenant, company id, licence) before any
    /// call can work: configuration and auth errors, and the fault codes 12027 (no licence) and 12002 (wrong
    /// `ipp-company-id`).
    pub fn is_configuration(&self) -> bool {
        matches!(self, Self::Config { .. } | Self::Auth { .. })
            || matches!(
                self.fault_code(),
                Some(FAULT_NO_LICENCE | FAULT_WRONG_COMPANY)
            )
    }

    /// The plugin setting (or service config key) to fix for a configuration error, when one is clear.
    pub fn setting_to_fix(&self) -> Option<&'static str> {
        match (self, self.fault_code()) {
            (_, Some(FAULT_WRONG_COMPANY)) => Some("visma_company_id"),
            (_, Some(FAULT_NO_LICENCE)) => Some("visma_tenant_id"),
            (Self::Auth { failure, .. }, _) => match failure {
                AuthFailure::InvalidClient => Some("visma_client_secret"),
                AuthFailure::InvalidTenant
                | AuthFailure::UnauthorizedClient
                | AuthFailure::TokenRejected => Some("visma_tenant_id"),
                AuthFailure::InvalidScope | AuthFailure::Forbidden if self.is_sales_orders() => {
                    Some("visma_salesorder_scopes")
                }
                AuthFailure::InvalidScope | AuthFailure::Forbidden => Some("visma_scopes"),
                AuthFailure::Other(_) => None,
            },
            (Self::Config { field, .. }, _) => Some(field),
            _ => None,
        }
    }

    /// One sentence telling the merchant what is wrong and what to check (for `visma ping` and the health view).
    pub fn reason_for_merchant(&self) -> String {
        match (self, self.fault_code()) {
            (_, Some(FAULT_NO_LICENCE)) => {
                "no licence for this company (fault 12027): give the integration the API User role, use the \
                 company tenant id (not the customer tenant id), and check the licence has not expired"
                    .into()
            }
            (_, Some(FAULT_WRONG_COMPANY)) => {
                "wrong company id (fault 12002): the ipp-company-id does not match the company of the tenant".into()
            }
            (Self::Config { field, reason }, _) => format!("configuration: {field}: {reason}"),
            (Self::Auth { failure: AuthFailure::InvalidClient, .. }, _) => {
                "bad client id or client secret (invalid_client)".into()
            }
            (Self::Auth { failure: AuthFailure::InvalidTenant | AuthFailure::UnauthorizedClient, .. }, _) => {
                format!(
                    "the integration is not approved for this company (tenant): the company's Visma.net administrator \
                     must approve (connect) the integration's client id for the company in the Visma Developer \
                     Portal / App Store, and the tenant id must be the company tenant id ({})",
                    self.message().map(|m| m.text.clone()).unwrap_or_default()
                )
            }
            (Self::Auth { failure: AuthFailure::InvalidScope | AuthFailure::Forbidden, .. }, _)
                if self.is_sales_orders() =>
            {
                "the integration is not subscribed to the SalesOrders API (visma.net.erp.salesorder:read/write): \
                 subscribe its client to it in the Visma Developer Portal, or send invoices instead of sales orders; \
                 the queue waits until the connection test passes"
                    .into()
            }
            (Self::Auth { failure: AuthFailure::InvalidScope, .. }, _) => {
                "the integration is not subscribed to the requested scopes (invalid_scope): subscribe its client \
                 to the API in the Visma Developer Portal, or remove the scope from the settings"
                    .into()
            }
            (Self::Auth { failure: AuthFailure::Forbidden, endpoint, .. }, _) => format!(
                "Visma refused {endpoint} with 403: the integration lacks this API's scope (for sales orders: \
                 visma.net.erp.salesorder:read/write); subscribe it in the Visma Developer Portal"
            ),
            (Self::Auth { failure: AuthFailure::TokenRejected, endpoint, .. }, _) => format!(
                "Visma refused the token at {endpoint} (401 after a refresh): use the company tenant id, not the \
                 customer tenant id"
            ),
            (Self::Auth { failure, .. }, _) => format!("authentication refused: {failure}"),
            (Self::Transport { endpoint, source, .. }, _) => format!(
                "Visma is unreachable at {} ({endpoint}): check the URL and the network",
                source.url().and_then(|u| u.host_str()).unwrap_or("?")
            ),
            (Self::Timeout { endpoint, .. }, _) => format!("Visma did not answer in time ({endpoint})"),
            (other, _) => other.to_string(),
        }
    }

    /// The classification [`crate::visma::retry::decide`] works on.
    pub fn failure(&self) -> crate::visma::retry::Failure {
        crate::visma::retry::Failure {
            retryable: self.is_retryable(),
            outcome_unknown: self.is_outcome_unknown(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_and_outcome_unknown_follow_the_status() {
        let msg = VismaMessage::default();
        let rejected = |status| VismaError::Rejected {
            endpoint: "e",
            status,
            message: Box::new(msg.clone()),
        };
        for status in [400, 403, 404, 409, 412] {
            assert!(!rejected(status).is_retryable(), "{status}");
            assert!(!rejected(status).is_outcome_unknown(), "{status}");
        }
        let throttled = VismaError::Throttled {
            endpoint: "e",
            retry_after: Some(Duration::from_secs(7)),
        };
        assert!(throttled.is_retryable());
        assert!(!throttled.is_outcome_unknown());
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(7)));
        let server = |outcome_unknown| VismaError::Server {
            endpoint: "e",
            status: 503,
            message: Box::new(msg.clone()),
            outcome_unknown,
        };
        assert!(server(false).is_retryable());
        assert!(server(true).is_outcome_unknown());
        assert!(!server(false).is_outcome_unknown());
        let auth = VismaError::Auth {
            endpoint: "token",
            status: Some(400),
            failure: AuthFailure::InvalidTenant,
            message: Box::new(msg.clone()),
        };
        assert!(!auth.is_retryable());
        assert!(auth.is_auth());
        assert!(rejected(404).is_not_found());
    }

    #[test]
    fn oauth_codes_are_classified() {
        assert_eq!(
            AuthFailure::from_oauth_code("invalid_client"),
            AuthFailure::InvalidClient
        );
        assert_eq!(
            AuthFailure::from_oauth_code("invalid_tenant"),
            AuthFailure::InvalidTenant
        );
        assert_eq!(
            AuthFailure::from_oauth_code("invalid_scope"),
            AuthFailure::InvalidScope
        );
        assert_eq!(
            AuthFailure::from_oauth_code("server_error"),
            AuthFailure::Other("server_error".into())
        );
    }
}
