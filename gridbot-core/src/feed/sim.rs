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
//!
//! # Resuming after a restart
//!
//! The market is a pure function of its seed, its symbols and its
//! *origin* (the open time of the first generated candle). After every
//! walk point it gives the attached venue a feed mark (see
//! [`PaperExchange::set_feed_mark`]): `{"kind": "sim", "seed", "symbols",
//! "origin", "candle", "points"}`, where `points` of candle `candle` were
//! published. A durable venue journals the mark with the prices it walked,
//! so [`SimMarket::open`] resumes exactly there: the generators are run
//! from the origin to that candle (the history kept is the last
//! `history_days`), the points already published are skipped, and market
//! time continues from that point, never going back. The cost of a resume
//! grows with the market time since the origin (about a second per few
//! hundred thousand candles). A mark of another seed or symbol set is
//! ignored: the market then starts afresh at the later of the clock's
//! time and the venue's time.

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
    /// Walk points of the candle at `next_ts` already published before a
    /// restart (skipped once).
    skip_points: usize,
}

/// What identifies a simulated market's candles (see the module docs).
#[derive(Debug, Clone)]
struct Identity {
    seed: u64,
    symbols: Vec<String>,
    origin: TimestampMs,
}

/// A seeded synthetic market that implements [`MarketData`] and drives a
/// [`PaperExchange`]; cheap to clone.
#[derive(Clone)]
pub struct SimMarket {
    hub: MarketHub,
    clock: Arc<dyn Clock>,
    speed: u32,
    identity: Arc<Identity>,
    /// Resumed from a venue's mark: market time continues from the mark.
    resumed: bool,
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
        let now_minute = Interval::M1.floor(clock.now_ms());
        Self::new_at(config, clock, now_minute)
    }

    /// A market for `venue`: resumed where the venue's feed mark says
    /// (see the module docs), else new, starting at the later of the
    /// clock's current minute and the minute after the venue's time.
    pub fn open(
        config: SimConfig,
        clock: Arc<dyn Clock>,
        venue: Option<&PaperExchange>,
    ) -> Result<Self, MarketDataError> {
        let mark = venue.and_then(PaperExchange::feed_mark);
        if let Some(m) = mark.as_ref().and_then(|m| SimMark::parse(m, &config)) {
            return Self::resume(config, clock, m);
        }
        if mark.is_some() {
            tracing::warn!("the paper venue's market mark is not this simulated market's (seed or symbols changed): starting afresh");
        }
        let mut start = Interval::M1.floor(clock.now_ms());
        if let Some(v) = venue {
            let now = v.now();
            if now > 0 {
                start = start.max(Interval::M1.floor(now) + MINUTE);
            }
        }
        Self::new_at(config, clock, start)
    }

    fn check(config: &SimConfig) -> Result<(), MarketDataError> {
        if config.specs.is_empty() {
            return Err(MarketDataError::NoData(
                "the simulated market needs at least one symbol".into(),
            ));
        }
        Ok(())
    }

    fn identity(config: &SimConfig, origin: TimestampMs) -> Identity {
        Identity {
            seed: config.seed,
            symbols: config.specs.iter().map(|s| s.instrument.symbol.to_string()).collect(),
            origin,
        }
    }

    /// A market whose first live candle opens at `start` (a minute), with
    /// `config.history_days` of history before it.
    pub fn new_at(config: SimConfig, clock: Arc<dyn Clock>, start: TimestampMs) -> Result<Self, MarketDataError> {
        Self::check(&config)?;
        let hub = MarketHub::new();
        let now_minute = Interval::M1.floor(start);
        let minutes = i64::from(config.history_days) * 1_440;
        let origin = now_minute - minutes * MINUTE;
        let mut generators = Vec::with_capacity(config.specs.len());
        for (i, spec) in config.specs.iter().enumerate() {
            let symbol = spec.instrument.symbol.clone();
            hub.add_symbol(spec.instrument.clone(), Interval::M1);
            let mut g = CandleGenerator::new(spec, config.seed, i as u64);
            let history: Vec<Candle> = (0..minutes).map(|m| g.next_candle(origin + m * MINUTE)).collect();
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
            identity: Arc::new(Self::identity(&config, origin)),
            resumed: false,
            state: Arc::new(Mutex::new(SimState {
                generators,
                next_ts: now_minute,
                skip_points: 0,
            })),
        })
    }

    /// The market of `mark`, at the point it stood (see the module docs).
    fn resume(config: SimConfig, clock: Arc<dyn Clock>, mark: SimMark) -> Result<Self, MarketDataError> {
        Self::check(&config)?;
        let hub = MarketHub::new();
        // A candle whose four points were all published is history; else
        // its remaining points are published first.
        let (next, skip) = if mark.points >= 4 {
            (mark.candle + MINUTE, 0)
        } else {
            (mark.candle, mark.points)
        };
        let keep_from = next - i64::from(config.history_days.max(1)) * 1_440 * MINUTE;
        let mut generators = Vec::with_capacity(config.specs.len());
        for (i, spec) in config.specs.iter().enumerate() {
            let symbol = spec.instrument.symbol.clone();
            hub.add_symbol(spec.instrument.clone(), Interval::M1);
            let mut g = CandleGenerator::new(spec, config.seed, i as u64);
            let mut history = Vec::new();
            let mut ts = mark.origin;
            while ts < next {
                let c = g.next_candle(ts);
                if ts >= keep_from {
                    history.push(c);
                }
                ts += MINUTE;
            }
            hub.extend_history(&symbol, history)?;
            if skip > 0 {
                // The last point published: the venue's price, and the hub's.
                let candle = g.clone().next_candle(next);
                let (price, at) = path_points(&candle, Interval::M1)[skip - 1];
                hub.publish_price(&symbol, price, at)?;
            } else if history_is_empty(&hub, &symbol) {
                hub.publish_price(&symbol, g.last_close(), next)?;
            }
            generators.push((symbol, g));
        }
        tracing::info!(
            candle = mark.candle,
            points = mark.points,
            "simulated market resumed where the paper venue left it"
        );
        Ok(SimMarket {
            hub,
            clock,
            speed: config.speed.max(1),
            identity: Arc::new(Self::identity(&config, mark.origin)),
            resumed: true,
            state: Arc::new(Mutex::new(SimState {
                generators,
                next_ts: next,
                skip_points: skip,
            })),
        })
    }

    /// Tells the attached venue where the market stands: `points` walk
    /// points of the candle at `candle` are published.
    fn mark(&self, candle: TimestampMs, points: usize) {
        let Some(venue) = self.hub.venue() else {
            return;
        };
        let mark = serde_json::json!({
            "kind": "sim",
            "seed": self.identity.seed,
            "symbols": self.identity.symbols,
            "origin": self.identity.origin,
            "candle": candle,
            "points": points,
        });
        if let Err(e) = venue.set_feed_mark(mark) {
            tracing::warn!(error = %e, "the paper venue did not take the market's position");
        }
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

    /// The next minute's candles and how many of their walk points were
    /// already published (before a restart).
    fn generate_minute(&self) -> (TimestampMs, Vec<(Symbol, Candle)>, usize) {
        let mut st = self.lock();
        let ts = st.next_ts;
        st.next_ts += MINUTE;
        let skip = std::mem::take(&mut st.skip_points);
        let candles = st
            .generators
            .iter_mut()
            .map(|(s, g)| (s.clone(), g.next_candle(ts)))
            .collect();
        (ts, candles, skip)
    }

    /// Generates and publishes the next minute of every symbol at once;
    /// returns the candles.
    pub fn step(&self) -> Result<Vec<(Symbol, Candle)>, MarketDataError> {
        let (ts, candles, skip) = self.generate_minute();
        for (symbol, candle) in &candles {
            for (k, (p, at)) in path_points(candle, Interval::M1).into_iter().enumerate() {
                if k >= skip {
                    self.hub.publish_price(symbol, p, at)?;
                }
            }
        }
        self.mark(ts, 4);
        for (symbol, candle) in &candles {
            self.hub.close_candle(symbol, *candle)?;
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
        // Market time continues from the next point due (after a resume,
        // the first point not yet published), never from before it.
        let first = {
            let st = self.lock();
            let offsets = [0, 20_000, 40_000, 59_999, 60_000];
            st.next_ts + offsets[st.skip_points.min(4)]
        };
        let start = if self.resumed { first } else { self.clock.now_ms() };
        let pacer = Pacer::new(self.clock.clone(), self.speed, start);
        loop {
            let (ts, candles, skip) = self.generate_minute();
            let points: Vec<[(Decimal, TimestampMs); 4]> =
                candles.iter().map(|(_, c)| path_points(c, Interval::M1)).collect();
            for k in skip..4 {
                let Some(at) = points.first().map(|p| p[k].1) else {
                    return;
                };
                pacer.wait_until(at).await;
                for ((symbol, _), p) in candles.iter().zip(&points) {
                    if let Err(e) = self.hub.publish_price(symbol, p[k].0, p[k].1) {
                        tracing::warn!(%symbol, error = %e, "simulated price not published");
                    }
                }
                self.mark(ts, k + 1);
            }
            for (symbol, candle) in &candles {
                if let Err(e) = self.hub.close_candle(symbol, *candle) {
                    tracing::warn!(%symbol, error = %e, "simulated candle not published");
                }
            }
        }
    }
}

fn history_is_empty(hub: &MarketHub, symbol: &Symbol) -> bool {
    hub.last_candle_ts(symbol).is_none()
}

/// A simulated market's feed mark (see the module docs).
#[derive(Debug, Clone, Copy)]
struct SimMark {
    origin: TimestampMs,
    candle: TimestampMs,
    points: usize,
}

impl SimMark {
    /// The mark, when it is one of this config's market.
    fn parse(v: &serde_json::Value, config: &SimConfig) -> Option<SimMark> {
        if v.get("kind")?.as_str()? != "sim" || v.get("seed")?.as_u64()? != config.seed {
            return None;
        }
        let symbols: Vec<&str> = v
            .get("symbols")?
            .as_array()?
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        let ours: Vec<&str> = config.specs.iter().map(|s| s.instrument.symbol.as_str()).collect();
        if symbols != ours {
            return None;
        }
        let origin = v.get("origin")?.as_i64()?;
        let candle = v.get("candle")?.as_i64()?;
        let points = usize::try_from(v.get("points")?.as_u64()?).ok()?.min(4);
        ((candle - origin).rem_euclid(MINUTE) == 0 && candle >= origin).then_some(SimMark { origin, candle, points })
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
