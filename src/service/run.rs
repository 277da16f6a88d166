//! Starting and stopping the service: per store a queue file, a [`Cell`] for the receiver, a drain thread (the
//! engine, woken by each enqueue), a poll thread (health check, orders, customers, on the store's pace) and a
//! follow-up thread (refunds of webhook orders); one HTTP listener for all stores. Threads stop between steps
//! when [`RunningService::stop`] is called; the queue keeps whatever was not posted yet.

use super::config::{ServiceConfig, StoreConfig};
use super::leases::{spawn_keeper, Keep, PollRight, KEPT_LEASE};
use super::receiver::{self, Cell, Followup};
use super::{health, poller, secrets, ServiceError};
use crate::clock::Clock;
use crate::engine::{self, Engine};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::queue::JobSource;
use crate::store::{InstanceLease, Key, Store, StoreOptions};
use crate::visma::Client;
use crate::woo::client::{WooClient, WooConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The variables a store's config names, read once at start.
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Entry point.
pub struct Service;

/// A running service.
pub struct RunningService {
    addr: SocketAddr,
    stop: Arc<Stop>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    cells: HashMap<String, Arc<Cell>>,
}

/// A stop flag threads can wait on.
#[derive(Default)]
pub(super) struct Stop {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Stop {
    fn is_set(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Waits up to `d`; true when stopped.
    pub(super) fn wait(&self, d: Duration) -> bool {
        let guard = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .cv
            .wait_timeout_while(guard, d, |s| !*s)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
    fn set(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }
}

impl Service {
    /// Opens every store's queue, starts the background threads and the HTTP listener.
    ///
    /// # Errors
    /// [`ServiceError`] for a store that cannot be served (bad settings, unreadable credentials, no Visma
    /// configuration) or a listener that cannot bind. Nothing keeps running then.
    pub fn start(
        config: &ServiceConfig,
        env: Env,
        clock: Arc<dyn Clock>,
    ) -> Result<RunningService, ServiceError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            ServiceError::Config(format!("data_dir {}: {e}", config.data_dir.display()))
        })?;
        let key = Key::load_or_create(config.key_path())
            .map_err(|source| ServiceError::store("*", source))?;
        // Bound before any store thread starts, so a taken port leaves nothing running.
        let listener =
            std::net::TcpListener::bind(&config.listen).map_err(|source| ServiceError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServiceError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ServiceError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        let stop = Arc::new(Stop::default());
        let mut cells = HashMap::new();
        let mut owners = Vec::new();
        let mut threads = Vec::new();
        for sc in &config.stores {
            match start_store(config, sc, &key, &env, &clock, &stop) {
                Ok((cell, keep, mut t)) => {
                    owners.push((cell.clone(), keep));
                    cells.insert(sc.id.clone(), cell);
                    threads.append(&mut t);
                }
                Err(e) => {
                    stop.set();
                    for c in cells.values() {
                        c.wake();
                    }
                    for t in threads {
                        let _ = t.join();
                    }
                    return Err(e);
                }
            }
        }
        threads.push(spawn_keeper(owners, stop.clone()));
        threads.extend(super::wake::spawn_listener(config, &cells, stop.clone()));
        let app = receiver::router(cells.clone(), config.max_body_bytes);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        threads.push(std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "could not start the HTTP runtime");
                    return;
                }
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    tracing::error!("could not adopt the listener");
                    return;
                };
                serve(listener, app, rx).await;
            });
        }));
        tracing::info!(%addr, stores = config.stores.len(), "ml-connector service listening");
        Ok(RunningService {
            addr,
            stop,
            shutdown: Some(tx),
            threads,
            cells,
        })
    }
}

impl RunningService {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A store's health view.
    pub fn status(&self, store: &str) -> Option<receiver::CellStatus> {
        self.cells.get(store).map(|c| c.status())
    }

    /// Blocks until stopped from another thread (the CLI waits for Ctrl-C instead).
    pub fn wait(&self) {
        while !self.stop.wait(Duration::from_secs(3600)) {}
    }

