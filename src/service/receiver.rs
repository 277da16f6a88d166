//! The webhook receiver: `POST /webhooks/woocommerce/{store}`. Order of checks, each before the next: known
//! store → body within the size limit (413) → creation ping `webhook_id=N` without a signature (200) → signature
//! over the raw bytes against the store's current and grace-period secrets (401) → topic → JSON → enqueue. A
//! refused delivery leaves an audit row with its reason, never its body. Only queue work happens on the request
//! path; an order with refunds hands its refund fetch to the store's follow-up worker ([`Followup`]), and the
//! drain loop is woken to post.
//!
//! Answers: 200 queued / duplicate / ping; 202 verified but not handled (deleted, other topics); 400 malformed
//! JSON; 401 signature; 404 unknown store; 413 too large; 503 queue unavailable (WooCommerce counts that as a
//! failure and never retries, so the poller picks the order up).

use super::intake::{self, Plan};
use super::secrets;
use crate::clock::Clock;
use crate::engine;
use crate::secret::Secret;
use crate::store::audit::{Attempt, AuditAction, AuditEvent};
use crate::store::queue::{EnqueueOutcome, JobKind, JobSource};
use crate::store::{Key, Store};
use crate::woo::webhook::{self, Topic, WebhookRejection};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

/// Work the receiver hands to the store's follow-up worker.
#[derive(Debug, Clone)]
pub struct Followup {
    /// The refunded order's id.
    pub order_id: u64,
    /// Its canonical payload (becomes `order` in each refund envelope).
    pub order_payload: String,
}

/// What the health view shows about a store's webhooks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CellStatus {
    /// True while the store is polled because its webhooks are not healthy.
    pub polling: bool,
    /// Why (disabled, paused, missing, silent), for the log and `webhooks status`.
    pub problems: Vec<String>,
    /// The last verified delivery.
    pub last_delivery_at: Option<DateTime<Utc>>,
    /// The last refusal's reason name.
    pub last_rejection: Option<String>,
}

/// One store as the receiver sees it: its queue connection, secrets and wake-up lines.
pub struct Cell {
    /// The store id.
    pub id: String,
    store: Mutex<Store>,
    key: Key,
    env_secret: Option<Secret>,
    clock: Arc<dyn Clock>,
    wake: Sender<()>,
    followups: Sender<Followup>,
    status: Mutex<CellStatus>,
    /// The store's URL, normalised, when `X-WC-Webhook-Source` is checked.
    source: Option<String>,
}

/// The WooCommerce headers of a delivery (all unsigned: only the body is signed).
#[derive(Debug, Clone, Default)]
pub struct DeliveryHeaders {
    /// `X-WC-Webhook-Signature`.
    pub signature: Option<String>,
    /// `X-WC-Webhook-Topic`, e.g. `order.updated`.
    pub topic: Option<String>,
    /// `X-WC-Webhook-Resource`, e.g. `order`.
    pub resource: Option<String>,
    /// `X-WC-Webhook-Source`, the shop's home URL.
    pub source: Option<String>,
}

/// A shop URL compared without scheme, `www.`, case or trailing slash (WooCommerce sends `home_url('/')`).
fn normalise_url(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    rest.strip_prefix("www.")
        .unwrap_or(rest)
        .trim_end_matches('/')
        .to_owned()
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The creation ping.
    Ping(u64),
    /// Queued (inserted or replaced a pending job).
    Queued {
        /// The kind.
        kind: JobKind,
        /// The WooCommerce id.
        woo_id: u64,
    },
    /// The same payload was already queued, or a newer revision was: nothing changed.
    Unchanged {
        /// The kind.
        kind: JobKind,
        /// The WooCommerce id.
        woo_id: u64,
    },
    /// Verified, nothing to queue (trashed or deleted in WooCommerce, a user who is not a customer): recorded only.
    Recorded,
    /// Refused.
    Rejected(WebhookRejection),
    /// The queue failed; WooCommerce sees a failure and the poller recovers the order.
    Unavailable,
}

impl Delivery {
    /// The HTTP status answered.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Ping(_) | Self::Queued { .. } | Self::Unchanged { .. } => 200,
            Self::Recorded => 202,
            Self::Rejected(r) => r.http_status(),
            Self::Unavailable => 503,
        }
    }
}

impl Cell {
    /// A store's receiver side.
    pub fn new(
        id: String,
        store: Store,
        key: Key,
        env_secret: Option<Secret>,
        clock: Arc<dyn Clock>,
        wake: Sender<()>,
        followups: Sender<Followup>,
    ) -> Self {
        Self {
            id,
            store: Mutex::new(store),
            key,
            env_secret,
            clock,
            wake,
            followups,
            status: Mutex::new(CellStatus::default()),
            source: None,
        }
    }

