//! Intake: what the checkout path, webhooks and pollers call. It reads just enough of the WooCommerce REST v3
//! JSON to key the job (entity id, revision, what it waits for) and puts it in the queue in one short
//! transaction. No network, no mapping: a bad payload is refused here with a clear error and an audit row,
//! so it never sits in the queue as a job that can only fail.

use crate::store::audit::{Attempt, AuditAction, AuditEvent};
use crate::store::queue::{Dependency, EnqueueOutcome, JobKind, JobSource, NewJob};
use crate::store::{Store, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

/// Why a payload was refused at intake.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The payload is not the JSON the kind needs.
    #[error("{kind} payload is not valid WooCommerce JSON: {reason}")]
    Malformed {
        /// The job kind named by the caller.
        kind: &'static str,
        /// What is wrong (never the payload itself).
        reason: String,
    },
    /// The kind is not one we queue.
    #[error("unknown job kind {0:?} (expected order, customer or refund)")]
    UnknownKind(String),
    /// The queue could not take it.
    #[error("could not queue the {kind}")]
    Store {
        /// The job kind.
        kind: &'static str,
        /// The store's error (boxed: `StoreError` is large and this enum travels on the checkout path).
        #[source]
        source: Box<StoreError>,
    },
}

/// The few fields intake reads; everything else is the mapping's business.
#[derive(Debug, Deserialize)]
struct Head {
    id: serde_json::Value,
    #[serde(default)]
    date_modified_gmt: Option<String>,
}

/// A refund travels with its order: the credit note needs both.
#[derive(Debug, Deserialize)]
struct RefundEnvelope {
    order: Head,
    refund: Head,
}

/// The queue key of a payload: entity id, revision and dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The job kind.
    pub kind: JobKind,
    /// The WooCommerce id of the entity.
    pub woo_id: u64,
    /// `date_modified_gmt` as Unix seconds (0 when absent).
    pub revision: i64,
    /// What must be posted first.
    pub depends_on: Option<Dependency>,
}

/// Parses the kind name used by the PHP plugin and the CLI.
///
/// # Errors
/// [`IntakeError::UnknownKind`].
pub fn parse_kind(kind: &str) -> Result<JobKind, IntakeError> {
    match kind {
        "order" => Ok(JobKind::Order),
        "customer" => Ok(JobKind::Customer),
        "refund" => Ok(JobKind::Refund),
        other => Err(IntakeError::UnknownKind(other.chars().take(40).collect())),
    }
}

/// Reads the queue key from a payload. Pure.
///
/// # Errors
/// [`IntakeError::Malformed`] when the JSON or its id is not usable.
pub fn key_of(kind: JobKind, payload: &[u8]) -> Result<Keyed, IntakeError> {
    let malformed = |reason: String| IntakeError::Malformed {
        kind: kind.as_str(),
        reason,
    };
    if nesting(payload) > MAX_NESTING {
        return Err(malformed(format!(
            "JSON nested deeper than {MAX_NESTING} levels (a WooCommerce document has fewer than 10)"
        )));
    }
    match kind {
        JobKind::Refund => {
            let env: RefundEnvelope = serde_json::from_slice(payload)
                .map_err(|e| malformed(format!("expected {{\"order\":…,\"refund\":…}}: {e}")))?;
            let order_id = entity_id(&env.order.id).map_err(|r| malformed(format!("order.{r}")))?;
            Ok(Keyed {
                kind,
                woo_id: entity_id(&env.refund.id).map_err(|r| malformed(format!("refund.{r}")))?,
                revision: revision(env.refund.date_modified_gmt.as_deref())
                    .max(revision(env.order.date_modified_gmt.as_deref())),
                depends_on: Some(Dependency::Woo {
                    kind: JobKind::Order,
                    woo_id: order_id,
                }),
            })
        }
        _ => {
            let head: Head =
                serde_json::from_slice(payload).map_err(|e| malformed(e.to_string()))?;
            Ok(Keyed {
                kind,
                woo_id: entity_id(&head.id).map_err(malformed)?,
                revision: revision(head.date_modified_gmt.as_deref()),
                depends_on: None,
            })
        }
    }
}

/// WooCommerce ids are positive integers, sometimes sent as strings.
fn entity_id(v: &serde_json::Value) -> Result<u64, String> {
    let id = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    // The store keeps ids as SQLite integers (i64): a larger one is bad input, not a store error (issue #15).
    match id {
        Some(id) if id > 0 && i64::try_from(id).is_ok() => Ok(id),
        _ => Err(format!(
            "id must be a positive integer up to {}, got {}",
            i64::MAX,
            shortened(v)
        )),
    }
}

/// The refund job payloads (`{"order":…,"refund":…}`) for `refunds` of `order`: one refund object, or the array
/// `GET /orders/{id}/refunds` returns. Each passes [`key_of`], so `map` and `enqueue` give one verdict (issue #15).
///
/// # Errors
/// [`IntakeError::Malformed`] for JSON that is not an order and refunds, or a refund [`key_of`] refuses.
pub fn refund_envelopes(order: &[u8], refunds: &[u8]) -> Result<Vec<String>, IntakeError> {
    let malformed = |reason: String| IntakeError::Malformed {
        kind: JobKind::Refund.as_str(),
        reason,
    };
    let order: serde_json::Value =
        serde_json::from_slice(order).map_err(|e| malformed(format!("order: {e}")))?;
    let list = match serde_json::from_slice(refunds).map_err(|e| malformed(e.to_string()))? {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => {
            return Err(malformed(
                "expected a refund object or an array of them".to_owned(),
            ))
        }
    };
    list.into_iter()
        .map(|refund| {
            let envelope = serde_json::json!({ "order": order, "refund": refund }).to_string();
            key_of(JobKind::Refund, envelope.as_bytes()).map(|_| envelope)
        })
        .collect()
}

