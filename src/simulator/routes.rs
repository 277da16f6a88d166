//! The request pipeline and the route table. Every request: latency, then (API calls) the rate window, the
//! bearer token and its scope, the `ipp-company-id` check, the fault plan, the endpoint; then the request log,
//! the state file, and — for a lost response — the cut connection. Paths are matched case-insensitively and the
//! legacy prefix `/API/controller/api` is an alias (NOTES §2).
//! Must not: hold the state lock across an `.await`, or let a secret or token into the request log.

use super::auth::{self, Denied};
use super::faults::{FaultBody, Plan, ScriptedFault};
use super::http::{self, Body, Query, Reply};
use super::net::{Conn, Shared};
use super::ratelimit::{Verdict, POLICY};
use super::schema::{self, Spec};
use super::state::{LogEntry, LoggedRequest, State, MAX_LOGGED_REQUESTS};
use super::{customers, documents, lookups, payments, salesorders, SimConfig};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// What a handler gets: the state under the lock, the time, and where the server lives.
pub(crate) struct Ctx<'a> {
    pub state: &'a mut State,
    pub now: DateTime<Utc>,
    pub base: &'a str,
    pub config: &'a SimConfig,
    /// The `If-Match` header of the request, if any (optimistic concurrency on PUT, NOTES §5.4).
    pub if_match: Option<String>,
}

impl Ctx<'_> {
    /// A Visma error reply with a fresh `VismaId`.
    pub fn error(&mut self, status: u16, message: &str) -> Reply {
        http::visma_error(status, message, &mut self.state.rng)
    }

    /// 404 for `what` with this id.
    pub fn not_found(&mut self, what: &str, id: &str) -> Reply {
        http::not_found(what, id, &mut self.state.rng)
    }

    /// Timestamp as Visma prints it (`2026-05-01T10:22:33.513`, no zone).
    pub fn stamp(&self) -> String {
        self.now.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }

    /// Parses and validates an ERP write body against `root`, returning the plain (unwrapped) object.
    ///
    /// # Errors
    /// The 400 reply: not JSON, not an object, or a schema [`schema::Violation`] naming the field.
    pub fn erp_body(
        &mut self,
        body: &[u8],
        root: &str,
        action: &str,
    ) -> Result<Map<String, Value>, Reply> {
        let parsed: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                return Err(self.error(
                    400,
                    &format!("{action} Error: the request body is not valid JSON."),
                ))
            }
        };
        match schema::validate_request(Spec::Erp, root, &parsed) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.error(
                400,
                &format!("{action} Error: the request body must be a JSON object."),
            )),
            Err(v) => Err(self.error(400, &format!("{action} Error: {}", v.message()))),
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

enum Kind {
    Token,
    Inspect,
    Erp,
    SalesOrders,
    Unknown,
}

fn classify(lower: &[String]) -> (Kind, usize) {
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    match l.as_slice() {
        ["connect", "token"] => (Kind::Token, 0),
        ["_simulator", "state"] => (Kind::Inspect, 0),
        ["api", "v3", "salesorders", ..] => (Kind::SalesOrders, 2),
        ["api", "controller", "api", "v1" | "v2", ..] => (Kind::Erp, 3),
        ["v1" | "v2", ..] => (Kind::Erp, 0),
        _ => (Kind::Unknown, 0),
    }
}

