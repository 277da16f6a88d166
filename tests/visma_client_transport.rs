//! The Visma client's transport against a scripted server on 127.0.0.1: headers on every call, token caching,
//! expiry and refresh-once-on-401, retries for 429/5xx/timeouts/dropped connections, never re-POSTing a create
//! whose outcome is unknown, error bodies in every shape (including malformed and non-JSON), the limiter, and
//! `Location` parsing. Time is a manual clock: waits are asserted exactly and nothing sleeps.

mod visma_support;

use ml_connector::visma::{AuthFailure, ClientAuth, CreateOutcome, VismaError};
use serde_json::json as j;
use std::time::Duration;
use visma_support::{client, json, waited_ms, with_headers, Canned, Scripted};

const ONE_ACCOUNT: &str = r#"[{"accountID":1,"accountCD":"1500","type":"Asset","active":true}]"#;

#[test]
fn every_call_carries_bearer_and_company_headers_and_the_token_is_reused() {
    let server = Scripted::start();
    server.push([json(200, ONE_ACCOUNT), json(200, "[]")]);
    let (client, _clock) = client(server.config());
    assert_eq!(client.list_accounts().expect("accounts").len(), 1);
    assert_eq!(client.list_vat_categories().expect("vat").len(), 0);

    let tokens = server.token_seen();
    assert_eq!(tokens.len(), 1, "one token for both calls");
    let form = &tokens[0].body;
    for field in [
        "grant_type=client_credentials",
        "client_id=demo-client",
        "client_secret=demo-secret",
        "tenant_id=demo-tenant",
        "scope=vismanet_erp_service_api",
    ] {
        assert!(form.contains(field), "token form lacks {field}: {form}");
    }
    let api = server.api_seen();
    assert_eq!(api.len(), 2);
    for seen in &api {
        assert_eq!(seen.header("authorization"), Some("Bearer tok-1"));
        assert_eq!(seen.header("ipp-company-id"), Some("1234567"));
        assert_eq!(
            seen.header("ipp-application-type"),
            Some("Visma.net Financials")
        );
    }
    assert_eq!(api[0].target, "/v1/account");
    assert_eq!(api[1].target, "/v1/vatCategory");
}

#[test]
fn basic_client_auth_sends_credentials_in_the_header_not_the_form() {
    let server = Scripted::start();
    server.push([json(200, "[]")]);
    let mut config = server.config();
    config.client_auth = ClientAuth::Basic;
    config.company_id = None;
    let (client, _clock) = client(config);
    client.list_currencies().expect("currencies");
    let token = &server.token_seen()[0];
    // base64("demo-client:demo-secret")
    assert_eq!(
        token.header("authorization"),
        Some("Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=")
    );
    assert!(!token.body.contains("client_secret"));
    assert!(token.body.contains("tenant_id=demo-tenant"));
    assert_eq!(
        server.api_seen()[0].header("ipp-company-id"),
        None,
        "no company id configured"
    );
}

