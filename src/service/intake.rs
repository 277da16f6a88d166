//! From a verified delivery or a polled document to queue entries, pure: which job kind, which payload. Payloads
//! are re-serialised canonically (keys sorted, `_links` and `payment_url` dropped) so the same order state from a webhook
//! (`\/` escapes, `http://` links) and from the REST API (compact, `https://` links) has the same payload hash
//! and is queued once. No I/O here; the receiver and the poller do the enqueueing.

use crate::store::queue::JobKind;
use crate::woo::webhook::{Topic, WebhookRejection};
use serde_json::Value;

/// What a delivery asks the connector to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Queue this document.
    Queue {
        /// Order or customer.
        kind: JobKind,
        /// The WooCommerce id.
        woo_id: u64,
        /// The canonical payload.
        payload: String,
        /// For orders with refunds: fetch `/orders/{id}/refunds` and queue each with the order.
        refund_ids: Vec<u64>,
    },
    /// A `customer.*` delivery for a WordPress user who is not a customer: `customer.updated` is bound to
    /// `profile_update`, which fires for administrators and shop managers too (NOTES §1.7). Recorded only.
    NotACustomer {
        /// The WordPress user id.
        woo_id: u64,
        /// The user's role (bounded, printable).
        role: String,
    },
    /// Trashed or deleted in WooCommerce: recorded, nothing is sent (a posted document is never removed).
    Deleted {
        /// Order or customer.
        kind: JobKind,
        /// The WooCommerce id.
        woo_id: u64,
    },
}

/// The canonical text of a WooCommerce document (see the module docs).
pub fn canonical(mut doc: Value) -> String {
    if let Some(map) = doc.as_object_mut() {
        // Both differ only in scheme between a webhook and the REST API behind HTTPS
        // (shared/reference/woocommerce/real/README.md, "API keys over plain http").
        map.remove("_links");
        map.remove("payment_url");
    }
    doc.to_string()
}

/// The refund ids an order lists under `refunds[]`.
pub fn refund_ids(order: &Value) -> Vec<u64> {
    order
        .get("refunds")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|r| r.get("id").and_then(Value::as_u64))
                .collect()
        })
        .unwrap_or_default()
}

/// What a REST v3 document is, by the fields only that kind has: an order has `line_items` and `order_key`, a
/// customer `email` and `username` or `role` and no `line_items`.
pub fn body_kind(doc: &Value) -> Option<JobKind> {
    let has = |k: &str| doc.get(k).is_some();
    if doc.get("line_items").is_some_and(Value::is_array) && has("order_key") {
        Some(JobKind::Order)
    } else if !has("line_items") && has("email") && (has("username") || has("role")) {
        Some(JobKind::Customer)
    } else {
        None
    }
}

/// Plans a verified delivery of `topic`.
///
/// # Errors
/// [`WebhookRejection::MalformedBody`] when the body is not a JSON object with a positive `id`, or (but for a
/// deletion, whose body is the id alone) neither an order nor a customer; [`WebhookRejection::TopicMismatch`]
/// when it is the other kind than the topic names.
pub fn plan(topic: Topic, body: &[u8]) -> Result<Plan, WebhookRejection> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| WebhookRejection::MalformedBody)?;
    let woo_id = doc
        .get("id")
        .and_then(Value::as_u64)
        .filter(|id| *id > 0)
        .ok_or(WebhookRejection::MalformedBody)?;
    let kind = if topic.is_order() {
        JobKind::Order
    } else {
        JobKind::Customer
    };
    if topic.is_deletion() {
        return Ok(Plan::Deleted { kind, woo_id });
    }
    // Issue #15: the body decides what it is; the (unsigned) topic header must agree.
    if body_kind(&doc) != Some(kind) {
        return Err(if body_kind(&doc).is_none() {
            WebhookRejection::MalformedBody
        } else {
            WebhookRejection::TopicMismatch
        });
    }
    if kind == JobKind::Customer {
        let role = doc
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("customer");
        if role != "customer" {
            return Ok(Plan::NotACustomer {
                woo_id,
                role: role
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(40)
                    .collect(),
            });
        }
    }
    let refund_ids = if kind == JobKind::Order {
        refund_ids(&doc)
    } else {
        Vec::new()
    };
    Ok(Plan::Queue {
        kind,
        woo_id,
        payload: canonical(doc),
        refund_ids,
    })
}

