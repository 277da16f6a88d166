//! The store's SQL and values made MySQL's: `?N` placeholders, prefixed table names, batches split into
//! statements, values in both directions, and server messages without the values they quote. No I/O here.

use crate::store::db::{placeholders, prefix_tables, DbError, Val};
use mysql::{Params, Value};

/// The store's SQL for MySQL: bare `?` and the store's argument number for each.
pub(super) struct Translated {
    pub(super) sql: String,
    pub(super) order: Vec<usize>,
}

/// The server's error without the values it quotes (`Duplicate entry '…' for key …`, `Incorrect … value: '…'`),
/// so that neither its Display nor its Debug can carry a customer's data into a log.
pub(super) fn scrub(e: mysql::Error) -> DbError {
    match e {
        mysql::Error::MySqlError(mut my) => {
            my.message = scrub_message(&my.message);
            DbError::MySql(mysql::Error::MySqlError(my))
        }
        other => DbError::MySql(other),
    }
}

/// `message` with the text quoted after `entry '` or `value: '` replaced by `…`.
pub(super) fn scrub_message(message: &str) -> String {
    let mut out = message.to_string();
    for marker in ["entry '", "value: '"] {
        if let Some(start) = out.find(marker).map(|i| i + marker.len()) {
            let tail = out.get(start..).unwrap_or("");
            // The last `' for ` ends the value even when the value holds one (`for key`, `for column`).
            let end = tail
                .rfind("' for ")
                .or_else(|| tail.rfind('\''))
                .unwrap_or(tail.len());
            out.replace_range(start..start + end, "…");
        }
    }
    out
}

/// The store's SQL for MySQL: `?N` → `?` (noting N), each table name → `{prefix}name`, and SQLite's upsert in
/// MySQL's words.
pub(super) fn translate(sql: &str, prefix: &str) -> Translated {
    let sql = upsert(sql);
    let (parts, tail) = placeholders(&sql);
    let mut out = String::with_capacity(sql.len() + 64);
    let mut order = Vec::with_capacity(parts.len());
    for (text, n) in &parts {
        prefix_tables(text, prefix, &mut out);
        out.push('?');
        order.push(*n);
    }
    prefix_tables(&tail, prefix, &mut out);
    Translated { sql: out, order }
}

/// `ON CONFLICT (…) DO UPDATE SET a = excluded.a` → `ON DUPLICATE KEY UPDATE a = VALUES(a)` (the store's upserts
/// that reach MySQL have no WHERE; the one conditional upsert has a MySQL branch of its own).
pub(super) fn upsert(sql: &str) -> String {
    let (Some(start), Some(set)) = (sql.find("ON CONFLICT"), sql.find("DO UPDATE SET")) else {
        return sql.to_string();
    };
    let (head, assignments) = (
        sql.get(..start).unwrap_or(sql),
        sql.get(set + "DO UPDATE SET".len()..).unwrap_or(""),
    );
    let mut out = format!("{head}ON DUPLICATE KEY UPDATE");
    let mut rest = assignments;
    while let Some(i) = rest.find("excluded.") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + "excluded.".len()..).unwrap_or("");
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&format!("VALUES({})", after.get(..end).unwrap_or("")));
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The arguments in placeholder order (a `?N` used twice is sent twice); refused when the count does not match,
/// as SQLite refuses it.
pub(super) fn bind(t: &Translated, args: &[Val]) -> Result<Params, DbError> {
    let wanted = t.order.iter().copied().max().unwrap_or(0);
    if wanted != args.len() || t.order.contains(&0) {
        return Err(DbError::Setup(format!(
            "the statement numbers its parameters up to ?{wanted}, the store passed {}",
            args.len()
        )));
    }
    if t.order.is_empty() {
        return Ok(Params::Empty);
    }
    let values = t
        .order
        .iter()
        .filter_map(|n| args.get(n.wrapping_sub(1)))
        .map(|v| match v {
            Val::Null => Value::NULL,
            Val::Int(i) => Value::Int(*i),
            Val::Text(t) => Value::Bytes(t.as_bytes().to_vec()),
            Val::Blob(b) => Value::Bytes(b.clone()),
        })
        .collect();
    Ok(Params::Positional(values))
}

