//! `ml-connector serve` and `ml-connector webhooks …` as an operator runs them: keys from the environment or
//! the encrypted store (via stdin), `install` creating the seven webhooks, `status` reporting them, a delivery
//! signed with the installed secret accepted by `serve`, and configuration errors exiting 2.

mod woo_sim;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use woo_sim::{WooSim, CK, CS};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ml-connector"))
}

fn write_config(dir: &std::path::Path, woo: &str, port: u16, key_env: bool) -> std::path::PathBuf {
    let keys = if key_env {
        "consumer_key_env = \"T_SHOP_CK\"\nconsumer_secret_env = \"T_SHOP_CS\"\n"
    } else {
        ""
    };
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\ndata_dir = \"data\"\n\
         [[stores]]\nid = \"shop\"\nurl = \"{woo}\"\nauth = \"basic\"\n{keys}visma_simulator = \"http://127.0.0.1:9\"\n"
    );
    let path = dir.join("service.toml");
    std::fs::write(&path, text).expect("config");
    path
}

#[test]
fn install_creates_seven_webhooks_and_status_reports_them() {
    let sim = WooSim::start(chrono::Utc::now());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &sim.base_url(), 8787, false);

    // No keys anywhere yet: a configuration error.
    let out = bin()
        .args(["webhooks", "install", "--config"])
        .arg(&config)
        .args(["--store", "shop"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Keys go in through stdin and are stored encrypted.
    let mut child = bin()
        .args(["webhooks", "keys", "--config"])
        .arg(&config)
        .args(["--store", "shop"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{CK}\n{CS}\n").as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
    let db = std::fs::read(dir.path().join("data/shop.sqlite")).expect("queue file");
    assert!(
        !db.windows(CS.len()).any(|w| w == CS.as_bytes()),
        "the secret is not stored in plain text"
    );

    let out = bin()
        .args(["webhooks", "install", "--config"])
        .arg(&config)
        .args(["--store", "shop"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hooks = sim.state().webhooks.clone();
    assert_eq!(hooks.len(), 7);
    assert!(hooks.iter().all(|h| h.status == "active"
        && h.delivery_url == "http://127.0.0.1:8787/webhooks/woocommerce/shop"));
    let secret = hooks.first().map(|h| h.secret.clone()).expect("hook");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&secret),
        "install never prints the secret"
    );

    let status = bin()
        .args(["webhooks", "status", "--config"])
        .arg(&config)
        .args(["--store", "shop"])
        .output()
        .expect("run");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("\"problems\": []") && !text.contains(&secret),
        "{text}"
    );

    if let Some(h) = sim.state().webhooks.get_mut(0) {
        h.status = "disabled".into();
    }
    let status = bin()
        .args(["webhooks", "status", "--config"])
        .arg(&config)
        .args(["--store", "shop"])
        .output()
        .expect("run");
    assert_eq!(status.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("order.created: webhook 1 is disabled")
    );
}

#[test]
fn serve_accepts_a_ping_and_refuses_a_bad_config() {
    let sim = WooSim::start(chrono::Utc::now());
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let config = write_config(dir.path(), &sim.base_url(), port, true);
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .env("T_SHOP_CK", CK)
        .env("T_SHOP_CS", CS)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");
    let reply = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{port}/webhooks/woocommerce/shop"))
        .body("webhook_id=3")
        .send()
        .expect("answer");
    assert_eq!(reply.status().as_u16(), 200);

    // Issue #15: a client that sends half a request is cut off (headers or body), not waited for.
    use std::io::{Read, Write};
    let half = |text: &'static str| {
        std::thread::spawn(move || {
            let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
            conn.set_read_timeout(Some(std::time::Duration::from_secs(60)))
                .expect("read timeout");
            conn.write_all(text.as_bytes()).expect("send half");
            let mut answer = String::new();
            let _ = conn.read_to_string(&mut answer); // returns when the service closes the connection
            answer
        })
    };
    let headers = half("POST /webhooks/woocommerce/shop HTTP/1.1\r\nHost: x\r\nX-WC-Webhook-To");
    let body = half(
        "POST /webhooks/woocommerce/shop HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"id\":",
    );
    assert_eq!(
        headers.join().expect("thread"),
        "",
        "closed without an answer"
    );
    assert!(
        body.join().expect("thread").starts_with("HTTP/1.1 408"),
        "the body timed out"
    );

    // SIGTERM (systemd, docker stop) stops it, as Ctrl-C does.
    let pid = child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopping")), "{rest:?}");
    assert!(child.wait().expect("exits").success());

    std::fs::write(&config, "public_url = \"x\"\n").expect("write");
    let out = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
