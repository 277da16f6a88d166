//! The store's SQL made PostgreSQL's: the table prefix checked, `?N` placeholders and bare table names
//! rewritten. No I/O here.

use crate::store::db::{placeholders, prefix_tables, DbError};

/// The prefix is spliced into SQL as part of identifiers, so it may hold nothing else; PostgreSQL cuts names at
/// 63 bytes, and the longest name made from it (`schema_migrations`) is 17 bytes more.
pub(super) fn check_prefix(prefix: &str) -> Result<(), DbError> {
    let word = prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let starts_well = prefix.bytes().next().is_none_or(|b| !b.is_ascii_digit());
    if word && starts_well && prefix.len() <= 40 {
        Ok(())
    } else {
        Err(DbError::Setup(format!(
            "table prefix {prefix:?} must be at most 40 letters, digits or `_`, not starting with a digit"
        )))
    }
}

/// The store's SQL for PostgreSQL: `?N` → `$N` and each table name → `{prefix}name`.
pub(super) fn translate(sql: &str, prefix: &str) -> String {
    let (parts, tail) = placeholders(sql);
    let mut out = String::with_capacity(sql.len() + 64);
    for (text, n) in &parts {
        prefix_tables(text, prefix, &mut out);
        out.push('$');
        out.push_str(&n.to_string());
    }
    prefix_tables(&tail, prefix, &mut out);
    out
}
