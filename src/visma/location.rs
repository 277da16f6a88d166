//! The number Visma gives a created record: the last path segment(s) of the `Location` header, resolved and
//! percent-decoded.

use super::client::Reply;
use super::VismaError;
use reqwest::header::LOCATION;
use reqwest::Url;

/// The last non-empty path segment of a `Location` header, resolved against the request URL when relative and
/// percent-decoded: the created number (NOTES §5.1, MJUK `path.Base(Location)`).
pub fn number_from_location(location: &str, request_url: &Url) -> Option<String> {
    last_segments(location, request_url, 1).and_then(|mut s| s.pop())
}

/// The last `n` non-empty, percent-decoded path segments of a `Location` header, in order.
pub(crate) fn last_segments(location: &str, request_url: &Url, n: usize) -> Option<Vec<String>> {
    let url = request_url.join(location.trim()).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let start = segments.len().checked_sub(n)?;
    segments
        .get(start..)?
        .iter()
        .map(|s| percent_decode(s))
        .collect()
}

/// The new number of a create answer.
pub(crate) fn created_number(endpoint: &'static str, reply: &Reply) -> Result<String, VismaError> {
    reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| number_from_location(loc, &reply.url))
        .filter(|n| !n.is_empty())
        .ok_or(VismaError::InvalidResponse {
            endpoint,
            status: reply.status,
            reason: "created, but no readable Location header".into(),
            // Visma stored it; we just cannot tell its number. The caller must search by its key.
            outcome_unknown: true,
        })
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_headers_give_the_new_number() {
        let req = Url::parse("https://api.finance.visma.net/v2/customerinvoice").expect("literal");
        let cases: &[(&str, Option<&str>)] = &[
            (
                "https://api.finance.visma.net/v1/customerinvoice/100023",
                Some("100023"),
            ),
            (
                "https://api.finance.visma.net/v1/customer/10023/",
                Some("10023"),
            ),
            (
                "http://127.0.0.1:4000/API/controller/api/v1/customer/K%C3%B8ge%201",
                Some("Køge 1"),
            ),
            ("/v1/customerPayment/000123", Some("000123")),
            ("  https://x.test/v1/supplier/77  ", Some("77")),
            ("https://x.test/", None),
            ("https://x.test/v1/customer/bad%zz", None),
        ];
        for (location, want) in cases {
            assert_eq!(
                number_from_location(location, &req).as_deref(),
                *want,
                "{location}"
            );
        }
        let so = last_segments(
            "https://salesorder.visma.net/api/v3/SalesOrders/SO/000042",
            &req,
            2,
        );
        assert_eq!(so, Some(vec!["SO".to_owned(), "000042".to_owned()]));
        assert_eq!(last_segments("https://x.test/one", &req, 2), None);
    }
}
