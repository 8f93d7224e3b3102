//! The test harness: the real router on a loopback port over a memory store,
//! the real paper exchange and the real manager; the runner launcher, the
//! market data and the advisor are small test doubles documented below.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use gridbot_core::advisor::{BacktestOutcome, GridBacktester};
use gridbot_core::clock::{Clock, SystemClock};
use gridbot_core::grid::GridConfig;
use gridbot_core::manager::{BotLauncher, EventBus, MultiBotManager};
use gridbot_core::model::{AccountBalance, Bot, BotId, BotStatus, Candle, Instrument, Interval, Symbol, TimestampMs};
use gridbot_core::paper::{PaperConfig, PaperExchange};
use gridbot_core::ports::{Advisor, AdvisorRequest, MarketData, MarketSubscription, RecommendationSet, Store};
use gridbot_core::runner::RunnerError;
use gridbot_core::{AdvisorError, ExchangeError, MarketDataError};
use gridbot_http::accounts::{CredentialVerifier, PaperAccounts};
use gridbot_http::auth::limiter::AuthLimiter;
use gridbot_http::auth::tokens::TokenService;
use gridbot_http::metrics::Metrics;
use gridbot_http::secrets::{CredentialCipher, ExchangeCredentials};
use gridbot_http::services::Services;
use gridbot_http::AppState;

/// (symbol, tick, lot, price)
pub const MARKETS: [(&str, Decimal, Decimal, Decimal); 7] = [
    ("BTCUSDT", dec!(0.1), dec!(0.001), dec!(60000)),
    ("ETHUSDT", dec!(0.01), dec!(0.01), dec!(3000)),
    ("SOLUSDT", dec!(0.001), dec!(0.1), dec!(150)),
    ("XRPUSDT", dec!(0.0001), dec!(1), dec!(0.6)),
    ("DOGEUSDT", dec!(0.00001), dec!(1), dec!(0.15)),
    ("BNBUSDT", dec!(0.01), dec!(0.01), dec!(600)),
    ("ADAUSDT", dec!(0.0001), dec!(1), dec!(0.45)),
];

pub fn instruments() -> Vec<Instrument> {
    MARKETS
        .iter()
        .map(|(s, tick, lot, _)| {
            Instrument::new(
                Symbol::new(s).unwrap(),
                *tick,
                *lot,
                *lot,
                dec!(5),
                125,
                dec!(0.0002),
                dec!(0.0006),
                dec!(0.004),
            )
            .unwrap()
        })
        .collect()
}

/// Launcher double: marks a bot running on launch and stopped on stop
/// (the real runner is proven in gridbot-core; here only the HTTP layer is).
pub struct StatusLauncher {
    pub store: Arc<dyn Store>,
}

#[async_trait]
impl BotLauncher for StatusLauncher {
    async fn launch(&self, bot: Bot) -> Result<(), RunnerError> {
        Ok(self
            .store
            .set_bot_status(bot.id, BotStatus::Running, None, SystemClock.now_ms())
            .await?)
    }
    async fn stop(&self, bot: Bot) -> Result<(), RunnerError> {
        Ok(self
            .store
            .set_bot_status(bot.id, BotStatus::Stopped, None, SystemClock.now_ms())
            .await?)
    }
    fn is_running(&self, _bot: BotId) -> bool {
        false
    }
}

/// Market data double: the venue's last prices and a deterministic wave of
/// candles around them.
pub struct VenueMarket {
    pub venue: Arc<PaperExchange>,
}

#[async_trait]
impl MarketData for VenueMarket {
    async fn subscribe(&self, _symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        Ok(MarketSubscription::new(futures::stream::empty(), None))
    }
    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let p = self
            .venue
            .last_price(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        let mut out = Vec::new();
        let mut ts = interval.floor(start);
        let mut i = 0i64;
        while ts < end {
            let wave = Decimal::from((i % 20) - 10) / dec!(1000);
            let open = p * (Decimal::ONE + wave);
            let close = p * (Decimal::ONE + wave + dec!(0.001));
            out.push(Candle {
                ts,
                open,
                high: close * dec!(1.002),
                low: open * dec!(0.998),
                close,
                volume: dec!(10),
            });
            ts += interval.millis();
            i += 1;
        }
        Ok(out)
    }
    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        self.venue
            .last_price(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))
    }
    fn symbols(&self) -> Vec<Symbol> {
        MARKETS.iter().map(|m| Symbol::new(m.0).unwrap()).collect()
    }
}

/// Advisor double: one recommendation per risk level around the last close.
pub struct FixedAdvisor;

#[async_trait]
impl Advisor for FixedAdvisor {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let last = request
            .candles
            .last()
            .ok_or_else(|| AdvisorError::NotEnoughData("no candles".into()))?
            .close;
        let rec = |name: &str, risk: &str, width: Decimal, grids: u32, lev: u32| {
            json!({
                "name": name, "risk_level": risk, "mode": "neutral", "spacing": "arithmetic",
                "lower": (last * (Decimal::ONE - width)).round_dp(1), "upper": (last * (Decimal::ONE + width)).round_dp(1),
                "grids": grids, "leverage": lev, "expected_roi_30d": "4.2", "backtest_days": "7", "roi_pct": "1.0",
                "apr_pct": "52", "max_drawdown_pct": "3.1", "round_trips": 12, "min_investment": "50",
                "backtest_investment": "1000", "recommended_duration": "3-7 days", "liquidation_price": null,
                "description": "test", "roi_curve": [[request.now - 1000, "0"], [request.now, "1.0"]]
            })
        };
        let v = json!({
            "analysis": {
                "symbol": request.symbol().to_string(), "current_price": last, "high_24h": last, "low_24h": last,
                "change_24h_pct": "0", "trend": "sideways", "volatility_24h_pct": 1.0, "volatility_annual_pct": 30.0,
                "atr_pct": 0.5, "support": [], "resistance": [], "candles": request.candles.len()
            },
            "recommendations": [
                rec("Conservative", "conservative", dec!(0.15), 10, 2),
                rec("Moderate", "moderate", dec!(0.10), 20, 3),
                rec("Aggressive", "aggressive", dec!(0.05), 40, 5),
            ],
            "source": "test", "fallback_reason": null, "generated_at": request.now
        });
        serde_json::from_value(v).map_err(|e| AdvisorError::Upstream(e.to_string()))
    }
}

