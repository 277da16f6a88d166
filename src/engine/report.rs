//! What a drain did: counts per outcome, summed over passes.

use serde::Serialize;

/// What one drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Documents created.
    pub posted: u64,
    /// Documents an earlier unanswered attempt had created, found and adopted.
    pub adopted: u64,
    /// Jobs whose document was already on record (re-sent orders, customers in sync).
    pub already_posted: u64,
    /// Orders changed after their invoice was posted: reported, not re-posted.
    pub edited_after_posting: u64,
    /// Jobs with nothing to post (order status not invoiced).
    pub skipped: u64,
    /// Jobs that will be tried again later.
    pub retry: u64,
    /// Jobs stopped on a permanent error.
    pub failed: u64,
    /// Jobs whose attempts ran out.
    pub dead: u64,
    /// Jobs whose lease another worker took over before we finished (that worker adopts the document).
    pub lost_lease: u64,
    /// True when a configuration or credentials error stopped the drain early.
    pub stopped: bool,
    /// The reason for `stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// The setting to fix when a configuration error stopped (and paused) the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_setting: Option<String>,
    /// True when the queue is paused by a configuration error (nothing was sent; see `stop_reason`).
    pub paused: bool,
}

impl DrainReport {
    /// Adds the counts of a later drain (the demo and tests drain in passes).
    pub fn add(&mut self, r: &DrainReport) {
        self.posted += r.posted;
        self.adopted += r.adopted;
        self.already_posted += r.already_posted;
        self.edited_after_posting += r.edited_after_posting;
        self.skipped += r.skipped;
        self.retry += r.retry;
        self.failed += r.failed;
        self.dead += r.dead;
        self.lost_lease += r.lost_lease;
        self.stopped |= r.stopped;
        self.paused = r.paused;
        if r.stop_reason.is_some() {
            self.stop_reason.clone_from(&r.stop_reason);
            self.stop_setting.clone_from(&r.stop_setting);
        }
    }

    /// True when no job ended in `failed` or `dead` and the drain was not stopped.
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.dead == 0 && !self.stopped
    }
}
