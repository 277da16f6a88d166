//! The store's SQL made fit for a database server, shared by the MariaDB/MySQL and PostgreSQL rooms: where its
//! `?N` placeholders are, and its table names with the room's prefix. Text only, no I/O.

/// `?N` placeholders in order of appearance, with the text between them: `[("SELECT … WHERE a = ", 1), …]` and the
/// tail. Quoted strings are copied as they are (the store's SQL has no `?` inside quotes, but a literal must not be
/// rewritten if it ever does).
pub(crate) fn placeholders(sql: &str) -> (Vec<(String, usize)>, String) {
    let mut parts = Vec::new();
    let mut text = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            text.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                text.push(c);
            }
            '?' => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                // A bare `?` counts as the next number, as SQLite numbers them.
                let index = n.parse::<usize>().unwrap_or(parts.len() + 1);
                parts.push((std::mem::take(&mut text), index));
            }
            _ => text.push(c),
        }
    }
    (parts, text)
}

/// The store's tables; each whole-word mention in the store's SQL gets the prefix.
pub(crate) const TABLES: &[&str] = &[
    "jobs",
    "job_payloads",
    "audit",
    "id_map",
    "names",
    "cursors",
    "credentials",
    "customer_index",
    "customer_claims",
    "notes",
    "queue_flags",
    "schema_migrations",
];

/// Appends `text` with each whole-word table name outside quotes prefixed (`jobs.id` → `t_jobs.id`, while
/// `jobs_due`, `'jobs'` and `` `jobs` `` stay).
pub(crate) fn prefix_tables(text: &str, prefix: &str, out: &mut String) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut quote: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if quote.is_none() && is_word(c) {
            let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
            let word = rest.get(..end).unwrap_or("");
            if TABLES.iter().any(|t| t.eq_ignore_ascii_case(word)) {
                out.push_str(prefix);
            }
            out.push_str(word);
            end
        } else {
            match quote {
                Some(q) if q == c => quote = None,
                None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
                _ => {}
            }
            out.push(c);
            c.len_utf8()
        };
        rest = rest.get(len..).unwrap_or("");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_in_order_and_quotes_are_left_alone() {
        let (parts, tail) =
            placeholders("SELECT '?1' FROM t WHERE a = ?2 AND b = ?1 OR c = ?2 LIMIT ?3");
        let idx: Vec<usize> = parts.iter().map(|p| p.1).collect();
        assert_eq!(idx, vec![2, 1, 2, 3]);
        assert_eq!(parts[0].0, "SELECT '?1' FROM t WHERE a = ");
        assert_eq!(tail, "");
    }
}
