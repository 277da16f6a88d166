//! How the tables that grow with every order (jobs, audit, id map) store times and hashes (issue #16, migration
//! 0009): a time is microseconds since 1970 UTC in an integer column (6 bytes in SQLite, against 27 for the fixed-
//! width text the smaller tables keep), a payload hash its 32 bytes (against 64 hex characters). Integers order
//! as times do, so the queue's comparisons (`next_attempt_at <= now`) read the same.

use super::StoreError;
use chrono::{DateTime, Utc};

/// A time as stored in the history tables.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A stored time read back; a value the store did not write is reported, not guessed.
pub(crate) fn from_micros(
    table: &'static str,
    column: &'static str,
    v: i64,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| StoreError::BadRow {
        table,
        column,
        value: v.to_string(),
    })
}

/// A payload hash (64 hex digits, as [`super::payload_hash`] gives it) as stored: its 32 bytes.
///
/// # Errors
/// [`StoreError::Invalid`] for anything that is not 64 hex digits.
pub(crate) fn hash_bytes(hex_text: &str) -> Result<Vec<u8>, StoreError> {
    match hex::decode(hex_text) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(StoreError::Invalid {
            field: "payload_hash",
            reason: "not a SHA-256 hash in 64 hex digits".into(),
        }),
    }
}

/// A stored hash read back as 64 hex digits.
pub(crate) fn hash_text(table: &'static str, bytes: &[u8]) -> Result<String, StoreError> {
    if bytes.len() == 32 {
        Ok(hex::encode(bytes))
    } else {
        Err(StoreError::BadRow {
            table,
            column: "payload_hash",
            value: hex::encode(bytes.get(..32).unwrap_or(bytes)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_microsecond_and_order_as_times() {
        let t = DateTime::parse_from_rfc3339("2026-05-01T10:00:00.123456Z")
            .expect("literal")
            .with_timezone(&Utc);
        assert_eq!(from_micros("t", "c", micros(t)).expect("reads"), t);
        assert!(micros(t) < micros(t + chrono::Duration::microseconds(1)));
        assert_eq!(micros(t), 1_777_629_600_123_456);
    }

    #[test]
    fn hashes_are_stored_as_their_bytes_and_read_back_as_hex() {
        let h = super::super::payload_hash("{}");
        let bytes = hash_bytes(&h).expect("a hash");
        assert_eq!(bytes.len(), 32);
        assert_eq!(hash_text("jobs", &bytes).expect("reads"), h);
        assert!(hash_bytes("abc").is_err());
        assert!(hash_bytes(&"zz".repeat(32)).is_err());
        assert!(hash_text("jobs", &[1, 2, 3]).is_err());
    }
}
