//! A fake Bitget for tests: an axum HTTP + WebSocket server on loopback
//! speaking Bitget's v2 JSON, verifying signatures and timestamps, matching
//! orders against a price path the test advances ([`FakeBitget::set_price`]),
//! and injecting faults on demand ([`faults::Faults`]).
//!
//! Compiled only with the `fake` cargo feature (tests, the CLI tests and the
//! bench enable it); production builds never include it.
//!
//! The fake lists BTCUSDT (tick 0.1, lot 0.0001, min 5 USDT, 125x) and
//! ETHUSDT (tick 0.01, lot 0.01, 100x), starts at 30000 / 2000 USDT with a
//! 100 000 USDT wallet in one-way position mode, and accepts only the keys
//! of [`FakeBitget::credentials`]. Like Bitget, its fill records carry no
//! client order id.

pub mod book;
pub mod faults;
mod http;
pub mod json;
mod trading;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gridbot_core::model::{Candle, OrderStatus, Symbol};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, watch};

use crate::common::credentials::Credentials;
use crate::config::BitgetConfig;
use book::{Book, BookEvent, FakeContract};
use faults::Faults;

/// The API key the fake accepts.
pub const FAKE_API_KEY: &str = "bg_fake_key_0001";
/// The secret the fake signs with.
pub const FAKE_SECRET: &str = "fake-secret-do-not-use";
/// The passphrase the fake accepts.
pub const FAKE_PASSPHRASE: &str = "fake-passphrase";

/// One HTTP request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET` / `POST`.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string as sent.
    pub query: String,
    /// The body as sent.
    pub body: String,
    /// Headers (lower-case names).
    pub headers: HashMap<String, String>,
}