#[test]
fn token_is_refreshed_five_minutes_before_expiry() {
    let server = Scripted::start();
    server.push([json(200, "[]"), json(200, "[]"), json(200, "[]")]);
    let (client, clock) = client(server.config());
    client.list_currencies().expect("first");
    clock.advance(Duration::from_secs(54 * 60));
    client.list_currencies().expect("still cached at 54 min");
    assert_eq!(client.tokens().fetches(), 1);
    clock.advance(Duration::from_secs(2 * 60));
    client.list_currencies().expect("refreshed at 56 min");
    assert_eq!(client.tokens().fetches(), 2);
    let api = server.api_seen();
    assert_eq!(api[1].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(api[2].header("authorization"), Some("Bearer tok-2"));
}

#[test]
fn a_401_refreshes_the_token_once_then_succeeds() {
    let server = Scripted::start();
    server.push([
        json(
            401,
            r#"{"Message":"Authorization has been denied for this request."}"#,
        ),
        json(200, "[]"),
    ]);
    let (client, clock) = client(server.config());
    client.list_branches().expect("succeeds after refresh");
    let api = server.api_seen();
    assert_eq!(api.len(), 2);
    assert_eq!(api[0].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(api[1].header("authorization"), Some("Bearer tok-2"));
    assert_eq!(waited_ms(&clock), 0, "a refresh does not back off");
}

#[test]
fn a_second_401_is_an_auth_error_for_the_merchant() {
    let server = Scripted::start();
    server.push([
        json(401, r#"{"Message":"denied"}"#),
        json(401, r#"{"Message":"denied"}"#),
    ]);
    let (client, _clock) = client(server.config());
    let err = client.list_branches().expect_err("401 twice");
    assert!(
        matches!(
            &err,
            VismaError::Auth {
                endpoint: "branch.list",
                status: Some(401),
                failure: AuthFailure::TokenRejected,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(server.token_seen().len(), 2, "exactly one refresh");
    assert_eq!(server.api_seen().len(), 2);
}

#[test]
fn token_endpoint_rejections_are_typed_and_not_retried() {
    let cases = [
        (
            400,
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
            AuthFailure::InvalidClient,
        ),
        (
            400,
            r#"{"error":"invalid_tenant","error_description":"The application user or subscription is not entitled to use the API"}"#,
            AuthFailure::InvalidTenant,
        ),
        (
            400,
            r#"{"error":"invalid_scope"}"#,
            AuthFailure::InvalidScope,
        ),
        (
            401,
            r#"{"error":"invalid_client"}"#,
            AuthFailure::InvalidClient,
        ),
    ];
    for (status, body, want) in cases {
        let server = Scripted::start();
        server.push_token([json(status, body)]);
        let (client, _clock) = client(server.config());
        match client.list_accounts() {
            Err(VismaError::Auth {
                endpoint: "token",
                failure,
                ..
            }) => assert_eq!(failure, want, "{body}"),
            other => panic!("{body}: expected an auth error, got {other:?}"),
        }
        assert_eq!(server.token_seen().len(), 1, "{body}: never retried");
        assert!(server.api_seen().is_empty());
    }
}

#[test]
fn token_endpoint_outage_with_an_html_page_is_retried() {
    let server = Scripted::start();
    server.push_token([Canned::Reply(
        503,
        vec![("Content-Type".into(), "text/html".into())],
        "<html>down</html>".into(),
    )]);
    server.push([json(200, ONE_ACCOUNT)]);
    let (client, clock) = client(server.config());
    assert_eq!(
        client
            .list_accounts()
            .expect("second token try works")
            .len(),
        1
    );
    assert_eq!(server.token_seen().len(), 2);
    assert_eq!(waited_ms(&clock), 500, "jitter 0.5 × 1 s");
}

#[test]
fn throttling_honours_retry_after_then_the_reset_header_then_backoff() {
    let server = Scripted::start();
    server.push([
        with_headers(429, &[("Retry-After", "7")], "{}"),
        with_headers(
            429,
            &[("X-RateLimit-Reset", "30"), ("X-RateLimit-Remaining", "0")],
            "{}",
        ),
        json(429, "{}"),
        json(200, ONE_ACCOUNT),
    ]);
    let (client, clock) = client(server.config());
    assert_eq!(client.list_accounts().expect("fourth attempt").len(), 1);
    // 7 s (Retry-After) + 30 s (X-RateLimit-Reset) + 0.5 × 4 s (third attempt, full jitter at 0.5).
    assert_eq!(waited_ms(&clock), 7_000 + 30_000 + 2_000);
    assert_eq!(server.api_seen().len(), 4);
}

#[test]
fn a_5xx_burst_on_a_read_is_retried_with_backoff() {
    let server = Scripted::start();
    server.push([
        json(503, r#"{"Message":"Service Unavailable"}"#),
        json(502, r#"{"Message":"Bad Gateway"}"#),
        json(
            500,
            r#"{"ExceptionType":"X","ExceptionMessage":"boom","ExceptionFaultCode":"1"}"#,
        ),
        json(200, ONE_ACCOUNT),
    ]);
    let (client, clock) = client(server.config());
    assert_eq!(client.list_accounts().expect("after the burst").len(), 1);
    assert_eq!(waited_ms(&clock), 500 + 1_000 + 2_000);
}

#[test]
fn retries_stop_at_max_attempts_with_the_last_error() {
    let server = Scripted::start();
    server.push([
        json(500, "{}"),
        json(500, "{}"),
        json(503, r#"{"Message":"still down"}"#),
    ]);
    let mut config = server.config();
    config.max_attempts = 3;
    let (client, _clock) = client(config);
    let err = client.list_accounts().expect_err("gives up");
    assert!(
        matches!(
            &err,
            VismaError::Server {
                status: 503,
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.message().map(|m| m.text.as_str()), Some("still down"));
    assert!(err.is_retryable(), "the engine may try again later");
    assert_eq!(server.api_seen().len(), 3);
}

#[test]
fn a_5xx_after_a_create_is_outcome_unknown_and_never_re_posted() {
    let server = Scripted::start();
    server.push([json(500, r#"{"Message":"An error has occurred."}"#)]);
    let (client, _clock) = client(server.config());
    let err = client
        .create_invoice(&j!({"customerNumber": {"value": "10000"}}))
        .expect_err("500");
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_retryable());
    let posts: Vec<_> = server
        .api_seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "never re-POSTed blindly");
    assert_eq!(posts[0].target, "/v2/customerinvoice");
    assert_eq!(posts[0].body, r#"{"customerNumber":{"value":"10000"}}"#);
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
}

#[test]
fn a_dropped_connection_on_a_read_is_retried_but_on_a_create_is_outcome_unknown() {
    let server = Scripted::start();
    server.push([Canned::Drop, json(200, ONE_ACCOUNT), Canned::Drop]);
    let (client, _clock) = client(server.config());
    assert_eq!(client.list_accounts().expect("read retried").len(), 1);
    let err = client
        .create_customer(&j!({"name": {"value": "Acme"}}))
        .expect_err("dropped");
    assert!(
        matches!(
            &err,
            VismaError::Transport {
                endpoint: "customer.create",
                outcome_unknown: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.api_seen().len(), 3);
}

#[test]
fn a_429_on_a_create_is_retried_because_nothing_was_applied() {
    let server = Scripted::start();
    server.push([
        with_headers(429, &[("Retry-After", "2")], "{}"),
        with_headers(
            201,
            &[(
                "Location",
                "https://api.finance.visma.net/v1/customer/10023",
            )],
            "",
        ),
    ]);
    let (client, clock) = client(server.config());
    assert_eq!(client.create_customer(&j!({})).expect("created"), "10023");
    assert_eq!(waited_ms(&clock), 2_000);
}

#[test]
fn a_hanging_server_times_out_and_a_read_is_retried() {
    let server = Scripted::start();
    server.push([
        Canned::Hang(Duration::from_millis(1_500)),
        json(200, ONE_ACCOUNT),
    ]);
    let mut config = server.config();
    config.timeout = Duration::from_millis(300);
    let (client, _clock) = client(config);
    assert_eq!(client.list_accounts().expect("second try").len(), 1);
    assert_eq!(server.api_seen().len(), 2);

    server.push([Canned::Hang(Duration::from_millis(1_500))]);
    let err = client.create_invoice(&j!({})).expect_err("timed out");
    assert!(
        matches!(
            &err,
            VismaError::Timeout {
                outcome_unknown: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn the_limiter_waits_for_the_reset_instead_of_running_into_429() {
    let server = Scripted::start();
    server.push([
        with_headers(
            200,
            &[
                ("X-RateLimit-Limit", "10"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "40"),
            ],
            "[]",
        ),
        json(200, "[]"),
    ]);
    let (client, clock) = client(server.config());
    client.list_currencies().expect("first");
    assert_eq!(waited_ms(&clock), 0);
    client
        .list_currencies()
        .expect("second, after the window reset");
    assert_eq!(waited_ms(&clock), 40_000);
    assert_eq!(server.api_seen().len(), 2, "no 429 was provoked");
}

#[test]
fn lost_create_response_is_found_by_searching_and_adopted() {
    let server = Scripted::start();
    let found = r#"[{"referenceNumber":"100077","externalReference":"woo:default:1234","metadata":{"totalCount":1,"maxPageSize":1000}}]"#;
    server.push([json(200, "[]"), Canned::Drop, json(200, found)]);
    let (client, _clock) = client(server.config());
    let outcome = client
        .create_invoice_once("woo:default:1234", &j!({}))
        .expect("adopted");
    assert_eq!(outcome, CreateOutcome::Adopted("100077".into()));
    let api = server.api_seen();
    let methods: Vec<&str> = api.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(
        methods,
        ["GET", "POST", "GET"],
        "search, create (lost), search — no second POST"
    );
    assert!(
        api[0]
            .target
            .starts_with("/v1/customerinvoice?externalReference=woo%3Adefault%3A1234&pageNumber=1"),
        "{}",
        api[0].target
    );
}

#[test]
fn lost_create_that_did_not_land_is_sent_again_after_searching() {
    let server = Scripted::start();
    server.push([
        json(200, "[]"),
        Canned::Drop,
        json(200, "[]"),
        with_headers(
            201,
            &[(
                "Location",
                "https://api.finance.visma.net/v1/customerCreditNote/200003",
            )],
            "",
        ),
    ]);
    let (client, clock) = client(server.config());
    let outcome = client
        .create_credit_note_once("woo:default:refund:9", &j!({}))
        .expect("created");
    assert_eq!(outcome, CreateOutcome::Created("200003".into()));
    assert_eq!(waited_ms(&clock), 500);
    let methods: Vec<String> = server.api_seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "POST"]);
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ml_connector::visma::Client>();
    assert_send_sync::<VismaError>();
}
