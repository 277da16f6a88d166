//! The HTTP exchange under the Visma client: reqwest's async client, driven on the calling thread by a
//! current-thread Tokio runtime of its own.
//!
//! Issue #8: reqwest's blocking client hands every request to its own runtime thread and waits for the answer
//! (two thread wake-ups per call, and the body streamed across threads). In the overhead-ceiling bench that hand-off
//! was the largest share of the connector's CPU after SQLite. Driving the same client here makes each call a plain
//! function call on the engine's thread. It also means the client starts no thread of its own: nothing to lose
//! across `fork()` in PHP-FPM (a host name lookup still runs on Tokio's blocking pool, started on first use).
//!
//! Must not: be called from inside another Tokio runtime (`block_on` would panic); the engine, the CLI and the PHP
//! worker call the Visma client from plain threads.

use reqwest::header::HeaderMap;
use std::time::Duration;

/// One answer: status and headers, and the body or the error that cut it short.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Result<Vec<u8>, reqwest::Error>,
}

/// An HTTP client with the runtime that drives it.
pub(crate) struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    /// A client that never follows redirects (a redirect would carry the bearer token or the client secret to
    /// another host), with `timeout` for connecting and for each whole exchange.
    ///
    /// # Errors
    /// A message when the runtime or the client cannot be built.
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("could not start the HTTP runtime: {e}"))?;
        // The connection pool's background work is spawned on the runtime in force while the client is built.
        let _entered = runtime.enter();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        drop(_entered);
        Ok(Self { runtime, client })
    }

    /// The client, for building requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` and reads the whole answer on this thread.
    ///
    /// # Errors
    /// The transport error when no status line arrived (refused, reset, timed out).
    pub fn execute(&self, request: reqwest::Request) -> Result<Answer, reqwest::Error> {
        self.runtime.block_on(async {
            let response = self.client.execute(request).await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map(|b| b.to_vec());
            Ok(Answer {
                status,
                headers,
                body,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// One request on a plain socket: the exchange returns the status, headers and body, keeps the connection
    /// for the next call, and reports a refused connection as a connect error.
    #[test]
    fn answers_on_the_calling_thread_and_reuses_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            for n in 0..2 {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    let got = stream.read(&mut buf).expect("read");
                    assert!(got > 0, "client closed the kept-alive connection");
                    seen.extend_from_slice(&buf[..got]);
                }
                let body = format!("answer {n}");
                let reply = format!(
                    "HTTP/1.1 201 Created\r\nx-ratelimit-remaining: 7\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(reply.as_bytes()).expect("write");
            }
        });
        let http = Http::new(Duration::from_secs(5)).expect("client");
        for n in 0..2 {
            let request = http
                .client()
                .get(format!("http://{addr}/v1/thing"))
                .build()
                .expect("request");
            let answer = http.execute(request).expect("answer");
            assert_eq!(answer.status, 201);
            assert_eq!(
                answer
                    .headers
                    .get("x-ratelimit-remaining")
                    .and_then(|v| v.to_str().ok()),
                Some("7")
            );
            assert_eq!(
                answer.body.expect("body"),
                format!("answer {n}").into_bytes()
            );
        }
        server.join().expect("one connection served both calls");
        let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
        let gone = closed.local_addr().expect("addr");
        drop(closed);
        let request = http
            .client()
            .get(format!("http://{gone}/"))
            .build()
            .expect("request");
        match http.execute(request) {
            Err(e) => assert!(e.is_connect(), "{e}"),
            Ok(a) => panic!("a closed port answered {}", a.status),
        }
    }
}