    /// The queue connection (the poller and follow-ups share it with the receiver).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The credentials key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The health view.
    pub fn status(&self) -> CellStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the health view.
    pub fn update_status(&self, f: impl FnOnce(&mut CellStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Wakes the drain loop.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }

    /// Compares `X-WC-Webhook-Source` with this store's URL (issue #15).
    pub fn with_source(mut self, store_url: &str) -> Self {
        self.source = Some(normalise_url(store_url));
        self
    }

    /// Handles one delivery whose body is already within the size limit. Blocking (SQLite).
    pub fn handle(&self, body: &[u8], signature: Option<&str>, topic: Option<&str>) -> Delivery {
        self.handle_delivery(
            body,
            &DeliveryHeaders {
                signature: signature.map(str::to_owned),
                topic: topic.map(str::to_owned),
                ..DeliveryHeaders::default()
            },
        )
    }

    /// As [`Cell::handle`], with every WooCommerce header the receiver reads.
    pub fn handle_delivery(&self, body: &[u8], headers: &DeliveryHeaders) -> Delivery {
        let (signature, topic) = (headers.signature.as_deref(), headers.topic.as_deref());
        if signature.is_none() {
            if let Some(id) = webhook::ping_id(body) {
                tracing::info!(store = %self.id, webhook = id, "webhook creation ping");
                return Delivery::Ping(id);
            }
        }
        let now = self.now();
        let store = self.store();
        let secrets = match secrets::webhook_secrets(
            &self.id,
            self.env_secret.as_ref(),
            &store,
            &self.key,
            now,
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(store = %self.id, error = %e, "webhook secrets unreadable");
                return Delivery::Unavailable;
            }
        };
        let refs: Vec<&Secret> = secrets.iter().collect();
        let topic_text = topic.map(clean).unwrap_or_default();
        if let Err(reason) = webhook::verify(body, signature, &refs) {
            return self.reject(&store, reason, &topic_text, None, None, now);
        }
        self.update_status(|s| s.last_delivery_at = Some(now));
        let Some(topic) = Topic::parse(&topic_text) else {
            return self.reject(
                &store,
                WebhookRejection::UnsupportedTopic,
                &topic_text,
                None,
                None,
                now,
            );
        };
        let kind = if topic.is_order() {
            JobKind::Order
        } else {
            JobKind::Customer
        };
        // Issue #15: the unsigned headers must agree with each other and with this store.
        let resource_ok = headers
            .resource
            .as_deref()
            .is_none_or(|r| r.trim().eq_ignore_ascii_case(kind.as_str()));
        if !resource_ok {
            let reason = WebhookRejection::TopicMismatch;
            return self.reject(&store, reason, &topic_text, Some(kind), None, now);
        }
        let source_ok = match (&self.source, headers.source.as_deref()) {
            (Some(want), Some(got)) => normalise_url(got) == *want,
            _ => true,
        };
        if !source_ok {
            let reason = WebhookRejection::SourceMismatch;
            return self.reject(&store, reason, &topic_text, Some(kind), None, now);
        }
        let plan = match intake::plan(topic, body) {
            Ok(p) => p,
            Err(reason) => return self.reject(&store, reason, &topic_text, Some(kind), None, now),
        };
        match plan {
            Plan::NotACustomer { woo_id, role } => {
                record(
                    &store,
                    &self.id,
                    JobKind::Customer,
                    woo_id,
                    AuditAction::Skipped,
                    now,
                    format!(
                        "{}: WordPress user with role {role:?} is not a customer; not sent",
                        topic.as_str()
                    ),
                );
                Delivery::Recorded
            }
            Plan::Deleted { kind, woo_id } => {
                record(
                    &store,
                    &self.id,
                    kind,
                    woo_id,
                    AuditAction::Skipped,
                    now,
                    format!(
                        "{}: deleted in WooCommerce; documents already in Visma are not changed",
                        topic.as_str()
                    ),
                );
                Delivery::Recorded
            }
            Plan::Queue {
                kind,
                woo_id,
                payload,
                refund_ids,
            } => {
                let outcome =
                    engine::enqueue(&store, &self.id, kind, &payload, JobSource::Webhook, now);
                drop(store);
                match outcome {
                    Ok(o) => {
                        if !refund_ids.is_empty() {
                            let _ = self.followups.send(Followup {
                                order_id: woo_id,
                                order_payload: payload,
                            });
                        }
                        match o {
                            EnqueueOutcome::Inserted(_) | EnqueueOutcome::Replaced(_) => {
                                self.wake();
                                Delivery::Queued { kind, woo_id }
                            }
                            EnqueueOutcome::Duplicate(job) | EnqueueOutcome::Superseded(job) => {
                                let what = if matches!(o, EnqueueOutcome::Duplicate(_)) {
                                    "duplicate delivery: this payload is already queued"
                                } else {
                                    "stale delivery: a newer revision is already queued"
                                };
                                record(
                                    &self.store(),
                                    &self.id,
                                    kind,
                                    woo_id,
                                    AuditAction::RejectedWebhook,
                                    now,
                                    format!("{what} (job {})", job.get()),
                                );
                                Delivery::Unchanged { kind, woo_id }
                            }
                        }
                    }
                    Err(engine::IntakeError::Malformed { .. }) => {
                        Delivery::Rejected(WebhookRejection::MalformedBody)
                    }
                    Err(e) => {
                        tracing::error!(store = %self.id, woo_id, error = %e, "could not queue a webhook delivery");
                        Delivery::Unavailable
                    }
                }
            }
        }
    }

