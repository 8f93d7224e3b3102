//! `gridbot serve` for end-to-end tests: the real binary on embedded
//! defaults (paper exchange, simulated market, SQLite) in a temporary data
//! folder, killed on drop; the demo user's login; JSON calls.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `gridbot serve`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The data folder.
    pub data: tempfile::TempDir,
    /// A client.
    pub http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `gridbot serve` with the simulated market at `sim_speed`
    /// market minutes per minute and waits until it answers.
    pub async fn start(sim_speed: u32) -> Server {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(data.path().join("serve.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gridbot"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data.path())
            .env("GRIDBOT_SIM_SPEED", sim_speed.to_string())
            .env_remove("GRIDBOT_SECRET_KEY")
            .env_remove("GRIDBOT_DB")
            .env_remove("GRIDBOT_EXCHANGE")
            .env_remove("GRIDBOT_MARKET")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data,
            http: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(r) = server.http.get(format!("{}/healthz", server.base)).send().await {
                if r.status().is_success() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "gridbot serve did not come up: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("serve.log")).unwrap_or_default()
    }

    /// The demo user's password.
    pub fn demo_password(&self) -> String {
        demo_password(self.data.path())
    }

    /// Logs the demo user in; the access token.
    pub async fn login(&self) -> String {
        let v: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": "demo", "password": self.demo_password()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// Calls `method path` with the token and an optional JSON body; the
    /// status and the JSON answer (Null when empty).
    pub async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }
}

/// The demo user's password from the data folder.
pub fn demo_password(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("demo-login.txt")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_owned()
}
