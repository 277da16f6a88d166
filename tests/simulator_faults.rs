//! The simulator's hostile side over HTTP: rate-limit headers and 429, seeded 5xx faults, lost responses (the
//! duplicate trap), scripted faults with odd bodies, the inspection route, and the state file across restarts.

use chrono::{DateTime, Utc};
use ml_connector::clock::ManualClock;
use ml_connector::simulator::{
    FaultBody, Faults, RunningSimulator, ScriptedFault, SimConfig, Simulator,
};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn start_with(config: SimConfig) -> (RunningSimulator, ManualClock) {
    let t0 = DateTime::parse_from_rfc3339("2026-05-01T10:59:00Z")
        .expect("literal")
        .with_timezone(&Utc);
    let clock = ManualClock::new(t0);
    let sim = Simulator::start(SimConfig {
        clock: Arc::new(clock.clone()),
        ..config
    })
    .expect("simulator starts");
    (sim, clock)
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn token(sim: &RunningSimulator) -> String {
    let v: Value = client()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("tenant_id", "demo-tenant"),
        ])
        .send()
        .expect("token")
        .json()
        .expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

fn header(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
}

fn customer(number: &str) -> Value {
    json!({"number": {"value": number}, "name": {"value": format!("Kunde {number}")}})
}

#[test]
fn rate_limit_headers_count_down_then_429_until_the_hour_turns() {
    let (sim, clock) = start_with(SimConfig {
        rate_limit_per_hour: 2,
        ..SimConfig::default()
    });
    let tok = token(&sim);
    let url = format!("{}/v1/currency", sim.base_url());
    let first = client().get(&url).bearer_auth(&tok).send().expect("get");
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "x-ratelimit-limit").as_deref(), Some("2"));
    assert_eq!(
        header(&first, "x-ratelimit-remaining").as_deref(),
        Some("1")
    );
    assert_eq!(header(&first, "x-ratelimit-reset").as_deref(), Some("60"));
    assert_eq!(
        header(&first, "x-ratelimit-policy").as_deref(),
        Some("4-fixed-window")
    );
    assert_eq!(
        client()
            .get(&url)
            .bearer_auth(&tok)
            .send()
            .expect("get")
            .status(),
        200
    );
    clock.advance(Duration::from_secs(15));
    let refused = client().get(&url).bearer_auth(&tok).send().expect("get");
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "retry-after").as_deref(), Some("45"));
    assert_eq!(
        header(&refused, "x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    // The token endpoint is Visma Connect, not the API: no rate limit there.
    assert!(header(
        &client().post(sim.token_url()).send().expect("post"),
        "x-ratelimit-limit"
    )
    .is_none());
    clock.advance(Duration::from_secs(45));
    let next_hour = client().get(&url).bearer_auth(&tok).send().expect("get");
    assert_eq!(next_hour.status(), 200);
    assert_eq!(
        header(&next_hour, "x-ratelimit-reset").as_deref(),
        Some("3600")
    );
}

fn statuses_with_seed(seed: u64) -> Vec<u16> {
    let (sim, _) = start_with(SimConfig {
        seed,
        fault_rate: 0.4,
        ..SimConfig::default()
    });
    let tok = token(&sim);
    (0..30)
        .map(|_| {
            let r = client()
                .get(format!("{}/v1/account", sim.base_url()))
                .bearer_auth(&tok)
                .send()
                .expect("get");
            let status = r.status().as_u16();
            if status == 500 {
                let v: Value = r.json().expect("visma error json");
                assert!(v["ExceptionMessage"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("VismaId: "));
            }
            status
        })
        .collect()
}

#[test]
fn faults_are_deterministic_for_a_seed() {
    let a = statuses_with_seed(7);
    let b = statuses_with_seed(7);
    assert_eq!(a, b);
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
    assert_ne!(a, statuses_with_seed(8));
}

#[test]
fn a_lost_response_stores_the_document_and_drops_the_connection() {
    let (sim, _) = start_with(SimConfig {
        lost_response_rate: 1.0,
        ..SimConfig::default()
    });
    let tok = token(&sim);
    let r = client()
        .post(format!("{}/v1/customer", sim.base_url()))
        .bearer_auth(&tok)
        .json(&customer("10023"))
        .send();
    let err = r.expect_err("the client sees no response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    let state = sim.inspect();
    assert_eq!(state.store.customers.len(), 1, "the create happened");
    let last = state.requests.last().expect("logged");
    assert_eq!((last.status, last.outcome.as_str()), (0, "lost"));
    // Reads are never lost by the random rate; the client can search before re-creating.
    let found = client()
        .get(format!("{}/v1/customer/10023", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .expect("get");
    assert_eq!(found.status(), 200);
    let again = client()
        .post(format!("{}/v1/customer", sim.base_url()))
        .bearer_auth(&tok)
        .json(&customer("10023"))
        .send();
    // A create that fails is answered even at a lost-response rate of 1: only stored creates are lost.
    assert_eq!(again.expect("answered").status(), 400);
}

#[test]
fn scripted_faults_come_in_order_with_their_bodies() {
    let (sim, _) = start_with(SimConfig::default());
    let tok = token(&sim);
    let mut faults = Faults::default();
    for f in [
        ScriptedFault::RateLimited {
            retry_after_secs: None,
        },
        ScriptedFault::RateLimited {
            retry_after_secs: Some(7),
        },
        ScriptedFault::Status {
            status: 503,
            body: FaultBody::PlainText,
        },
        ScriptedFault::Status {
            status: 502,
            body: FaultBody::Malformed,
        },
        ScriptedFault::Status {
            status: 500,
            body: FaultBody::Message,
        },
        ScriptedFault::Status {
            status: 504,
            body: FaultBody::Empty,
        },
        ScriptedFault::Unauthorized,
    ] {
        faults.script.push_back(f);
    }
    sim.set_faults(faults);
    let get = || {
        client()
            .get(format!("{}/v1/account", sim.base_url()))
            .bearer_auth(&tok)
            .send()
            .expect("get")
    };
    let r = get();
    assert_eq!(
        (r.status().as_u16(), header(&r, "retry-after")),
        (429, None)
    );
    let r = get();
    assert_eq!(
        (r.status().as_u16(), header(&r, "retry-after")),
        (429, Some("7".into()))
    );
    let r = get();
    assert_eq!(r.status(), 503);
    assert_eq!(r.text().expect("text"), "Service Unavailable");
    let r = get();
    assert_eq!(r.status(), 502);
    assert!(serde_json::from_str::<Value>(&r.text().expect("text")).is_err());
    let r = get();
    assert_eq!(
        r.json::<Value>().expect("json")["Message"],
        "An error has occurred."
    );
    let r = get();
    assert_eq!(
        (r.status().as_u16(), r.text().expect("text")),
        (504, String::new())
    );
    assert_eq!(get().status(), 401);
    assert_eq!(get().status(), 200, "script used up");
    assert!(sim.inspect().faults.script.is_empty());
}

#[test]
fn inspection_shows_everything_but_secrets() {
    let (sim, _) = start_with(SimConfig::default());
    let tok = token(&sim);
    let r = client()
        .post(format!("{}/v1/customer", sim.base_url()))
        .bearer_auth(&tok)
        .json(&customer("10023"))
        .send();
    assert_eq!(r.expect("post").status(), 201);
    let text = client()
        .get(sim.inspect_url())
        .send()
        .expect("inspect")
        .text()
        .expect("text");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["store"]["customers"][0]["number"], "10023");
    assert_eq!(v["requests"][1]["authorization"], "Bearer ***");
    assert_eq!(v["requests"][1]["body"]["number"]["value"], "10023");
    assert_eq!(v["tokensIssued"], 1);
    assert!(
        !text.contains(&tok) && !text.contains("demo-secret"),
        "token or secret leaked"
    );
}

#[test]
fn the_state_file_keeps_documents_across_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("visma-sim.json");
    {
        let (sim, _) = start_with(SimConfig {
            state_file: Some(path.clone()),
            ..SimConfig::default()
        });
        let tok = token(&sim);
        let r = client()
            .post(format!("{}/v1/customer", sim.base_url()))
            .bearer_auth(&tok)
            .json(&customer("10023"));
        assert_eq!(r.send().expect("post").status(), 201);
    }
    let (sim, _) = start_with(SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    });
    let tok = token(&sim);
    let r = client()
        .get(format!("{}/v1/customer/10023", sim.base_url()))
        .bearer_auth(&tok)
        .send()
        .expect("get");
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{}/v1/customer", sim.base_url()))
        .bearer_auth(&tok)
        .json(&json!({"name": {"value": "Ny"}}));
    let location = header(&r.send().expect("post"), "location").expect("location");
    assert!(
        location.ends_with("/v1/customer/10000"),
        "auto numbering continues: {location}"
    );
    std::fs::write(&path, "{broken").expect("write");
    assert!(Simulator::start(SimConfig {
        state_file: Some(path),
        ..SimConfig::default()
    })
    .is_err());
}

#[test]
fn token_calls_and_errors_do_not_shift_the_fault_sequence() {
    let quiet = statuses_with_seed(7);
    let (sim, _) = start_with(SimConfig {
        seed: 7,
        fault_rate: 0.4,
        ..SimConfig::default()
    });
    let tok = token(&sim);
    let noisy: Vec<u16> = (0..30)
        .map(|_| {
            let _extra_token = token(&sim);
            let r = client()
                .get(format!("{}/v1/account", sim.base_url()))
                .bearer_auth(&tok)
                .send()
                .expect("get");
            r.status().as_u16()
        })
        .collect();
    assert_eq!(noisy, quiet);
}
