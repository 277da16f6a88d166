//! Refund JSON (one refund or the refunds array) of a real order → the intake check → the credit note mapping.
//! Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_connector::engine::refund_envelopes;
use ml_connector::mapping::map_refund;
use ml_connector::settings::Settings;
use ml_connector::woo::{Order, Refund};

const ORDER: &[u8] = include_bytes!("../../tests/fixtures/woo/real/orders/70.json");

fuzz_target!(|data: &[u8]| {
    let Ok(envelopes) = refund_envelopes(ORDER, data) else {
        return;
    };
    let (Ok(order), Ok(settings)) = (Order::from_json(ORDER), Settings::example()) else {
        return;
    };
    for envelope in envelopes {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&envelope) else {
            continue;
        };
        if let Ok(refund) = Refund::from_json(v["refund"].to_string().as_bytes()) {
            let _ = map_refund(&refund, &order, &settings);
        }
    }
});
