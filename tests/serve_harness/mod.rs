//! A harness that runs what a user runs: the real `gridbot serve` binary on
//! a data folder, driven over HTTP on 127.0.0.1, killed for real (SIGKILL)
//! and started again on the same folder and database.
//!
//! Decisions (the tests' rules, in one place):
//! - **Seed**: `GRIDBOT_TORTURE_SEED` (decimal), else a fixed default, so CI
//!   is reproducible; every test prints the seed it used.
//! - **The exchange's view** is `GET /api/v1/account/exchange`: every fill
//!   the venue reports (paged with `fills_after` = the previous page's
//!   `fills_next`, 5000 a page), its open orders, positions and `now_ms`.
//!   A venue fill belongs to the bot its client id names
//!   ([`ClientOrderId::bot`]).
//! - **What is booked** is read from the store itself (the same database the
//!   process writes, opened with `gridbot_store::open`): every fill record
//!   and order record of the bot. The HTTP API shows at most 200 trades and
//!   no fill ids, so it cannot prove "exactly once"; the bot's stored stats
//!   (fees, realised PnL, fill count) are read over HTTP
//!   (`GET /api/v1/multibot/bots/{id}`), as a user sees them.
//! - **Trading again after a restart** is observed as: the bot's stored
//!   stats move (its `last_price` or its `fills` count in
//!   `GET /api/v1/multibot/bots/{id}` differ from what the first answer of
//!   the restarted process showed). Stats are written only by the bot's
//!   runner, through its fenced lease, whenever a price it processed moves
//!   them; a runner that waits for a lease or never resumed writes nothing.
//!   The idle time is measured from the first HTTP answer of the restarted
//!   process.
//! - **Market time** is `now_ms` of the exchange view; the harness records
//!   every value it reads, per process life.

#![allow(dead_code)]

#[path = "../../gridbot-store/tests/common/pg.rs"]
pub mod pg;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridbot::core::model::{BotId, ClientOrderId};
use gridbot::core::ports::Store;
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The default seed when `GRIDBOT_TORTURE_SEED` is not set.
pub const DEFAULT_SEED: u64 = 20_261_206;

/// The seed of this run (printed).
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("GRIDBOT_TORTURE_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED);
    println!("[{test}] seed {seed} (set GRIDBOT_TORTURE_SEED to replay another)");
    seed
}