impl RecordedRequest {
    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// WebSocket counters.
#[derive(Debug, Clone, Default)]
pub struct WsStats {
    /// Public connections opened.
    pub public_connects: u64,
    /// Private connections opened.
    pub private_connects: u64,
    /// Successful logins.
    pub logins: u64,
    /// Refused logins.
    pub login_failures: u64,
    /// Channels currently subscribed per open public connection.
    pub public_channels: HashMap<u64, usize>,
    /// Subscribe requests received on public connections.
    pub public_subscribe_args: u64,
    /// Unsubscribe requests received on public connections.
    pub public_unsubscribe_args: u64,
    /// Pings answered.
    pub pings: u64,
}

pub(crate) struct Shared {
    pub(crate) book: Mutex<Book>,
    pub(crate) faults: Faults,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) private_tx: broadcast::Sender<(&'static str, String)>,
    pub(crate) public_tx: broadcast::Sender<(String, &'static str, String)>,
    pub(crate) drop_private: watch::Sender<u64>,
    pub(crate) drop_public: watch::Sender<u64>,
    pub(crate) stats: Mutex<WsStats>,
    pub(crate) live_candles: Mutex<HashMap<String, Candle>>,
    pub(crate) next_conn: std::sync::atomic::AtomicU64,
}

pub(crate) fn now_ms() -> i64 {
    crate::http::client::now_ms()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Shared {
    /// Publishes book events on the private WebSocket.
    pub(crate) fn emit(&self, events: Vec<BookEvent>, product_type: &str, margin_coin: &str) {
        if events.is_empty() {
            return;
        }
        let now = now_ms();
        let book = lock(&self.book);
        for ev in events {
            let (channel, data) = match &ev {
                BookEvent::Order(o) => ("orders", json::order_push(o, &book, margin_coin)),
                BookEvent::Fill(f) => ("fill", json::fill(f, margin_coin)),
                BookEvent::Position(s) => ("positions", json::position(&book, s, margin_coin, now)),
            };
            let text = json::push(
                "snapshot",
                product_type,
                channel,
                "default",
                serde_json::json!([data]),
                now,
            );
            let _ = self.private_tx.send((channel, text));
        }
    }
}

/// A running fake Bitget. Stops when dropped.
pub struct FakeBitget {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for FakeBitget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBitget").field("addr", &self.addr).finish()
    }
}

impl Drop for FakeBitget {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

fn default_book() -> Book {
    let mut b = Book::new(Decimal::new(100_000, 0));
    b.pos_mode = "one_way_mode".to_owned();
    for c in [
        FakeContract {
            symbol: "BTCUSDT".into(),
            price_place: 1,
            volume_place: 4,
            size_multiplier: Decimal::new(1, 4),
            min_trade_num: Decimal::new(1, 4),
            min_trade_usdt: Decimal::new(5, 0),
            max_lever: 125,
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(6, 4),
        },
        FakeContract {
            symbol: "ETHUSDT".into(),
            price_place: 2,
            volume_place: 2,
            size_multiplier: Decimal::new(1, 2),
            min_trade_num: Decimal::new(1, 2),
            min_trade_usdt: Decimal::new(5, 0),
            max_lever: 100,
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(6, 4),
        },
    ] {
        b.contracts.insert(c.symbol.clone(), c);
    }
    b.prices.insert("BTCUSDT".into(), Decimal::new(30_000, 0));
    b.prices.insert("ETHUSDT".into(), Decimal::new(2_000, 0));
    b
}

impl FakeBitget {
    /// Starts a fake on `127.0.0.1` (a free port).
    pub async fn start() -> std::io::Result<Self> {
        let (private_tx, _) = broadcast::channel(65_536);
        let (public_tx, _) = broadcast::channel(65_536);
        let shared = Arc::new(Shared {
            book: Mutex::new(default_book()),
            faults: Faults::default(),
            requests: Mutex::new(Vec::new()),
            private_tx,
            public_tx,
            drop_private: watch::channel(0).0,
            drop_public: watch::channel(0).0,
            stats: Mutex::new(WsStats::default()),
            live_candles: Mutex::new(HashMap::new()),
            next_conn: std::sync::atomic::AtomicU64::new(1),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // Like a real server: no Nagle delay on small answers.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = http::router(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeBitget {
            addr,
            shared,
            stop: Some(stop),
        })
    }

    /// The keys the fake accepts.
    pub fn credentials() -> Credentials {
        Credentials::new(FAKE_API_KEY, FAKE_SECRET, FAKE_PASSPHRASE)
    }

    /// `http://127.0.0.1:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client configuration pointing at this fake, with its keys, short
    /// timings (1 s request timeout, 200 ms ping) and rate limits scaled ×100.
    pub fn config(&self) -> BitgetConfig {
        let mut c = BitgetConfig::with_base_url(&self.base_url(), Some(Self::credentials())).fast_for_tests();
        c.request_timeout = std::time::Duration::from_millis(1000);
        c.ws.ping_interval = std::time::Duration::from_millis(200);
        c.ws.idle_timeout = std::time::Duration::from_millis(1500);
        c.rate_limits = crate::http::rate_limit::RateLimitConfig::scaled(100);
        c
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Requests received to paths ending with `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.path.ends_with(path))
            .cloned()
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Runs `f` on the book (inspection or setup).
    pub fn with_book<R>(&self, f: impl FnOnce(&mut Book) -> R) -> R {
        f(&mut lock(&self.shared.book))
    }

    /// Current price of `symbol`.
    pub fn price(&self, symbol: &str) -> Decimal {
        self.with_book(|b| b.prices.get(symbol).copied().unwrap_or_default())
    }

    /// Moves the price (now), filling crossed orders and pushing events.
    pub fn set_price(&self, symbol: &str, price: Decimal) {
        self.set_price_at(symbol, price, now_ms());
    }

    /// Moves the price at market time `ts` (for the 1-minute candle pushes).
    pub fn set_price_at(&self, symbol: &str, price: Decimal, ts: i64) {
        let mut events = Vec::new();
        self.with_book(|b| b.set_price(symbol, price, now_ms(), &mut events));
        self.shared.emit(events, "USDT-FUTURES", "USDT");
        let now = now_ms();
        let ticker = serde_json::json!([{"instId": symbol, "lastPr": price.to_string(), "ts": ts.to_string(),
            "markPrice": price.to_string(), "indexPrice": price.to_string()}]);
        let _ = self.shared.public_tx.send((
            symbol.to_owned(),
            "ticker",
            json::push("snapshot", "USDT-FUTURES", "ticker", symbol, ticker, now),
        ));
        let candle = {
            let mut lc = lock(&self.shared.live_candles);
            let open_ts = ts - ts.rem_euclid(60_000);
            let c = lc.entry(symbol.to_owned()).or_insert(Candle {
                ts: open_ts,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: Decimal::ZERO,
            });
            if c.ts != open_ts {
                *c = Candle {
                    ts: open_ts,
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: Decimal::ZERO,
                };
            }
            c.high = c.high.max(price);
            c.low = c.low.min(price);
            c.close = price;
            c.volume += Decimal::ONE;
            *c
        };
        let row = serde_json::json!([json::candle_row(&candle)]);
        let _ = self.shared.public_tx.send((
            symbol.to_owned(),
            "candle1m",
            json::push("update", "USDT-FUTURES", "candle1m", symbol, row, now),
        ));
    }

    /// Seeds the candle history served by `candles`.
    pub fn seed_candles(&self, symbol: &str, candles: Vec<Candle>) {
        self.with_book(|b| {
            b.candles.insert(symbol.to_owned(), candles);
        });
    }

    /// How many orders were ever created with this client id (0 or 1: the
    /// fake refuses duplicates, so this proves "exactly once").
    pub fn orders_with_client_oid(&self, client_oid: &str) -> usize {
        self.with_book(|b| b.orders.values().filter(|o| o.client_oid == client_oid).count())
    }

    /// Resting orders of `symbol`.
    pub fn open_orders(&self, symbol: &str) -> usize {
        self.with_book(|b| {
            b.orders
                .values()
                .filter(|o| o.symbol == symbol && o.status == OrderStatus::Open)
                .count()
        })
    }

    /// Every fill's trade id, oldest first.
    pub fn fill_ids(&self) -> Vec<String> {
        self.with_book(|b| b.fills.iter().map(|f| f.trade_id.to_string()).collect())
    }

    /// Signed position size of `symbol`.
    pub fn position_qty(&self, symbol: &Symbol) -> Decimal {
        self.with_book(|b| b.positions.get(symbol.as_str()).map(|p| p.qty).unwrap_or_default())
    }

    /// Pushes a raw message on the private channel `channel` (`orders`,
    /// `fill`, `positions`) to every logged-in socket subscribed to it.
    pub fn push_private_raw(&self, channel: &'static str, text: String) {
        let _ = self.shared.private_tx.send((channel, text));
    }

    /// Closes every private WebSocket now.
    pub fn drop_private_sockets(&self) {
        self.shared.drop_private.send_modify(|g| *g += 1);
    }

    /// Closes every public WebSocket now.
    pub fn drop_public_sockets(&self) {
        self.shared.drop_public.send_modify(|g| *g += 1);
    }

    /// WebSocket counters.
    pub fn ws_stats(&self) -> WsStats {
        lock(&self.shared.stats).clone()
    }
}
