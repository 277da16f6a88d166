//! Issue #5: when Visma stays down, jobs end `dead` after the store's attempt limit and `replay --failed`
//! posts them once Visma is back; when the credentials or the licence are wrong, the drain stops at the first
//! job with the merchant's reason, nothing is sent or lost, and the same queue drains once it is fixed.
//! Against the simulator on 127.0.0.1 with one manual clock.

mod engine_support;

use engine_support::{
    assert_all_done, assert_exactly_once, client, drain_until_settled, engine, orders, settings,
    simulator, t0,
};
use ml_connector::clock::{Clock, ManualClock};
use ml_connector::engine::Engine;
use ml_connector::secret::Secret;
use ml_connector::simulator::{Faults, SimConfig, Simulator};
use ml_connector::store::queue::{JobFilter, JobKind, JobSource, JobState};
use std::sync::Arc;

#[test]
fn visma_down_for_good_makes_jobs_dead_and_a_replay_posts_them_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = simulator(shared, 1.0, 0.0, 3600);
    // Issue #16: ML_TEST_BACKEND picks the backend.
    let db = engine_support::backends::TestDb::from_env(dir.path());
    let engine = engine(db.open(), settings(), &sim, &clock);
    let batch = orders(3, 60_001);
    for o in &batch {
        engine
            .enqueue(JobKind::Order, &o.json, JobSource::Hook)
            .expect("enqueue");
    }
    let report = drain_until_settled(&engine, &clock, |_| {});
    assert_eq!((report.dead, report.posted), (3, 0), "{report:?}");
    let max = engine.store().max_attempts();
    for job in engine
        .store()
        .list(&JobFilter {
            kind: Some(JobKind::Order),
            limit: 10,
            ..JobFilter::default()
        })
        .expect("jobs")
    {
        assert_eq!((job.state, job.attempts), (JobState::Dead, max));
        let reason = job.last_error.unwrap_or_default();
        eprintln!("dead job {}: {reason}", job.woo_id);
        assert!(
            reason.contains("500"),
            "the reason names Visma's answer: {reason}"
        );
    }
    assert!(sim.inspect().store.invoices.is_empty());

    // Visma is back; the merchant replays the dead jobs.
    sim.set_faults(Faults::default());
    let replayed = engine
        .store()
        .replay_failed(None, clock.now())
        .expect("replay --failed");
    assert_eq!(replayed.len(), 3);
    let report = drain_until_settled(&engine, &clock, |_| {});
    assert_eq!((report.posted, report.dead), (3, 0), "{report:?}");
    assert_exactly_once(&sim, &batch);
    assert_all_done(engine.store(), &batch);
}

#[test]
fn wrong_credentials_or_no_licence_stop_the_drain_and_lose_nothing() {
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    for (case, licensed, secret, expected) in [
        ("wrong secret", true, "not-the-secret", "client"),
        (
            "no licence",
            false,
            engine_support::NORDLYS_CLIENT_SECRET,
            "no licence for this company",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = engine_support::backends::TestDb::from_env(dir.path());
        let sim = Simulator::start(SimConfig {
            licensed,
            clock: shared.clone(),
            ..SimConfig::seeded(engine_support::nordlys())
        })
        .expect("simulator");
        let c = engine_support::nordlys();
        let config = ml_connector::visma::Config::visma_net(
            c.client_id.clone(),
            Secret::new(secret),
            c.tenant_id.clone(),
        )
        .with_urls(sim.token_url(), sim.base_url(), sim.salesorders_url())
        .with_company_id(c.id.clone());
        let bad = Engine::new(
            db.open(),
            settings(),
            ml_connector::visma::Client::new(config, shared.clone()).expect("client"),
            shared.clone(),
        )
        .with_options(engine_support::fast_options());
        let batch = orders(3, 70_001);
        for o in &batch {
            bad.enqueue(JobKind::Order, &o.json, JobSource::Hook)
                .expect("enqueue");
        }
        let report = bad.drain(100, None).expect("drain");
        assert!(report.stopped, "{case}: {report:?}");
        let reason = report.stop_reason.clone().unwrap_or_default();
        eprintln!("{case}: drain stopped: {reason}");
        assert!(reason.to_lowercase().contains(expected), "{case}: {reason}");
        assert_eq!(
            (report.failed, report.dead, report.posted),
            (0, 0, 0),
            "{case}: {report:?}"
        );
        let counts = bad.store().counts_by_state().expect("counts");
        assert_eq!(
            counts.pending, 3,
            "{case}: every job is still queued: {counts:?}"
        );
        assert!(sim.inspect().store.invoices.is_empty(), "{case}");
        drop(bad);

        // Fixed (right secret; licence granted = a licensed company): the same queue drains.
        let fixed_sim = if licensed {
            sim
        } else {
            Simulator::start(SimConfig {
                clock: shared.clone(),
                ..SimConfig::seeded(engine_support::nordlys())
            })
            .expect("licensed simulator")
        };
        let good = Engine::new(
            db.open(),
            settings(),
            client(&fixed_sim, shared.clone()),
            shared.clone(),
        )
        .with_options(engine_support::fast_options());
        let report = drain_until_settled(&good, &clock, |_| {});
        assert_eq!(report.posted, 3, "{case}: {report:?}");
        assert_exactly_once(&fixed_sim, &batch);
        assert_all_done(good.store(), &batch);
    }
}
