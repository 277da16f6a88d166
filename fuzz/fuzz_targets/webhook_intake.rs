//! A delivery as the receiver sees it once its size is checked: the signature check with the store's secret,
//! then the plan for every topic, then the engine's intake check. Nothing may panic; a plan to queue must
//! pass the intake check or be refused by it with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_connector::engine::key_of;
use ml_connector::secret::Secret;
use ml_connector::service::intake::{plan, Plan};
use ml_connector::woo::webhook::{sign, verify, Topic};

fuzz_target!(|body: &[u8]| {
    let secret = Secret::new("fuzz-webhook-secret");
    let signature = sign(body, &secret);
    assert!(verify(body, Some(signature.as_str()), &[&secret]).is_ok());
    let _ = verify(body, Some("AAAA"), &[&secret]);
    for topic in Topic::ALL {
        if let Ok(Plan::Queue { kind, payload, .. }) = plan(topic, body) {
            let _ = key_of(kind, payload.as_bytes());
        }
    }
});
