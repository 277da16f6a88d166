//! Issue #16: the connector service at scale. Several `ml-connector serve` processes share one PostgreSQL
//! database and serve the same hundred stores: half of the shops deliver webhooks (through a load balancer, to
//! whichever instance it picks), half are found by polling only. Each store books into its own simulated Visma
//! company with faults, lost responses and a per-company rate limit. While the orders are placed, instances are
//! killed with SIGKILL and started again. At the end every order is in its company exactly once, every store's
//! invoice totals equal its shop's order totals, each paid order's invoice has one payment (an unpaid one
//! none), no company answered 429, and every queue is empty with nothing failed.
//!
//! `./build.sh test` runs it in release (`cargo test --release --test service_scale -- --ignored`); plain
//! `cargo test` skips it. Size and shape from the environment (benches/scale.sh uses them): `ML_SCALE_INSTANCES` (4), `ML_SCALE_STORES`
//! (100), `ML_SCALE_ORDERS` (10000 in all), `ML_SCALE_KILLS` (1: kill and restart instances; 0: none). It prints
//! one `scale:` line with the time from the first order to the last invoice.

#[path = "engine_support/backends.rs"]
mod backends;
mod scale_support;
mod woo_sim;

use backends::{Backend, TestDb};
use ml_connector::store::{Store, StoreOptions};
use scale_support::{minor, order, Balancer, Instance, Shop, SECRET};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fixture orders the example settings invoice, without refunds.
const TEMPLATES: [u64; 6] = [105, 113, 134, 222, 279, 308];

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn template(id: u64) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/woo/real/orders/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