/// A seeded random source (ChaCha8: the same numbers on every platform).
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A uniformly random duration in `[lo_ms, hi_ms]`.
pub fn millis(rng: &mut ChaCha8Rng, lo_ms: u64, hi_ms: u64) -> Duration {
    Duration::from_millis(rng.gen_range(lo_ms..=hi_ms))
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// Where the bots' database lives.
pub enum Db {
    /// SQLite in the data folder (serve's default).
    Sqlite,
    /// A throwaway PostgreSQL schema.
    Postgres(pg::PgSchema),
}

impl Db {
    /// A fresh PostgreSQL schema; `None` (skip) when no server answers
    /// outside CI.
    pub async fn postgres() -> Option<Db> {
        pg::PgSchema::create().await.map(Db::Postgres)
    }

    /// The `--db` flag value for a data folder.
    pub fn url(&self, data: &Path) -> String {
        match self {
            Db::Sqlite => format!("sqlite://{}?mode=rwc", data.join("gridbot.db").display()),
            Db::Postgres(s) => s.url.clone(),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Drops the PostgreSQL schema.
    pub async fn finish(self) {
        if let Db::Postgres(s) = self {
            s.finish().await;
        }
    }
}

/// How to start one `gridbot serve`.
#[derive(Clone)]
pub struct ServeConfig {
    /// The data folder.
    pub data: PathBuf,
    /// The `--db` URL.
    pub db: String,
    /// The port (kept across restarts).
    pub port: u16,
    /// `--sim-speed`.
    pub sim_speed: u32,
    /// More flags.
    pub extra: Vec<String>,
    /// Environment variables set for the process.
    pub env: Vec<(String, String)>,
}

impl ServeConfig {
    /// `gridbot serve` on the simulated market at 60× with `db`, its data
    /// in `data`, on a free port.
    pub fn sim(db: &Db, data: &Path) -> ServeConfig {
        ServeConfig {
            data: data.to_path_buf(),
            db: db.url(data),
            port: free_port(),
            sim_speed: 60,
            extra: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// A running `gridbot serve` process.
pub struct Serve {
    child: Option<Child>,
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// When the process was spawned.
    pub spawned: Instant,
    /// When it first answered `/healthz`.
    pub ready: Instant,
    /// Its data folder.
    pub data: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The tail of a serve log (for failure messages).
pub fn log_tail(data: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(data.join("serve.log")).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Serve {
    /// Spawns `gridbot serve` and waits (≤ 120 s) until `/healthz` answers.
    pub async fn start(cfg: &ServeConfig) -> Serve {
        std::fs::create_dir_all(&cfg.data).expect("data folder");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(cfg.data.join("serve.log"))
            .expect("serve.log");
        let spawned = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_gridbot"))
            .args(["serve", "--addr", &format!("127.0.0.1:{}", cfg.port), "--data-dir"])
            .arg(&cfg.data)
            .args(["--db", &cfg.db, "--sim-speed", &cfg.sim_speed.to_string()])
            .args(&cfg.extra)
            .env_remove("GRIDBOT_SECRET_KEY")
            .env_remove("GRIDBOT_EXCHANGE")
            .env_remove("GRIDBOT_MARKET")
            .env_remove("GRIDBOT_SIM_SPEED")
            .env_remove("GRIDBOT_DB")
            .env("RUST_LOG", "info")
            .envs(cfg.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn gridbot serve");
        let mut s = Serve {
            child: Some(child),
            base: format!("http://127.0.0.1:{}", cfg.port),
            spawned,
            ready: spawned,
            data: cfg.data.clone(),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", s.base)).send().await {
                if r.status().is_success() {
                    s.ready = Instant::now();
                    return s;
                }
            }
            if let Some(Ok(Some(status))) = s.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "serve exited with {status} before answering:\n{}",
                    log_tail(&cfg.data, 40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "serve did not come up in 120 s:\n{}",
                log_tail(&cfg.data, 40)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// kill -9, then reaps the process.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            // std's `Child::kill` sends SIGKILL on Unix.
            c.kill().expect("SIGKILL");
            let status = c.wait().expect("wait");
            assert!(!status.success(), "a killed process does not exit cleanly: {status}");
        }
    }

    /// SIGTERM, and waits (≤ 60 s) for a clean exit.
    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let ok = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "kill -TERM");
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(status)) = c.try_wait() {
                    assert!(status.success(), "serve exited with {status} on SIGTERM");
                    return;
                }
                assert!(Instant::now() < deadline, "serve did not stop in 60 s of SIGTERM");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// An HTTP client signed in as the demo user.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// The server.
    pub base: String,
    token: String,
}

/// One answer: status and JSON body (`Null` when not JSON).
pub type Answer = (StatusCode, Value);

impl Api {
    /// Signs in as `demo` with the password serve wrote to `login_dir`.
    pub async fn login(base: &str, login_dir: &Path) -> Api {
        let text = std::fs::read_to_string(login_dir.join("demo-login.txt")).expect("demo-login.txt");
        let password = text
            .lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("password line")
            .trim()
            .to_owned();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let v: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "demo", "password": password}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        let token = v["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("login: {v}"))
            .to_owned();
        Api {
            http,
            base: base.to_owned(),
            token,
        }
    }

    /// The same session against another server (same key: the token stays valid).
    pub fn at(&self, base: &str) -> Api {
        Api {
            http: self.http.clone(),
            base: base.to_owned(),
            token: self.token.clone(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let r = req.bearer_auth(&self.token).send().await?;
        let status = r.status();
        let body = r.bytes().await?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// GET; `Err` on a transport error (a killed server).
    pub async fn try_get(&self, path: &str) -> Result<Answer, reqwest::Error> {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    /// GET, expecting 200.
    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.try_get(path).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(s, StatusCode::OK, "GET {path}: {v}");
        v
    }

    /// POST with a JSON body.
    pub async fn try_post(&self, path: &str, body: &Value) -> Result<Answer, reqwest::Error> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// PUT with a JSON body.
    pub async fn try_put(&self, path: &str, body: &Value) -> Result<Answer, reqwest::Error> {
        self.send(self.http.put(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// DELETE.
    pub async fn try_delete(&self, path: &str) -> Result<Answer, reqwest::Error> {
        self.send(self.http.delete(format!("{}{path}", self.base))).await
    }

    /// A bot as `GET /multibot/bots/{id}` shows it.
    pub async fn bot(&self, id: i64) -> Value {
        self.get(&format!("/api/v1/multibot/bots/{id}")).await
    }

    /// The exchange's time, without its fills.
    pub async fn try_venue_now(&self) -> Result<i64, String> {
        let (s, v) = self
            .try_get("/api/v1/account/exchange?fills_since_ms=9000000000000000&fills_limit=1")
            .await
            .map_err(|e| e.to_string())?;
        if s != StatusCode::OK {
            return Err(format!("{s}: {v}"));
        }
        v["now_ms"].as_i64().ok_or_else(|| format!("no now_ms: {v}"))
    }

    /// The exchange's positions and open orders and time, without fills.
    pub async fn venue_light(&self) -> Venue {
        let v = self
            .get("/api/v1/account/exchange?fills_since_ms=9000000000000000&fills_limit=1")
            .await;
        Venue::from_json(&v, Vec::new())
    }

    /// The exchange's whole view: every fill (all pages).
    pub async fn venue(&self) -> Venue {
        let mut after: Option<String> = None;
        let mut fills = Vec::new();
        let mut first: Option<Value> = None;
        for _ in 0..10_000 {
            let mut path = "/api/v1/account/exchange?fills_limit=5000".to_owned();
            if let Some(a) = &after {
                path.push_str("&fills_after=");
                path.push_str(&urlencode(a));
            }
            let v = self.get(&path).await;
            for f in v["fills"].as_array().cloned().unwrap_or_default() {
                fills.push(VenueFill::from_json(&f));
            }
            after = v["fills_next"].as_str().map(str::to_owned);
            if first.is_none() {
                first = Some(v);
            }
            if after.is_none() {
                break;
            }
        }
        Venue::from_json(&first.unwrap_or(Value::Null), fills)
    }

    /// The symbols with price, tick and lot.
    pub async fn symbols(&self) -> Vec<(String, Decimal, Decimal, Decimal)> {
        let v = self.get("/api/v1/market/symbols").await;
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|x| !x["price"].is_null() && !x["tick_size"].is_null())
            .map(|x| {
                (
                    s(&x["symbol"]),
                    dec(&x["price"]),
                    dec(&x["tick_size"]),
                    dec(&x["lot_size"]),
                )
            })
            .collect()
    }

    /// Creates a neutral arithmetic grid of `grids` lines ±`pct` % around
    /// the price, started at once when `start`; returns the bot id.
    pub async fn create_grid(&self, symbol: &str, pct: Decimal, grids: u32, investment: Decimal, start: bool) -> i64 {
        let (_, price, tick, _) = self
            .symbols()
            .await
            .into_iter()
            .find(|x| x.0 == symbol)
            .unwrap_or_else(|| panic!("{symbol} not served"));
        let round = |p: Decimal| (p / tick).round() * tick;
        let lower = round(price * (Decimal::ONE - pct / Decimal::ONE_HUNDRED));
        let upper = round(price * (Decimal::ONE + pct / Decimal::ONE_HUNDRED));
        let body = json!({
            "config": {"symbol": symbol, "lower": lower.normalize().to_string(),
                       "upper": upper.normalize().to_string(), "grids": grids,
                       "investment": investment.to_string(), "leverage": 5},
            "start": start,
        });
        let (s, v) = self
            .try_post("/api/v1/grid-bot/create", &body)
            .await
            .expect("create grid");
        assert_eq!(s, StatusCode::CREATED, "create {symbol} grid {body}: {v}");
        v["id"].as_i64().unwrap_or_else(|| panic!("no id: {v}"))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A JSON string (or number) as text.
pub fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON decimal string (or number); zero when absent.
pub fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&s(v)).unwrap_or_default()
}

/// A fill as the exchange reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueFill {
    /// The exchange's fill id.
    pub fill_id: String,
    /// The order's client id.
    pub client_id: String,
    /// The contract.
    pub symbol: String,
    /// `buy` / `sell`.
    pub side: String,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Fee.
    pub fee: Decimal,
    /// Market time.
    pub ts: i64,
}

impl VenueFill {
    fn from_json(f: &Value) -> VenueFill {
        VenueFill {
            fill_id: s(&f["fill_id"]),
            client_id: s(&f["client_id"]),
            symbol: s(&f["symbol"]),
            side: s(&f["side"]),
            price: dec(&f["price"]),
            qty: dec(&f["qty"]),
            fee: dec(&f["fee"]),
            ts: f["ts_ms"].as_i64().unwrap_or(0),
        }
    }

    /// The bot its client id names.
    pub fn bot(&self) -> Option<i64> {
        ClientOrderId::new(self.client_id.clone()).bot().map(|b| b.0)
    }
}

/// The exchange's view.
#[derive(Debug, Clone)]
pub struct Venue {
    /// Market time.
    pub now_ms: i64,
    /// Non-flat positions (symbol, signed qty).
    pub positions: Vec<(String, Decimal)>,
    /// Resting orders (client id, symbol).
    pub open_orders: Vec<(String, String)>,
    /// Every fill.
    pub fills: Vec<VenueFill>,
}

impl Venue {
    fn from_json(v: &Value, fills: Vec<VenueFill>) -> Venue {
        Venue {
            now_ms: v["now_ms"].as_i64().unwrap_or(0),
            positions: v["positions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| (s(&p["symbol"]), dec(&p["qty"])))
                .collect(),
            open_orders: v["open_orders"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|o| (s(&o["client_id"]), s(&o["symbol"])))
                .collect(),
            fills,
        }
    }

    /// Resting orders of `bot`.
    pub fn orders_of(&self, bot: i64) -> Vec<String> {
        self.open_orders
            .iter()
            .filter(|(c, _)| ClientOrderId::new(c.clone()).bot().map(|b| b.0) == Some(bot))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// The position on `symbol` (zero when flat).
    pub fn position(&self, symbol: &str) -> Decimal {
        self.positions
            .iter()
            .find(|(s, _)| s == symbol)
            .map(|(_, q)| *q)
            .unwrap_or_default()
    }
}

/// Opens the database the process writes (for reading what is booked).
pub async fn open_store(url: &str) -> Arc<dyn Store> {
    gridbot_store::open(url).await.expect("open the store")
}

/// What the audit of one bot found.
#[derive(Debug, Default)]
pub struct BotAudit {
    /// The bot.
    pub bot: i64,
    /// Venue fills of the bot.
    pub venue_fills: usize,
    /// Booked fills of the bot.
    pub booked_fills: usize,
    /// Orders booked beyond their quantity: (client id, order qty, booked qty).
    pub overbooked: Vec<String>,
    /// Venue fills never booked.
    pub unbooked: Vec<String>,
    /// Booked fills the venue does not report.
    pub phantom: Vec<String>,
    /// Booked fills whose content differs from the venue's fill of that id.
    pub altered: Vec<String>,
    /// Fill ids the venue reports more than once.
    pub venue_duplicate_ids: Vec<String>,
    /// Stats that differ from the sums over the booked fills.
    pub stats: Vec<String>,
}

impl BotAudit {
    /// Count of every kind of mismatch.
    pub fn mismatches(&self) -> usize {
        self.overbooked.len()
            + self.unbooked.len()
            + self.phantom.len()
            + self.altered.len()
            + self.venue_duplicate_ids.len()
            + self.stats.len()
    }
}

/// Checks the money rules of every bot in `bots` against the venue:
/// no order booked beyond its quantity, every venue fill of the bot booked
/// exactly once (by fill id, with the venue's content), no booked fill
/// the venue does not report, and the bot's stored fees, position and fill
/// count equal the sums over its booked fills; once the bot is flat its
/// stored realised PnL equals the cash flow of its fills (Σ sells − Σ buys,
/// which is also the sum of the venue's per-fill realised PnL).
pub async fn audit(store: &dyn Store, api: &Api, venue: &Venue, bots: &[i64]) -> Vec<BotAudit> {
    let mut by_id: HashMap<&str, Vec<&VenueFill>> = HashMap::new();
    for f in &venue.fills {
        by_id.entry(f.fill_id.as_str()).or_default().push(f);
    }
    let mut out = Vec::new();
    for &bot in bots {
        let mut a = BotAudit {
            bot,
            ..BotAudit::default()
        };
        let mine: Vec<&VenueFill> = venue.fills.iter().filter(|f| f.bot() == Some(bot)).collect();
        a.venue_fills = mine.len();
        let mut seen = HashSet::new();
        for f in &mine {
            if !seen.insert(f.fill_id.as_str()) {
                a.venue_duplicate_ids.push(format!("{} ({})", f.fill_id, f.client_id));
            }
        }
        let booked = store
            .fills_for_bot(BotId(bot), 10_000_000)
            .await
            .expect("fills_for_bot");
        let orders = store.orders_for_bot(BotId(bot), false).await.expect("orders_for_bot");
        a.booked_fills = booked.len();
        let order_qty: HashMap<String, Decimal> = orders.iter().map(|o| (o.client_id.to_string(), o.qty)).collect();
        let mut per_order: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut booked_ids: HashMap<String, usize> = HashMap::new();
        let (mut fees, mut realized) = (Decimal::ZERO, Decimal::ZERO);
        for r in &booked {
            let f = &r.fill;
            *per_order.entry(f.client_id.to_string()).or_default() += f.qty;
            *booked_ids.entry(f.id.clone()).or_default() += 1;
            fees += f.fee;
            realized += f.realized_pnl;
            match by_id
                .get(f.id.as_str())
                .and_then(|v| v.iter().find(|x| x.bot() == Some(bot)))
            {
                None => a.phantom.push(format!(
                    "fill {} of {} ({} {} at {}, ts {})",
                    f.id,
                    f.client_id,
                    f.side.as_str(),
                    f.qty,
                    f.price,
                    f.ts
                )),
                Some(v) => {
                    if v.client_id != f.client_id.as_str() || v.qty != f.qty || v.price != f.price || v.fee != f.fee {
                        a.altered.push(format!("fill {}: booked {f:?}, venue {v:?}", f.id));
                    }
                }
            }
        }
        for (id, n) in &booked_ids {
            if *n > 1 {
                a.phantom.push(format!("fill {id} booked {n} times"));
            }
        }
        for (cid, qty) in &per_order {
            match order_qty.get(cid) {
                Some(q) if qty > q => a.overbooked.push(format!("{cid}: order {q}, booked {qty}")),
                None => a.overbooked.push(format!("{cid}: booked {qty} but no order record")),
                _ => {}
            }
        }
        for f in &mine {
            if !booked_ids.contains_key(&f.fill_id) {
                a.unbooked.push(format!(
                    "fill {} of {} ({} {} at {}, ts {})",
                    f.fill_id, f.client_id, f.side, f.qty, f.price, f.ts
                ));
            }
        }
        let view = api.bot(bot).await;
        let (vf, vr, vn) = (dec(&view["fees"]), dec(&view["realized_pnl"]), view["fills"].as_u64());
        let vq = dec(&view["position_qty"]);
        let signed = |f: &gridbot::core::model::Fill, x: Decimal| if f.side.as_str() == "buy" { x } else { -x };
        let held: Decimal = booked.iter().map(|r| signed(&r.fill, r.fill.qty)).sum();
        let cash: Decimal = booked.iter().map(|r| -signed(&r.fill, r.fill.qty * r.fill.price)).sum();
        if vf != fees {
            a.stats.push(format!("fees {vf} ≠ Σ fill fees {fees}"));
        }
        if vq != held {
            a.stats.push(format!("position_qty {vq} ≠ Σ signed fill qty {held}"));
        }
        // Realised PnL is a matter of accounting (grid pairs or average
        // cost) while a position is open; once flat every accounting gives
        // the cash flow of its fills, and the venue's own per-fill PnL too.
        // Average-cost accounting divides, leaving digits far below a cent
        // (28 significant digits); a doubled or lost fill moves the PnL by
        // at least a lot times a tick, many orders above this tolerance.
        if held.is_zero() && (vr - cash).abs() > pnl_tolerance() {
            a.stats.push(format!(
                "flat, but realized_pnl {vr} ≠ Σ sells − Σ buys {cash} (Σ fill realised PnL {realized})"
            ));
        }
        if vn != Some(booked.len() as u64) {
            a.stats.push(format!("fills {vn:?} ≠ {} booked", booked.len()));
        }
        out.push(a);
    }
    out
}

/// How far a flat bot's stored realised PnL may be from its fills' cash
/// flow: 10⁻⁹ USDT (rounding residue of average prices only).
pub fn pnl_tolerance() -> Decimal {
    Decimal::new(1, 9)
}

/// Prints the audit and returns the failure text (empty when all passed).
pub fn report(test: &str, audits: &[BotAudit]) -> String {
    let mut fail = String::new();
    for a in audits {
        println!(
            "[{test}] bot {}: venue fills {}, booked {}, mismatches {} (overbooked {}, unbooked {}, phantom {}, altered {}, venue duplicate ids {}, stats {})",
            a.bot,
            a.venue_fills,
            a.booked_fills,
            a.mismatches(),
            a.overbooked.len(),
            a.unbooked.len(),
            a.phantom.len(),
            a.altered.len(),
            a.venue_duplicate_ids.len(),
            a.stats.len()
        );
        let mut add = |what: &str, v: &[String]| {
            if !v.is_empty() {
                let shown: Vec<&String> = v.iter().take(5).collect();
                fail.push_str(&format!("bot {} {what} ({}): {shown:?}\n", a.bot, v.len()));
            }
        };
        add("orders booked beyond their quantity", &a.overbooked);
        add("venue fills not booked", &a.unbooked);
        add("booked fills the venue does not report (or booked twice)", &a.phantom);
        add("booked fills differing from the venue's", &a.altered);
        add("fill ids the venue reports twice", &a.venue_duplicate_ids);
        add("stored stats differing from the sums over its fills", &a.stats);
    }
    fail
}

/// Waits until `bot` reaches a final state (`stopped` or `error`), ≤ `within`.
pub async fn wait_final(api: &Api, bot: i64, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let v = api.bot(bot).await;
        let state = s(&v["state"]);
        if state == "stopped" || state == "error" || Instant::now() >= deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Market-time samples of one process life.
#[derive(Debug, Default, Clone)]
pub struct Clock {
    /// (life, now_ms) in reading order.
    pub samples: Vec<(usize, i64)>,
}

impl Clock {
    /// Reads and records `now_ms` (ignores a dead server).
    pub async fn sample(&mut self, api: &Api, life: usize) {
        if let Ok(t) = api.try_venue_now().await {
            self.samples.push((life, t));
        }
    }

    /// Every place market time went back: (life, before, after).
    pub fn backwards(&self) -> Vec<(usize, i64, i64)> {
        self.samples
            .windows(2)
            .filter(|w| w[1].1 < w[0].1)
            .map(|w| (w[1].0, w[0].1, w[1].1))
            .collect()
    }
}

/// Tests of one binary take turns: each runs a `gridbot serve` that wants
/// the 2 cores, and idle times measured under a second server's load
/// would measure the machine, not the restart.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
