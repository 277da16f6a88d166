//! WooCommerce webhook deliveries, pure: the signature check ([`verify`]), the creation ping ([`ping_id`]) and
//! the topic header ([`Topic`]). No I/O, no clock, no parsing of the body before it is verified.
//!
//! WooCommerce signs `base64(HMAC-SHA256(raw body, wp_specialchars_decode(secret, ENT_QUOTES)))` and sends it in
//! `X-WC-Webhook-Signature` (`shared/reference/woocommerce/NOTES.md` §1.4). The body carries `\/` and `\uXXXX`
//! escapes, so the MAC is taken over the raw bytes, never over re-encoded JSON.

use crate::secret::Secret;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-wc-webhook-signature";
/// The header that names the topic (`order.updated`).
pub const TOPIC_HEADER: &str = "x-wc-webhook-topic";
/// The header with the numeric webhook id.
pub const WEBHOOK_ID_HEADER: &str = "x-wc-webhook-id";

/// Why a delivery was refused. The name ([`WebhookRejection::as_str`]) goes to the audit trail and the health
/// view; neither the body nor the secret is ever part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// No `X-WC-Webhook-Signature` header (and the body is not a creation ping).
    #[error("the delivery carries no signature")]
    MissingSignature,
    /// The header is not base64 of a 32-byte SHA-256 MAC.
    #[error("the signature header is not a base64 SHA-256 MAC")]
    MalformedSignature,
    /// The MAC does not match any configured secret (forged, truncated or altered body, or a stale secret).
    #[error("the signature does not match the store's webhook secret")]
    BadSignature,
    /// The store has no webhook secret configured, so nothing can verify.
    #[error("no webhook secret is configured for this store")]
    NoSecret,
    /// The body is larger than the receiver accepts.
    #[error("the delivery is larger than the receiver accepts")]
    TooLarge,
    /// The path names a store this service does not serve.
    #[error("the delivery is for a store this service does not serve")]
    UnknownStore,
    /// Verified, but the topic is not one the connector queues.
    #[error("the topic is not one the connector handles")]
    UnsupportedTopic,
    /// Verified, but the body is not the JSON the topic needs.
    #[error("the verified body is not the JSON its topic needs")]
    MalformedBody,
    /// Verified, but the body is another kind of document than the topic header (or `X-WC-Webhook-Resource`)
    /// says. WooCommerce signs only the body, so the headers of a captured delivery can be edited (issue #15).
    #[error("the body is not the kind of document its topic and resource headers name")]
    TopicMismatch,
    /// Verified, but `X-WC-Webhook-Source` names another shop than the store's URL.
    #[error("the delivery comes from another shop than this store")]
    SourceMismatch,
}

impl WebhookRejection {
    /// A stable name for the audit trail and the health view.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::MalformedSignature => "malformed_signature",
            Self::BadSignature => "bad_signature",
            Self::NoSecret => "no_secret",
            Self::TooLarge => "too_large",
            Self::UnknownStore => "unknown_store",
            Self::UnsupportedTopic => "unsupported_topic",
            Self::MalformedBody => "malformed_body",
            Self::TopicMismatch => "topic_mismatch",
            Self::SourceMismatch => "source_mismatch",
        }
    }

    /// The HTTP status the receiver answers with. WooCommerce counts anything outside 200–302 as a failure.
    pub fn http_status(self) -> u16 {
        match self {
            Self::TooLarge => 413,
            Self::UnknownStore => 404,
            // Verified deliveries we cannot use: accepting them keeps WooCommerce from disabling the webhook
            // over topics we never asked for; the audit row says what was dropped.
            Self::UnsupportedTopic => 202,
            Self::MalformedBody | Self::TopicMismatch | Self::SourceMismatch => 400,
            Self::MissingSignature
            | Self::MalformedSignature
            | Self::BadSignature
            | Self::NoSecret => 401,
        }
    }
}

/// Checks `signature_header` against `raw_body` for each secret in turn (the current one and, during a rotation,
/// the previous one). Each comparison is constant-time ([`Mac::verify_slice`]).
///
/// # Errors
/// [`WebhookRejection::MissingSignature`], [`WebhookRejection::MalformedSignature`],
/// [`WebhookRejection::NoSecret`] or [`WebhookRejection::BadSignature`].
pub fn verify(
    raw_body: &[u8],
    signature_header: Option<&str>,
    secrets: &[&Secret],
) -> Result<(), WebhookRejection> {
    let header = signature_header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookRejection::MissingSignature)?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(header)
        .map_err(|_| WebhookRejection::MalformedSignature)?;
    if expected.len() != 32 {
        return Err(WebhookRejection::MalformedSignature);
    }
    let usable: Vec<&&Secret> = secrets.iter().filter(|s| !s.is_empty()).collect();
    if usable.is_empty() {
        return Err(WebhookRejection::NoSecret);
    }
    let mut ok = false;
    // Every secret is tried, so the time taken does not say which one matched.
    for secret in usable {
        ok |= mac(secret)
            .chain_update(raw_body)
            .verify_slice(&expected)
            .is_ok();
    }
    if ok {
        Ok(())
    } else {
        Err(WebhookRejection::BadSignature)
    }
}

/// The signature WooCommerce would send for `raw_body` under `secret` (for `webhooks install` checks and tests).
pub fn sign(raw_body: &[u8], secret: &Secret) -> String {
    let tag = mac(secret).chain_update(raw_body).finalize().into_bytes();
    base64::engine::general_purpose::STANDARD.encode(tag)
}

