//! Webhook health and repair. [`assess`] is pure: given the shop's webhook list and our delivery URL it names
//! what is wrong (a topic with no webhook to us, or one `paused`/`disabled`). [`check`] adds "silent": the
//! poller found changes that no delivery brought. Any problem switches the store to polling (logged as a warning,
//! shown by `GET /health` and `webhooks status`, kept in the cursor [`MODE_CURSOR`]). [`repair`] (CLI
//! `webhooks install|repair`) rotates to a fresh secret (the old one verifies for the grace period) and then
//! creates the missing webhooks and re-activates the others with that secret.

use super::receiver::Cell;
use super::secrets;
use super::ServiceError;
use crate::store::{Key, Store};
use crate::woo::client::{WebhookInfo, WebhookWrite, WooClient};
use crate::woo::webhook::Topic;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The cursor with the store's mode as JSON (`{"polling":true,"problems":[…]}`), for `webhooks status`.
pub const MODE_CURSOR: &str = "service.mode";

/// What is wrong with a store's webhooks. Empty means healthy.
pub fn assess(hooks: &[WebhookInfo], delivery_url: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for topic in Topic::ALL {
        let ours: Vec<&WebhookInfo> = hooks
            .iter()
            .filter(|h| h.topic == topic.as_str() && same_url(&h.delivery_url, delivery_url))
            .collect();
        if ours.iter().any(|h| h.status == "active") {
            continue;
        }
        match ours.first() {
            None => problems.push(format!(
                "{}: no webhook delivers to this service",
                topic.as_str()
            )),
            Some(h) => problems.push(format!(
                "{}: webhook {} is {}",
                topic.as_str(),
                h.id,
                h.status
            )),
        }
    }
    problems
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// Lists the webhooks, adds "silent" when `poll_found` changes arrived only through polling, updates the
/// store's mode and returns true when the store must be polled.
///
/// # Errors
/// None: a failed listing is itself a problem (the store is polled until WooCommerce answers again).
pub fn check(cell: &Cell, woo: &WooClient, delivery_url: &str, poll_found: u64) -> bool {
    let mut problems = match woo.webhooks() {
        Ok(hooks) => assess(&hooks, delivery_url),
        Err(e) => vec![format!("could not list webhooks: {e}")],
    };
    if problems.is_empty() && poll_found > 0 {
        problems.push(format!(
            "webhooks silent: the poller found {poll_found} change(s) no delivery brought"
        ));
    }
    let polling = !problems.is_empty();
    let was = cell.status();
    if polling && (!was.polling || was.problems != problems) {
        tracing::warn!(store = %cell.id, problems = ?problems, "webhooks unhealthy: store switched to polling; run `ml-connector webhooks repair`");
    } else if !polling && was.polling {
        tracing::info!(store = %cell.id, "webhooks healthy again: polling back to reconciliation pace");
    }
    cell.update_status(|s| {
        s.polling = polling;
        s.problems.clone_from(&problems);
    });
    let mode =
        serde_json::json!({ "polling": polling, "problems": problems, "checked_at": cell.now() });
    let _ = cell
        .store()
        .set_cursor(&cell.id, MODE_CURSOR, &mode.to_string(), cell.now());
    polling
}

/// What `repair` did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepairReport {
    /// Webhooks created (topic names).
    pub created: Vec<String>,
    /// Webhooks updated to active with the fresh secret (ids).
    pub updated: Vec<u64>,
}

/// Rotates to a fresh webhook secret and makes every topic's webhook active and pointing at `delivery_url`.
///
/// # Errors
/// [`ServiceError::Store`] when the secret cannot be stored (nothing changed in WooCommerce then);
/// [`ServiceError::Woo`] when a call fails (webhooks done so far already carry the new secret, and the previous
/// secret still verifies the others during the grace period, so running `repair` again is safe).
pub fn repair(
    woo: &WooClient,
    store: &Store,
    key: &Key,
    store_id: &str,
    delivery_url: &str,
    grace: Duration,
    now: DateTime<Utc>,
) -> Result<RepairReport, ServiceError> {
    let woo_err = |source| ServiceError::Woo {
        store: store_id.to_owned(),
        source,
    };
    let hooks = woo.webhooks().map_err(woo_err)?;
    let fresh = secrets::fresh_secret();
    secrets::rotate_webhook_secret(store_id, &fresh, grace, store, key, now)
        .map_err(|source| ServiceError::store(store_id, source))?;
    let mut report = RepairReport::default();
    for topic in Topic::ALL {
        let ours: Vec<&WebhookInfo> = hooks
            .iter()
            .filter(|h| h.topic == topic.as_str() && same_url(&h.delivery_url, delivery_url))
            .collect();
        if ours.is_empty() {
            woo.create_webhook(&WebhookWrite {
                name: Some(format!("ml-connector {store_id} {}", topic.as_str())),
                status: Some("active".into()),
                topic: Some(topic.as_str().into()),
                delivery_url: Some(delivery_url.into()),
                secret: Some(fresh.expose().to_owned()),
            })
            .map_err(woo_err)?;
            report.created.push(topic.as_str().to_owned());
        }
        for h in ours {
            woo.update_webhook(
                h.id,
                &WebhookWrite {
                    name: None,
                    status: Some("active".into()),
                    topic: None,
                    delivery_url: None,
                    secret: Some(fresh.expose().to_owned()),
                },
            )
            .map_err(woo_err)?;
            report.updated.push(h.id);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(id: u64, topic: &str, status: &str, url: &str) -> WebhookInfo {
        WebhookInfo {
            id,
            name: String::new(),
            status: status.into(),
            topic: topic.into(),
            delivery_url: url.into(),
        }
    }

    #[test]
    fn every_topic_needs_an_active_webhook_to_us() {
        let url = "https://c.example/webhooks/woocommerce/s";
        let mut hooks: Vec<WebhookInfo> = Topic::ALL
            .iter()
            .zip(1..)
            .map(|(t, id)| hook(id, t.as_str(), "active", url))
            .collect();
        assert!(assess(&hooks, &format!("{url}/")).is_empty());
        if let Some(h) = hooks.get_mut(1) {
            h.status = "disabled".into();
        }
        hooks.retain(|h| h.topic != "customer.deleted");
        hooks.push(hook(
            99,
            "customer.deleted",
            "active",
            "https://elsewhere.example/",
        ));
        assert_eq!(
            assess(&hooks, url),
            vec![
                "order.updated: webhook 2 is disabled".to_owned(),
                "customer.deleted: no webhook delivers to this service".to_owned(),
            ]
        );
    }
}
