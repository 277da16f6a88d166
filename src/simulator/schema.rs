//! The OpenAPI schemas the simulator holds bodies to, and a small validator that walks them.
//!
//! `schemas.json` is extracted from the reference specs by `tools/extract_visma_schemas.py` (SPEC25 for the ERP
//! monolith, SOV3 for SalesOrders v3). Requests are checked strictly: unknown fields, wrong `{"value": …}`
//! wrapping (NOTES §4.1), wrong types, values outside an enum and missing required fields are violations. Property
//! names and enum values match case-insensitively, like the ASP.NET binder (so `"Value"` is accepted). Responses
//! are checked for drift: every field must exist in the schema with the right type. Pure: no I/O.

use serde_json::{Map, Value};
use std::sync::OnceLock;

pub use super::dates::parse_date_time;

/// Which reference spec a schema name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// The ERP monolith (SPEC25): write DTOs wrap fields as `{"value": …}`; unknown fields are rejected.
    Erp,
    /// SalesOrders v3 (SOV3): plain JSON, `nullable`, `maxLength`, `additionalProperties: false`.
    SalesOrders,
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The field is not in the schema.
    UnknownField,
    /// The JSON type does not match (`expected` names the schema type, with the wrapper if there is one).
    WrongType { expected: String },
    /// A string outside the schema's enum.
    NotInEnum { allowed: Vec<String> },
    /// A required field is absent.
    MissingRequired,
    /// A string longer than `maxLength`.
    TooLong { max: u64 },
    /// `null` where the schema does not allow it.
    NullNotAllowed,
    /// The schema name is not in `schemas.json` (a simulator bug, not a client one).
    UnknownSchema,
}

/// One violation: the JSON path of the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem:?}")]
pub struct Violation {
    /// Dotted path, e.g. `invoiceLines[0].quantity`.
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

impl Violation {
    /// A message in the words the Visma error body uses.
    pub fn message(&self) -> String {
        let field = if self.path.is_empty() {
            "body"
        } else {
            self.path.as_str()
        };
        match &self.problem {
            Problem::UnknownField => format!("Could not find member '{field}' on the request DTO."),
            Problem::WrongType { expected } => {
                format!("Error converting value for '{field}': expected {expected}.")
            }
            Problem::NotInEnum { allowed } => {
                format!(
                    "Error converting value for '{field}': must be one of {}.",
                    allowed.join(", ")
                )
            }
            Problem::MissingRequired => format!("'{field}' cannot be empty."),
            Problem::TooLong { max } => format!("'{field}' is longer than {max} characters."),
            Problem::NullNotAllowed => format!("'{field}' cannot be null."),
            Problem::UnknownSchema => format!("Internal error: no schema for '{field}'."),
        }
    }
}

fn all() -> &'static Value {
    static SCHEMAS: OnceLock<Value> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        serde_json::from_str(include_str!("schemas.json"))
            .expect("schemas.json is generated, valid JSON")
    })
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

fn lookup(spec: Spec, name: &str) -> Option<&'static Value> {
    let key = match spec {
        Spec::Erp => "erp",
        Spec::SalesOrders => "salesorders",
    };
    all().get(key)?.get(name)
}

/// True when the schema name exists (tests use it to keep the route table honest).
pub fn has_schema(spec: Spec, name: &str) -> bool {
    lookup(spec, name).is_some()
}

/// Validates a request body against schema `root` and returns it normalised: `{"value": x}` wrappers replaced by
/// `x`, property names and enum values in the schema's spelling.
///
/// # Errors
/// The first [`Violation`] found, in document order.
pub fn validate_request(spec: Spec, root: &str, body: &Value) -> Result<Value, Violation> {
    let schema = lookup(spec, root).ok_or_else(|| Violation {
        path: root.to_string(),
        problem: Problem::UnknownSchema,
    })?;
    let walker = Walker {
        spec,
        request: true,
    };
    walker.walk(schema, body, "")
}

/// Checks a response body against schema `root` (or an array of it when `array` is set) and lists every
/// field the schema lacks or types it differently. Empty = conforms.
pub fn check_response(spec: Spec, root: &str, body: &Value) -> Vec<Violation> {
    let Some(schema) = lookup(spec, root) else {
        return vec![Violation {
            path: root.to_string(),
            problem: Problem::UnknownSchema,
        }];
    };
    let walker = Walker {
        spec,
        request: false,
    };
    let mut problems = Vec::new();
    walker.collect(schema, body, "", &mut problems);
    problems
}