/// A decoded path segment; `b64(<base64url>)` stands for an id with reserved characters (NOTES §2, P-KB).
fn path_segment(raw: &str) -> String {
    use base64::Engine;
    let decoded = http::percent_decode(raw);
    let inner = decoded
        .strip_prefix("b64(")
        .and_then(|r| r.strip_suffix(')'));
    let plain = inner.and_then(|b| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b.trim_end_matches('='))
            .ok()?;
        String::from_utf8(bytes).ok()
    });
    plain.unwrap_or(decoded)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segs: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(path_segment)
        .collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let (kind, skip) = classify(&lower);
    if !matches!(kind, Kind::Inspect) {
        let latency = shared.lock().faults.latency_ms;
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
    }
    let now = shared.config.clock.now();
    let query = Query::parse(uri.query().unwrap_or(""));
    let authorization = header(&headers, "authorization");
    let mut st = shared.lock();
    if let Kind::Inspect = kind {
        let snapshot = serde_json::to_value(st.inspect()).unwrap_or(Value::Null);
        return to_response(Reply::ok(snapshot), None);
    }
    let mut ctx = Ctx {
        state: &mut st,
        now,
        base: &shared.base_url,
        config: &shared.config,
        if_match: header(&headers, "if-match").map(str::to_string),
    };
    let mut verdict = None;
    let mut lose = false;
    let (reply, outcome) = match kind {
        Kind::Inspect => (Reply::ok(Value::Null), "ok"),
        Kind::Token => {
            let r = if method == Method::POST {
                auth::token(ctx.config, ctx.state, now, authorization, &body)
            } else {
                http::no_route(uri.path())
            };
            let outcome = if r.status == 200 { "ok" } else { "rejected" };
            (r, outcome)
        }
        Kind::Unknown => (http::no_route(uri.path()), "rejected"),
        Kind::Erp | Kind::SalesOrders => {
            let so = matches!(kind, Kind::SalesOrders);
            let v = ctx
                .state
                .window
                .hit(now, u64::from(ctx.config.rate_limit_per_hour));
            verdict = Some(v.clone());
            let (r, outcome, plan) = api_call(
                &mut ctx,
                so,
                &method,
                &segs[skip..],
                &lower[skip..],
                &query,
                &headers,
                &body,
                &v,
            );
            lose = matches!(plan, Plan::LoseAlways)
                || (matches!(plan, Plan::LoseIfCreate) && r.created);
            (r, outcome)
        }
    };
    // Token forms are redacted now; API bodies are kept as received and parsed only if inspected.
    let (logged_body, raw_json) = match kind {
        Kind::Token => (Some(auth::redact_form(&body)), None),
        _ if body.is_empty() => (None, None),
        _ => (None, Some(body.clone())),
    };
    st.requests_seen = st.requests_seen.saturating_add(1);
    let seq = st.requests_seen;
    if st.log.len() >= MAX_LOGGED_REQUESTS {
        // A long-running `ml-connector simulate` keeps the newest requests only.
        st.log.pop_front();
    }
    st.log.push_back(LogEntry {
        raw_json,
        request: LoggedRequest {
            seq,
            at: now,
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or("").to_string(),
            authorization: auth::redact_authorization(authorization),
            company_id: header(&headers, "ipp-company-id").map(str::to_string),
            body: logged_body,
            status: if lose { 0 } else { reply.status },
            outcome: if lose {
                "lost".to_string()
            } else {
                outcome.to_string()
            },
        },
    });
    if reply.mutated {
        if let Some(path) = &shared.config.state_file {
            if let Err(e) = st.store.save(path) {
                tracing::warn!(path = %path.display(), error = %e, "simulator could not write its state file");
            }
        }
    }
    drop(st);
    if lose {
        conn.cut();
    }
    to_response(reply, verdict.as_ref())
}

#[allow(clippy::too_many_arguments)]
fn api_call(
    ctx: &mut Ctx<'_>,
    so: bool,
    method: &Method,
    segs: &[String],
    lower: &[String],
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
    verdict: &Verdict,
) -> (Reply, &'static str, Plan) {
    if !verdict.allowed {
        let msg = format!(
            "Rate limit is exceeded. Try again in {} seconds.",
            verdict.reset_secs
        );
        let r = Reply::json(429, json!({"statusCode": 429, "message": msg}))
            .with_header("retry-after", verdict.reset_secs.to_string());
        return (r, "rate_limited", Plan::Normal);
    }
    let scope = match (so, method.as_str()) {
        (false, "GET") => auth::ERP_SCOPES[1],
        (false, "PUT" | "PATCH") => auth::ERP_SCOPES[2],
        (false, "DELETE") => auth::ERP_SCOPES[3],
        (false, _) => auth::ERP_SCOPES[0],
        (true, "GET") => auth::SO_SCOPES[0],
        (true, _) => auth::SO_SCOPES[1],
    };
    match auth::check_bearer(ctx.state, ctx.now, header(headers, "authorization"), scope) {
        Ok(()) => {}
        Err(Denied::Token) => return (unauthorized(so), "unauthorized", Plan::Normal),
        Err(Denied::Scope(s)) => {
            let r = if so {
                http::problem(
                    403,
                    "Forbidden",
                    &format!("The access token lacks the scope '{s}'."),
                )
            } else {
                Reply::json(
                    403,
                    json!({"Message": format!("The access token lacks the scope '{s}'.")}),
                )
            };
            return (r, "rejected", Plan::Normal);
        }
    }
    if !so && !ctx.config.licensed {
        let r = http::visma_error_coded(
            401,
            "IPPException",
            "12027",
            "No license for this company.",
            &mut ctx.state.rng,
        );
        return (r, "unauthorized", Plan::Normal);
    }
    if let Some(company) = header(headers, "ipp-company-id") {
        if !so && company.trim() != ctx.config.company_id {
            let r = http::visma_error_coded(
                400,
                "IPPException",
                "12002",
                "Invalid parameter exception: ipp-company-id",
                &mut ctx.state.rng,
            );
            return (r, "rejected", Plan::Normal);
        }
    }
    let plan = ctx.state.faults.plan(&mut ctx.state.fault_rng);
    if let Plan::Fail(fault) = &plan {
        return (fault_reply(ctx, so, fault), "fault", Plan::Normal);
    }
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let reply = if so {
        salesorders::dispatch(ctx, method.as_str(), segs, &l, query, body)
    } else {
        // MJUK `response.go` reads an `Ipp-Request-Id` on ERP answers.
        let request_id = http::guid(&mut ctx.state.rng);
        dispatch_erp(ctx, method.as_str(), segs, &l, query, body)
            .with_header("ipp-request-id", request_id)
    };
    let outcome = if reply.status < 400 { "ok" } else { "rejected" };
    (reply, outcome, plan)
}

