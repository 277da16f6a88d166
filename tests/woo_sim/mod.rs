//! A WooCommerce stand-in for the service tests only: REST v3 orders, customers, refunds and webhooks on
//! 127.0.0.1:0 with HTTP Basic checks (as a shop behind HTTPS sees them), `X-WP-Total`/`X-WP-TotalPages`,
//! `modified_after` + `dates_are_gmt` + `orderby=modified`; and a sender of signed webhook deliveries with
//! WooCommerce's exact headers (NOTES §1.3), body escaping (`\/`, `\uXXXX`) and failure rule (§1.6: 200–302
//! resets the count, anything else or no answer counts, the 7th consecutive failure disables). Deliveries are
//! sent synchronously from the test thread when a test changes an order, never retried.
#![allow(dead_code)] // each test crate uses a different subset

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use ml_connector::secret::Secret;
use ml_connector::woo::webhook;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub const CK: &str = "ck_test_0123456789";
pub const CS: &str = "cs_test_9876543210";

/// A webhook as the shop stores it.
#[derive(Debug, Clone)]
pub struct SimWebhook {
    pub id: u64,
    pub name: String,
    pub topic: String,
    pub delivery_url: String,
    pub secret: String,
    pub status: String,
    pub failure_count: u32,
}

#[derive(Debug, Default)]
pub struct SimState {
    pub orders: BTreeMap<u64, Value>,
    pub customers: BTreeMap<u64, Value>,
    pub refunds: BTreeMap<u64, Vec<Value>>,
    pub webhooks: Vec<SimWebhook>,
    pub now: Option<DateTime<Utc>>,
    /// Requests refused for bad credentials.
    pub auth_failures: u32,
    /// `path?query` of every REST request.
    pub requests: Vec<String>,
    /// Raw query strings of requests that came with `oauth_signature` (checked by the test, as WooCommerce
    /// would over plain HTTP).
    pub oauth_queries: Vec<String>,
}

/// What one delivery got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub webhook_id: u64,
    pub topic: String,
    /// `None` when the receiver could not be reached.
    pub status: Option<u16>,
}

pub struct WooSim {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<SimState>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    http: reqwest::blocking::Client,
}