/// Backtester double: reports the candle span and a flat curve, or
/// refuses configs with more than 100 grids (the real one is proven in
/// gridbot-core; here only the route's mapping is).
pub struct SpanBacktester;

impl GridBacktester for SpanBacktester {
    fn backtest(
        &self,
        config: &GridConfig,
        _instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestOutcome, AdvisorError> {
        if config.grids > 100 {
            return Err(AdvisorError::NoViableGrid("too many grids".into()));
        }
        let (first, last) = (candles[0].ts, candles[candles.len() - 1].ts);
        Ok(BacktestOutcome {
            days: Decimal::from(last - first) / Decimal::from(86_400_000),
            roi_pct: dec!(1.5),
            apr_pct: dec!(78),
            max_drawdown_pct: dec!(2),
            round_trips: 3,
            liquidated: false,
            equity_curve: vec![(first, config.investment), (last, config.investment * dec!(1.015))],
        })
    }
}

/// Credential verifier double: key `good-key` passes with a 1234 USDT balance.
pub struct KeyVerifier;

#[async_trait]
impl CredentialVerifier for KeyVerifier {
    async fn verify(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        if creds.api_key == "good-key" {
            Ok(AccountBalance::new(dec!(1234), dec!(1234), dec!(0)))
        } else {
            Err(ExchangeError::Auth("40009 sign signature error".into()))
        }
    }
}

/// A running app.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub venue: Arc<PaperExchange>,
    pub metrics: Arc<Metrics>,
    /// The manager's event bus (what runners publish on).
    pub events: EventBus,
}

pub struct Options {
    pub login_burst: u32,
    pub register_burst: u32,
    /// Login attempts per address across names (spraying limit).
    pub login_ip_burst: u32,
    /// Store URL (`memory` by default).
    pub db: String,
    /// The router's tuning (the production default unless a test needs
    /// e.g. a summary cache that never expires on its own).
    pub router: gridbot_http::RouterConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            login_burst: 1000,
            register_burst: 1000,
            login_ip_burst: 1000,
            db: "memory".into(),
            router: gridbot_http::RouterConfig::default(),
        }
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(opts: Options) -> TestApp {
    let store = gridbot_store::open(&opts.db).await.unwrap();
    for t in gridbot_core::templates::default_templates() {
        store.upsert_template(&t).await.unwrap();
    }
    spawn_on(store, opts).await
}

/// The app over a given store (templates not seeded).
pub async fn spawn_on(store: Arc<dyn Store>, opts: Options) -> TestApp {
    let venue = Arc::new(PaperExchange::with_instruments(PaperConfig::default(), instruments()));
    let now = SystemClock.now_ms();
    for (s, _, _, p) in MARKETS {
        venue.on_price(&Symbol::new(s).unwrap(), p, now).unwrap();
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let accounts = Arc::new(PaperAccounts::new(venue.clone(), dec!(10000), Arc::new(KeyVerifier)));
    let launcher = Arc::new(StatusLauncher { store: store.clone() });
    let events = EventBus::new();
    let manager = Arc::new(MultiBotManager::new(
        store.clone(),
        accounts.clone(),
        launcher,
        clock.clone(),
        events.clone(),
    ));
    let metrics = Arc::new(Metrics::default());
    let key = [42u8; 32];
    let state = AppState {
        store: store.clone(),
        clock,
        accounts,
        tokens: Arc::new(TokenService::new(&key)),
        cipher: Arc::new(CredentialCipher::new(&key)),
        limiter: Arc::new(
            AuthLimiter::new(opts.login_burst, opts.register_burst).with_login_ip_burst(opts.login_ip_burst),
        ),
        metrics: metrics.clone(),
        services: Services {
            manager,
            market: Arc::new(VenueMarket { venue: venue.clone() }),
            advisor: Arc::new(FixedAdvisor),
            backtester: Arc::new(SpanBacktester),
        },
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = gridbot_http::router_with(state, opts.router).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        store,
        venue,
        metrics,
        events,
    }
}

impl TestApp {
    /// Sends a request; returns the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Registers `name` and returns its access token.
    pub async fn user(&self, name: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"username": name, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["access_token"].as_str().unwrap().to_owned()
    }
}

/// Asserts the error envelope and returns its code.
pub fn error_code(v: &Value) -> &str {
    let e = &v["error"];
    assert!(e["message"].is_string(), "no error envelope: {v}");
    assert!(e["details"].is_object(), "details must be an object: {v}");
    assert!(e.get("field").is_some(), "no field: {v}");
    e["code"].as_str().unwrap()
}