fn unauthorized(so: bool) -> Reply {
    if so {
        Reply {
            status: 401,
            headers: Vec::new(),
            body: Body::Empty,
            created: false,
            mutated: false,
        }
        .with_header("www-authenticate", "Bearer".to_string())
    } else {
        http::unauthorized()
    }
}

fn fault_reply(ctx: &mut Ctx<'_>, so: bool, fault: &ScriptedFault) -> Reply {
    match fault {
        ScriptedFault::Status { status, body } => {
            let message = "An unexpected error occurred. Please try again later.";
            let body = match body {
                FaultBody::Visma if so => {
                    return http::problem(*status, "Internal Server Error", message)
                }
                FaultBody::Visma => {
                    return http::visma_error_coded(
                        *status,
                        "Exception",
                        "500",
                        message,
                        &mut ctx.state.rng,
                    )
                }
                FaultBody::Message => Body::Json(json!({"Message": "An error has occurred."})),
                FaultBody::PlainText => Body::Text("Service Unavailable".to_string()),
                FaultBody::Malformed => {
                    Body::BrokenJson("{\"ExceptionType\": \"Exception\", \"ExceptionMess")
                }
                FaultBody::Empty => Body::Empty,
            };
            Reply {
                status: *status,
                headers: Vec::new(),
                body,
                created: false,
                mutated: false,
            }
        }
        ScriptedFault::RateLimited { retry_after_secs } => {
            let r = Reply::json(
                429,
                json!({"statusCode": 429, "message": "Rate limit is exceeded."}),
            );
            match retry_after_secs {
                Some(s) => r.with_header("retry-after", s.to_string()),
                None => r,
            }
        }
        ScriptedFault::Unauthorized => unauthorized(so),
        ScriptedFault::LoseResponse => Reply::json(500, Value::Null),
    }
}

