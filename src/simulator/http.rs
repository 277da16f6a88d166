//! What the simulator answers, before it becomes an axum response: the reply type, Visma's error bodies
//! (ERP `Exception*`, ASP.NET `{"Message"}`, OAuth, RFC 7807 ProblemDetails for SalesOrders v3), and query-string
//! decoding (names matched case-insensitively, NOTES §5.6). No I/O here.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// The body of a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Nothing (201 creates, 204 updates).
    Empty,
    /// A JSON document.
    Json(Value),
    /// `text/plain`.
    Text(String),
    /// Bytes sent as `application/json` even though they are not JSON (a scripted fault).
    BrokenJson(&'static str),
}

/// A reply before headers common to every API answer are added.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Location`, `Retry-After`, `WWW-Authenticate`, `ETag`).
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Body,
    /// True for a successful create (the only replies a lost-response fault drops).
    pub created: bool,
    /// True when stored documents changed (the state file is then rewritten).
    pub mutated: bool,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(v: Value) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Json(v),
            created: false,
            mutated: false,
        }
    }

    /// 201 with an absolute `Location` and no body (NOTES §5.1).
    pub fn created(location: String) -> Reply {
        Reply {
            status: 201,
            headers: vec![("location", location)],
            body: Body::Empty,
            created: true,
            mutated: true,
        }
    }

    /// 204 after an update.
    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Body::Empty,
            created: false,
            mutated: true,
        }
    }

    /// A status with a JSON body.
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
            created: false,
            mutated: false,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// A random GUID in the 8-4-4-4-12 form Visma uses in `VismaId`s and `ExceptionMessageID`s.
pub fn guid(rng: &mut StdRng) -> String {
    let a: u64 = rng.gen();
    let b: u64 = rng.gen();
    let h = format!("{a:016x}{b:016x}");
    let part = |from: usize, to: usize| h.get(from..to).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// Fault code the simulator puts on validation and business errors. Visma publishes no catalogue (NOTES §5.2);
/// this value is the simulator's choice, clients must not depend on it.
pub const VALIDATION_FAULT_CODE: &str = "10000";

/// The ERP error body: `{"ExceptionType","ExceptionMessage":"VismaId: <guid>. <message>",…}` (NOTES §5.2, I-78).
pub fn visma_error(status: u16, message: &str, rng: &mut StdRng) -> Reply {
    visma_error_coded(status, "IPPException", VALIDATION_FAULT_CODE, message, rng)
}

/// The ERP error body with an explicit type and fault code (12002 for a wrong `ipp-company-id`).
pub fn visma_error_coded(
    status: u16,
    kind: &str,
    code: &str,
    message: &str,
    rng: &mut StdRng,
) -> Reply {
    let id = guid(rng);
    Reply::json(
        status,
        json!({
            "ExceptionType": kind,
            "ExceptionMessage": format!("VismaId: {id}. {message}"),
            "ExceptionFaultCode": code,
            "ExceptionMessageID": format!("{code}_{id}"),
            "ExceptionDetails": "",
        }),
    )
}

/// 404 for an unknown id.
pub fn not_found(what: &str, id: &str, rng: &mut StdRng) -> Reply {
    visma_error(
        404,
        &format!("{what} with number '{id}' was not found."),
        rng,
    )
}

/// ASP.NET's answer for a route that does not exist.
pub fn no_route(path: &str) -> Reply {
    Reply::json(
        404,
        json!({"Message": format!("No HTTP resource was found that matches the request URI '{path}'.")}),
    )
}

/// 401 on the API: ASP.NET's text (NOTES §5.2 lists the `{"Message"}` variant) and a Bearer challenge.
pub fn unauthorized() -> Reply {
    Reply::json(
        401,
        json!({"Message": "Authorization has been denied for this request."}),
    )
    .with_header("www-authenticate", "Bearer".to_string())
}

/// OAuth 2.0 error of the token endpoint (RFC 6749 §5.2).
pub fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": error, "error_description": description}),
    )
}

/// RFC 7807 ProblemDetails (SalesOrders v3).
pub fn problem(status: u16, title: &str, detail: &str) -> Reply {
    Reply::json(
        status,
        json!({"type": "about:blank", "title": title, "status": status, "detail": detail}),
    )
}

/// SalesOrders v3 400: `SalesOrderValidationProblemDetails` with `errors` and `details[{code,message,parameters}]`.
pub fn so_validation(field: &str, code: &str, message: &str) -> Reply {
    Reply::json(
        400,
        json!({
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": {field: [message]},
            "details": [{"code": code, "message": message, "parameters": {"propertyName": field}}],
        }),
    )
}

/// A decoded query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `a=1&b=x%20y` (also `+` as space).
    pub fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    /// The first value of `name`, matched case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All pairs, as decoded.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Decodes `%XX` escapes and `+`; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn query_names_match_case_insensitively_and_values_decode() {
        let q = Query::parse("LastModifiedDateTime=2025-01-14%2010:00:00&lastModifiedDateTimeCondition=%3E%3D&name=A+B");
        assert_eq!(q.get("lastmodifieddatetime"), Some("2025-01-14 10:00:00"));
        assert_eq!(q.get("lastModifiedDateTimeCondition"), Some(">="));
        assert_eq!(q.get("name"), Some("A B"));
        assert_eq!(q.get("missing"), None);
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn visma_errors_carry_a_visma_id_and_message_id() {
        let mut rng = StdRng::seed_from_u64(3);
        let r = visma_error(400, "Error: 'Customer ID' cannot be empty.", &mut rng);
        let Body::Json(v) = r.body else {
            panic!("json body")
        };
        let msg = v["ExceptionMessage"].as_str().expect("message");
        assert!(
            msg.starts_with("VismaId: ")
                && msg.ends_with(". Error: 'Customer ID' cannot be empty."),
            "{msg}"
        );
        let id = v["ExceptionMessageID"].as_str().expect("id");
        assert!(id.starts_with("10000_") && id.len() == 6 + 36, "{id}");
    }
}