    fn reject(
        &self,
        store: &Store,
        reason: WebhookRejection,
        topic: &str,
        kind: Option<JobKind>,
        woo_id: Option<u64>,
        now: DateTime<Utc>,
    ) -> Delivery {
        tracing::warn!(store = %self.id, reason = reason.as_str(), topic, "webhook delivery refused");
        self.update_status(|s| s.last_rejection = Some(reason.as_str().to_owned()));
        let _ = store.audit(&AuditEvent {
            at: now,
            job_id: None,
            store_id: Some(self.id.clone()),
            woo_kind: kind,
            woo_id,
            action: AuditAction::RejectedWebhook,
            attempt: Attempt::default(),
            visma_number: None,
            error: Some(format!("{}: {reason} (topic {topic:?})", reason.as_str())),
        });
        Delivery::Rejected(reason)
    }

    /// Records a refusal that happened before a store connection was needed (oversized body).
    pub fn reject_oversized(&self) -> Delivery {
        let now = self.now();
        let store = self.store();
        self.reject(&store, WebhookRejection::TooLarge, "", None, None, now)
    }
}

/// A delivery's body must arrive within this.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A header value fit for a log line and an audit row: printable ASCII, at most 60 characters.
fn clean(s: &str) -> String {
    s.chars().filter(char::is_ascii_graphic).take(60).collect()
}

fn record(
    store: &Store,
    store_id: &str,
    kind: JobKind,
    woo_id: u64,
    action: AuditAction,
    now: DateTime<Utc>,
    text: String,
) {
    let _ = store.audit(&AuditEvent {
        at: now,
        job_id: None,
        store_id: Some(store_id.to_owned()),
        woo_kind: Some(kind),
        woo_id: Some(woo_id),
        action,
        attempt: Attempt::default(),
        visma_number: None,
        error: Some(text),
    });
}

struct ReceiverState {
    cells: HashMap<String, Arc<Cell>>,
    max_body: usize,
}

/// The service's HTTP routes: the webhook endpoint and `GET /health` (each store's mode and problems).
pub fn router(cells: HashMap<String, Arc<Cell>>, max_body: usize) -> Router {
    Router::new()
        .route("/webhooks/woocommerce/{store}", post(receive))
        .route("/health", get(health))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(Arc::new(ReceiverState { cells, max_body }))
}

async fn receive(
    State(st): State<Arc<ReceiverState>>,
    Path(store): Path<String>,
    req: Request,
) -> Response {
    let Some(cell) = st.cells.get(&store).cloned() else {
        tracing::warn!(store = %clean(&store), "webhook for an unknown store");
        return (StatusCode::NOT_FOUND, "unknown store").into_response();
    };
    let (parts, body) = req.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let limit = st.max_body;
    let bytes = if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        None
    } else {
        // Issue #15: a body that stops arriving is cut off, not waited for.
        match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
            Ok(read) => read.ok(),
            Err(_) => return (StatusCode::REQUEST_TIMEOUT, "body too slow").into_response(),
        }
    };
    let headers = DeliveryHeaders {
        signature: header(webhook::SIGNATURE_HEADER),
        topic: header(webhook::TOPIC_HEADER),
        resource: header("x-wc-webhook-resource"),
        source: header("x-wc-webhook-source"),
    };
    let outcome = tokio::task::spawn_blocking(move || match bytes {
        None => cell.reject_oversized(),
        Some(b) => cell.handle_delivery(&b, &headers),
    })
    .await
    .unwrap_or(Delivery::Unavailable);
    let status =
        StatusCode::from_u16(outcome.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = match &outcome {
        Delivery::Ping(_) => "pong",
        Delivery::Queued { .. } => "queued",
        Delivery::Unchanged { .. } => "already queued",
        Delivery::Recorded => "recorded",
        Delivery::Rejected(r) => r.as_str(),
        Delivery::Unavailable => "queue unavailable",
    };
    (status, text).into_response()
}

async fn health(State(st): State<Arc<ReceiverState>>) -> Response {
    let view: HashMap<&str, CellStatus> = st
        .cells
        .iter()
        .map(|(id, c)| (id.as_str(), c.status()))
        .collect();
    axum::Json(view).into_response()
}
