//! Connections shared by every store a process opens on one PostgreSQL server (issue #16). The connector service
//! opens a store per shop, each with a handle for webhooks and one for sending: 100 shops on 4 instances would
//! be 800 connections, far past PostgreSQL's default `max_connections` of 100. A store takes a connection for
//! one statement or one transaction and gives it back, so a process holds only as many as run at once.

use super::super::DbError;
use postgres::{Client, Config, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Connections per process and server when the URL does not say (`?pool_size=N`).
pub const DEFAULT_SIZE: usize = 8;

/// One server connection and the statements prepared on it (by their translated SQL: stores with different
/// prefixes share the connection).
pub struct Conn {
    pub client: Client,
    pub statements: HashMap<String, Statement>,
    /// The pool's schema generation its statements were prepared in.
    generation: u64,
}

/// The connections of one server (URL and session limits).
pub struct Pool {
    config: Config,
    busy_wait: Duration,
    size: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    idle: Vec<Conn>,
    /// Connections out of the pool or idle in it.
    open: usize,
    /// Bumped by a schema change: statements prepared before it may name dropped tables.
    generation: u64,
}

/// Every live pool of the process by its key; a pool ends with the last store using it.
fn registry() -> &'static Mutex<HashMap<String, Weak<Pool>>> {
    static POOLS: OnceLock<Mutex<HashMap<String, Weak<Pool>>>> = OnceLock::new();
    POOLS.get_or_init(Mutex::default)
}

impl Pool {
    /// The pool of `key` (the URL without the store's own parameters, and the lock wait), made on first use.
    pub fn shared(key: &str, config: &Config, busy_wait: Duration, size: usize) -> Arc<Self> {
        let mut pools = registry().lock().unwrap_or_else(|e| e.into_inner());
        pools.retain(|_, p| p.strong_count() > 0);
        if let Some(pool) = pools.get(key).and_then(Weak::upgrade) {
            return pool;
        }
        let pool = Arc::new(Self {
            config: config.clone(),
            busy_wait,
            size: size.max(1),
            state: Mutex::default(),
            freed: Condvar::new(),
        });
        pools.insert(key.to_string(), Arc::downgrade(&pool));
        pool
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection, a new one while fewer than the size are open, or the next one given back within
    /// `wait`; past it [`DbError::PoolExhausted`] (retried like a busy lock).
    pub fn take(&self, wait: Duration) -> Result<Conn, DbError> {
        let deadline = Instant::now() + wait;
        let mut state = self.state();
        loop {
            while let Some(mut conn) = state.idle.pop() {
                if !conn.client.is_closed() {
                    if conn.generation != state.generation {
                        conn.statements.clear();
                        conn.generation = state.generation;
                    }
                    return Ok(conn);
                }
                // The server dropped it while idle.
                state.open = state.open.saturating_sub(1);
            }
            if state.open < self.size {
                state.open += 1;
                let generation = state.generation;
                drop(state);
                return match super::open(&self.config, self.busy_wait) {
                    Ok(client) => Ok(Conn {
                        client,
                        statements: HashMap::new(),
                        generation,
                    }),
                    Err(e) => {
                        self.forget();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DbError::PoolExhausted(self.size));
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Takes back a connection with no transaction open; a closed one is dropped.
    pub fn give(&self, conn: Conn) {
        if conn.client.is_closed() {
            self.forget();
            return;
        }
        self.state().idle.push(conn);
        self.freed.notify_one();
    }

    /// A connection taken out was dropped instead of given back (broken, or in a state no other store may
    /// inherit).
    pub fn forget(&self) {
        let mut state = self.state();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.freed.notify_one();
    }

    /// Tables were created, changed or dropped: every connection prepares its statements again.
    pub fn schema_changed(&self, conn: &mut Conn) {
        let mut state = self.state();
        state.generation += 1;
        conn.statements.clear();
        conn.generation = state.generation;
    }

    /// Connections open now (idle or taken), for tests.
    pub fn open_count(&self) -> usize {
        self.state().open
    }
}