/// The character set MySQL gives binary columns (BLOB, VARBINARY) and binary results (DECIMAL as digits).
const BINARY_CHARSET: u16 = 63;

/// One column of a row as a [`Val`]: text columns as text, so that a copy into SQLite stores TEXT (SQLite never
/// finds a BLOB equal to a text parameter, and its `json_valid` reads a BLOB as JSONB), binary columns as bytes.
pub(super) fn read_column(row: &mysql::Row, column: usize) -> Result<Val, DbError> {
    let binary = row
        .columns_ref()
        .get(column)
        .is_none_or(|c| c.character_set() == BINARY_CHARSET);
    match row.as_ref(column) {
        Some(Value::Bytes(b)) if !binary => {
            Ok(String::from_utf8(b.clone()).map_or_else(|e| Val::Blob(e.into_bytes()), Val::Text))
        }
        Some(v) => read(column, v),
        None => Ok(Val::Null),
    }
}

/// One value as a [`Val`]; bytes stay bytes (the store reads them as text or bytes).
pub(super) fn read(column: usize, v: &Value) -> Result<Val, DbError> {
    Ok(match v {
        Value::NULL => Val::Null,
        Value::Int(i) => Val::Int(*i),
        Value::UInt(u) => Val::Int(i64::try_from(*u).map_err(|_| DbError::Type {
            column,
            wanted: "i64",
            found: "an unsigned integer above i64::MAX",
        })?),
        Value::Bytes(b) => Val::Blob(b.clone()),
        // The store writes no floating point or date column; a hand-made one stays readable as text.
        Value::Float(f) => Val::Text(f.to_string()),
        Value::Double(f) => Val::Text(f.to_string()),
        Value::Date(y, mo, d, h, mi, s, us) => {
            let frac = if *us > 0 {
                format!(".{us:06}")
            } else {
                String::new()
            };
            Val::Text(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac}"))
        }
        Value::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(*days) * 24 + u64::from(*h);
            let frac = if *us > 0 {
                format!(".{us:06}")
            } else {
                String::new()
            };
            let sign = if *neg { "-" } else { "" };
            Val::Text(format!("{sign}{hours:02}:{mi:02}:{s:02}{frac}"))
        }
    })
}

/// Statements of a batch: separated by lines holding only `-- ;;` (the migration files: trigger bodies and
/// CHECKs are never split), else by a `;` ending a line outside quotes. Chunks of only comments are dropped.
pub(super) fn statements(sql: &str) -> Vec<String> {
    let marked = sql.lines().any(|l| l.trim() == "-- ;;");
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for line in sql.lines() {
        if marked && line.trim() == "-- ;;" {
            out.push(std::mem::take(&mut current));
            continue;
        }
        for c in line.chars() {
            match quote {
                Some(q) if q == c => quote = None,
                None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
                _ => {}
            }
        }
        current.push_str(line);
        current.push('\n');
        if !marked && quote.is_none() && line.trim_end().ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().trim_end_matches(';').trim_end().to_string())
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .collect()
}

/// A migration run again after a crash (MySQL commits DDL as it goes) finds an index or column it drops already
/// gone (1091), or one it adds already there (1061, 1060): that statement is done.
pub(super) fn already_done(code: u16, statement: &str) -> bool {
    match code {
        1091 => statement.contains(" DROP INDEX ") || statement.contains(" DROP COLUMN "),
        1060 => statement.contains(" ADD COLUMN "),
        1061 => {
            let s = statement.trim_start();
            s.starts_with("CREATE INDEX") || s.starts_with("CREATE UNIQUE INDEX")
        }
        _ => false,
    }
}
