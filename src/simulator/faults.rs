//! Injected faults: random ones drawn from the seeded RNG (`fault_rate`, `lost_response_rate`) and a script of
//! exact faults for the next API calls (a test asks for "one 429 without Retry-After, then a 503"). The decision
//! is pure given the RNG; the server only acts on it.

use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The body a scripted error response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultBody {
    /// The ERP `Exception*` JSON (NOTES §5.2).
    Visma,
    /// ASP.NET style `{"Message": …}`.
    Message,
    /// `text/plain`.
    PlainText,
    /// Broken JSON with a JSON content type.
    Malformed,
    /// No body at all.
    Empty,
}

/// One scripted fault, consumed by the next API call (token and inspection calls do not consume it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScriptedFault {
    /// Answer with this status and body, without touching state.
    Status {
        /// HTTP status (e.g. 500, 503, 400).
        status: u16,
        /// Body shape.
        body: FaultBody,
    },
    /// Answer 429; with `retry_after_secs` a `Retry-After` header is sent.
    RateLimited {
        /// Seconds for `Retry-After`, or none.
        retry_after_secs: Option<u64>,
    },
    /// Process the call (a create is stored), then drop the connection without an answer.
    LoseResponse,
    /// Answer 401 as if the token had been revoked (the client should refresh once).
    Unauthorized,
}

/// Runtime fault settings; change them on a running simulator with `set_faults`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    /// Share of API calls answered with a 500 and a Visma error body.
    pub fault_rate: f64,
    /// Share of successful creates stored and then answered by a dropped connection.
    pub lost_response_rate: f64,
    /// Delay before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Exact faults for the next API calls, first one first.
    pub script: VecDeque<ScriptedFault>,
}

/// What to do with one API call, decided before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Run it normally.
    Normal,
    /// Run it; if it is a successful create, drop the connection instead of answering.
    LoseIfCreate,
    /// Run it, then drop the connection (scripted: any call).
    LoseAlways,
    /// Do not run it; answer with this fault.
    Fail(ScriptedFault),
}

impl Faults {
    /// Decides the fate of the next API call. Both random draws are made on every call, so the sequence of
    /// outcomes depends only on the seed and the number of API calls.
    pub fn plan(&mut self, rng: &mut StdRng) -> Plan {
        let fault_draw: f64 = rng.gen();
        let lost_draw: f64 = rng.gen();
        if let Some(next) = self.script.pop_front() {
            return match next {
                ScriptedFault::LoseResponse => Plan::LoseAlways,
                other => Plan::Fail(other),
            };
        }
        if fault_draw < self.fault_rate {
            Plan::Fail(ScriptedFault::Status {
                status: 500,
                body: FaultBody::Visma,
            })
        } else if lost_draw < self.lost_response_rate {
            Plan::LoseIfCreate
        } else {
            Plan::Normal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn outcomes(seed: u64, faults: &mut Faults, n: usize) -> Vec<Plan> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| faults.plan(&mut rng)).collect()
    }

    #[test]
    fn same_seed_gives_the_same_faults() {
        let mut f = Faults {
            fault_rate: 0.3,
            lost_response_rate: 0.3,
            ..Faults::default()
        };
        let a = outcomes(42, &mut f.clone(), 200);
        let b = outcomes(42, &mut f, 200);
        assert_eq!(a, b);
        let failures = a.iter().filter(|p| matches!(p, Plan::Fail(_))).count();
        assert!(
            (30..=90).contains(&failures),
            "about 30 % of 200 fail, got {failures}"
        );
        assert!(a.contains(&Plan::LoseIfCreate));
    }

    #[test]
    fn zero_rates_never_fault_and_one_always_does() {
        assert!(outcomes(7, &mut Faults::default(), 100)
            .iter()
            .all(|p| *p == Plan::Normal));
        let mut always = Faults {
            fault_rate: 1.0,
            ..Faults::default()
        };
        assert!(outcomes(7, &mut always, 100)
            .iter()
            .all(|p| matches!(p, Plan::Fail(_))));
    }

    #[test]
    fn the_script_goes_first_and_in_order() {
        let mut f = Faults {
            fault_rate: 1.0,
            ..Faults::default()
        };
        f.script.push_back(ScriptedFault::RateLimited {
            retry_after_secs: None,
        });
        f.script.push_back(ScriptedFault::LoseResponse);
        let plans = outcomes(1, &mut f, 3);
        assert_eq!(
            plans[0],
            Plan::Fail(ScriptedFault::RateLimited {
                retry_after_secs: None
            })
        );
        assert_eq!(plans[1], Plan::LoseAlways);
        assert_eq!(
            plans[2],
            Plan::Fail(ScriptedFault::Status {
                status: 500,
                body: FaultBody::Visma
            })
        );
        assert!(f.script.is_empty());
    }
}