    /// Stops the listener and the threads and waits for them; jobs not posted stay queued.
    pub fn stop(mut self) {
        self.stop.set();
        for c in self.cells.values() {
            c.wake();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The mapping settings of a store: its file or the example, with `store_id` set to the store's id.
///
/// # Errors
/// [`ServiceError::Config`] for an unreadable or invalid file.
pub fn store_settings(sc: &StoreConfig) -> Result<Settings, ServiceError> {
    let mut settings = match &sc.settings {
        None => Settings::example().map_err(|e| ServiceError::Config(e.to_string()))?,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| ServiceError::Config(format!("settings {}: {e}", p.display())))?;
            let parsed = if p.extension().is_some_and(|e| e == "json") {
                Settings::from_json_str(&text)
            } else {
                Settings::from_toml_str(&text)
            };
            parsed.map_err(|e| ServiceError::Config(format!("settings {}: {e}", p.display())))?
        }
    };
    settings.store_id.clone_from(&sc.id);
    Ok(settings)
}

/// The WooCommerce client of a store, with keys from env or the credentials store; `None` without keys.
///
/// # Errors
/// [`ServiceError::Store`] when credentials are unreadable; [`ServiceError::Woo`] for a bad URL.
pub fn woo_client(
    sc: &StoreConfig,
    env: &dyn Fn(&str) -> Option<String>,
    store: &Store,
    key: &Key,
) -> Result<Option<WooClient>, ServiceError> {
    let keys = secrets::woo_keys(sc, env, store, key)
        .map_err(|source| ServiceError::store(&sc.id, source))?;
    let Some((ck, cs)) = keys else {
        return Ok(None);
    };
    WooClient::new(&WooConfig {
        base_url: sc.url.clone(),
        consumer_key: ck,
        consumer_secret: cs,
        auth: sc.auth,
        timeout: Duration::from_secs(30),
    })
    .map(Some)
    .map_err(|source| ServiceError::Woo {
        store: sc.id.clone(),
        source,
    })
}

fn open(config: &ServiceConfig, id: &str) -> Result<Store, ServiceError> {
    Store::open_location(&config.store_location(id), &StoreOptions::default())
        .map_err(|source| ServiceError::store(id, source))
}

fn visma_client(
    sc: &StoreConfig,
    settings: &Settings,
    env: &Env,
    clock: &Arc<dyn Clock>,
) -> Result<Client, ServiceError> {
    let visma_err = |source| ServiceError::Visma {
        store: sc.id.clone(),
        source: Box::new(source),
    };
    let config = match &sc.visma_simulator {
        Some(base) => {
            let base = base.trim_end_matches('/');
            engine::simulator_config(
                &format!("{base}/connect/token"),
                base,
                &format!("{base}/api/v3/SalesOrders"),
            )
        }
        None => engine::client_config(settings, |k| env(k)).map_err(visma_err)?,
    };
    Client::new(config, clock.clone()).map_err(visma_err)
}

/// A store's cell, its engine's keep and its threads.
type Started = (Arc<Cell>, Keep, Vec<JoinHandle<()>>);

fn start_store(
    config: &ServiceConfig,
    sc: &StoreConfig,
    key: &Key,
    env: &Env,
    clock: &Arc<dyn Clock>,
    stop: &Arc<Stop>,
) -> Result<Started, ServiceError> {
    let settings = store_settings(sc)?;
    let receiver_store = open(config, &sc.id)?;
    let engine_store = open(config, &sc.id)?;
    let visma = visma_client(sc, &settings, env, clock)?;
    let env_secret = sc
        .webhook_secret_env
        .as_deref()
        .and_then(|v| env(v))
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    // One client for the poll thread and one for follow-ups: blocking clients are not shared across threads
    // that may outlive each other.
    let poll_woo = woo_client(sc, env.as_ref(), &receiver_store, key)?;
    let followup_woo = woo_client(sc, env.as_ref(), &receiver_store, key)?;
    if poll_woo.is_none() {
        tracing::warn!(store = %sc.id, "no WooCommerce API keys: no polling, no health check, refunds only by replay");
    }
    let (wake_tx, wake_rx) = mpsc::channel();
    let (follow_tx, follow_rx) = mpsc::channel();
    let cell = Arc::new(
        Cell::new(
            sc.id.clone(),
            receiver_store,
            key.clone(),
            env_secret,
            clock.clone(),
            wake_tx,
            follow_tx,
        )
        .with_source(&sc.url),
    );
    // Issue #16: short job leases, kept alive by the instance's keeper thread ([`spawn_keeper`]): a killed
    // instance's jobs come back to the others within a minute instead of the default quarter of an hour.
    let drain_engine = Engine::new(engine_store, settings, visma, clock.clone()).with_options(
        engine::EngineOptions {
            lease: KEPT_LEASE,
            ..engine::EngineOptions::default()
        },
    );
    let keep = Keep {
        owner: drain_engine.owner().to_owned(),
        draining: Arc::default(),
    };
    let idle = Duration::from_millis(config.poll.drain_idle_ms.max(10));
    let mut threads = vec![spawn_drain(
        drain_engine,
        wake_rx,
        idle,
        keep.draining.clone(),
        stop.clone(),
    )];
    if let Some(woo) = followup_woo {
        threads.push(spawn_followups(cell.clone(), woo, follow_rx, stop.clone()));
    }
    if let Some(woo) = poll_woo {
        threads.push(spawn_poller(
            cell.clone(),
            woo,
            config.clone(),
            keep.owner.clone(),
            stop.clone(),
        ));
    }
    Ok((cell, keep, threads))
}

/// A request's headers must arrive within this (a client that stops half way is cut off).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// No connection lives longer than this: a delivery is one short request (WooCommerce closes after it).
const CONNECTION_LIMIT: Duration = Duration::from_secs(60);

/// Serves `app` until `stop` fires. Each connection is HTTP/1 with a header-read timeout and a lifetime limit;
/// the body's own timeout is in the receiver.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut stop => return,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            if tokio::time::timeout(CONNECTION_LIMIT, connection)
                .await
                .is_err()
            {
                tracing::warn!("a connection outlived its limit and was closed");
            }
        });
    }
}