/// The refund job payload: the envelope the engine expects.
pub fn refund_envelope(order_payload: &str, refund: Value) -> Option<String> {
    let order: Value = serde_json::from_str(order_payload).ok()?;
    Some(
        serde_json::json!({ "order": order, "refund": canonical(refund).parse::<Value>().ok()? })
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_and_rest_forms_of_one_order_are_the_same_payload() {
        let webhook = br#"{"id":399,"order_key":"wc_order_k","line_items":[],"link":"http:\/\/shop\/","name":"\u00c5se","_links":{"self":[{"href":"http:\/\/x"}]},"refunds":[]}"#;
        let rest = r#"{"refunds":[],"line_items":[],"order_key":"wc_order_k","name":"Åse","link":"http://shop/","id":399,"_links":{"self":[{"href":"https://x"}]}}"#;
        let Plan::Queue { payload, .. } = plan(Topic::OrderUpdated, webhook).expect("plan") else {
            panic!("not queued");
        };
        assert_eq!(
            payload,
            canonical(serde_json::from_str(rest).expect("json"))
        );
        assert!(!payload.contains("_links"));
    }

    #[test]
    fn refunds_are_listed_deletions_recorded_and_bad_bodies_refused() {
        let order = br#"{"id":117,"order_key":"wc_order_k","line_items":[],"refunds":[{"id":383,"total":"-10.00"},{"id":390}]}"#;
        match plan(Topic::OrderUpdated, order).expect("plan") {
            Plan::Queue {
                kind,
                woo_id,
                refund_ids,
                ..
            } => {
                assert_eq!(
                    (kind, woo_id, refund_ids),
                    (JobKind::Order, 117, vec![383, 390])
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            plan(Topic::CustomerDeleted, br#"{"id":12}"#),
            Ok(Plan::Deleted {
                kind: JobKind::Customer,
                woo_id: 12
            })
        );
        for bad in [
            &b"{"[..],
            b"[]",
            br#"{"id":0}"#,
            br#"{"id":"x"}"#,
            br#"{"id":5}"#,
        ] {
            assert_eq!(
                plan(Topic::OrderCreated, bad),
                Err(WebhookRejection::MalformedBody)
            );
        }
    }

    #[test]
    fn only_customers_are_queued_from_customer_topics() {
        assert_eq!(
            plan(
                Topic::CustomerUpdated,
                br#"{"id":1,"email":"a@b.example","role":"administrator"}"#
            ),
            Ok(Plan::NotACustomer {
                woo_id: 1,
                role: "administrator".into()
            })
        );
        assert!(matches!(
            plan(
                Topic::CustomerUpdated,
                br#"{"id":3,"email":"c@d.example","role":"customer"}"#
            ),
            Ok(Plan::Queue {
                kind: JobKind::Customer,
                woo_id: 3,
                ..
            })
        ));
    }

    #[test]
    fn refund_envelope_carries_both() {
        let env = refund_envelope(r#"{"id":117}"#, serde_json::json!({"id":383,"_links":{}}))
            .expect("env");
        let v: Value = serde_json::from_str(&env).expect("json");
        assert_eq!(v["order"]["id"], 117);
        assert_eq!(v["refund"]["id"], 383);
        assert!(v["refund"].get("_links").is_none());
    }

    #[test]
    fn the_body_decides_and_an_edited_topic_is_refused() {
        // Issue #15: only the body is signed; an order delivered under a customer topic is not a customer.
        let order = br#"{"id":117,"order_key":"wc_order_k","line_items":[],"email":"x@y.example","billing":{}}"#;
        let customer = br#"{"id":3,"email":"c@d.example","username":"c","role":"customer"}"#;
        assert_eq!(
            plan(Topic::CustomerCreated, order),
            Err(WebhookRejection::TopicMismatch)
        );
        assert_eq!(
            plan(Topic::OrderCreated, customer),
            Err(WebhookRejection::TopicMismatch)
        );
        assert!(matches!(
            plan(Topic::OrderCreated, order),
            Ok(Plan::Queue { .. })
        ));
    }
}
