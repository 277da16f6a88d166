//! How a job's payload is kept (issue #16: storage that scales): zstd-compressed JSON, and nothing once the job is
//! done and the retention period has passed ([`Store::prune_payloads`]). Older rows hold the JSON as text; a
//! stored value is compressed exactly when it starts with zstd's magic number, which JSON never starts with.

use super::db::{args, Val};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// zstd's frame magic number (little-endian 0xFD2FB528); a JSON text starts with `{`, `[` or whitespace.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Level 3, zstd's default: most of the ratio at a fraction of the higher levels' time (the checkout path).
const LEVEL: i32 = 3;

/// The stored form of `json`: always bytes (the servers' payload columns are binary).
pub(crate) fn pack(json: &str) -> Val {
    match zstd::bulk::compress(json.as_bytes(), LEVEL) {
        Ok(bytes) if bytes.len() < json.len() => Val::Blob(bytes),
        // Tiny payloads grow when compressed; compressing in memory does not fail, but if it did the JSON is
        // stored as it is (still readable: no magic number).
        _ => Val::Blob(json.as_bytes().to_vec()),
    }
}

/// The JSON back from its stored form; `""` for a pruned payload.
pub(crate) fn unpack(stored: Val, job: i64) -> Result<String, StoreError> {
    let bad = || StoreError::BadRow {
        table: "job_payloads",
        column: "payload",
        value: format!("job {job}"),
    };
    match stored {
        Val::Null => Ok(String::new()),
        Val::Text(t) => Ok(t),
        Val::Blob(b) if b.starts_with(&ZSTD_MAGIC) => {
            // The frame records its size; a payload over the store's limit is refused, never allocated.
            let size = zstd::zstd_safe::get_frame_content_size(&b)
                .ok()
                .flatten()
                .filter(|n| *n <= MAX_PAYLOAD as u64)
                .ok_or_else(bad)?;
            let capacity = usize::try_from(size).map_err(|_| bad())?;
            // `try_`: no panic if the thread is ending (its locals gone) or the context is somehow in use; a
            // context of its own then.
            let kept = DECOMPRESSOR.try_with(|d| {
                d.try_borrow_mut()
                    .ok()
                    .and_then(|mut d| d.as_mut().map(|d| d.decompress(&b, capacity)))
            });
            let bytes = match kept {
                Ok(Some(result)) => result,
                _ => zstd::bulk::decompress(&b, capacity),
            }
            .map_err(|_| bad())?;
            String::from_utf8(bytes).map_err(|_| bad())
        }
        Val::Blob(b) => String::from_utf8(b).map_err(|_| bad()),
        Val::Int(_) => Err(bad()),
    }
}

thread_local! {
    /// One decompression context per thread, kept: making one allocates and clears ~100 kB, which was a sixth of
    /// a claim's time, spent inside the write transaction that every worker of the file waits for. `None` only
    /// if zstd could not make one (then each call makes its own, as when the context cannot be reached).
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
}

/// The largest payload a job may hold (a 50-line order is about 30 kB of JSON).
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

/// How often one connection prunes: the query walks the done jobs, so not after every drain.
const PRUNE_EVERY_MINUTES: i64 = 10;

impl Store {
    /// The drain's housekeeping after it wrote something: the WAL checkpoint ([`Store::checkpoint`]) and, every
    /// few minutes, [`Store::prune_payloads`] of jobs done more than `retention_days` ago. Failures only delay the
    /// work to the next time, so they are logged, not returned.
    pub fn housekeep(&self, now: DateTime<Utc>, retention_days: u32) {
        if let Err(e) = self.checkpoint() {
            tracing::warn!(error = %e, "WAL checkpoint after drain failed; the next one retries");
        }
        let due = self
            .last_prune
            .get()
            .is_none_or(|at| now - at >= chrono::Duration::minutes(PRUNE_EVERY_MINUTES));
        if !due {
            return;
        }
        self.last_prune.set(Some(now));
        let before = now - chrono::Duration::days(i64::from(retention_days));
        if let Err(e) = self.prune_payloads(before) {
            tracing::warn!(error = %e, "pruning old payloads failed; the next housekeeping retries");
        }
    }

    /// Drops the payloads of jobs done before `done_before` (the retention period): their documents are in
    /// Visma and the id map, and the audit keeps what happened. Returns how many were dropped.
    ///
    /// # Errors
    /// Database failures.
    pub fn prune_payloads(&self, done_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = self.write("prune payloads", |tx| {
            tx.exec(
                "UPDATE job_payloads SET payload = NULL WHERE payload IS NOT NULL AND job_id IN \
                 (SELECT id FROM jobs WHERE state = 'done' AND updated_at < ?1)",
                args![super::encoding::micros(done_before)],
            )
            .map_err(|e| self.classify("prune payloads", e))
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_compressed_and_old_text_rows_still_read() {
        let json = format!(
            "{{\"line_items\":[{}]}}",
            "{\"name\":\"Ullgenser\",\"qty\":1},".repeat(50)
        );
        let json = json.replace(",]", "]");
        let packed = pack(&json);
        let Val::Blob(bytes) = &packed else {
            panic!("a large payload is compressed")
        };
        assert!(
            bytes.len() * 4 < json.len(),
            "{} → {}",
            json.len(),
            bytes.len()
        );
        assert_eq!(unpack(packed, 1).expect("unpack"), json);
        assert_eq!(unpack(Val::Text("{}".into()), 2).expect("old row"), "{}");
        assert_eq!(
            pack("{}"),
            Val::Blob(b"{}".to_vec()),
            "tiny payloads stay as they are"
        );
        assert_eq!(unpack(pack("{}"), 5).expect("tiny"), "{}");
        assert_eq!(unpack(Val::Null, 3).expect("pruned"), "");
        let mut broken = ZSTD_MAGIC.to_vec();
        broken.extend_from_slice(&[0, 1, 2]);
        assert!(
            unpack(Val::Blob(broken), 4).is_err(),
            "a damaged frame is a bad row"
        );
    }

    #[test]
    fn the_kept_context_carries_nothing_from_one_payload_to_the_next() {
        let a = format!("{{\"a\":\"{}\"}}", "xyz".repeat(400));
        let b = format!("{{\"b\":[{}0]}}", "12345,".repeat(300));
        let mut broken = ZSTD_MAGIC.to_vec();
        broken.extend_from_slice(&[0, 1, 2, 3, 4, 5]);
        for i in 0..4 {
            assert_eq!(unpack(pack(&a), i).expect("a"), a);
            // A damaged frame in between leaves the context fit for the next.
            assert!(unpack(Val::Blob(broken.clone()), i).is_err());
            assert_eq!(unpack(pack(&b), i).expect("b"), b);
        }
    }
}
