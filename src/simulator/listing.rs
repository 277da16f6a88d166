//! List semantics of the ERP API (NOTES §5.6): `pageNumber` (1-based) and `pageSize` (silently capped), each item
//! carrying `metadata {totalCount, maxPageSize}`, and the `lastModifiedDateTime` + `lastModifiedDateTimeCondition`
//! pair (both or neither; `>`, `<`, `>=`, `<=`; the SPEC25 date formats). Pure: no I/O.

use super::http::Query;
use super::schema::parse_date_time;
use super::state::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use chrono::NaiveDateTime;
use serde_json::{json, Value};

/// A parsed `lastModifiedDateTime` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    /// The comparison.
    pub op: Cmp,
    /// The instant compared with.
    pub at: NaiveDateTime,
}

/// `lastModifiedDateTimeCondition` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

/// Reads a date filter pair such as `lastModifiedDateTime`/`lastModifiedDateTimeCondition`.
///
/// # Errors
/// A message for the 400 answer: one of the pair missing, an unknown condition, an unparsable date.
pub fn date_filter(q: &Query, name: &str) -> Result<Option<Since>, String> {
    let cond_name = format!("{name}Condition");
    match (q.get(name), q.get(&cond_name)) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => Err(format!(
            "Error: '{name}' and '{cond_name}' are mutually inclusive; send both or neither."
        )),
        (Some(value), Some(cond)) => {
            let op = match cond.trim() {
                ">" => Cmp::Gt,
                "<" => Cmp::Lt,
                ">=" => Cmp::Ge,
                "<=" => Cmp::Le,
                other => {
                    return Err(format!(
                        "Error: '{cond_name}' value '{other}' is not one of >, <, >=, <=."
                    ))
                }
            };
            let at = parse_date_time(value.trim()).ok_or_else(|| {
                format!("Error: '{name}' value '{value}' is not a valid date (use yyyy-MM-dd[THH:mm:ss[.fff]]).")
            })?;
            Ok(Some(Since { op, at }))
        }
    }
}

impl Since {
    /// True when the item's date field satisfies the filter (items without the field never match).
    pub fn matches(&self, item: &Value, field: &str) -> bool {
        let Some(t) = item
            .get(field)
            .and_then(Value::as_str)
            .and_then(parse_date_time)
        else {
            return false;
        };
        match self.op {
            Cmp::Gt => t > self.at,
            Cmp::Lt => t < self.at,
            Cmp::Ge => t >= self.at,
            Cmp::Le => t <= self.at,
        }
    }
}

/// Reads `pageNumber`/`pageSize`: (1-based page, effective size).
///
/// # Errors
/// A message for the 400 answer when either is not a whole number.
pub fn paging(q: &Query) -> Result<(usize, usize), String> {
    let read = |name: &str, default: usize| -> Result<usize, String> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(|n| usize::try_from(n.max(1)).unwrap_or(1))
                .map_err(|_| format!("Error: '{name}' value '{v}' is not a valid integer.")),
        }
    };
    let number = read("pageNumber", 1)?;
    let size = read("pageSize", DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE);
    Ok((number, size))
}

/// One page of `items`, each with `metadata` (`maxPageSize` is the page size applied, as in P-PAG's example).
pub fn page(items: Vec<Value>, number: usize, size: usize) -> Vec<Value> {
    let total = items.len();
    items
        .into_iter()
        .skip(number.saturating_sub(1).saturating_mul(size))
        .take(size)
        .map(|mut item| {
            if let Some(obj) = item.as_object_mut() {
                obj.insert(
                    "metadata".to_string(),
                    json!({"totalCount": total, "maxPageSize": size}),
                );
            }
            item
        })
        .collect()
}

/// True when `item[field]` equals `wanted` ignoring case (the ERP's text filters).
pub fn field_is(item: &Value, path: &[&str], wanted: &str) -> bool {
    let mut v = item;
    for p in path {
        match v.get(p) {
            Some(next) => v = next,
            None => return false,
        }
    }
    v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_filter_needs_both_halves_and_a_known_condition() {
        assert_eq!(
            date_filter(&Query::parse(""), "lastModifiedDateTime"),
            Ok(None)
        );
        assert!(date_filter(
            &Query::parse("lastModifiedDateTime=2025-01-14"),
            "lastModifiedDateTime"
        )
        .is_err());
        let bad =
            Query::parse("lastModifiedDateTime=2025-01-14&lastModifiedDateTimeCondition=%3D%3D");
        assert!(date_filter(&bad, "lastModifiedDateTime").is_err());
        let q =
            Query::parse("lastModifiedDateTime=2025-01-14&lastModifiedDateTimeCondition=%3E%3D");
        let since = date_filter(&q, "lastModifiedDateTime")
            .expect("valid")
            .expect("present");
        assert!(since.matches(&json!({"t": "2025-01-14T00:00:00"}), "t"));
        assert!(!since.matches(&json!({"t": "2025-01-13T23:59:59.999"}), "t"));
        assert!(!since.matches(&json!({}), "t"));
    }

    #[test]
    fn pages_are_cut_and_every_item_says_the_total() {
        let items: Vec<Value> = (0..5).map(|i| json!({"n": i})).collect();
        let p2 = page(items.clone(), 2, 2);
        assert_eq!(
            p2,
            vec![
                json!({"n": 2, "metadata": {"totalCount": 5, "maxPageSize": 2}}),
                json!({"n": 3, "metadata": {"totalCount": 5, "maxPageSize": 2}}),
            ]
        );
        assert!(page(items, 4, 2).is_empty());
        assert_eq!(
            paging(&Query::parse("pageSize=5000")),
            Ok((1, MAX_PAGE_SIZE))
        );
        assert_eq!(paging(&Query::parse("")), Ok((1, DEFAULT_PAGE_SIZE)));
        assert!(paging(&Query::parse("pageNumber=x")).is_err());
    }
}
