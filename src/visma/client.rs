//! The Visma.net HTTP client core: builds each request (bearer token on every call, `ipp-company-id` and
//! `ipp-application-type` on ERP calls when a company id is configured), sends it through the rate limiter and the
//! retry loop, refreshes the token once after a 401, and turns every failure into a [`VismaError`].
//!
//! The per-endpoint functions live in `endpoints.rs`, `sales_orders.rs` and `once.rs`; this file holds only the
//! transport and the generic get / list / create / update shapes. It never logs or returns a body or a token.

use crate::clock::Clock;
use crate::visma::auth::{retry_after_header, TokenCache};
use crate::visma::config::Config;
use crate::visma::error::{
    parse_error_body, AuthFailure, VismaError, FAULT_NO_LICENCE, FAULT_WRONG_COMPANY,
};
use crate::visma::limiter::{Limiter, RateHeaders};
use crate::visma::read::MetadataDto;
use crate::visma::retry::{self, Decision, Policy};
use crate::visma::transport::Http;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

/// The legacy application-type header value sent with `ipp-company-id` [NOTES §1.2].
pub const IPP_APPLICATION_TYPE: &str = "Visma.net Financials";
/// Fault codes that mean "this company/licence is misconfigured": never retried, whatever the status.
const CONFIG_FAULT_CODES: [&str; 2] = [FAULT_NO_LICENCE, FAULT_WRONG_COMPANY];
/// Upper bound on pages read by one list call, so a server that never ends a list cannot loop us forever.
const MAX_PAGES: u32 = 10_000;

/// Which Visma service a call goes to: different host, scopes and rate-limit window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// The ERP API (`/v1`, `/v2`), with `ipp-*` headers.
    Erp,
    /// The SalesOrders v3 service (`/api/v3`).
    SalesOrders,
}

/// Whether re-sending a request is harmless. Creates and actions are not: after a timeout, a dropped connection
/// or a 5xx their outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// GET.
    Read,
    /// PUT of a full update: re-sending the same body is harmless.
    Update,
    /// POST create or action: may have been applied even without an answer.
    Create,
}

/// One request, before auth headers.
#[derive(Clone)]
pub(crate) struct Call {
    pub endpoint: &'static str,
    pub method: Method,
    pub service: Service,
    /// Path segments after the base URL; each is percent-encoded when the URL is built.
    pub segments: Vec<String>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    pub kind: Kind,
}

impl Call {
    pub(crate) fn get(endpoint: &'static str, service: Service, segments: &[&str]) -> Self {
        Self {
            endpoint,
            method: Method::GET,
            service,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            kind: Kind::Read,
        }
    }

    pub(crate) fn with_query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

/// A Visma.net ERP + SalesOrders v3 client. Cheap to share by reference; all methods take `&self`.
pub struct Client {
    pub(crate) config: Config,
    http: Http,
    /// `config.api_base_url` and `config.salesorders_base_url`, parsed once (issue #8: parsing them for every
    /// call was a visible share of a call's CPU).
    erp_base: Url,
    salesorders_base: Url,
    tokens: Arc<TokenCache>,
    erp_limiter: Limiter,
    salesorders_limiter: Limiter,
    pub(crate) clock: Arc<dyn Clock>,
    jitter: Box<dyn Fn() -> f64 + Send + Sync>,
    pub(crate) policy: Policy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with its own token cache, random jitter and the given clock.
    ///
    /// # Errors
    /// [`VismaError::Config`] when the configuration is invalid or the HTTP client cannot be built.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, VismaError> {
        Self::with_token_cache(config, clock, Arc::new(TokenCache::new()))
    }

