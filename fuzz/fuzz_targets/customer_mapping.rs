//! Customer JSON → the intake check → the customer and supplier mapping. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_connector::engine::key_of;
use ml_connector::mapping::map_customer;
use ml_connector::settings::{BusinessModel, Settings};
use ml_connector::store::queue::JobKind;
use ml_connector::woo::Customer;

fuzz_target!(|data: &[u8]| {
    if key_of(JobKind::Customer, data).is_err() {
        return;
    }
    let (Ok(customer), Ok(mut settings)) = (Customer::from_json(data), Settings::example()) else {
        return;
    };
    let _ = map_customer(&customer, &settings);
    settings.business_model = BusinessModel::Suppliers;
    let _ = map_customer(&customer, &settings);
});
