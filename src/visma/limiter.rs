//! Client-side rate limiter: reads `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds until the window
//! resets, NOTES §5.5) from every response and, when the budget is used up, waits for the reset instead of running
//! into 429s. Waiting goes through [`Clock`], so tests move time instead of sleeping.
//!
//! No HTTP here: the client hands in the parsed headers.

use crate::clock::Clock;
use crate::visma::error::VismaError;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use std::sync::Mutex;
use std::time::Duration;

/// The rate-limit headers of one response; absent or unreadable values are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateHeaders {
    /// `X-RateLimit-Limit`: calls per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: calls left in this window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: time until the window resets.
    pub reset: Option<Duration>,
}

impl RateHeaders {
    /// Reads the `X-RateLimit-*` headers (names are case-insensitive in HTTP).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset").map(Duration::from_secs),
        }
    }
}

/// What the limiter knows about the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Calls per window, as last reported.
    pub limit: Option<u64>,
    /// Calls left, counting down locally for each request sent since the last report.
    pub remaining: Option<u64>,
    /// When the window resets.
    pub reset_at: Option<DateTime<Utc>>,
}

/// What to do before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Budget left (or unknown): send now.
    Go,
    /// Budget used up: wait this long for the reset.
    Wait(Duration),
}

impl Budget {
    /// Pure decision: may a request go at `now`?
    pub fn gate(&self, now: DateTime<Utc>) -> Gate {
        self.gate_keeping(now, 0)
    }

    /// Like [`Budget::gate`], but treats the window as used up while `reserve` calls or fewer remain (left
    /// for other workers sharing the budget, whose calls in flight this worker cannot see).
    pub fn gate_keeping(&self, now: DateTime<Utc>, reserve: u64) -> Gate {
        match (self.remaining, self.reset_at) {
            (Some(left), Some(reset_at)) if left <= reserve && reset_at > now => {
                Gate::Wait((reset_at - now).to_std().unwrap_or(Duration::ZERO))
            }
            _ => Gate::Go,
        }
    }
}

/// A limiter shared by every request of one client to one service.
#[derive(Debug)]
pub struct Limiter {
    budget: Mutex<Budget>,
    max_wait: Duration,
    reserve: u64,
}

impl Limiter {
    /// A limiter that waits at most `max_wait` for a window to reset; longer waits fail with
    /// [`VismaError::BudgetExhausted`] so the engine can reschedule.
    pub fn new(max_wait: Duration) -> Self {
        Self {
            budget: Mutex::new(Budget::default()),
            max_wait,
            reserve: 0,
        }
    }

    /// Leaves `reserve` calls of each window to other workers on the same budget (see
    /// [`crate::visma::Config::rate_limit_reserve`]).
    pub fn with_reserve(mut self, reserve: u64) -> Self {
        self.reserve = reserve;
        self
    }

    /// The current budget (for tests and the status view).
    pub fn budget(&self) -> Budget {
        *self.lock()
    }

    /// Records the headers of a response received at `now`.
    pub fn observe(&self, headers: RateHeaders, now: DateTime<Utc>) {
        let mut budget = self.lock();
        if headers.limit.is_some() {
            budget.limit = headers.limit;
        }
        if headers.remaining.is_some() {
            budget.remaining = headers.remaining;
        }
        if let Some(reset) = headers.reset {
            budget.reset_at = chrono::Duration::from_std(reset).ok().map(|d| now + d);
        }
    }

