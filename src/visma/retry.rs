//! The retry policy as a pure function: given what failed, how many attempts were made, the wait Visma asked for
//! and a jitter value, decide whether to wait and try again or give up. Exponential backoff with full jitter
//! (base 1 s, cap 5 min), honouring `Retry-After` / `X-RateLimit-Reset`.
//!
//! No I/O, no clock, no randomness here: the caller passes the jitter (a number in `[0, 1)`) and does the waiting.

use std::time::Duration;

/// What the retry decision needs to know about a failure (see [`crate::visma::VismaError::failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// A later attempt may succeed (429, 5xx, timeout, connection error).
    pub retryable: bool,
    /// A write may have been applied: never re-send it blindly; the caller searches first.
    pub outcome_unknown: bool,
}

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// First backoff step (1 s).
    pub base: Duration,
    /// Longest single wait (5 min). A server-requested wait longer than this gives up instead, so the engine can
    /// reschedule the job rather than hold a worker.
    pub cap: Duration,
    /// Attempts in total, the first included.
    pub max_attempts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            max_attempts: 5,
        }
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Stop and return the error to the caller.
    GiveUp,
}

/// Decides what to do after attempt number `attempt` (1 for the first try) failed.
///
/// - Not retryable, or a write whose outcome is unknown: give up (the caller must search before re-creating).
/// - `attempt >= policy.max_attempts`: give up.
/// - `server_wait` (from `Retry-After` or `X-RateLimit-Reset`) given: wait exactly that long, or give up when it
///   exceeds the cap.
/// - Otherwise full jitter: `jitter × min(cap, base × 2^(attempt−1))`; `jitter` outside `[0, 1]` is clamped.
pub fn decide(
    policy: &Policy,
    failure: Failure,
    attempt: u32,
    server_wait: Option<Duration>,
    jitter: f64,
) -> Decision {
    if !failure.retryable || failure.outcome_unknown || attempt >= policy.max_attempts {
        return Decision::GiveUp;
    }
    if let Some(wait) = server_wait {
        return if wait > policy.cap {
            Decision::GiveUp
        } else {
            Decision::RetryAfter(wait)
        };
    }
    let exponent = attempt.saturating_sub(1).min(31);
    let ceiling = policy.base.saturating_mul(1u32 << exponent).min(policy.cap);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    Decision::RetryAfter(ceiling.mul_f64(jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRYABLE: Failure = Failure {
        retryable: true,
        outcome_unknown: false,
    };
    const FINAL: Failure = Failure {
        retryable: false,
        outcome_unknown: false,
    };
    const UNKNOWN: Failure = Failure {
        retryable: true,
        outcome_unknown: true,
    };

    /// (name, failure, attempt, server wait, jitter, expected decision)
    type Case = (&'static str, Failure, u32, Option<Duration>, f64, Decision);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn backoff_table() {
        let p = Policy {
            max_attempts: 20,
            ..Policy::default()
        };
        let cases: &[Case] = &[
            (
                "first retry, full jitter top",
                RETRYABLE,
                1,
                None,
                1.0,
                Decision::RetryAfter(secs(1.0)),
            ),
            (
                "first retry, half jitter",
                RETRYABLE,
                1,
                None,
                0.5,
                Decision::RetryAfter(secs(0.5)),
            ),
            (
                "second retry doubles",
                RETRYABLE,
                2,
                None,
                1.0,
                Decision::RetryAfter(secs(2.0)),
            ),
            (
                "fourth retry",
                RETRYABLE,
                4,
                None,
                0.25,
                Decision::RetryAfter(secs(2.0)),
            ),
            (
                "zero jitter waits nothing",
                RETRYABLE,
                3,
                None,
                0.0,
                Decision::RetryAfter(Duration::ZERO),
            ),
            (
                "capped at five minutes",
                RETRYABLE,
                12,
                None,
                1.0,
                Decision::RetryAfter(secs(300.0)),
            ),
            (
                "huge attempt stays capped",
                RETRYABLE,
                19,
                None,
                0.5,
                Decision::RetryAfter(secs(150.0)),
            ),
            (
                "jitter above 1 is clamped",
                RETRYABLE,
                1,
                None,
                7.0,
                Decision::RetryAfter(secs(1.0)),
            ),
            (
                "negative jitter is clamped",
                RETRYABLE,
                1,
                None,
                -1.0,
                Decision::RetryAfter(Duration::ZERO),
            ),
            (
                "NaN jitter waits nothing",
                RETRYABLE,
                2,
                None,
                f64::NAN,
                Decision::RetryAfter(Duration::ZERO),
            ),
            (
                "retry-after honoured",
                RETRYABLE,
                1,
                Some(secs(30.0)),
                0.1,
                Decision::RetryAfter(secs(30.0)),
            ),
            (
                "retry-after zero",
                RETRYABLE,
                1,
                Some(Duration::ZERO),
                0.9,
                Decision::RetryAfter(Duration::ZERO),
            ),
            (
                "retry-after at cap",
                RETRYABLE,
                1,
                Some(secs(300.0)),
                0.1,
                Decision::RetryAfter(secs(300.0)),
            ),
            (
                "retry-after beyond cap",
                RETRYABLE,
                1,
                Some(secs(3600.0)),
                0.1,
                Decision::GiveUp,
            ),
            ("not retryable", FINAL, 1, None, 0.5, Decision::GiveUp),
            (
                "not retryable ignores retry-after",
                FINAL,
                1,
                Some(secs(1.0)),
                0.5,
                Decision::GiveUp,
            ),
            (
                "outcome unknown never re-sent",
                UNKNOWN,
                1,
                None,
                0.5,
                Decision::GiveUp,
            ),
            ("last attempt", RETRYABLE, 20, None, 0.5, Decision::GiveUp),
            (
                "past last attempt",
                RETRYABLE,
                21,
                Some(secs(1.0)),
                0.5,
                Decision::GiveUp,
            ),
        ];
        for (name, failure, attempt, wait, jitter, want) in cases {
            assert_eq!(
                decide(&p, *failure, *attempt, *wait, *jitter),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn default_policy_allows_five_attempts() {
        let p = Policy::default();
        assert_eq!(
            decide(&p, RETRYABLE, 4, None, 1.0),
            Decision::RetryAfter(secs(8.0))
        );
        assert_eq!(decide(&p, RETRYABLE, 5, None, 1.0), Decision::GiveUp);
    }

    #[test]
    fn one_attempt_policy_never_retries() {
        let p = Policy {
            max_attempts: 1,
            ..Policy::default()
        };
        assert_eq!(decide(&p, RETRYABLE, 1, None, 0.5), Decision::GiveUp);
    }
}
