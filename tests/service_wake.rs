//! Issue #16: a job another instance queued (a webhook the load balancer gave to another instance) wakes the
//! instance that sends the store's jobs at once, through PostgreSQL's LISTEN/NOTIFY. Here the sending instance
//! looks for work on its own only once an hour (`drain_idle_ms`), polls once an hour, and the job is queued by
//! this test process, as another instance's receiver would: without the notification it is not sent for an hour.

#[path = "engine_support/backends.rs"]
mod backends;
mod scale_support;
mod woo_sim;

use backends::{Backend, TestDb};
use ml_connector::store::{JobKind, JobSource, NewJob, Store, StoreOptions};
use scale_support::{order, Instance, Shop};
use std::time::{Duration, Instant};

const IDLE_FOR_AN_HOUR: &str =
    "every_secs = 3600\nreconcile_secs = 3600\nhealth_secs = 3600\ndrain_idle_ms = 3600000\noverlap_secs = 5\n";

#[test]
fn a_job_queued_elsewhere_wakes_the_sending_instance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(Backend::Postgres, dir.path());
    let shops = vec![Shop::without_faults(0)];
    let shop = &shops[0];
    let mut sender = Instance::with_poll(
        0,
        dir.path(),
        "http://127.0.0.1:9",
        &db.location,
        &shops,
        IDLE_FOR_AN_HOUR,
    );
    sender.start();
    // The instance takes the store's drain lease, finds nothing to send and goes idle (for an hour).
    std::thread::sleep(Duration::from_secs(3));

    let fixture = format!(
        "{}/tests/fixtures/woo/real/orders/105.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).expect("fixture")).expect("json");
    let id = 70_001;
    let o = order(&template, id);
    shop.woo.save_order(o.clone());
    let location = format!("{}?prefix=mlc_{}_", db.location, shop.id);
    let queue = Store::open_location(&location, &StoreOptions::default()).expect("queue");
    queue
        .enqueue(
            &NewJob {
                source: JobSource::Webhook,
                store_id: shop.id.clone(),
                kind: JobKind::Order,
                woo_id: id,
                revision: 1,
                payload: o.to_string(),
                depends_on: None,
            },
            chrono::Utc::now(),
        )
        .expect("queued by another instance");

    // A generous bound for a correctness check (the instance is not woken otherwise for an hour).
    let key = format!("woo:{}:{id}", shop.id);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shop.invoices().contains_key(&key) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let invoices = shop.invoices();
    assert_eq!(
        invoices.get(&key).map(Vec::len),
        Some(1),
        "the sending instance was woken and sent the order once; see {}",
        sender.log.display()
    );
    sender.stop();
}
