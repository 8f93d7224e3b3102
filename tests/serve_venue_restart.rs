//! The durable paper venue through the real binary: `gridbot serve`
//! (SQLite, paper exchange, simulated market at 60×) trades a narrow grid,
//! is killed with SIGKILL, and starts again on the same data folder. Every
//! fill the exchange view showed before the kill is still there with the
//! same id and contents, no fill id repeats, and the market's time did not
//! go back. (A bigger torture test of the same promise runs elsewhere.)

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serve {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log(data: &Path) -> String {
    std::fs::read_to_string(data.join("serve.log")).unwrap_or_default()
}

async fn serve(data: &Path) -> Serve {
    let port = free_port();
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("serve.log"))
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--sim-speed",
            "60",
            "--data-dir",
        ])
        .arg(data)
        .env_remove("GRIDBOT_SECRET_KEY")
        .env_remove("GRIDBOT_DB")
        .env_remove("GRIDBOT_EXCHANGE")
        .env_remove("GRIDBOT_MARKET")
        .env_remove("GRIDBOT_SIM_SPEED")
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let s = Serve {
        child,
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = s.http.get(format!("{}/healthz", s.base)).send().await {
            if r.status().is_success() {
                return s;
            }
        }
        assert!(Instant::now() < deadline, "serve did not come up:\n{}", log(data));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

impl Serve {
    async fn login(&self, data: &Path) -> String {
        let text = std::fs::read_to_string(data.join("demo-login.txt")).unwrap();
        let password = text.lines().find_map(|l| l.strip_prefix("password: ")).unwrap().trim();
        let v: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": "demo", "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// The exchange's own view: `(now_ms, fills by id)`.
    async fn exchange(&self, token: &str) -> (i64, Vec<Value>) {
        let (s, v) = self
            .call(
                reqwest::Method::GET,
                "/api/v1/account/exchange?fills_limit=5000",
                token,
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        (v["now_ms"].as_i64().unwrap(), v["fills"].as_array().unwrap().clone())
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

fn by_id(fills: &[Value]) -> HashMap<String, Value> {
    let map: HashMap<String, Value> = fills
        .iter()
        .map(|f| (f["fill_id"].as_str().unwrap().to_owned(), f.clone()))
        .collect();
    assert_eq!(map.len(), fills.len(), "no fill id repeats: {fills:?}");
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_survive_kill_9_with_their_ids_and_the_market_never_goes_back() {
    let data = tempfile::tempdir().unwrap();
    let first = serve(data.path()).await;
    let token = first.login(data.path()).await;
    let (s, symbols) = first
        .call(reqwest::Method::GET, "/api/v1/market/symbols", &token, None)
        .await;
    assert_eq!(s, 200, "{symbols}");
    let price = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["symbol"] == "BTCUSDT")
        .map(|v| number(&v["price"]))
        .unwrap();
    let (s, grid) = first
        .call(
            reqwest::Method::POST,
            "/api/v1/grid-bot/create",
            &token,
            Some(json!({
                "symbol": "BTCUSDT", "grid_type": "arithmetic",
                "price_range_lower": (price * 0.996).round(), "price_range_upper": (price * 1.004).round(),
                "grid_count": 12, "leverage": 2, "investment_ratio": 20
            })),
        )
        .await;
    assert_eq!(s, 201, "{grid}");
    let id = grid["id"].as_i64().unwrap();
    let (s, v) = first
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/grid-bot/{id}/start"),
            &token,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Trade until the exchange shows a few fills.
    let deadline = Instant::now() + Duration::from_secs(240);
    let (before_now, before) = loop {
        let (now, fills) = first.exchange(&token).await;
        if fills.len() >= 4 {
            break (now, fills);
        }
        assert!(Instant::now() < deadline, "no fills in time:\n{}", log(data.path()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let seen = by_id(&before);
    // kill -9: no shutdown, no last save.
    drop(first);

    let second = serve(data.path()).await;
    let token = second.login(data.path()).await;
    let (after_now, after) = second.exchange(&token).await;
    assert!(
        after_now >= before_now,
        "market time went back: {after_now} < {before_now}"
    );
    let kept = by_id(&after);
    for (fill_id, f) in &seen {
        assert_eq!(
            kept.get(fill_id),
            Some(f),
            "fill {fill_id} shown before the kill is kept as it was"
        );
    }
    // It trades on: new fills get new ids, the old ones stay.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (now, fills) = second.exchange(&token).await;
        assert!(now >= after_now);
        let all = by_id(&fills);
        for (fill_id, f) in &seen {
            assert_eq!(all.get(fill_id), Some(f));
        }
        if all.len() > kept.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no fill after the restart:\n{}",
            log(data.path())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let text = log(data.path());
    assert!(text.contains("restored from the store's journal"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}