/// How long one drain call may start new jobs before the loop looks at the stop flag again.
const DRAIN_SLICE_SECS: i64 = 2;

/// Issue #16: how long a store's drain lease lasts without renewal (each drain slice renews it): the time
/// another instance waits to take over from one that died.
const DRAIN_LEASE: Duration = Duration::from_secs(15);

fn spawn_drain(
    engine: Engine,
    wake: Receiver<()>,
    idle: Duration,
    draining: Arc<AtomicBool>,
    stop: Arc<Stop>,
) -> JoinHandle<()> {
    // Leases are held under the engine's own name, the one its job leases carry.
    let me = engine.owner().to_owned();
    std::thread::spawn(move || {
        // Until when this instance is known to hold the lease: renewed at half its life, not at every turn (a
        // hundred stores on a few instances would otherwise write a lease row per store many times a second).
        let mut held_until: Option<chrono::DateTime<chrono::Utc>> = None;
        let half =
            chrono::Duration::from_std(DRAIN_LEASE / 2).unwrap_or(chrono::Duration::seconds(7));
        while !stop.is_set() {
            // One instance at a time sends a store's jobs (its rate limiter is the company's budget); the others
            // keep queueing webhooks and polls and look again now and then, to take over from one that died.
            let now = engine.now();
            if held_until.is_none_or(|until| until - now < half) {
                match engine
                    .store()
                    .hold_lease(InstanceLease::Drain, &me, now, DRAIN_LEASE)
                {
                    Ok(true) => {
                        held_until = chrono::Duration::from_std(DRAIN_LEASE)
                            .ok()
                            .map(|d| now + d);
                        draining.store(true, Ordering::SeqCst);
                    }
                    Ok(false) => {
                        held_until = None;
                        draining.store(false, Ordering::SeqCst);
                        if stop.wait(DRAIN_LEASE / 5) {
                            break;
                        }
                        continue;
                    }
                    Err(e) => {
                        held_until = None;
                        draining.store(false, Ordering::SeqCst);
                        tracing::error!(error = %e, "drain lease failed");
                        if stop.wait(idle) {
                            break;
                        }
                        continue;
                    }
                }
            }
            // Issue #15: short slices, so a stop (Ctrl-C, SIGTERM) is seen within seconds: no new job starts
            // after the slice's deadline; the job in flight ends or comes back after its lease.
            let slice = engine.now() + chrono::Duration::seconds(DRAIN_SLICE_SECS);
            match engine.drain(100, Some(slice)) {
                Ok(r)
                    if r.posted
                        + r.adopted
                        + r.already_posted
                        + r.skipped
                        + r.edited_after_posting
                        + r.failed
                        > 0 =>
                {
                    continue
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "drain failed"),
            }
            match wake.recv_timeout(idle) {
                Ok(()) => while wake.try_recv().is_ok() {},
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // A stopping instance hands over at once instead of after the lease runs out.
        if let Err(e) = engine.store().release_lease(InstanceLease::Drain, &me) {
            tracing::warn!(error = %e, "drain lease not released");
        }
    })
}

fn spawn_followups(
    cell: Arc<Cell>,
    woo: WooClient,
    rx: Receiver<Followup>,
    stop: Arc<Stop>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.is_set() {
            let Ok(f) = rx.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let mut report = poller::PollReport::default();
            match poller::queue_refunds(
                &cell,
                &woo,
                f.order_id,
                &f.order_payload,
                JobSource::Webhook,
                &mut report,
            ) {
                Ok(()) if report.queued > 0 => cell.wake(),
                Ok(()) => {}
                // The poller sees the order (its refunds changed its date_modified) and fetches them again.
                Err(e) => {
                    tracing::warn!(store = %cell.id, order = f.order_id, error = %e, "refunds not fetched")
                }
            }
        }
    })
}