impl Drop for WooSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl WooSim {
    /// A shop whose clock starts at `start` and moves one second per change.
    pub fn start(start: DateTime<Utc>) -> Self {
        let state = Arc::new(Mutex::new(SimState {
            now: Some(start),
            ..SimState::default()
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/wp-json/wc/v3/orders", get(list_orders))
            .route("/wp-json/wc/v3/orders/{id}", get(get_order))
            .route("/wp-json/wc/v3/orders/{id}/refunds", get(list_refunds))
            .route("/wp-json/wc/v3/customers", get(list_customers))
            .route(
                "/wp-json/wc/v3/webhooks",
                get(list_webhooks).post(create_webhook),
            )
            .route(
                "/wp-json/wc/v3/webhooks/{id}",
                axum::routing::put(update_webhook),
            )
            .with_state(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        Self {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a webhook directly (as the admin would), active.
    pub fn add_webhook(&self, topic: &str, delivery_url: &str, secret: &str) -> u64 {
        let mut s = self.state();
        let id = s.webhooks.iter().map(|w| w.id).max().unwrap_or(0) + 1;
        s.webhooks.push(SimWebhook {
            id,
            name: format!("test {topic}"),
            topic: topic.into(),
            delivery_url: delivery_url.into(),
            secret: secret.into(),
            status: "active".into(),
            failure_count: 0,
        });
        id
    }

    pub fn webhook(&self, id: u64) -> Option<SimWebhook> {
        self.state().webhooks.iter().find(|w| w.id == id).cloned()
    }

    /// Saves an order (new or changed) with a fresh `date_modified_gmt` and delivers `order.created` (new) or
    /// `order.updated` to every active webhook of that topic.
    pub fn save_order(&self, mut order: Value) -> Vec<Sent> {
        let (topic, body) = {
            let mut s = self.state();
            let now = tick(&mut s);
            let id = order["id"].as_u64().expect("order id");
            let gmt = now.format("%Y-%m-%dT%H:%M:%S").to_string();
            order["date_modified_gmt"] = json!(gmt);
            order["date_modified"] = json!(gmt);
            let topic = if s.orders.contains_key(&id) {
                "order.updated"
            } else {
                "order.created"
            };
            s.orders.insert(id, order.clone());
            (topic, order)
        };
        self.deliver(topic, &body)
    }

    /// Adds refunds of an existing order (the shop lists them under `refunds[]`) and fires `order.updated`.
    pub fn refund_order(&self, order_id: u64, refunds: Vec<Value>) -> Vec<Sent> {
        let order = {
            let mut s = self.state();
            let mut order = s.orders.get(&order_id).cloned().expect("order exists");
            order["refunds"] = Value::Array(
                refunds
                    .iter()
                    .map(|r| json!({"id": r["id"], "reason": r["reason"], "total": format!("-{}", r["amount"].as_str().unwrap_or("0"))}))
                    .collect(),
            );
            s.refunds.insert(order_id, refunds);
            order
        };
        self.save_order(order)
    }

    /// Delivers the same body again to every active webhook of `topic`.
    pub fn deliver(&self, topic: &str, doc: &Value) -> Vec<Sent> {
        let hooks: Vec<SimWebhook> = self
            .state()
            .webhooks
            .iter()
            .filter(|w| w.status == "active" && w.topic == topic)
            .cloned()
            .collect();
        let body = php_json(doc);
        let mut sent = Vec::new();
        for h in hooks {
            let status = self.post_signed(&h, &body);
            self.record(h.id, status);
            sent.push(Sent {
                webhook_id: h.id,
                topic: topic.into(),
                status,
            });
        }
        sent
    }

    fn post_signed(&self, h: &SimWebhook, body: &str) -> Option<u16> {
        let (resource, event) = h.topic.split_once('.').unwrap_or((&h.topic, ""));
        let signature = webhook::sign(body.as_bytes(), &Secret::new(h.secret.clone()));
        self.http
            .post(&h.delivery_url)
            .header("User-Agent", "WooCommerce/9.9.5 Hookshot (WordPress/6.9)")
            .header("Accept", "*/*")
            .header("Content-Type", "application/json")
            .header("X-WC-Webhook-Source", format!("{}/", self.base_url()))
            .header("X-WC-Webhook-Topic", &h.topic)
            .header("X-WC-Webhook-Resource", resource)
            .header("X-WC-Webhook-Event", event)
            .header("X-WC-Webhook-Signature", signature)
            .header("X-WC-Webhook-ID", h.id.to_string())
            .header(
                "X-WC-Webhook-Delivery-ID",
                "9de19d8018c12dcad4ad3c704fcd93fc",
            )
            .body(body.to_owned())
            .send()
            .ok()
            .map(|r| r.status().as_u16())
    }

    /// `WC_Webhook::log_delivery()` + `failed_delivery()`.
    fn record(&self, id: u64, status: Option<u16>) {
        let mut s = self.state();
        let Some(h) = s.webhooks.iter_mut().find(|w| w.id == id) else {
            return;
        };
        match status {
            Some(200..=302) => h.failure_count = 0,
            _ if h.failure_count > 5 => h.status = "disabled".into(),
            _ => h.failure_count += 1,
        }
    }
}

fn tick(s: &mut SimState) -> DateTime<Utc> {
    let now = s.now.unwrap_or_else(Utc::now) + chrono::Duration::seconds(1);
    s.now = Some(now);
    now
}

/// `wp_json_encode` output: compact, `/` as `\/`, non-ASCII as `\uXXXX`.
pub fn php_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

type Shared = State<Arc<Mutex<SimState>>>;

fn lock(s: &Arc<Mutex<SimState>>) -> MutexGuard<'_, SimState> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Basic auth with the key pair, else WooCommerce's 401.
// The error is the 401 response itself, returned as is by the handlers (test-only code).
#[allow(clippy::result_large_err)]
fn authorised(
    st: &Arc<Mutex<SimState>>,
    headers: &HeaderMap,
    path: String,
) -> Result<(), Response> {
    lock(st).requests.push(path);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CK}:{CS}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str()) {
        return Ok(());
    }
    lock(st).auth_failures += 1;
    Err((
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}})),
    )
        .into_response())
}

fn page(items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let per_page: usize = q.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    if per_page == 0 || per_page > 100 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "rest_invalid_param"})),
        )
            .into_response();
    }
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(per_page);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut r = Json(slice).into_response();
    r.headers_mut().insert("X-WP-Total", total.into());
    r.headers_mut().insert("X-WP-TotalPages", pages.into());
    r
}

