//! Lookup caches over the stored invoices or credit notes (positions by `referenceNumber` and by
//! `externalReference`) and over the customer payments (by `refNbr` and by the document each pays), compared ASCII-case-insensitively like [`super::listing::field_is`]. Without it every
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

/// The first document numbered `number` (as a scan with `listing::field_is` finds it), to edit in place. The
/// caller must not change its `referenceNumber` or `externalReference`: the index stays fresh.
pub fn find_mut<'a>(
    docs: &'a mut [Value],
    index: &mut DocIndex,
    number: &str,
) -> Option<&'a mut Value> {
    index.sync(docs);
    let at = index.by_number(number).first().copied()?;
    docs.get_mut(at)
}

/// A lookup cache over the stored customer payments: positions by `refNbr` and by the `refNbr` of every document
/// a payment line applies to (`GET /v1/customerPayment?invoiceRefNbr=`, the engine's search before each payment).
/// Payments are only ever appended, so the index extends incrementally; a shorter list than indexed rebuilds it.
#[derive(Debug, Clone, Default)]
pub struct PaymentIndex {
    indexed: usize,
    by_number: HashMap<String, Vec<usize>>,
    by_applied: HashMap<String, Vec<usize>>,
}

/// Never part of the simulator state's equality, like [`DocIndex`].
impl PartialEq for PaymentIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl PaymentIndex {
    /// Brings the index up to date with `payments`.
    pub fn sync(&mut self, payments: &[Value]) {
        if self.indexed > payments.len() {
            *self = Self::default();
        }
        for (i, p) in payments.iter().enumerate().skip(self.indexed) {
            if let Some(k) = key(p, "refNbr") {
                self.by_number.entry(k).or_default().push(i);
            }
            let applied = p.get("paymentLines").and_then(Value::as_array);
            for line in applied.into_iter().flatten() {
                if let Some(k) = key(line, "refNbr") {
                    let at = self.by_applied.entry(k).or_default();
                    // Two lines of one payment on the same document list the payment once.
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
            }
        }
        self.indexed = payments.len();
    }

    /// Positions (ascending) of payments numbered `number`, ignoring ASCII case. Call [`PaymentIndex::sync`] first.
    pub fn by_number(&self, number: &str) -> &[usize] {
        self.by_number
            .get(&number.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Positions (ascending) of payments with a line applied to document `refnbr`, ignoring ASCII case.
    /// Call [`PaymentIndex::sync`] first.
    pub fn by_applied(&self, refnbr: &str) -> &[usize] {
        self.by_applied
            .get(&refnbr.to_ascii_lowercase())
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

    #[test]
    fn payments_are_found_by_number_and_by_the_documents_they_pay() {
        let mut payments = vec![
            json!({"refNbr": "300001", "paymentLines": [{"refNbr": "100001"}, {"refNbr": "100001"}]}),
            json!({"refNbr": "300002", "paymentLines": [{"refNbr": "100002"}, {"refNbr": "100001"}]}),
            json!({"refNbr": "300003"}),
        ];
        let mut index = PaymentIndex::default();
        index.sync(&payments);
        assert_eq!(index.by_applied("100001"), &[0, 1]);
        assert_eq!(index.by_applied("100002"), &[1]);
        assert!(index.by_applied("100003").is_empty());
        assert_eq!(index.by_number("300003"), &[2]);
        payments.push(json!({"refNbr": "300004", "paymentLines": [{"refNbr": "100003"}]}));
        index.sync(&payments);
        assert_eq!(index.by_applied("100003"), &[3]);
        payments.truncate(1);
        index.sync(&payments);
        assert_eq!(index.by_applied("100001"), &[0]);
        assert!(index.by_applied("100002").is_empty());
        assert!(index.by_number("300004").is_empty());
    }
}