struct Walker {
    spec: Spec,
    request: bool,
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// A `DtoValueOf…`/`…In…Dto` wrapper: an object schema whose only property is `value`.
fn wrapped(schema: &Value) -> Option<&Value> {
    let props = schema.get("properties")?.as_object()?;
    if props.len() == 1 {
        props.get("value")
    } else {
        None
    }
}

impl Walker {
    fn resolve(&self, schema: &'static Value) -> Result<&'static Value, Problem> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or(r);
                lookup(self.spec, name).ok_or(Problem::UnknownSchema)
            }
            None => Ok(schema),
        }
    }

    fn type_name(schema: &Value) -> String {
        let t = schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("object");
        match schema.get("format").and_then(Value::as_str) {
            Some(f) if !f.is_empty() => format!("{t} ({f})"),
            _ => t.to_string(),
        }
    }

    fn walk(&self, schema: &'static Value, v: &Value, path: &str) -> Result<Value, Violation> {
        let at = |problem| Violation {
            path: path.to_string(),
            problem,
        };
        let schema = self.resolve(schema).map_err(at)?;
        if v.is_null() {
            let nullable = schema
                .get("nullable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            // ERP: Newtonsoft binds null as "not given"; SOV3 declares nullability explicitly.
            return if nullable || self.spec == Spec::Erp {
                Ok(Value::Null)
            } else {
                Err(at(Problem::NullNotAllowed))
            };
        }
        if self.spec == Spec::Erp {
            if let Some(inner) = wrapped(schema) {
                let obj = v.as_object().ok_or_else(|| {
                    at(Problem::WrongType {
                        expected: format!("{{\"value\": {}}}", Self::type_name(inner)),
                    })
                })?;
                let mut out = Value::Null;
                for (k, item) in obj {
                    if !k.eq_ignore_ascii_case("value") {
                        return Err(Violation {
                            path: join(path, k),
                            problem: Problem::UnknownField,
                        });
                    }
                    out = self.walk(inner, item, path)?;
                }
                return Ok(out);
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            let names: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let s = v.as_str().ok_or_else(|| {
                at(Problem::NotInEnum {
                    allowed: names.clone(),
                })
            })?;
            return names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(s))
                .map(|n| Value::String(n.clone()))
                .ok_or(at(Problem::NotInEnum { allowed: names }));
        }
        let wrong = || {
            at(Problem::WrongType {
                expected: Self::type_name(schema),
            })
        };
        let is_object_schema =
            schema.get("properties").is_some() || schema.get("additionalProperties").is_some();
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => {
                let s = v.as_str().ok_or_else(wrong)?;
                let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
                if (format == "date-time" && !is_date_time(s)) || (format == "uuid" && !is_uuid(s))
                {
                    return Err(wrong());
                }
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                    if u64::try_from(s.chars().count()).unwrap_or(u64::MAX) > max {
                        return Err(at(Problem::TooLong { max }));
                    }
                }
                Ok(v.clone())
            }
            Some("integer") => {
                let n = v.as_i64().ok_or_else(wrong)?;
                let int32 = schema.get("format").and_then(Value::as_str) == Some("int32");
                if int32 && i32::try_from(n).is_err() {
                    return Err(wrong());
                }
                Ok(v.clone())
            }
            Some("number") => v.is_number().then(|| v.clone()).ok_or_else(wrong),
            Some("boolean") => v.is_boolean().then(|| v.clone()).ok_or_else(wrong),
            Some("array") => {
                let items = v.as_array().ok_or_else(wrong)?;
                let item_schema = schema.get("items").unwrap_or(&Value::Null);
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.walk(item_schema, item, &format!("{path}[{i}]"))?);
                }
                Ok(Value::Array(out))
            }
            Some("object") | None if is_object_schema || schema.get("type").is_some() => {
                let obj = v.as_object().ok_or_else(wrong)?;
                self.walk_object(schema, obj, path)
            }
            // A schema with no type at all accepts anything.
            _ => Ok(v.clone()),
        }
    }

    fn walk_object(
        &self,
        schema: &'static Value,
        obj: &Map<String, Value>,
        path: &str,
    ) -> Result<Value, Violation> {
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or_else(|| empty_map());
        let extra = schema.get("additionalProperties");
        let mut out = Map::new();
        for (k, item) in obj {
            let field = join(path, k);
            // Exact names first (what clients send); Newtonsoft's case-insensitive match only when that misses.
            // Issue #8: the scan alone, over every property for every field, was a tenth of the simulator's time.
            let found = props
                .get_key_value(k)
                .or_else(|| props.iter().find(|(name, _)| name.eq_ignore_ascii_case(k)));
            match found {
                Some((name, prop)) => {
                    out.insert(name.clone(), self.walk(prop, item, &field)?);
                }
                // A dictionary (`additionalProperties: {schema}` or `true`): keep the key as sent.
                None => match extra {
                    Some(s @ Value::Object(m)) if !m.is_empty() => {
                        out.insert(k.clone(), self.walk(s, item, &field)?);
                    }
                    Some(Value::Object(_)) | Some(Value::Bool(true)) => {
                        out.insert(k.clone(), item.clone());
                    }
                    _ => {
                        return Err(Violation {
                            path: field,
                            problem: Problem::UnknownField,
                        })
                    }
                },
            }
        }
        if self.request {
            for req in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = req.as_str() else { continue };
                if out.get(name).is_none_or(Value::is_null) {
                    return Err(Violation {
                        path: join(path, name),
                        problem: Problem::MissingRequired,
                    });
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn collect(
        &self,
        schema: &'static Value,
        v: &Value,
        path: &str,
        problems: &mut Vec<Violation>,
    ) {
        let schema = match self.resolve(schema) {
            Ok(s) => s,
            Err(problem) => {
                return problems.push(Violation {
                    path: path.to_string(),
                    problem,
                })
            }
        };
        if v.is_null() {
            return;
        }
        let at = |problem| Violation {
            path: path.to_string(),
            problem,
        };
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.iter().any(|a| a == v) {
                let names = allowed
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                problems.push(at(Problem::NotInEnum { allowed: names }));
            }
            return;
        }
        let ok = match schema.get("type").and_then(Value::as_str) {
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            Some("array") => match v.as_array() {
                Some(items) => {
                    let item_schema = schema.get("items").unwrap_or(&Value::Null);
                    for (i, item) in items.iter().enumerate() {
                        self.collect(item_schema, item, &format!("{path}[{i}]"), problems);
                    }
                    true
                }
                None => false,
            },
            _ => match v.as_object() {
                Some(obj) => {
                    let props = schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .unwrap_or_else(|| empty_map());
                    let open = matches!(
                        schema.get("additionalProperties"),
                        Some(Value::Object(_)) | Some(Value::Bool(true))
                    );
                    for (k, item) in obj {
                        match props.get(k) {
                            Some(prop) => self.collect(prop, item, &join(path, k), problems),
                            None if open => {}
                            None => problems.push(Violation {
                                path: join(path, k),
                                problem: Problem::UnknownField,
                            }),
                        }
                    }
                    true
                }
                None => false,
            },
        };
        if !ok {
            problems.push(at(Problem::WrongType {
                expected: Self::type_name(schema),
            }));
        }
    }
}

fn is_date_time(s: &str) -> bool {
    parse_date_time(s).is_some()
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    lens == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(root: &str, body: Value) -> Violation {
        validate_request(Spec::Erp, root, &body).expect_err("must be rejected")
    }

    #[test]
    fn every_schema_the_routes_use_was_extracted() {
        for name in [
            "CustomerUpdateDto",
            "SupplierUpdateDto",
            "CustomerInvoiceUpdateDto",
            "CustomerCreditNoteUpdateDto",
            "PaymentUpdateDto",
            "CustomerDto",
            "SupplierDto",
            "CustomerInvoiceDto",
            "CustomerCreditNoteDto",
            "PaymentDto",
        ] {
            assert!(has_schema(Spec::Erp, name), "{name}");
        }
        assert!(has_schema(Spec::SalesOrders, "NewSalesOrderCommand"));
        assert!(!has_schema(Spec::Erp, "NoSuchDto"));
    }

    #[test]
    fn wrapped_fields_are_unwrapped_and_names_normalised() {
        let body = json!({"Number": {"Value": "10023"}, "name": {"value": "Acme"}, "status": {"value": "onhold"},
                          "overrideWithClassValues": true,
                          "mainAddress": {"value": {"city": {"value": "Oslo"}}}});
        let plain = validate_request(Spec::Erp, "CustomerUpdateDto", &body).expect("valid");
        assert_eq!(
            plain,
            json!({"number": "10023", "name": "Acme", "status": "OnHold", "overrideWithClassValues": true,
                   "mainAddress": {"city": "Oslo"}})
        );
    }

    #[test]
    fn plain_value_where_a_wrapper_is_expected_is_rejected() {
        let v = err("CustomerUpdateDto", json!({"name": "Acme"}));
        assert_eq!(v.path, "name");
        assert_eq!(
            v.problem,
            Problem::WrongType {
                expected: "{\"value\": string}".into()
            }
        );
    }

    #[test]
    fn wrapped_line_operation_and_subaccount_are_rejected() {
        let v = err(
            "CustomerInvoiceUpdateDto",
            json!({"invoiceLines": [{"operation": {"value": "Insert"}}]}),
        );
        assert_eq!(v.path, "invoiceLines[0].operation");
        let v = err(
            "CustomerInvoiceUpdateDto",
            json!({"invoiceLines": [{"subaccount": {"value": []}}]}),
        );
        assert_eq!(v.path, "invoiceLines[0].subaccount");
        let v = err(
            "CustomerInvoiceUpdateDto",
            json!({"invoiceLines": {"value": []}}),
        );
        assert_eq!(v.path, "invoiceLines");
    }

    #[test]
    fn unknown_fields_wrong_types_and_enums_are_named() {
        assert_eq!(
            err("CustomerUpdateDto", json!({"nmae": {"value": "x"}})).problem,
            Problem::UnknownField
        );
        assert_eq!(
            err(
                "CustomerUpdateDto",
                json!({"name": {"value": "x", "extra": 1}})
            )
            .path,
            "name.extra"
        );
        let v = err(
            "CustomerInvoiceUpdateDto",
            json!({"invoiceLines": [{"quantity": {"value": "2"}}]}),
        );
        assert_eq!(
            (v.path.as_str(), v.problem),
            (
                "invoiceLines[0].quantity",
                Problem::WrongType {
                    expected: "number (double)".into()
                }
            )
        );
        let v = err(
            "CustomerUpdateDto",
            json!({"status": {"value": "Sleeping"}}),
        );
        assert!(matches!(v.problem, Problem::NotInEnum { .. }), "{v:?}");
        let v = err(
            "CustomerInvoiceUpdateDto",
            json!({"documentDate": {"value": "01.05.2026"}}),
        );
        assert_eq!(v.path, "documentDate");
    }

    #[test]
    fn sales_orders_are_plain_with_required_and_lengths() {
        let ok = json!({"type": "SO", "customer": {"id": "10000", "refNo": "woo:default:1"},
                        "orderLines": [{"inventoryId": "UG-001", "quantity": 4, "unitPrice": 101.25}]});
        assert!(validate_request(Spec::SalesOrders, "NewSalesOrderCommand", &ok).is_ok());
        let v = validate_request(
            Spec::SalesOrders,
            "NewSalesOrderCommand",
            &json!({"type": "SO"}),
        )
        .expect_err("no customer");
        assert_eq!(
            (v.path.as_str(), v.problem),
            ("customer", Problem::MissingRequired)
        );
        let long = json!({"type": "SO", "customer": {"id": "1"}, "orderId": "1234567890123456"});
        let v = validate_request(Spec::SalesOrders, "NewSalesOrderCommand", &long)
            .expect_err("too long");
        assert_eq!(v.problem, Problem::TooLong { max: 15 });
        let wrapped = json!({"type": {"value": "SO"}, "customer": {"id": "1"}});
        assert!(validate_request(Spec::SalesOrders, "NewSalesOrderCommand", &wrapped).is_err());
    }

    #[test]
    fn response_check_finds_fields_the_schema_lacks() {
        let good = json!({"id": "NOK", "description": "Norske kroner", "decimalPrecision": 2, "isBaseCurrency": true});
        assert!(check_response(Spec::Erp, "CurrencyDto", &good).is_empty());
        let bad = json!({"id": "NOK", "decimals": 2, "isBaseCurrency": "yes"});
        let paths: Vec<String> = check_response(Spec::Erp, "CurrencyDto", &bad)
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(
            paths,
            vec!["decimals".to_string(), "isBaseCurrency".to_string()]
        );
    }
}