#[test]
#[ignore = "minutes of work for every core: build.sh runs it in release (cargo test --release -- --ignored)"]
fn instances_killed_and_restarted_lose_and_duplicate_nothing() {
    let instances = env_number("ML_SCALE_INSTANCES", 4).max(1);
    let stores = env_number("ML_SCALE_STORES", 100).max(1);
    let orders = env_number("ML_SCALE_ORDERS", 10_000).max(stores);
    let kills = env_number("ML_SCALE_KILLS", 1) == 1;
    let per_store = orders / stores;

    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(Backend::Postgres, dir.path());
    let shops: Arc<Vec<Shop>> = Arc::new((0..stores).map(|i| Shop::start(i, i % 2 == 0)).collect());
    let balancer = Balancer::start();
    for s in shops.iter().filter(|s| s.webhooks) {
        for topic in ml_connector::woo::webhook::Topic::ALL {
            let url = format!("{}/webhooks/woocommerce/{}", balancer.url(), s.id);
            s.woo.add_webhook(topic.as_str(), &url, SECRET);
        }
    }
    let mut fleet: Vec<Instance> = (0..instances)
        .map(|n| Instance::new(n, dir.path(), &balancer.url(), &db.location, &shops))
        .collect();
    for inst in &mut fleet {
        inst.start();
        balancer.live.lock().expect("live").push(inst.port);
    }
    let fleet = Arc::new(Mutex::new(fleet));

    // Kill one instance every few seconds and start it again a moment later (the balancer stops sending to it
    // first, as a health check would; deliveries already under way fail, and polling must catch them).
    let placing = Arc::new(AtomicBool::new(true));
    let killer = {
        let (fleet, live, placing) = (fleet.clone(), balancer.live.clone(), placing.clone());
        std::thread::spawn(move || {
            let mut killed = 0;
            while kills && placing.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(10));
                let mut fleet = fleet.lock().expect("fleet");
                let n = rand::random::<u32>() as usize % fleet.len();
                let Some(victim) = fleet.get_mut(n) else {
                    continue;
                };
                live.lock().expect("live").retain(|p| *p != victim.port);
                victim.kill();
                killed += 1;
                std::thread::sleep(Duration::from_secs(1));
                victim.start();
                live.lock().expect("live").push(victim.port);
            }
            killed
        })
    };

    // Four sellers place the orders, shop by shop in turn.
    let templates: Vec<serde_json::Value> = TEMPLATES.iter().map(|id| template(*id)).collect();
    let templates = Arc::new(templates);
    let started = Instant::now();
    let sellers: Vec<_> = (0..4)
        .map(|t| {
            let (shops, templates) = (shops.clone(), templates.clone());
            std::thread::spawn(move || {
                for k in 0..per_store {
                    for (i, shop) in shops.iter().enumerate().filter(|(i, _)| i % 4 == t) {
                        let id = 10_000 + k as u64;
                        let tpl = &templates[(k + i) % templates.len()];
                        let o = order(tpl, id);
                        let total = minor(o["total"].as_str().expect("total"));
                        let paid = o["date_paid"].as_str().is_some_and(|d| !d.is_empty());
                        shop.orders.lock().expect("orders").push((id, total, paid));
                        shop.woo.save_order(o);
                    }
                }
            })
        })
        .collect();
    for s in sellers {
        s.join().expect("seller");
    }
    eprintln!(
        "scale: orders placed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    placing.store(false, Ordering::SeqCst);
    let killed = killer.join().expect("killer");

    // Every order of every shop in its company and every queue empty (a generous deadline: this is about
    // correctness, not speed).
    let queues: Vec<Store> = shops
        .iter()
        .map(|s| {
            let location = format!("{}?prefix=mlc_{}_", db.location, s.id);
            Store::open_location(&location, &StoreOptions::default()).expect("queue")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(1200);
    let mut missing;
    loop {
        missing = Vec::new();
        for (s, queue) in shops.iter().zip(&queues) {
            let counts = queue.counts_by_state().expect("counts");
            if counts.pending + counts.running > 0 {
                missing.push(format!(
                    "{}: {} job(s) to do",
                    s.id,
                    counts.pending + counts.running
                ));
                continue;
            }
            let docs = s.invoices();
            let want = s.orders.lock().expect("orders");
            let absent = want
                .iter()
                .filter(|(id, _, _)| !docs.contains_key(&format!("woo:{}:{id}", s.id)))
                .count();
            if absent > 0 {
                missing.push(format!("{}: {absent}", s.id));
            }
        }
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        eprintln!(
            "scale: {:.0} s, {} store(s) waiting for invoices",
            started.elapsed().as_secs_f64(),
            missing.len()
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    let secs = started.elapsed().as_secs_f64();
    assert!(
        missing.is_empty(),
        "orders never invoiced or jobs left (store: count): {missing:?}"
    );
    println!(
        "scale: instances={instances} stores={stores} orders={} kills={killed} secs={secs:.1} orders_per_sec={:.0}",
        per_store * stores,
        (per_store * stores) as f64 / secs
    );

    // Let anything still in flight finish, then stop every instance and count.
    std::thread::sleep(Duration::from_secs(3));
    for inst in fleet.lock().expect("fleet").iter_mut() {
        inst.stop();
    }
    let mut problems = Vec::new();
    for (s, queue) in shops.iter().zip(&queues) {
        let docs = s.invoices();
        let want = s.orders.lock().expect("orders");
        let (mut woo_total, mut visma_total) = (0i64, 0i64);
        for (id, total, paid) in want.iter() {
            woo_total += total;
            match docs.get(&format!("woo:{}:{id}", s.id)).map(Vec::as_slice) {
                // A paid order's invoice has its one payment; an unpaid one none.
                Some([(amount, payments)]) if *payments == usize::from(*paid) => {
                    visma_total += amount
                }
                other => problems.push(format!("{} order {id}: {other:?}", s.id)),
            }
        }
        if docs.len() != want.len() {
            problems.push(format!(
                "{}: {} invoices for {} orders",
                s.id,
                docs.len(),
                want.len()
            ));
        }
        if woo_total != visma_total {
            problems.push(format!(
                "{}: WooCommerce {woo_total} ≠ Visma {visma_total}",
                s.id
            ));
        }
        let throttled = s.throttled();
        if throttled > 0 {
            problems.push(format!(
                "{}: {throttled} calls over the company's rate limit",
                s.id
            ));
        }
        let counts = queue.counts_by_state().expect("counts");
        if counts.pending + counts.running + counts.failed + counts.dead > 0 {
            problems.push(format!("{}: queue not clean: {counts:?}", s.id));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s): {problems:#?}",
        problems.len()
    );
    if kills {
        assert!(killed > 0, "no instance was killed");
    }
}