/// Deepest JSON nesting a payload may have. SQLite refuses JSON deeper than 1000 levels when it stores the payload:
/// this keeps that an input error with a reason, not a store error (issue #15).
const MAX_NESTING: usize = 64;

/// The deepest `[`/`{` nesting of `json`, strings skipped.
fn nesting(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A JSON value as shown in an error: at most 40 characters.
fn shortened(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 40 {
        text
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

/// `date_modified_gmt` ("2026-11-24T07:33:32") as Unix seconds; 0 when missing or unreadable, which only
/// means "oldest" for replacement order.
fn revision(date: Option<&str>) -> i64 {
    date.and_then(|d| NaiveDateTime::parse_from_str(d.trim(), "%Y-%m-%dT%H:%M:%S").ok())
        .map_or(0, |t| t.and_utc().timestamp())
}

/// Queues one payload: the only work the checkout request does.
///
/// # Errors
/// [`IntakeError::Malformed`] (also written to the audit trail) or [`IntakeError::Store`].
pub fn enqueue(
    store: &Store,
    store_id: &str,
    kind: JobKind,
    payload: &str,
    source: JobSource,
    now: DateTime<Utc>,
) -> Result<EnqueueOutcome, IntakeError> {
    enqueue_noted(store, store_id, kind, payload, source, now, None)
}

/// [`enqueue`] for the background runner that built a noted object's JSON: the note is cleared only if it still
/// has `note_seq` (see `Store::enqueue_noted`).
///
/// # Errors
/// As [`enqueue`].
pub fn enqueue_noted(
    store: &Store,
    store_id: &str,
    kind: JobKind,
    payload: &str,
    source: JobSource,
    now: DateTime<Utc>,
    note_seq: Option<i64>,
) -> Result<EnqueueOutcome, IntakeError> {
    let keyed = match key_of(kind, payload.as_bytes()) {
        Ok(k) => k,
        Err(e) => {
            // The refusal is on record even though nothing was queued; a failing audit write must not hide
            // the refusal itself, so its own error is dropped.
            let _ = store.audit(&AuditEvent {
                at: now,
                job_id: None,
                store_id: Some(store_id.to_owned()),
                woo_kind: Some(kind),
                woo_id: None,
                action: AuditAction::Rejected,
                attempt: Attempt::default(),
                visma_number: None,
                error: Some(e.to_string()),
            });
            return Err(e);
        }
    };
    store
        .enqueue_noted(
            &NewJob {
                source,
                store_id: store_id.to_owned(),
                kind,
                woo_id: keyed.woo_id,
                revision: keyed.revision,
                payload: payload.to_owned(),
                depends_on: keyed.depends_on,
            },
            now,
            note_seq,
        )
        .map_err(|source| IntakeError::Store {
            kind: kind.as_str(),
            source: Box::new(source),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_key_reads_id_and_revision() {
        let k = key_of(
            JobKind::Order,
            br#"{"id":117,"date_modified_gmt":"2026-11-24T07:33:32","total":"1.00"}"#,
        )
        .expect("valid");
        assert_eq!(k.woo_id, 117);
        assert_eq!(k.revision, 1_795_505_612);
        assert_eq!(k.depends_on, None);
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_only() {
        assert_eq!(nesting(br#"{"a":[{"b":"[[[{{{\"]]"}]}"#), 3);
        assert_eq!(nesting(b"[]"), 1);
        assert_eq!(nesting(br#""x""#), 0);
    }

    #[test]
    fn string_ids_are_accepted_and_bad_ids_refused() {
        assert_eq!(
            key_of(JobKind::Customer, br#"{"id":"12"}"#)
                .expect("valid")
                .woo_id,
            12
        );
        for bad in [
            &br#"{"id":0}"#[..],
            br#"{"id":-3}"#,
            br#"{"id":"x"}"#,
            br#"{}"#,
            b"not json",
            br#"{"id":9223372036854775808}"#,
        ] {
            assert!(
                key_of(JobKind::Order, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn refund_waits_for_its_order() {
        let k = key_of(
            JobKind::Refund,
            br#"{"order":{"id":117},"refund":{"id":383,"date_modified_gmt":"2026-11-24T07:33:32"}}"#,
        )
        .expect("valid");
        assert_eq!(k.woo_id, 383);
        assert_eq!(
            k.depends_on,
            Some(Dependency::Woo {
                kind: JobKind::Order,
                woo_id: 117
            })
        );
        assert!(key_of(JobKind::Refund, br#"{"id":383}"#).is_err());
    }

    #[test]
    fn malformed_payload_is_refused_with_an_audit_row_and_nothing_queued() {
        let store = Store::open_in_memory().expect("store");
        let now = Utc::now();
        let err = enqueue(
            &store,
            "default",
            JobKind::Order,
            "{oops",
            JobSource::Hook,
            now,
        )
        .expect_err("malformed");
        assert!(matches!(err, IntakeError::Malformed { .. }), "{err}");
        assert_eq!(store.counts_by_state().expect("counts").pending, 0);
        assert_eq!(store.audit_count().expect("audit"), 1);
    }

    #[test]
    fn unknown_kind_is_named() {
        assert!(
            matches!(parse_kind("invoice"), Err(IntakeError::UnknownKind(k)) if k == "invoice")
        );
        assert_eq!(parse_kind("refund").expect("known"), JobKind::Refund);
    }
}
