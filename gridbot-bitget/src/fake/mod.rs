//! A fake Bitget for tests: an axum HTTP + WebSocket server on loopback
//! speaking Bitget's classic v2 and unified v3 JSON, verifying signatures,
//! timestamps and the demo rules, matching orders against a price path the
//! test advances ([`FakeBitget::set_price`]), and injecting faults on demand
//! ([`faults::Faults`]).
//!
//! Compiled only with the `fake` cargo feature (tests, the CLI tests and the
//! bench enable it); production builds never include it.
//!
//! What it models (each rule is Bitget's, with the source in
//! `../shared/bitget/UTA.md` / `README.md`; where the real answer is unknown
//! the fake's choice is named):
//! - **Account kind** ([`FakeOptions::kind`]): a classic account answers the
//!   v2 private routes and refuses v3 private routes with 40084; a unified
//!   account answers v3 and refuses v2 private routes with 40085. Public
//!   market routes of both APIs answer either way. A private WebSocket login
//!   on the other kind's path is refused (code 30005: the fake's choice).
//! - **Demo rules** ([`FakeOptions::environment`]): a demo fake wants the
//!   header `paptrading: 1` on private requests, a live fake refuses it, and
//!   the header together with an `S`-prefixed product type is refused: all
//!   with 40099 "exchange environment is incorrect".
//! - **Modes**: position mode (one-way / hedge) and margin mode per symbol
//!   (`crossed` until set); switches are refused while positions or orders
//!   exist (v2 40920 / 45117, v3 25107; a unified isolated `set-leverage` on a
//!   busy cross symbol answers 25238, the fake's choice). Orders in hedge
//!   mode are refused (40774).
//! - **Candles** ([`candles`]): `candles` serves only the last
//!   [`FakeBitget::set_recent_days`] days, `history-candles` any age; row
//!   limits (1000 recent; 200 v2 / 100 v3 history) and the 90-day span are
//!   enforced; plain `6H`/`12H`/`1D` open on the UTC+8 grid, the `utc`
//!   variants on UTC; rows are built from the seeded candles.
//! - **Fees** in another coin ([`FakeBitget::pay_fees_in`]): fills report the
//!   fee in that coin (v2 with `deduction: yes`), the spot tickers serve its
//!   USDT price.
//!
//! The fake lists BTCUSDT (tick 0.1, lot 0.0001, min 5 USDT, 125x, first
//! tier 0.4 %) and ETHUSDT (tick 0.01, lot 0.01, 100x, first tier 1 %),
//! starts at 30000 / 2000 USDT with a 100 000 USDT wallet in one-way position
//! mode, and accepts only the keys of [`FakeBitget::credentials`]. Like
//! Bitget, its v2 fill records carry no client order id.

pub mod book;
pub mod candles;
pub mod faults;
mod http;
pub mod json;
mod options;
mod v2;
mod v3;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gridbot_core::model::{Candle, OrderStatus, Symbol};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, watch};

use crate::common::account::AccountKind;
use crate::common::credentials::Credentials;
use crate::common::urls::Environment;
use crate::config::BitgetConfig;
use book::{Book, BookEvent, FakeContract};
use faults::Faults;
pub(crate) use options::Knobs;
pub use options::{FakeOptions, WsStats};

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

