//! Issue #15: the fuzz targets' inputs (fuzz/), for a short time in every test run: random bytes and real
//! captures with random bytes spliced in, through every door the connector has. Nothing may panic, and a
//! settings error never repeats a quoted value it was given.

use ml_connector::engine::{key_of, refund_envelopes};
use ml_connector::mapping::{map_customer, map_order, map_refund};
use ml_connector::secret::Secret;
use ml_connector::service::intake::{plan, Plan};
use ml_connector::settings::{Settings, SettingsError, EXAMPLE_TOML};
use ml_connector::store::queue::JobKind;
use ml_connector::woo::webhook::{sign, verify, Topic};
use ml_connector::woo::{Customer, Order, Refund};
use proptest::prelude::*;

const ORDER: &[u8] = include_bytes!("fixtures/woo/real/orders/70.json");
const REFUNDS: &[u8] = include_bytes!("fixtures/woo/real/refunds/70.json");
const CUSTOMER: &[u8] = include_bytes!("fixtures/woo/real/customers/11.json");

/// `base` with `bytes` spliced in at `at` (a fraction of its length), replacing `cut` bytes.
fn splice(base: &[u8], at: f64, cut: usize, bytes: &[u8]) -> Vec<u8> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((base.len() as f64) * at) as usize;
    let i = i.min(base.len());
    let j = (i + cut).min(base.len());
    [&base[..i], bytes, &base[j..]].concat()
}

fn input(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        (
            0.0..1.0f64,
            0..40usize,
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(move |(at, cut, bytes)| splice(base, at, cut, &bytes)),
        (0.0..1.0f64, 0..40usize, "[\\[\\]{}\":,0-9a-z\\-\\.]{0,20}")
            .prop_map(move |(at, cut, s)| splice(base, at, cut, s.as_bytes())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn webhook_bodies_verify_and_plan_without_panicking(body in input(ORDER)) {
        let secret = Secret::new("prop-secret");
        prop_assert!(verify(&body, Some(sign(&body, &secret).as_str()), &[&secret]).is_ok());
        for topic in Topic::ALL {
            if let Ok(Plan::Queue { kind, payload, .. }) = plan(topic, &body) {
                let _ = key_of(kind, payload.as_bytes());
            }
        }
    }

    #[test]
    fn orders_pass_the_door_and_map_or_fail_with_a_reason(data in input(ORDER)) {
        if key_of(JobKind::Order, &data).is_ok() {
            if let Ok(order) = Order::from_json(&data) {
                let _ = map_order(&order, &Settings::example().expect("example"));
            }
        }
    }

    #[test]
    fn refunds_pass_the_door_and_map_or_fail_with_a_reason(data in input(REFUNDS)) {
        let order = Order::from_json(ORDER).expect("order");
        let settings = Settings::example().expect("example");
        for envelope in refund_envelopes(ORDER, &data).unwrap_or_default() {
            let v: serde_json::Value = serde_json::from_str(&envelope).expect("envelope JSON");
            if let Ok(refund) = Refund::from_json(v["refund"].to_string().as_bytes()) {
                let _ = map_refund(&refund, &order, &settings);
            }
        }
    }

    #[test]
    fn customers_pass_the_door_and_map_or_fail_with_a_reason(data in input(CUSTOMER)) {
        if key_of(JobKind::Customer, &data).is_ok() {
            if let Ok(customer) = Customer::from_json(&data) {
                let _ = map_customer(&customer, &Settings::example().expect("example"));
            }
        }
    }

    #[test]
    fn a_settings_error_never_repeats_a_quoted_value(
        at in 0.0..1.0f64,
        cut in 0..30usize,
        junk in "[a-z_ =\\[\\]\"0-9\\.\\n]{0,30}",
    ) {
        let text = String::from_utf8_lossy(&splice(EXAMPLE_TOML.as_bytes(), at, cut, junk.as_bytes()))
            .into_owned();
        if let Err(SettingsError::Toml(message)) = Settings::from_toml_str(&text) {
            // Lower-case words may be the expected variants the parser names (e.g. `visma_series`).
            let word = |q: &str| q.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            for quoted in text.split('"').skip(1).step_by(2).filter(|q| q.len() >= 12 && !q.contains('\n') && !word(q)) {
                prop_assert!(!message.contains(quoted), "{message}");
            }
        }
    }
}
