//! Visma's error bodies (NOTES §5.2), in every shape it sends, reduced to one [`VismaMessage`] the merchant
//! can read. Pure parsing; the classification of failures is in `error.rs`.

/// Longest message text kept from a non-JSON error body (an HTML error page can be large).
const MAX_MESSAGE_CHARS: usize = 600;

/// Visma's explanation of a failure, parsed from whichever error body shape it sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VismaMessage {
    /// `ExceptionMessage`, `Message`/`message`, ProblemDetails `detail`/`title`, OAuth `error_description`,
    /// or the (trimmed, shortened) plain-text body.
    pub text: String,
    /// `ExceptionFaultCode` (e.g. `12027` no licence, `12002` invalid `ipp-company-id`) or `FaultCode`.
    pub fault_code: Option<String>,
    /// `ExceptionMessageID` (`<code>_<guid>`), for Visma support.
    pub message_id: Option<String>,
    /// `ExceptionType` (e.g. `IPPException`) or the ProblemDetails `type`.
    pub exception_type: Option<String>,
}

impl std::fmt::Display for VismaMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.text.is_empty() {
            f.write_str("(no message)")?;
        } else {
            f.write_str(&self.text)?;
        }
        if let Some(code) = &self.fault_code {
            write!(f, " (fault code {code})")?;
        }
        Ok(())
    }
}

/// Parses an error body in any of the shapes Visma uses (NOTES §5.2): the ERP `Exception*` object, ASP.NET
/// `{"Message"}`, RFC 7807 ProblemDetails (SalesOrders v3), an OAuth error, or plain text. Never fails: an
/// unreadable body gives its trimmed, shortened text.
pub fn parse_error_body(body: &[u8]) -> VismaMessage {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    if let Some(serde_json::Value::Object(map)) = json {
        let field = |names: &[&str]| -> Option<String> {
            names.iter().find_map(|n| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .and_then(|(_, v)| match v {
                        serde_json::Value::String(s) if !s.trim().is_empty() => {
                            Some(s.trim().to_owned())
                        }
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
            })
        };
        let text = field(&[
            "ExceptionMessage",
            "Message",
            "detail",
            "title",
            "error_description",
            "error",
        ])
        .unwrap_or_default();
        // Issue #17: SalesOrders v3 validation answers name each field in `errors`/`details`; the merchant
        // needs those, not only "One or more validation errors occurred.".
        let text = match problem_fields(&map) {
            Some(fields) if text.is_empty() => fields,
            Some(fields) => format!("{text} {fields}"),
            None => text,
        };
        return VismaMessage {
            text: shorten(&text),
            fault_code: field(&["ExceptionFaultCode", "FaultCode"]),
            message_id: field(&["ExceptionMessageID"]),
            exception_type: field(&["ExceptionType", "type"]),
        };
    }
    VismaMessage {
        text: shorten(&String::from_utf8_lossy(body)),
        ..VismaMessage::default()
    }
}

/// `field: message (code); …` from a ProblemDetails `details` list (codes) and `errors` map (fields the list
/// does not name), in the order Visma gave them.
fn problem_fields(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    use serde_json::Value;
    let get = |name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let mut parts: Vec<(String, String)> = Vec::new();
    for d in get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").trim();
        let field = d
            .pointer("/parameters/propertyName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let (code, message) = (text("code"), text("message"));
        let what = match (message.is_empty(), code.is_empty()) {
            (false, false) => format!("{message} ({code})"),
            (false, true) => message.to_owned(),
            (true, _) => code.to_owned(),
        };
        parts.push((field.to_owned(), what));
    }
    if let Some(errors) = get("errors").and_then(Value::as_object) {
        for (field, messages) in errors {
            if parts.iter().any(|(f, _)| f.eq_ignore_ascii_case(field)) {
                continue;
            }
            for m in messages.as_array().into_iter().flatten() {
                if let Some(m) = m.as_str() {
                    parts.push((field.clone(), m.trim().to_owned()));
                }
            }
        }
    }
    let parts: Vec<String> = parts
        .into_iter()
        .filter(|(_, what)| !what.is_empty())
        .map(|(field, what)| {
            if field.is_empty() {
                what
            } else {
                format!("{field}: {what}")
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One line, at most [`MAX_MESSAGE_CHARS`] characters.
fn shorten(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_MESSAGE_CHARS {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_visma_shape_are_parsed() {
        // NOTES §1.1 (P-KB article of 15-03-2024): the no-licence answer.
        let licence = br#"{"ExceptionType":"IPPException","ExceptionMessage":"No license for this company.","ExceptionFaultCode":"12027","ExceptionMessageID":"12027_6e2a06a8-76d8-4e9a-bce8-a5818d60a388","ExceptionDetails":""}"#;
        let cases: Vec<(&[u8], VismaMessage)> = vec![
            (
                licence,
                VismaMessage {
                    text: "No license for this company.".into(),
                    fault_code: Some("12027".into()),
                    message_id: Some("12027_6e2a06a8-76d8-4e9a-bce8-a5818d60a388".into()),
                    exception_type: Some("IPPException".into()),
                },
            ),
            (
                br#"{"Message":"An error has occurred."}"#,
                VismaMessage { text: "An error has occurred.".into(), ..Default::default() },
            ),
            (
                br#"{"message":"lower case","FaultCode":12002}"#,
                VismaMessage { text: "lower case".into(), fault_code: Some("12002".into()), ..Default::default() },
            ),
            (
                br#"{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"detail":"Customer 99 not found"}"#,
                VismaMessage {
                    text: "Customer 99 not found".into(),
                    exception_type: Some("https://tools.ietf.org/html/rfc7231#section-6.5.1".into()),
                    ..Default::default()
                },
            ),
            (
                // Issue #17: every field and code of a SalesOrders v3 validation answer.
                br#"{"type":"t","title":"One or more validation errors occurred.","status":400,"errors":{"orderLines[0].inventoryId":["Inventory item 'FRAKT' does not exist."],"customer.id":["Customer '9' does not exist."]},"details":[{"code":"0003-InvalidValue","message":"Inventory item 'FRAKT' does not exist.","parameters":{"propertyName":"orderLines[0].inventoryId"}}]}"#,
                VismaMessage {
                    text: "One or more validation errors occurred. orderLines[0].inventoryId: Inventory item 'FRAKT' \
                           does not exist. (0003-InvalidValue); customer.id: Customer '9' does not exist."
                        .into(),
                    exception_type: Some("t".into()),
                    ..Default::default()
                },
            ),
            (
                br#"{"error":"invalid_tenant","error_description":"not entitled"}"#,
                VismaMessage { text: "not entitled".into(), ..Default::default() },
            ),
            (b"Service Unavailable\r\n", VismaMessage { text: "Service Unavailable".into(), ..Default::default() }),
            (b"{\"ExceptionMessage\": ", VismaMessage { text: "{\"ExceptionMessage\":".into(), ..Default::default() }),
            (b"", VismaMessage::default()),
            (b"[1,2]", VismaMessage { text: "[1,2]".into(), ..Default::default() }),
        ];
        for (body, want) in cases {
            assert_eq!(
                parse_error_body(body),
                want,
                "body {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn long_plain_text_bodies_are_cut_to_one_short_line() {
        let body = format!("<html>\n{}</html>", "x".repeat(1000));
        let msg = parse_error_body(body.as_bytes());
        assert_eq!(msg.text.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(msg.text.starts_with("<html> xxx"));
        assert!(!msg.text.contains('\n'));
    }
}
