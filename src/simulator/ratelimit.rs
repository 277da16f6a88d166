//! The `4-fixed-window` rate limit (NOTES §5.5): N calls per clock hour per company and client, headers
//! `X-RateLimit-Limit/-Remaining/-Reset` (seconds until the window resets) and `-Policy` on every API answer,
//! 429 beyond the limit. Windows are aligned to whole hours of the injected clock. Pure: time is an argument.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Length of a window in seconds.
pub const WINDOW_SECS: i64 = 3600;

/// The policy name Visma sends for the standard limit.
pub const POLICY: &str = "4-fixed-window";

/// Calls counted in the current window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start of the window, in seconds since the epoch (a multiple of [`WINDOW_SECS`]).
    pub start_secs: i64,
    /// Calls seen in it, including refused ones.
    pub used: u64,
}

/// The verdict on one call and the header values to send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// False when the call is over the limit (answer 429).
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u64,
    /// `X-RateLimit-Remaining`.
    pub remaining: u64,
    /// `X-RateLimit-Reset`: seconds until the window resets.
    pub reset_secs: i64,
}

impl Window {
    /// Counts one call at `now` against `limit` per window.
    pub fn hit(&mut self, now: DateTime<Utc>, limit: u64) -> Verdict {
        let ts = now.timestamp();
        let start = ts.div_euclid(WINDOW_SECS) * WINDOW_SECS;
        if start != self.start_secs {
            *self = Window {
                start_secs: start,
                used: 0,
            };
        }
        self.used = self.used.saturating_add(1);
        let reset_secs = start + WINDOW_SECS - ts;
        Verdict {
            allowed: self.used <= limit,
            limit,
            remaining: limit.saturating_sub(self.used),
            reset_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("literal")
            .with_timezone(&Utc)
    }

    #[test]
    fn counts_down_refuses_past_the_limit_and_resets_on_the_hour() {
        let mut w = Window::default();
        let v1 = w.hit(at("2026-05-01T10:59:00Z"), 2);
        assert_eq!(
            v1,
            Verdict {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset_secs: 60
            }
        );
        assert!(w.hit(at("2026-05-01T10:59:10Z"), 2).allowed);
        let v3 = w.hit(at("2026-05-01T10:59:30Z"), 2);
        assert_eq!(
            v3,
            Verdict {
                allowed: false,
                limit: 2,
                remaining: 0,
                reset_secs: 30
            }
        );
        let v4 = w.hit(at("2026-05-01T11:00:00Z"), 2);
        assert_eq!(
            v4,
            Verdict {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset_secs: 3600
            }
        );
    }
}