    /// Takes one call from the budget before sending to `endpoint`, first waiting on `clock` for the window to
    /// reset when it is used up.
    ///
    /// # Errors
    /// [`VismaError::BudgetExhausted`] when the reset is further away than the limiter may wait.
    pub fn acquire(&self, clock: &dyn Clock, endpoint: &'static str) -> Result<(), VismaError> {
        let gate = self.lock().gate_keeping(clock.now(), self.reserve);
        if let Gate::Wait(wait) = gate {
            if wait > self.max_wait {
                return Err(VismaError::BudgetExhausted {
                    endpoint,
                    reset_in: wait,
                });
            }
            tracing::info!(
                endpoint,
                wait_secs = wait.as_secs(),
                "visma rate budget used up; waiting for reset"
            );
            clock.sleep(wait);
        }
        let mut budget = self.lock();
        if budget.reset_at.is_some_and(|at| at <= clock.now()) {
            // A new window: the old count no longer applies; the next response tells the new one.
            *budget = Budget {
                limit: budget.limit,
                ..Budget::default()
            };
        }
        if let Some(remaining) = budget.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .expect("valid literal")
            .with_timezone(&Utc)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().expect("valid header value literal"));
        }
        map
    }

    #[test]
    fn rate_headers_are_read_case_insensitively_and_bad_values_ignored() {
        let h = headers(&[
            ("X-RateLimit-Limit", "500"),
            ("x-ratelimit-remaining", " 3 "),
            ("X-RATELIMIT-RESET", "42"),
        ]);
        assert_eq!(
            RateHeaders::from_headers(&h),
            RateHeaders {
                limit: Some(500),
                remaining: Some(3),
                reset: Some(Duration::from_secs(42))
            }
        );
        let bad = headers(&[
            ("X-RateLimit-Remaining", "-1"),
            ("X-RateLimit-Reset", "soon"),
        ]);
        assert_eq!(RateHeaders::from_headers(&bad), RateHeaders::default());
    }

    #[test]
    fn budget_left_sends_without_waiting_and_counts_down() {
        let clock = ManualClock::new(start());
        let limiter = Limiter::new(Duration::from_secs(300));
        limiter.observe(
            RateHeaders {
                limit: Some(10),
                remaining: Some(2),
                reset: Some(Duration::from_secs(60)),
            },
            clock.now(),
        );
        limiter.acquire(&clock, "e").expect("budget left");
        assert_eq!(clock.now(), start());
        assert_eq!(limiter.budget().remaining, Some(1));
        limiter.acquire(&clock, "e").expect("budget left");
        assert_eq!(limiter.budget().remaining, Some(0));
        assert_eq!(clock.now(), start());
    }

    #[test]
    fn empty_budget_waits_until_the_reset_then_starts_a_new_window() {
        let clock = ManualClock::new(start());
        let limiter = Limiter::new(Duration::from_secs(300));
        limiter.observe(
            RateHeaders {
                limit: Some(10),
                remaining: Some(0),
                reset: Some(Duration::from_secs(45)),
            },
            clock.now(),
        );
        limiter.acquire(&clock, "e").expect("waits, then goes");
        assert_eq!(clock.now(), start() + chrono::Duration::seconds(45));
        assert_eq!(
            limiter.budget(),
            Budget {
                limit: Some(10),
                remaining: None,
                reset_at: None
            }
        );
    }

    #[test]
    fn reset_further_than_allowed_fails_without_waiting() {
        let clock = ManualClock::new(start());
        let limiter = Limiter::new(Duration::from_secs(60));
        limiter.observe(
            RateHeaders {
                limit: None,
                remaining: Some(0),
                reset: Some(Duration::from_secs(3600)),
            },
            clock.now(),
        );
        let err = limiter
            .acquire(&clock, "customer.list")
            .expect_err("too long to wait");
        assert!(
            matches!(err, VismaError::BudgetExhausted { endpoint: "customer.list", reset_in } if reset_in == Duration::from_secs(3600))
        );
        assert!(err.is_retryable());
        assert_eq!(clock.now(), start());
    }

    #[test]
    fn unknown_budget_never_waits() {
        let clock = ManualClock::new(start());
        let limiter = Limiter::new(Duration::from_secs(60));
        limiter.observe(
            RateHeaders {
                limit: None,
                remaining: Some(0),
                reset: None,
            },
            clock.now(),
        );
        limiter
            .acquire(&clock, "e")
            .expect("no reset known: send and let the server decide");
        assert_eq!(clock.now(), start());
    }

    // Issue #8: two drain workers sharing one budget each sent the last call of a window (one 429).
    #[test]
    fn a_reserve_leaves_the_last_calls_of_a_window_to_other_workers() {
        let clock = ManualClock::new(start());
        let limiter = Limiter::new(Duration::from_secs(300)).with_reserve(1);
        limiter.observe(
            RateHeaders {
                limit: Some(10),
                remaining: Some(2),
                reset: Some(Duration::from_secs(30)),
            },
            clock.now(),
        );
        limiter
            .acquire(&clock, "e")
            .expect("two left, one reserved");
        assert_eq!(clock.now(), start());
        limiter
            .acquire(&clock, "e")
            .expect("waits for the reset, then goes");
        assert_eq!(clock.now(), start() + chrono::Duration::seconds(30));
        let budget = Budget {
            limit: Some(10),
            remaining: Some(1),
            reset_at: Some(start() + chrono::Duration::seconds(30)),
        };
        assert_eq!(
            budget.gate_keeping(start(), 1),
            Gate::Wait(Duration::from_secs(30))
        );
        assert_eq!(budget.gate_keeping(start(), 0), Gate::Go);
    }
}