fn mac(secret: &Secret) -> Hmac<Sha256> {
    let key = specialchars_decode(secret.expose());
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length")
}

/// `wp_specialchars_decode($secret, ENT_QUOTES)`: WooCommerce decodes the stored secret before using it as key.
fn specialchars_decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    // `&amp;` last, so `&amp;lt;` becomes `&lt;` as in PHP's single pass.
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The webhook id of a creation ping: the unsigned body `webhook_id=N` (NOTES §1.5), else `None`.
pub fn ping_id(raw_body: &[u8]) -> Option<u64> {
    let digits = raw_body.strip_prefix(b"webhook_id=")?;
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The topics the connector subscribes to and queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `order.created`.
    OrderCreated,
    /// `order.updated` (also fired for refunds of the order).
    OrderUpdated,
    /// `order.deleted` (moved to the trash; the body is `{"id":N}`).
    OrderDeleted,
    /// `order.restored` (back from the trash).
    OrderRestored,
    /// `customer.created`.
    CustomerCreated,
    /// `customer.updated`.
    CustomerUpdated,
    /// `customer.deleted` (the body is `{"id":N}`).
    CustomerDeleted,
}

impl Topic {
    /// Every topic, in the order `webhooks install` creates them.
    pub const ALL: [Topic; 7] = [
        Topic::OrderCreated,
        Topic::OrderUpdated,
        Topic::OrderDeleted,
        Topic::OrderRestored,
        Topic::CustomerCreated,
        Topic::CustomerUpdated,
        Topic::CustomerDeleted,
    ];

    /// Reads the `X-WC-Webhook-Topic` value; `None` for topics we do not handle.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text.trim())
    }

    /// The topic as WooCommerce names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "order.created",
            Self::OrderUpdated => "order.updated",
            Self::OrderDeleted => "order.deleted",
            Self::OrderRestored => "order.restored",
            Self::CustomerCreated => "customer.created",
            Self::CustomerUpdated => "customer.updated",
            Self::CustomerDeleted => "customer.deleted",
        }
    }

    /// True for `*.deleted`, whose body is only `{"id":N}`.
    pub fn is_deletion(self) -> bool {
        matches!(self, Self::OrderDeleted | Self::CustomerDeleted)
    }

    /// True for order topics.
    pub fn is_order(self) -> bool {
        matches!(
            self,
            Self::OrderCreated | Self::OrderUpdated | Self::OrderDeleted | Self::OrderRestored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":399,"link":"http:\/\/127.0.0.1:8089\/"}"#;

    #[test]
    fn a_signature_made_with_the_secret_verifies_and_any_change_fails() {
        let secret = Secret::new("s3cr3t");
        let sig = sign(BODY, &secret);
        assert_eq!(verify(BODY, Some(&sig), &[&secret]), Ok(()));
        let truncated = BODY.get(..BODY.len() - 1).expect("non-empty");
        assert_eq!(
            verify(truncated, Some(&sig), &[&secret]),
            Err(WebhookRejection::BadSignature)
        );
        let other = Secret::new("other");
        assert_eq!(
            verify(BODY, Some(&sig), &[&other]),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn rejection_reasons_are_named() {
        let secret = Secret::new("s3cr3t");
        let cases: [(Option<&str>, &[&Secret], WebhookRejection); 5] = [
            (None, &[&secret], WebhookRejection::MissingSignature),
            (Some("  "), &[&secret], WebhookRejection::MissingSignature),
            (
                Some("not base64!"),
                &[&secret],
                WebhookRejection::MalformedSignature,
            ),
            (
                Some("AAAA"),
                &[&secret],
                WebhookRejection::MalformedSignature,
            ),
            (
                Some(&"A".repeat(43)),
                &[],
                WebhookRejection::MalformedSignature,
            ),
        ];
        for (header, secrets, want) in cases {
            assert_eq!(verify(BODY, header, secrets), Err(want), "{header:?}");
        }
        let sig = sign(BODY, &secret);
        assert_eq!(
            verify(BODY, Some(&sig), &[&Secret::new("")]),
            Err(WebhookRejection::NoSecret)
        );
        assert_eq!(WebhookRejection::TooLarge.http_status(), 413);
        assert_eq!(WebhookRejection::BadSignature.as_str(), "bad_signature");
    }

    #[test]
    fn during_a_rotation_both_secrets_verify() {
        let (old, new) = (Secret::new("old-secret"), Secret::new("new-secret"));
        for s in [&old, &new] {
            assert_eq!(verify(BODY, Some(&sign(BODY, s)), &[&new, &old]), Ok(()));
        }
        assert_eq!(
            verify(BODY, Some(&sign(BODY, &old)), &[&new]),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn html_entities_in_the_secret_are_decoded_like_wordpress() {
        let stored = Secret::new("a&amp;b&lt;c&#039;");
        let plain = Secret::new("a&b<c'");
        assert_eq!(sign(BODY, &stored), sign(BODY, &plain));
    }

    #[test]
    fn only_a_bare_webhook_id_body_is_a_ping() {
        assert_eq!(ping_id(b"webhook_id=12"), Some(12));
        for not in [
            &b"webhook_id="[..],
            b"webhook_id=1&x=2",
            b"webhook_id=-1",
            b"{\"id\":1}",
            b"",
        ] {
            assert_eq!(ping_id(not), None, "{}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn topics_round_trip_and_unknown_ones_are_none() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("product.updated"), None);
        assert!(Topic::OrderDeleted.is_deletion() && Topic::OrderDeleted.is_order());
        assert!(!Topic::CustomerUpdated.is_order());
    }
}