pub(crate) struct Shared {
    pub(crate) options: FakeOptions,
    pub(crate) knobs: Mutex<Knobs>,
    pub(crate) book: Mutex<Book>,
    pub(crate) faults: Faults,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) private_tx: broadcast::Sender<(&'static str, String)>,
    /// (v3?, symbol, channel or topic, text).
    pub(crate) public_tx: broadcast::Sender<(bool, String, &'static str, String)>,
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
    /// Publishes book events on the private WebSocket of the account's kind.
    pub(crate) fn emit(&self, events: Vec<BookEvent>) {
        if events.is_empty() {
            return;
        }
        let now = now_ms();
        let book = lock(&self.book);
        let unified = self.options.kind == AccountKind::Unified;
        let mut touched = false;
        for ev in events {
            let (channel, text) = if unified {
                let (topic, data) = match &ev {
                    BookEvent::Order(o) => ("order", json::v3_order(o, &book, true)),
                    BookEvent::Fill(f) => ("fill", json::v3_fill(f, true)),
                    BookEvent::Position(s) => {
                        touched = true;
                        ("position", json::v3_position(&book, s, now, true))
                    }
                };
                let action = if topic == "position" { "update" } else { "snapshot" };
                (
                    topic,
                    json::v3_push(action, "UTA", topic, "", serde_json::json!([data]), now),
                )
            } else {
                let (channel, data) = match &ev {
                    BookEvent::Order(o) => ("orders", json::v2_order_push(o, &book)),
                    BookEvent::Fill(f) => ("fill", json::v2_fill(f)),
                    BookEvent::Position(s) => ("positions", json::v2_position(&book, s, now)),
                };
                (
                    channel,
                    json::v2_push(
                        "snapshot",
                        "USDT-FUTURES",
                        channel,
                        "default",
                        serde_json::json!([data]),
                        now,
                    ),
                )
            };
            let _ = self.private_tx.send((channel, text));
        }
        if unified && touched {
            let data = serde_json::json!([json::v3_assets(&book, true)]);
            let _ = self
                .private_tx
                .send(("account", json::v3_push("update", "UTA", "account", "", data, now)));
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

/// A contract's margin tiers as the fake lists them: `first` is the first tier's
/// maintenance margin rate, up to `max_lever`.
pub fn tiers(first: Decimal, max_lever: u32) -> Vec<book::Tier> {
    vec![
        (Decimal::ZERO, Decimal::new(50_000, 0), max_lever, first),
        (
            Decimal::new(50_000, 0),
            Decimal::new(200_000, 0),
            max_lever / 2,
            first * Decimal::TWO,
        ),
    ]
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
            tiers: tiers(Decimal::new(4, 3), 125),
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
            tiers: tiers(Decimal::new(1, 2), 100),
        },
    ] {
        b.contracts.insert(c.symbol.clone(), c);
    }
    b.prices.insert("BTCUSDT".into(), Decimal::new(30_000, 0));
    b.prices.insert("ETHUSDT".into(), Decimal::new(2_000, 0));
    b
}

impl FakeBitget {
    /// Starts a classic live fake on `127.0.0.1` (a free port).
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(FakeOptions::default()).await
    }

    /// Starts a unified (UTA) live fake.
    pub async fn unified() -> std::io::Result<Self> {
        Self::start_with(FakeOptions {
            kind: AccountKind::Unified,
            environment: Environment::Live,
        })
        .await
    }

    /// Starts a fake playing `options`.
    pub async fn start_with(options: FakeOptions) -> std::io::Result<Self> {
        let (private_tx, _) = broadcast::channel(65_536);
        let (public_tx, _) = broadcast::channel(65_536);
        let shared = Arc::new(Shared {
            options,
            knobs: Mutex::new(Knobs::default()),
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

    /// Which account and environment this fake plays.
    pub fn options(&self) -> FakeOptions {
        self.shared.options
    }

    /// A client configuration pointing at this fake, with its keys, its
    /// environment (demo mode for a demo fake), short timings (1 s request
    /// timeout, 200 ms ping) and rate limits scaled ×100.
    pub fn config(&self) -> BitgetConfig {
        let mut c = BitgetConfig::with_base_url(&self.base_url(), Some(Self::credentials())).fast_for_tests();
        if self.shared.options.environment == Environment::Demo {
            c = c.demo_mode();
        }
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
        self.shared.emit(events);
        let now = now_ms();
        let ticker = serde_json::json!([{"instId": symbol, "lastPr": price.to_string(), "ts": ts.to_string(),
            "markPrice": price.to_string(), "indexPrice": price.to_string()}]);
        let _ = self.shared.public_tx.send((
            false,
            symbol.to_owned(),
            "ticker",
            json::v2_push("snapshot", "USDT-FUTURES", "ticker", symbol, ticker, now),
        ));
        let ticker3 = serde_json::json!([{"lastPrice": price.to_string(), "ts": ts.to_string(),
            "markPrice": price.to_string(), "indexPrice": price.to_string()}]);
        let _ = self.shared.public_tx.send((
            true,
            symbol.to_owned(),
            "ticker",
            json::v3_push("snapshot", "usdt-futures", "ticker", symbol, ticker3, now),
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
            false,
            symbol.to_owned(),
            "candle1m",
            json::v2_push("update", "USDT-FUTURES", "candle1m", symbol, row, now),
        ));
        let kline = serde_json::json!([json::v3_kline(&candle)]);
        let _ = self.shared.public_tx.send((
            true,
            symbol.to_owned(),
            "kline",
            json::v3_push("update", "usdt-futures", "kline", symbol, kline, now),
        ));
    }

    /// Seeds the candle history served by `candles` and `history-candles`
    /// (any interval; coarser intervals are built from it, see [`candles`]).
    pub fn seed_candles(&self, symbol: &str, candles: Vec<Candle>) {
        self.with_book(|b| {
            b.candles.insert(symbol.to_owned(), candles);
        });
    }

    /// How many days back `candles` serves (default 30); older rows only
    /// come from `history-candles`.
    pub fn set_recent_days(&self, days: i64) {
        lock(&self.shared.knobs).recent_days = days;
    }

    /// Unified fake: refuse the `6Hutc`/`12Hutc`/`1Dutc` intervals (40020),
    /// as the docs (which do not list them) would have it.
    pub fn refuse_utc_intervals(&self, on: bool) {
        lock(&self.shared.knobs).refuse_utc_v3 = on;
    }

    /// Unified fake: refuse `marginMode` in `place-batch` items (40034), as
    /// the docs' parameter table would have it.
    pub fn refuse_batch_margin_mode(&self, on: bool) {
        lock(&self.shared.knobs).refuse_batch_margin_mode = on;
    }

    /// Unified fake: `account/settings` omits `holdMode` (as one live report says).
    pub fn hide_hold_mode_in_settings(&self, on: bool) {
        lock(&self.shared.knobs).settings_report_hold_mode = !on;
    }

    /// Classic fake: `orders-pending` without `status` lists partially
    /// filled orders too (the Chinese page's reading; default: live only).
    pub fn pending_lists_every_state(&self, on: bool) {
        lock(&self.shared.knobs).pending_live_only = !on;
    }

    /// Charges fees in `coin` (e.g. `BGB`), priced at `price` USDT on the
    /// spot tickers (`None`: Bitget lists no price for it).
    pub fn pay_fees_in(&self, coin: &str, price: Option<Decimal>) {
        self.with_book(|b| {
            b.fee_coin = coin.to_ascii_uppercase();
            match price {
                Some(p) => b.coin_prices.insert(b.fee_coin.clone(), p),
                None => b.coin_prices.remove(&b.fee_coin),
            };
            b.coin_balances
                .entry(b.fee_coin.clone())
                .or_insert(Decimal::new(1000, 0));
        });
    }

    /// Fills `qty` of the resting order `client_oid` at its price; false
    /// when there is no such open order.
    pub fn fill_partially(&self, client_oid: &str, qty: Decimal) -> bool {
        let mut events = Vec::new();
        let done = self.with_book(|b| b.fill_partially(client_oid, qty, now_ms(), &mut events));
        self.shared.emit(events);
        done
    }

    /// How many orders were ever created with this client id (0 or 1: the
    /// fake refuses duplicates, so this proves "exactly once").
    pub fn orders_with_client_oid(&self, client_oid: &str) -> usize {
        self.with_book(|b| b.orders.values().filter(|o| o.client_oid == client_oid).count())
    }

    /// Resting orders of `symbol` (open or partially filled).
    pub fn open_orders(&self, symbol: &str) -> usize {
        self.with_book(|b| {
            b.orders
                .values()
                .filter(|o| o.symbol == symbol && o.status.is_open())
                .count()
        })
    }

    /// Every order ever accepted: (client id, reduce-only, status).
    pub fn orders(&self) -> Vec<(String, bool, OrderStatus)> {
        self.with_book(|b| {
            b.orders
                .values()
                .map(|o| (o.client_oid.clone(), o.reduce_only, o.status))
                .collect()
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

    /// Pushes a raw message on the private channel `channel` (v2 `orders`,
    /// `fill`, `positions`; v3 `order`, `fill`, `position`, `account`) to
    /// every logged-in socket subscribed to it.
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