fn spawn_poller(
    cell: Arc<Cell>,
    woo: WooClient,
    config: ServiceConfig,
    owner: String,
    stop: Arc<Stop>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut right = PollRight::new(&config, owner);
        let delivery_url = config.delivery_url(&cell.id);
        let p = &config.poll;
        let own = config.store(&cell.id).and_then(|s| s.poll_schedule.clone());
        let health_every =
            chrono::Duration::seconds(i64::try_from(p.health_secs.max(1)).unwrap_or(3600));
        let (mut next_poll, mut next_health) = (cell.now(), cell.now());
        let (mut polling, mut found_by_poll) = (false, 0);
        loop {
            let now = cell.now();
            // Issue #16: the health check lists the shop's webhooks; on a shared database only the instance that
            // polls the store does it (the others look again at each health tick, to take over from a dead one).
            if now >= next_health && !right.take(&cell, &config) {
                next_health = now + health_every;
            } else if now >= next_health {
                let was = polling;
                polling = health::check(&cell, &woo, &delivery_url, found_by_poll);
                found_by_poll = 0;
                next_health = now + health_every;
                if polling && !was {
                    // Webhooks just stopped: catch up at once rather than at the next reconciliation.
                    next_poll = now;
                }
            }
            if now >= next_poll {
                let found = if right.take(&cell, &config) {
                    poll_once(&cell, &woo, p)
                } else {
                    0
                };
                // While polling, "silent" cannot be told apart from normal polling; it is judged in webhook mode.
                found_by_poll = if polling { 0 } else { found };
                // Validated at load time; an unparsable schedule falls back to the plain interval.
                let schedule = p.schedule_for(own.as_deref(), polling).unwrap_or(
                    super::schedule::Schedule::Every(Duration::from_secs(p.every_secs.max(1))),
                );
                next_poll = schedule.next_after(now, rand::random::<f64>());
            }
            let due = next_poll.min(next_health);
            let wait = (due - cell.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(10));
            if stop.wait(wait) {
                right.release(&cell);
                return;
            }
        }
    })
}

/// One poll of orders and customers; returns how many documents only the poll brought.
fn poll_once(cell: &Cell, woo: &WooClient, p: &super::config::PollConfig) -> u64 {
    let overlap = Duration::from_secs(p.overlap_secs);
    let lookback = Duration::from_secs(p.initial_lookback_hours.saturating_mul(3600));
    let mut found = 0;
    match poller::poll_orders(cell, woo, overlap, lookback) {
        Ok(r) => {
            found += r.queued;
            tracing::info!(store = %cell.id, seen = r.orders_seen, queued = r.queued, "orders polled");
        }
        Err(e) => tracing::warn!(store = %cell.id, error = %e, "order poll failed"),
    }
    match poller::poll_customers(cell, woo) {
        Ok(r) => found += r.queued,
        Err(e) => tracing::warn!(store = %cell.id, error = %e, "customer poll failed"),
    }
    found
}