    /// A client sharing `tokens` with other clients of the process.
    ///
    /// # Errors
    /// [`VismaError::Config`] when the configuration is invalid or the HTTP client cannot be built.
    pub fn with_token_cache(
        config: Config,
        clock: Arc<dyn Clock>,
        tokens: Arc<TokenCache>,
    ) -> Result<Self, VismaError> {
        config.validate()?;
        let http = Http::new(config.timeout).map_err(|reason| VismaError::Config {
            field: "http_client",
            reason,
        })?;
        let policy = Policy {
            max_attempts: config.max_attempts,
            ..Policy::default()
        };
        let base = |field: &'static str, url: &str| {
            Url::parse(url).map_err(|e| VismaError::Config {
                field,
                reason: e.to_string(),
            })
        };
        let erp_base = base("api_base_url", &config.api_base_url)?;
        let salesorders_base = base("salesorders_base_url", &config.salesorders_base_url)?;
        Ok(Self {
            erp_base,
            salesorders_base,
            erp_limiter: Limiter::new(config.max_limiter_wait)
                .with_reserve(config.rate_limit_reserve),
            salesorders_limiter: Limiter::new(config.max_limiter_wait)
                .with_reserve(config.rate_limit_reserve),
            config,
            http,
            tokens,
            clock,
            jitter: Box::new(rand::random::<f64>),
            policy,
        })
    }

    /// Replaces the jitter source (tests pass a constant so waits are exact).
    pub fn with_jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Box::new(jitter);
        self
    }

    /// Replaces the backoff policy (base, cap, attempts).
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The token cache (for tests and the status view).
    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    /// The ERP rate limiter (for tests and the status view).
    pub fn erp_limiter(&self) -> &Limiter {
        &self.erp_limiter
    }

    /// One jitter value in `[0, 1)` for [`retry::decide`].
    pub(crate) fn jitter(&self) -> f64 {
        (self.jitter)()
    }

    fn limiter(&self, service: Service) -> &Limiter {
        match service {
            Service::Erp => &self.erp_limiter,
            Service::SalesOrders => &self.salesorders_limiter,
        }
    }

    fn scopes(&self, service: Service) -> &[String] {
        match service {
            Service::Erp => &self.config.scopes,
            Service::SalesOrders => &self.config.salesorder_scopes,
        }
    }

    /// Sends `call` with retries: the limiter first, then the request; a 401 drops the token and tries once more
    /// with a fresh one (not counted as an attempt); other failures go through [`retry::decide`].
    pub(crate) fn send(&self, call: &Call) -> Result<Reply, VismaError> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt = attempt.saturating_add(1);
            let result = self
                .limiter(call.service)
                .acquire(self.clock.as_ref(), call.endpoint)
                .and_then(|()| self.send_once(call));
            let error = match result {
                Ok(reply) if (200..300).contains(&reply.status) => return Ok(reply),
                Ok(reply) if reply.status == 401 && !refreshed => {
                    tracing::info!(
                        endpoint = call.endpoint,
                        "visma answered 401; refreshing the token once"
                    );
                    refreshed = true;
                    self.tokens
                        .invalidate(&self.config, self.scopes(call.service));
                    attempt = attempt.saturating_sub(1);
                    continue;
                }
                Ok(reply) => error_from_reply(call, &reply),
                Err(error) => error,
            };
            match retry::decide(
                &self.policy,
                error.failure(),
                attempt,
                error.retry_after(),
                self.jitter(),
            ) {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(
                        endpoint = call.endpoint,
                        attempt,
                        status = error.status(),
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "visma call failed; retrying"
                    );
                    self.clock.sleep(wait);
                }
                Decision::GiveUp => return Err(error),
            }
        }
    }

    /// One HTTP exchange. Any status is `Ok`; only transport failures (and token failures) are errors.
    fn send_once(&self, call: &Call) -> Result<Reply, VismaError> {
        let token = self.tokens.token(
            &self.http,
            &self.config,
            self.scopes(call.service),
            self.clock.as_ref(),
        )?;
        let url = self.url(call)?;
        let mut request = self
            .http
            .client()
            .request(call.method.clone(), url.clone())
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, bearer(token.expose(), call.endpoint)?);
        if call.service == Service::Erp {
            if let Some(company) = &self.config.company_id {
                request = request
                    .header("ipp-company-id", company)
                    .header("ipp-application-type", IPP_APPLICATION_TYPE);
            }
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let unsafe_write = call.kind == Kind::Create;
        let transport = |source: reqwest::Error, sent: bool| {
            // A request never sent, or a refused connection, never reached Visma; anything later may have been
            // applied.
            let outcome_unknown = unsafe_write && sent && !source.is_connect();
            if source.is_timeout() {
                VismaError::Timeout {
                    endpoint: call.endpoint,
                    outcome_unknown,
                    source,
                }
            } else {
                VismaError::Transport {
                    endpoint: call.endpoint,
                    outcome_unknown,
                    source,
                }
            }
        };
        let request = request.build().map_err(|e| transport(e, false))?;
        let answer = self.http.execute(request).map_err(|e| transport(e, true))?;
        self.limiter(call.service)
            .observe(RateHeaders::from_headers(&answer.headers), self.clock.now());
        let body = answer.body.map_err(|e| transport(e, true))?;
        let status = answer.status;
        tracing::debug!(endpoint = call.endpoint, status, "visma answered");
        Ok(Reply {
            status,
            headers: answer.headers,
            body,
            url,
        })
    }

    fn url(&self, call: &Call) -> Result<Url, VismaError> {
        let (field, mut url) = match call.service {
            Service::Erp => ("api_base_url", self.erp_base.clone()),
            Service::SalesOrders => ("salesorders_base_url", self.salesorders_base.clone()),
        };
        url.path_segments_mut()
            .map_err(|()| VismaError::Config {
                field,
                reason: "cannot be a base URL".into(),
            })?
            .pop_if_empty()
            .extend(&call.segments);
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// GET one JSON value.
    pub(crate) fn get_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, VismaError> {
        let reply = self.send(call)?;
        parse_json(call.endpoint, &reply)
    }

    /// GET every page of a `pageNumber`/`pageSize` list, using the per-item `metadata.totalCount` to stop.
    pub(crate) fn list_all<T: DeserializeOwned + HasMetadata>(
        &self,
        call: Call,
        page_size: u32,
    ) -> Result<Vec<T>, VismaError> {
        let mut all: Vec<T> = Vec::new();
        for page_number in 1..=MAX_PAGES {
            let mut page_call = call.clone();
            page_call
                .query
                .push(("pageNumber", page_number.to_string()));
            page_call.query.push(("pageSize", page_size.to_string()));
            let page: Vec<T> = self.get_json(&page_call)?;
            let page_len = page.len();
            let metadata = page.first().and_then(HasMetadata::metadata);
            all.extend(page);
            let total = metadata.and_then(|m| m.total_count);
            let done = match total {
                _ if page_len == 0 => true,
                Some(total) => u64::try_from(all.len()).unwrap_or(u64::MAX) >= total,
                None => {
                    metadata.is_none()
                        && u64::try_from(page_len).unwrap_or(0) < u64::from(page_size)
                }
            };
            if done {
                return Ok(all);
            }
        }
        Err(VismaError::InvalidResponse {
            endpoint: call.endpoint,
            status: 200,
            reason: format!("list did not end within {MAX_PAGES} pages"),
            outcome_unknown: false,
        })
    }

    /// POST a create and return the new number from the `Location` header.
    pub(crate) fn create(
        &self,
        endpoint: &'static str,
        service: Service,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<Reply, VismaError> {
        let body =
            serde_json::to_vec(body).map_err(|source| VismaError::Body { endpoint, source })?;
        let call = Call {
            endpoint,
            method: Method::POST,
            service,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: Some(body),
            kind: Kind::Create,
        };
        self.send(&call)
    }

    /// PUT a full update (204 expected).
    pub(crate) fn update(
        &self,
        endpoint: &'static str,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<(), VismaError> {
        let body =
            serde_json::to_vec(body).map_err(|source| VismaError::Body { endpoint, source })?;
        let call = Call {
            endpoint,
            method: Method::PUT,
            service: Service::Erp,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: Some(body),
            kind: Kind::Update,
        };
        self.send(&call).map(|_| ())
    }
}

/// List items that carry paging `metadata`.
pub(crate) trait HasMetadata {
    fn metadata(&self) -> Option<MetadataDto>;
}

fn bearer(token: &str, endpoint: &'static str) -> Result<HeaderValue, VismaError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        VismaError::InvalidResponse {
            endpoint,
            status: 200,
            reason: "access token is not a valid header value".into(),
            outcome_unknown: false,
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses a JSON success body.
pub(crate) fn parse_json<T: DeserializeOwned>(
    endpoint: &'static str,
    reply: &Reply,
) -> Result<T, VismaError> {
    serde_json::from_slice(&reply.body).map_err(|e| VismaError::InvalidResponse {
        endpoint,
        status: reply.status,
        // serde's message names the line/column and the expected type, not the body.
        reason: format!("unreadable JSON: {e}"),
        outcome_unknown: false,
    })
}

/// Maps a non-2xx answer to an error.
fn error_from_reply(call: &Call, reply: &Reply) -> VismaError {
    let endpoint = call.endpoint;
    let status = reply.status;
    if status == 429 {
        let retry_after = retry_after_header(&reply.headers)
            .or_else(|| RateHeaders::from_headers(&reply.headers).reset);
        return VismaError::Throttled {
            endpoint,
            retry_after,
        };
    }
    let message = Box::new(parse_error_body(&reply.body));
    let config_fault = message
        .fault_code
        .as_deref()
        .is_some_and(|c| CONFIG_FAULT_CODES.contains(&c));
    match status {
        401 => VismaError::Auth {
            endpoint,
            status: Some(401),
            failure: AuthFailure::TokenRejected,
            message,
        },
        // Issue #14: a valid token refused for this API (a scope the client lacks, e.g. SalesOrders) is the
        // merchant's setting to fix, not a rejected document.
        403 if !config_fault => VismaError::Auth {
            endpoint,
            status: Some(403),
            failure: AuthFailure::Forbidden,
            message,
        },
        // 501 Not Implemented will not start working by waiting: a permanent rejection, not a server fault.
        501 => VismaError::Rejected {
            endpoint,
            status,
            message,
        },
        500..=599 if !config_fault => VismaError::Server {
            endpoint,
            status,
            message,
            outcome_unknown: call.kind == Kind::Create,
        },
        _ => VismaError::Rejected {
            endpoint,
            status,
            message,
        },
    }
}

pub use super::location::number_from_location;
pub(crate) use super::location::{created_number, last_segments};
