//! Order JSON → the intake check → the mapping with the example settings, in both document types. Nothing may
//! panic; an order the intake accepts maps or fails with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_connector::engine::key_of;
use ml_connector::mapping::map_order;
use ml_connector::settings::{DocumentType, Settings};
use ml_connector::store::queue::JobKind;
use ml_connector::woo::Order;

fuzz_target!(|data: &[u8]| {
    if key_of(JobKind::Order, data).is_err() {
        return;
    }
    let Ok(order) = Order::from_json(data) else {
        return;
    };
    let Ok(mut settings) = Settings::example() else {
        return;
    };
    let _ = map_order(&order, &settings);
    settings.document_type = DocumentType::SalesOrder;
    let _ = map_order(&order, &settings);
});
