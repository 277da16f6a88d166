//! WooCommerce's one-legged OAuth 1.0a for plain-HTTP stores, pure: the parameters to add to a request's query.
//! WooCommerce (`WC_REST_Authentication::check_oauth_signature`, NOTES §2.1) sorts the parameters by key,
//! RFC 3986-encodes keys and values, joins them with `%3D` / `%26`, signs
//! `METHOD&rawurlencode(url)&params` with HMAC-SHA256 under `consumer_secret&` (no token), and accepts
//! timestamps within 15 minutes. The body is not signed. No I/O here; the caller passes time and nonce.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `oauth_*` parameters (signature included) for one request. `query` is the request's own query
/// (without the oauth parameters); `url` has no query string.
pub fn sign(
    method: &str,
    url: &str,
    query: &[(String, String)],
    consumer_key: &str,
    consumer_secret: &str,
    timestamp: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut oauth = vec![
        ("oauth_consumer_key".to_owned(), consumer_key.to_owned()),
        ("oauth_nonce".to_owned(), nonce.to_owned()),
        (
            "oauth_signature_method".to_owned(),
            "HMAC-SHA256".to_owned(),
        ),
        ("oauth_timestamp".to_owned(), timestamp.to_string()),
    ];
    let base = base_string(method, url, query.iter().chain(oauth.iter()));
    let key = format!("{consumer_secret}&");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(base.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    oauth.push(("oauth_signature".to_owned(), signature));
    oauth
}

/// The string WooCommerce signs.
pub fn base_string<'a>(
    method: &str,
    url: &str,
    params: impl Iterator<Item = &'a (String, String)>,
) -> String {
    // Percent signs of the encoded pairs are encoded again: the pair list is itself one encoded component.
    let twice = |s: &str| encode(s).replace('%', "%25");
    let mut pairs: Vec<(String, String)> = params.map(|(k, v)| (twice(k), twice(v))).collect();
    pairs.sort();
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}%3D{v}")).collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(url),
        joined.join("%26")
    )
}

/// PHP's `rawurlencode`: RFC 3986 unreserved characters stay, every other byte becomes `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A fresh random nonce (hex).
pub fn nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_encoded_twice_inside_the_signed_string() {
        let q = [(
            "modified_after".to_owned(),
            "2026-11-24T07:00:00".to_owned(),
        )];
        let base = base_string("get", "http://shop/wp-json/wc/v3/orders", q.iter());
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fshop%2Fwp-json%2Fwc%2Fv3%2Forders&modified_after%3D2026-11-24T07%253A00%253A00"
        );
    }

    #[test]
    fn signature_depends_on_every_input() {
        let q = vec![("page".to_owned(), "2".to_owned())];
        let a = sign("GET", "http://s/x", &q, "ck", "cs", 1, "n");
        let sig = |v: &[(String, String)]| {
            v.iter()
                .find(|(k, _)| k == "oauth_signature")
                .map(|(_, s)| s.clone())
        };
        assert_eq!(a.len(), 5);
        assert_ne!(
            sig(&a),
            sig(&sign("GET", "http://s/x", &q, "ck", "cs2", 1, "n"))
        );
        assert_ne!(
            sig(&a),
            sig(&sign("GET", "http://s/x", &[], "ck", "cs", 1, "n"))
        );
        assert_eq!(
            sig(&a),
            sig(&sign("GET", "http://s/x", &q, "ck", "cs", 1, "n"))
        );
    }
}
