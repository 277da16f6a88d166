//! Test support for the Visma client suites: a scripted HTTP/1.1 server on 127.0.0.1 (std TCP, one thread) that
//! answers the token endpoint with fresh tokens and every other request from a queue of canned replies — used
//! where exact bytes matter (non-JSON and malformed bodies, dropped connections, hangs) — plus a manual clock.
//!
//! No network beyond 127.0.0.1; the only real waiting is a `Hang` reply, for timeout tests.
#![allow(dead_code)]

pub mod sim;

use chrono::{DateTime, Utc};
use ml_connector::clock::ManualClock;
use ml_connector::secret::Secret;
use ml_connector::visma::{Client, Config};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One canned answer.
#[derive(Debug, Clone)]
pub enum Canned {
    /// Status, extra headers, body.
    Reply(u16, Vec<(String, String)>, String),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Read the request, wait this long (real time), then answer 200 `[]`.
    Hang(Duration),
}

/// Shorthand for a JSON reply.
pub fn json(status: u16, body: &str) -> Canned {
    Canned::Reply(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.into(),
    )
}

/// Shorthand for a reply with headers and a JSON body.
pub fn with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> Canned {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    h.push(("Content-Type".into(), "application/json".into()));
    Canned::Reply(status, h, body.into())
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    token: VecDeque<Canned>,
    api: VecDeque<Canned>,
    seen: Vec<Seen>,
    tokens_issued: u32,
}

/// The scripted server. Token requests (`POST /connect/token`) are answered from the token script, or by default
/// with `{"access_token":"tok-N","expires_in":3600}`; other requests from the API script, or 599 when it is empty.
pub struct Scripted {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = script.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { addr, script }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues API answers.
    pub fn push(&self, replies: impl IntoIterator<Item = Canned>) {
        self.script.lock().expect("script lock").api.extend(replies);
    }

    /// Queues token-endpoint answers (used before the default).
    pub fn push_token(&self, replies: impl IntoIterator<Item = Canned>) {
        self.script
            .lock()
            .expect("script lock")
            .token
            .extend(replies);
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().expect("script lock").seen.clone()
    }

    /// Requests to the API (not the token endpoint).
    pub fn api_seen(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| !s.target.starts_with("/connect/token"))
            .collect()
    }

    /// Requests to the token endpoint.
    pub fn token_seen(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.target.starts_with("/connect/token"))
            .collect()
    }

    /// A config for this server with the demo credentials and company.
    pub fn config(&self) -> Config {
        Config::visma_net("demo-client", Secret::new("demo-secret"), "demo-tenant")
            .with_urls(
                format!("{}/connect/token", self.base_url()),
                self.base_url(),
                self.base_url(),
            )
            .with_company_id("1234567")
    }
}

fn serve(stream: TcpStream, script: &Mutex<Script>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut stream = stream;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let seen = Seen {
        method,
        target: target.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let canned = {
        let mut s = script.lock().expect("script lock");
        s.seen.push(seen);
        if target.starts_with("/connect/token") {
            s.tokens_issued += 1;
            let n = s.tokens_issued;
            s.token.pop_front().unwrap_or_else(|| {
                json(
                    200,
                    &format!(
                        r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            })
        } else {
            s.api
                .pop_front()
                .unwrap_or_else(|| json(599, r#"{"Message":"script exhausted"}"#))
        }
    };
    let (status, extra, body) = match canned {
        Canned::Drop => return,
        Canned::Hang(d) => {
            std::thread::sleep(d);
            (
                200,
                vec![("Content-Type".to_owned(), "application/json".to_owned())],
                "[]".to_owned(),
            )
        }
        Canned::Reply(status, extra, body) => (status, extra, body),
    };
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

/// 2026-05-01T10:00:00Z.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
        .expect("valid literal")
        .with_timezone(&Utc)
}

/// A client on a manual clock with jitter fixed at 0.5, so backoff waits are exact.
pub fn client(config: Config) -> (Client, ManualClock) {
    let clock = ManualClock::new(start_time());
    let client = Client::new(config, Arc::new(clock.clone()))
        .expect("valid config")
        .with_jitter(|| 0.5);
    (client, clock)
}

/// Milliseconds the manual clock moved since [`start_time`].
pub fn waited_ms(clock: &ManualClock) -> i64 {
    use ml_connector::clock::Clock;
    (clock.now() - start_time()).num_milliseconds()
}