fn gmt(v: &Value) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(v["date_modified_gmt"].as_str()?, "%Y-%m-%dT%H:%M:%S").ok()
}

async fn list_orders(
    State(st): Shared,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.contains_key("oauth_signature") {
        // Plain-HTTP OAuth 1.0a: kept for the test to verify with WooCommerce's PHP algorithm.
        lock(&st)
            .oauth_queries
            .push(uri.query().unwrap_or("").to_owned());
        return page(Vec::new(), &q);
    }
    if let Err(r) = authorised(&st, &headers, format!("/orders?{q:?}")) {
        return r;
    }
    let after = q
        .get("modified_after")
        .and_then(|v| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").ok());
    if after.is_some() && q.get("dates_are_gmt").map(String::as_str) != Some("true") {
        // Local-time comparison would shift the window by the shop's offset; the client must ask for GMT.
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "test_sim_requires_gmt"})),
        )
            .into_response();
    }
    let mut items: Vec<Value> = lock(&st)
        .orders
        .values()
        .filter(|o| after.is_none_or(|a| gmt(o).is_some_and(|m| m > a)))
        .cloned()
        .collect();
    if q.get("orderby").map(String::as_str) == Some("modified") {
        items.sort_by_key(|o| (gmt(o), o["id"].as_u64()));
    }
    if q.get("order").map(String::as_str) != Some("asc") {
        items.reverse();
    }
    page(items, &q)
}

async fn get_order(State(st): Shared, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    if let Err(r) = authorised(&st, &headers, format!("/orders/{id}")) {
        return r;
    }
    match lock(&st).orders.get(&id) {
        Some(o) => Json(o.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "woocommerce_rest_shop_order_invalid_id"})),
        )
            .into_response(),
    }
}

async fn list_refunds(
    State(st): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = authorised(&st, &headers, format!("/orders/{id}/refunds")) {
        return r;
    }
    let items = lock(&st).refunds.get(&id).cloned().unwrap_or_default();
    page(items, &q)
}

async fn list_customers(
    State(st): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = authorised(&st, &headers, "/customers".into()) {
        return r;
    }
    let items: Vec<Value> = lock(&st).customers.values().cloned().collect();
    page(items, &q)
}

fn hook_json(h: &SimWebhook) -> Value {
    json!({"id": h.id, "name": h.name, "status": h.status, "topic": h.topic, "delivery_url": h.delivery_url,
           "resource": h.topic.split('.').next(), "event": h.topic.split('.').nth(1), "hooks": [], "secret": h.secret})
}

async fn list_webhooks(
    State(st): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = authorised(&st, &headers, "/webhooks".into()) {
        return r;
    }
    let items: Vec<Value> = lock(&st).webhooks.iter().map(hook_json).collect();
    page(items, &q)
}

async fn create_webhook(
    State(st): Shared,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = authorised(&st, &headers, "POST /webhooks".into()) {
        return r;
    }
    let mut s = lock(&st);
    let id = s.webhooks.iter().map(|w| w.id).max().unwrap_or(0) + 1;
    let h = SimWebhook {
        id,
        name: body["name"].as_str().unwrap_or("").into(),
        topic: body["topic"].as_str().unwrap_or("").into(),
        delivery_url: body["delivery_url"].as_str().unwrap_or("").into(),
        secret: body["secret"].as_str().unwrap_or("").into(),
        status: body["status"].as_str().unwrap_or("active").into(),
        failure_count: 0,
    };
    let out = hook_json(&h);
    s.webhooks.push(h);
    (StatusCode::CREATED, Json(out)).into_response()
}

async fn update_webhook(
    State(st): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = authorised(&st, &headers, format!("PUT /webhooks/{id}")) {
        return r;
    }
    let mut s = lock(&st);
    let Some(h) = s.webhooks.iter_mut().find(|w| w.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "woocommerce_rest_webhook_invalid_id"})),
        )
            .into_response();
    };
    for (field, slot) in [
        ("status", &mut h.status),
        ("secret", &mut h.secret),
        ("delivery_url", &mut h.delivery_url),
        ("name", &mut h.name),
    ] {
        if let Some(v) = body[field].as_str() {
            *slot = v.to_owned();
        }
    }
    Json(hook_json(h)).into_response()
}