fn dispatch_erp(
    ctx: &mut Ctx<'_>,
    method: &str,
    segs: &[String],
    l: &[&str],
    q: &Query,
    body: &[u8],
) -> Reply {
    use customers::Party::{Customer, Supplier};
    use documents::Kind::{CreditNote, Invoice};
    let id = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
    match (method, l) {
        ("GET", [_, "customer", "customerclass"]) => lookups::customer_classes(ctx),
        ("GET", [_, "supplier", "supplierclass"]) => lookups::supplier_classes(ctx),
        ("GET", [_, "customer", "customerclass", _]) => lookups::customer_class(ctx, id(3)),
        ("GET", [_, "customer"]) => customers::list(ctx, Customer, q),
        ("GET", [_, "customer", _]) => customers::get(ctx, Customer, id(2)),
        ("POST", [_, "customer"]) => customers::create(ctx, Customer, body),
        ("PUT", [_, "customer", _]) => customers::update(ctx, Customer, id(2), body),
        ("GET", [_, "supplier"]) => customers::list(ctx, Supplier, q),
        ("GET", [_, "supplier", _]) => customers::get(ctx, Supplier, id(2)),
        ("POST", [_, "supplier"]) => customers::create(ctx, Supplier, body),
        ("PUT", [_, "supplier", _]) => customers::update(ctx, Supplier, id(2), body),
        ("GET", ["v1", "customerinvoice"]) => documents::list(ctx, Invoice, q),
        ("GET", ["v1", "customerinvoice", _]) => documents::get(ctx, Invoice, id(2)),
        ("POST", ["v1" | "v2", "customerinvoice"]) => documents::create(ctx, Invoice, body),
        ("PUT", ["v1", "customerinvoice", _]) => documents::update(ctx, Invoice, id(2), body),
        ("DELETE", ["v1", "customerinvoice", _]) => documents::delete(ctx, Invoice, id(2)),
        ("POST", ["v1", "customerinvoice", _, "action", "release"]) => {
            documents::release(ctx, Invoice, id(2))
        }
        ("GET", ["v1", "customercreditnote"]) => documents::list(ctx, CreditNote, q),
        ("GET", ["v1", "customercreditnote", _]) => documents::get(ctx, CreditNote, id(2)),
        ("POST", ["v1" | "v2", "customercreditnote"]) => documents::create(ctx, CreditNote, body),
        ("PUT", ["v1", "customercreditnote", _]) => documents::update(ctx, CreditNote, id(2), body),
        ("DELETE", ["v1", "customercreditnote", _]) => documents::delete(ctx, CreditNote, id(2)),
        ("POST", ["v1", "customercreditnote", _, "action", "release"]) => {
            documents::release(ctx, CreditNote, id(2))
        }
        ("GET", ["v1", "customerpayment"]) => payments::list(ctx, q),
        ("GET", ["v1", "customerpayment", _]) => payments::get(ctx, id(2)),
        ("POST", ["v1", "customerpayment"]) => payments::create(ctx, body),
        ("POST", ["v1", "customerpayment", _, "action", "release"]) => {
            payments::release(ctx, id(2))
        }
        ("GET", ["v1", ..]) => lookups::dispatch(ctx, segs, l, q),
        _ => http::no_route(&format!("/{}", segs.join("/"))),
    }
}

fn to_response(reply: Reply, verdict: Option<&Verdict>) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, bytes) = match reply.body {
        Body::Empty => (None, Vec::new()),
        Body::Json(v) => (
            Some("application/json; charset=utf-8"),
            serde_json::to_vec(&v).unwrap_or_default(),
        ),
        Body::Text(t) => (Some("text/plain; charset=utf-8"), t.into_bytes()),
        Body::BrokenJson(s) => (
            Some("application/json; charset=utf-8"),
            s.as_bytes().to_vec(),
        ),
    };
    let mut response = (status, bytes).into_response();
    let h = response.headers_mut();
    h.remove("content-type");
    if let Some(ct) = content_type {
        h.insert("content-type", HeaderValue::from_static(ct));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    if let Some(v) = verdict {
        h.insert("x-ratelimit-limit", HeaderValue::from(v.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(v.remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(v.reset_secs));
        h.insert("x-ratelimit-policy", HeaderValue::from_static(POLICY));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_segments_carry_reserved_characters() {
        assert_eq!(path_segment("b64(Oi8_I1tdQCYqKzs)"), ":/?#[]@&*+;");
        assert_eq!(path_segment("10%2023"), "10 23");
        assert_eq!(path_segment("b64(!!)"), "b64(!!)");
    }

    #[test]
    fn legacy_prefix_and_case_route_alike() {
        let lower = |p: &str| -> Vec<String> {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        assert!(matches!(
            classify(&lower("/API/controller/api/v1/Customer")),
            (Kind::Erp, 3)
        ));
        assert!(matches!(
            classify(&lower("/v2/customerinvoice")),
            (Kind::Erp, 0)
        ));
        assert!(matches!(
            classify(&lower("/api/v3/SalesOrders/SO/1")),
            (Kind::SalesOrders, 2)
        ));
        assert!(matches!(
            classify(&lower("/connect/token")),
            (Kind::Token, 0)
        ));
        assert!(matches!(
            classify(&lower("/erp/service/v1/customer")),
            (Kind::Unknown, 0)
        ));
    }
}
