//! The simulated market: the embedded default for `gridbot serve`.
//!
//! On creation it generates `history_days` of 1-minute candles for every
//! symbol ending at the clock's current minute, so charts, analysis and
//! recommendations work at once. [`SimMarket::spawn`] then keeps it running
//! on a tokio task: each minute's candle is generated at the start of the
//! minute and its four walk points are published at +0 s, +20 s, +40 s and
//! +59.999 s of market time (venue first, then ticks to subscribers), then
//! the closed candle. Market time runs `speed`× the [`Clock`].
//! [`SimMarket::step`] publishes the next minute at once (tests, tools).

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::generator::CandleGenerator;
use super::hub::{path_points, MarketHub};
use super::pacer::Pacer;
use super::symbols::{default_specs, SimSpec};
use crate::clock::Clock;
use crate::error::MarketDataError;
use crate::model::{Candle, Interval, Symbol, TimestampMs};
use crate::paper::PaperExchange;
use crate::ports::{MarketData, MarketSubscription};

const MINUTE: i64 = 60_000;

/// Settings of a simulated market.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimConfig {
    /// Seed of every random stream: the same seed gives the same candles.
    pub seed: u64,
    /// Days of 1-minute history generated up front (30 by default).
    pub history_days: u32,
    /// Market minutes per clock minute (1 = real time).
    pub speed: u32,
    /// The symbols.
    pub specs: Vec<SimSpec>,
}

impl Default for SimConfig {
    /// Seed 42, 30 days of history, real time, the default symbols.
    fn default() -> Self {
        SimConfig {
            seed: 42,
            history_days: 30,
            speed: 1,
            specs: default_specs(),
        }
    }
}

impl SimConfig {
    /// The same config with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The same config with another history length.
    pub fn with_history_days(mut self, days: u32) -> Self {
        self.history_days = days;
        self
    }

    /// The same config at another speed (≥ 1).
    pub fn with_speed(mut self, speed: u32) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// The same config with only the given symbols (those of the defaults).
    pub fn with_symbols(mut self, symbols: &[&str]) -> Self {
        self.specs.retain(|s| symbols.contains(&s.instrument.symbol.as_str()));
        self
    }
}

struct SimState {
    generators: Vec<(Symbol, CandleGenerator)>,
    next_ts: TimestampMs,
}

/// A seeded synthetic market that implements [`MarketData`] and drives a
/// [`PaperExchange`]; cheap to clone.
#[derive(Clone)]
pub struct SimMarket {
    hub: MarketHub,
    clock: Arc<dyn Clock>,
    speed: u32,
    state: Arc<Mutex<SimState>>,
}

impl std::fmt::Debug for SimMarket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimMarket")
            .field("hub", &self.hub)
            .field("speed", &self.speed)
            .finish()
    }
}

impl SimMarket {
    /// A market with `config.history_days` of history ending at the clock's
    /// current minute (exclusive).
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Result<Self, MarketDataError> {
        if config.specs.is_empty() {
            return Err(MarketDataError::NoData(
                "the simulated market needs at least one symbol".into(),
            ));
        }
        let hub = MarketHub::new();
        let now_minute = Interval::M1.floor(clock.now_ms());
        let minutes = i64::from(config.history_days) * 1_440;
        let start = now_minute - minutes * MINUTE;
        let mut generators = Vec::with_capacity(config.specs.len());
        for (i, spec) in config.specs.iter().enumerate() {
            let symbol = spec.instrument.symbol.clone();
            hub.add_symbol(spec.instrument.clone(), Interval::M1);
            let mut g = CandleGenerator::new(spec, config.seed, i as u64);
            let history: Vec<Candle> = (0..minutes).map(|m| g.next_candle(start + m * MINUTE)).collect();
            hub.extend_history(&symbol, history)?;
            if minutes == 0 {
                hub.publish_price(&symbol, g.last_close(), now_minute)?;
            }
            generators.push((symbol, g));
        }
        Ok(SimMarket {
            hub,
            clock,
            speed: config.speed.max(1),
            state: Arc::new(Mutex::new(SimState {
                generators,
                next_ts: now_minute,
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The market's history, prices and subscriptions.
    pub fn hub(&self) -> &MarketHub {
        &self.hub
    }

    /// Makes `venue` trade on this market (lists the instruments, gives it
    /// the last prices; from now on every price reaches it first).
    pub fn attach_venue(&self, venue: PaperExchange) -> Result<(), MarketDataError> {
        self.hub.attach_venue(venue)
    }

    /// Open time of the next candle to be generated.
    pub fn next_candle_ts(&self) -> TimestampMs {
        self.lock().next_ts
    }

    fn generate_minute(&self) -> (TimestampMs, Vec<(Symbol, Candle)>) {
        let mut st = self.lock();
        let ts = st.next_ts;
        st.next_ts += MINUTE;
        let candles = st
            .generators
            .iter_mut()
            .map(|(s, g)| (s.clone(), g.next_candle(ts)))
            .collect();
        (ts, candles)
    }

    /// Generates and publishes the next minute of every symbol at once;
    /// returns the candles.
    pub fn step(&self) -> Result<Vec<(Symbol, Candle)>, MarketDataError> {
        let (_, candles) = self.generate_minute();
        for (symbol, candle) in &candles {
            self.hub.publish_candle(symbol, *candle)?;
        }
        Ok(candles)
    }

    /// Runs the market in (accelerated) real time on a tokio task until the
    /// task is aborted.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.run().await })
    }

    async fn run(&self) {
        let pacer = Pacer::new(self.clock.clone(), self.speed, self.clock.now_ms());
        loop {
            let (_, candles) = self.generate_minute();
            let points: Vec<[(Decimal, TimestampMs); 4]> =
                candles.iter().map(|(_, c)| path_points(c, Interval::M1)).collect();
            for k in 0..4 {
                let Some(ts) = points.first().map(|p| p[k].1) else {
                    return;
                };
                pacer.wait_until(ts).await;
                for ((symbol, _), p) in candles.iter().zip(&points) {
                    if let Err(e) = self.hub.publish_price(symbol, p[k].0, p[k].1) {
                        tracing::warn!(%symbol, error = %e, "simulated price not published");
                    }
                }
            }
            for (symbol, candle) in &candles {
                if let Err(e) = self.hub.close_candle(symbol, *candle) {
                    tracing::warn!(%symbol, error = %e, "simulated candle not published");
                }
            }
        }
    }
}

#[async_trait]
impl MarketData for SimMarket {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        self.hub.subscribe(symbol)
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        self.hub.candles(symbol, interval, start, end)
    }

    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        self.hub.last_price(symbol)
    }

    fn symbols(&self) -> Vec<Symbol> {
        self.hub.symbols()
    }
}
