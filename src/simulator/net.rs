//! The socket side: binding, the background runtime, the running handle, and connections that can be cut on
//! purpose. A lost response (the duplicate trap) must look to the client like a network failure after the
//! server did the work, so each connection carries a kill switch: the handler flips it and hyper's write of the
//! answer fails, which closes the socket without a byte of the response sent.
//! Must not: block the caller's thread beyond start and shutdown, or leave the server running after drop.

use super::faults::Faults;
use super::routes;
use super::state::{Inspection, State, Store};
use super::{SimConfig, SimError};
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// What every request handler shares.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    state: Mutex<State>,
}

impl Shared {
    /// The state, even if a handler panicked while holding it (the data is still consistent per call).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The kill switch of one connection, handed to handlers as connect info.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    kill: Arc<AtomicBool>,
}

impl Conn {
    /// Makes the answer on this connection fail to write, so the client sees the connection drop.
    pub fn cut(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, KillListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub(crate) struct KillListener(TcpListener);

pub(crate) struct KillStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "simulated lost response")
}

impl AsyncRead for KillStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Listener for KillListener {
    type Io = KillStream;
    type Addr = Conn;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, _)) => {
                    let kill = Arc::new(AtomicBool::new(false));
                    return (
                        KillStream {
                            inner,
                            kill: kill.clone(),
                        },
                        Conn { kill },
                    );
                }
                // Out of file descriptors and the like: back off briefly, as axum's own listener does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr().map(|_| Conn {
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// A simulator serving in the background; dropping it (or [`RunningSimulator::shutdown`]) stops it.
pub struct RunningSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

pub(crate) fn start(config: SimConfig) -> Result<RunningSimulator, SimError> {
    for (name, value) in [
        ("fault_rate", config.fault_rate),
        ("lost_response_rate", config.lost_response_rate),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(SimError::Rate { name, value });
        }
    }
    let store = match &config.state_file {
        Some(path) => Store::load(path).map_err(|source| SimError::State {
            path: path.clone(),
            source,
        })?,
        None => Store::default(),
    };
    let std_listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    std_listener
        .set_nonblocking(true)
        .map_err(SimError::Runtime)?;
    let addr = std_listener.local_addr().map_err(SimError::Runtime)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("visma-simulator")
        .enable_all()
        .build()
        .map_err(SimError::Runtime)?;
    let listener = {
        let _guard = runtime.enter();
        TcpListener::from_std(std_listener).map_err(SimError::Runtime)?
    };
    let state = State {
        store,
        tokens: HashMap::new(),
        tokens_issued: 0,
        window: Default::default(),
        faults: Faults {
            fault_rate: config.fault_rate,
            lost_response_rate: config.lost_response_rate,
            latency_ms: config.latency_ms,
            script: Default::default(),
        },
        rng: StdRng::seed_from_u64(config.seed ^ 0x05ee_d1d5),
        fault_rng: StdRng::seed_from_u64(config.seed),
        log: std::collections::VecDeque::new(),
        requests_seen: 0,
    };
    let shared = Arc::new(Shared {
        base_url: format!("http://{addr}"),
        config,
        state: Mutex::new(state),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = routes::router(shared.clone());
    let thread = std::thread::Builder::new()
        .name("visma-simulator".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                let serve = axum::serve(
                    KillListener(listener),
                    app.into_make_service_with_connect_info::<Conn>(),
                );
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
            // Idle keep-alive connections would hold a graceful shutdown forever; cut them.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
        })
        .map_err(SimError::Runtime)?;
    Ok(RunningSimulator {
        shared,
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningSimulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// ERP API root, e.g. `http://127.0.0.1:PORT` (routes `/v1/...`, `/v2/...`, `/API/controller/api/v1/...`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Visma Connect token endpoint: `{base}/connect/token`.
    pub fn token_url(&self) -> String {
        format!("{}/connect/token", self.shared.base_url)
    }

    /// SalesOrders v3 root: `{base}/api/v3/SalesOrders`.
    pub fn salesorders_url(&self) -> String {
        format!("{}/api/v3/SalesOrders", self.shared.base_url)
    }

    /// Inspection route: `{base}/_simulator/state`.
    pub fn inspect_url(&self) -> String {
        format!("{}/_simulator/state", self.shared.base_url)
    }

    /// A snapshot of everything stored and every request seen (secrets redacted).
    pub fn inspect(&self) -> Inspection {
        self.shared.lock().inspect()
    }

    /// Replaces the fault settings (rates, latency, script) from the next call on.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults = faults;
    }

    /// Queues one scripted fault after those already queued.
    pub fn push_fault(&self, fault: super::ScriptedFault) {
        self.shared.lock().faults.script.push_back(fault);
    }

    /// Stops serving and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    /// Signals the server to stop and joins its thread (idempotent).
    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}
