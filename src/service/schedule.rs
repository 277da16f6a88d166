//! Poll schedules as merchants write them in the config (`"every 5 minutes"`, `"hourly"`, `"daily at 02:00"`),
//! parsed once and turned into the next due time. Pure: the caller passes "now" (UTC) and a jitter draw in
//! `[0, 1)`, so stores sharing one shop host do not all poll in the same second. No clock, no I/O.

use chrono::{DateTime, Duration, NaiveTime, Utc};

/// When a store is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every fixed interval (at least 1 second).
    Every(std::time::Duration),
    /// Once a day at this UTC time.
    DailyAt(NaiveTime),
}

/// Why a schedule text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("poll schedule {text:?}: {problem} (use \"every N seconds|minutes|hours\", \"hourly\" or \"daily at HH:MM\")")]
pub struct ScheduleError {
    /// The text given (config values hold no secrets).
    pub text: String,
    /// What is wrong.
    pub problem: &'static str,
}

impl Schedule {
    /// Parses `"every 5 minutes"`, `"every 30 seconds"`, `"every 2 hours"`, `"hourly"`, `"daily at 02:00"`.
    ///
    /// # Errors
    /// [`ScheduleError`] naming the problem.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let err = |problem| ScheduleError {
            text: text.chars().take(60).collect(),
            problem,
        };
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["hourly"] => Ok(Self::Every(std::time::Duration::from_secs(3600))),
            ["daily", "at", hhmm] => NaiveTime::parse_from_str(hhmm, "%H:%M")
                .map(Self::DailyAt)
                .map_err(|_| err("the time must be HH:MM (24 h, UTC)")),
            ["every", n, unit] => {
                let n: u64 = n
                    .parse()
                    .map_err(|_| err("the count must be a whole number"))?;
                let unit_secs = match unit.trim_end_matches('s') {
                    "second" => 1,
                    "minute" => 60,
                    "hour" => 3600,
                    _ => return Err(err("the unit must be seconds, minutes or hours")),
                };
                match n.checked_mul(unit_secs) {
                    Some(secs) if secs > 0 => Ok(Self::Every(std::time::Duration::from_secs(secs))),
                    _ => Err(err("the interval must be at least one second")),
                }
            }
            _ => Err(err("unrecognised form")),
        }
    }

    /// The next due time after `now`. `jitter` in `[0, 1)` delays it by up to a tenth of the interval (at most
    /// five minutes); values outside are clamped.
    pub fn next_after(self, now: DateTime<Utc>, jitter: f64) -> DateTime<Utc> {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self {
            Self::Every(d) => {
                let d = Duration::from_std(d).unwrap_or(Duration::days(1));
                now + d + spread(d / 10, jitter)
            }
            Self::DailyAt(t) => {
                let today = now.date_naive().and_time(t).and_utc();
                let next = if today > now {
                    today
                } else {
                    today + Duration::days(1)
                };
                next + spread(Duration::minutes(5), jitter)
            }
        }
    }
}

/// `jitter × min(bound, 5 min)` in whole milliseconds.
fn spread(bound: Duration, jitter: f64) -> Duration {
    let bound_ms = bound.min(Duration::minutes(5)).num_milliseconds().max(0);
    // Our own values: jitter is clamped to [0, 1] and bound_ms ≤ 300 000, so the product fits and is exact
    // enough; the casts cannot truncate meaningfully.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let ms = (bound_ms as f64 * jitter).floor() as i64;
    Duration::milliseconds(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as Std;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("literal")
            .with_timezone(&Utc)
    }

    #[test]
    fn merchant_forms_parse() {
        let cases = [
            ("every 5 minutes", Schedule::Every(Std::from_secs(300))),
            ("Every 1 minute", Schedule::Every(Std::from_secs(60))),
            ("every 30 seconds", Schedule::Every(Std::from_secs(30))),
            ("every 2 hours", Schedule::Every(Std::from_secs(7200))),
            ("hourly", Schedule::Every(Std::from_secs(3600))),
            (
                "daily at 02:00",
                Schedule::DailyAt(NaiveTime::from_hms_opt(2, 0, 0).expect("valid")),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Schedule::parse(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "every",
            "every 0 minutes",
            "every five minutes",
            "every 5 days",
            "daily at 25:00",
            "weekly",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_due_time_with_and_without_jitter() {
        let now = at("2026-11-24T09:00:00Z");
        let every = Schedule::Every(Std::from_secs(300));
        assert_eq!(every.next_after(now, 0.0), at("2026-11-24T09:05:00Z"));
        assert_eq!(every.next_after(now, 0.5), at("2026-11-24T09:05:15Z"));
        assert_eq!(
            every.next_after(now, 7.0),
            at("2026-11-24T09:05:30Z"),
            "clamped"
        );
        let daily = Schedule::parse("daily at 02:00").expect("valid");
        assert_eq!(daily.next_after(now, 0.0), at("2026-11-25T02:00:00Z"));
        assert_eq!(
            daily.next_after(at("2026-11-24T01:59:00Z"), 0.0),
            at("2026-11-24T02:00:00Z")
        );
        assert_eq!(daily.next_after(now, 0.5), at("2026-11-25T02:02:30Z"));
        assert_eq!(daily.next_after(now, f64::NAN), at("2026-11-25T02:00:00Z"));
    }
}
