//! JSON values to PHP values: the library's views (`host::Status`, job and audit rows…) serialise to
//! `serde_json::Value`, and this turns that into arrays, strings, ints, floats, bools and nulls. No logic.

use super::exceptions::{ExceptionKind, PhpError};
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::Value;

/// Serialises `view` and converts it to a PHP value.
///
/// # Errors
/// `InternalError` when the view cannot be serialised or the array cannot be built (both are bugs).
pub fn to_php(view: &impl serde::Serialize) -> Result<Zval, PhpError> {
    let value = serde_json::to_value(view).map_err(|e| {
        PhpError::new(
            ExceptionKind::Internal,
            format!("cannot serialise the result: {e}"),
        )
    })?;
    convert(value)
}

fn convert(value: Value) -> Result<Zval, PhpError> {
    let failed = |e: ext_php_rs::error::Error| {
        PhpError::new(
            ExceptionKind::Internal,
            format!("cannot build the result: {e}"),
        )
    };
    let mut z = Zval::new();
    match value {
        Value::Null => z.set_null(),
        Value::Bool(b) => z.set_bool(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => z.set_long(i),
            None => z.set_double(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => z.set_string(&s, false).map_err(failed)?,
        Value::Array(items) => {
            let mut table = ZendHashTable::new();
            for item in items {
                table.push(convert(item)?).map_err(failed)?;
            }
            z.set_hashtable(table);
        }
        Value::Object(map) => {
            let mut table = ZendHashTable::new();
            for (k, v) in map {
                table.insert(k.as_str(), convert(v)?).map_err(failed)?;
            }
            z.set_hashtable(table);
        }
    }
    Ok(z)
}
