//! A lookup cache over the stored invoices or credit notes: positions by `referenceNumber` and by
//! `externalReference`, compared ASCII-case-insensitively like [`super::listing::field_is`]. Without it every
//! create and every search by external reference scanned all documents, which made a long run quadratic
//! (a 5,000-order backlog spent most of its time in these scans).
//!
//! It is only a cache: never serialized, never compared, extended when documents are appended, and rebuilt
//! from the documents whenever it is marked stale (every mutable access other than an append) or the document
//! count does not match. Must not: decide anything a scan of the documents would decide differently.

use serde_json::Value;
use std::collections::HashMap;

/// Positions of documents by their keys.
#[derive(Debug, Clone, Default)]
pub struct DocIndex {
    /// True when the maps describe `indexed` documents exactly.
    fresh: bool,
    indexed: usize,
    by_number: HashMap<String, Vec<usize>>,
    by_external_ref: HashMap<String, Vec<usize>>,
}

/// Never part of the simulator state's equality: two stores with the same documents are equal.
impl PartialEq for DocIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn key(doc: &Value, field: &str) -> Option<String> {
    doc.get(field)
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

impl DocIndex {
    /// Forget everything: the next lookup rebuilds from the documents.
    pub fn mark_stale(&mut self) {
        self.fresh = false;
    }

    /// Brings the index up to date with `docs`: appends are indexed incrementally, anything else rebuilds.
    pub fn sync(&mut self, docs: &[Value]) {
        if !self.fresh || self.indexed > docs.len() {
            self.by_number.clear();
            self.by_external_ref.clear();
            self.indexed = 0;
            self.fresh = true;
        }
        for (i, doc) in docs.iter().enumerate().skip(self.indexed) {
            if let Some(k) = key(doc, "referenceNumber") {
                self.by_number.entry(k).or_default().push(i);
            }
            if let Some(k) = key(doc, "externalReference") {
                self.by_external_ref.entry(k).or_default().push(i);
            }
        }
        self.indexed = docs.len();
    }

    /// Positions (ascending) of documents whose `referenceNumber` equals `number`, ignoring ASCII case.
    /// Call [`DocIndex::sync`] first.
    pub fn by_number(&self, number: &str) -> &[usize] {
        self.by_number
            .get(&number.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Positions (ascending) of documents whose `externalReference` equals `reference`, ignoring ASCII case.
    /// Call [`DocIndex::sync`] first.
    pub fn by_external_ref(&self, reference: &str) -> &[usize] {
        self.by_external_ref
            .get(&reference.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_are_indexed_and_a_stale_index_rebuilds_after_an_edit() {
        let mut docs = vec![
            json!({"referenceNumber": "100001", "externalReference": "woo:default:1"}),
            json!({"referenceNumber": "100002", "externalReference": "WOO:default:2"}),
        ];
        let mut index = DocIndex::default();
        index.sync(&docs);
        assert_eq!(index.by_number("100002"), &[1]);
        assert_eq!(index.by_external_ref("woo:DEFAULT:2"), &[1]);
        docs.push(json!({"referenceNumber": "100003", "externalReference": "woo:default:1"}));
        index.sync(&docs);
        assert_eq!(index.by_external_ref("woo:default:1"), &[0, 2]);
        // An edit in place: only a stale mark makes the index see it.
        docs[0]["externalReference"] = json!("woo:default:9");
        index.mark_stale();
        index.sync(&docs);
        assert_eq!(index.by_external_ref("woo:default:1"), &[2]);
        assert_eq!(index.by_external_ref("woo:default:9"), &[0]);
        // A removal shifts positions: rebuilt too.
        docs.remove(0);
        index.mark_stale();
        index.sync(&docs);
        assert_eq!(index.by_number("100003"), &[1]);
        assert!(index.by_number("100001").is_empty());
    }
}
