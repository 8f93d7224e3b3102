//! Replaying a candle file as a live market (`--market replay:FILE.csv`).
//!
//! The first `history_candles` rows become history; the rest are played
//! with [`ReplayMarket::spawn`] in file time, paced on the [`Clock`] at
//! `speed`× (each candle's four walk points, venue first, then ticks, then
//! the closed candle), or one at a time with [`ReplayMarket::step`].
//! Timestamps are the file's. A gap in the file (a jump in time) is not
//! waited out: the next candle is played right away, and the jump in price
//! is walked by the venue like any move (orders in between fill at their
//! limit). When the file ends the market stays up with no new prices.
//!
//! The file's base interval is its most common row spacing (1 minute for
//! `*_1m.csv`); `candles()` aggregates to any multiple of it.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::csv::read_candles;
use super::hub::{path_points, MarketHub};
use super::pacer::Pacer;
use super::symbols::default_instrument;
use crate::clock::Clock;
use crate::error::MarketDataError;
use crate::model::{Candle, Instrument, Interval, Symbol, TimestampMs};
use crate::paper::PaperExchange;
use crate::ports::{MarketData, MarketSubscription};

/// Settings of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayConfig {
    /// The symbol; by default the first `…USDT` word of the file name.
    pub symbol: Option<Symbol>,
    /// Contract rules; by default the simulated market's rules for known
    /// symbols, else rules derived from the file (see [`generic_instrument`]).
    pub instrument: Option<Instrument>,
    /// Rows loaded as history before playing (7 days of 1-minute rows).
    pub history_candles: usize,
    /// Market time per clock time (1 = the file's pace).
    pub speed: u32,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        ReplayConfig {
            symbol: None,
            instrument: None,
            history_candles: 10_080,
            speed: 1,
        }
    }
}

impl ReplayConfig {
    /// The same config with another history length.
    pub fn with_history_candles(mut self, n: usize) -> Self {
        self.history_candles = n;
        self
    }

    /// The same config at another speed (≥ 1).
    pub fn with_speed(mut self, speed: u32) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// The same config for an explicit symbol.
    pub fn with_symbol(mut self, symbol: Symbol) -> Self {
        self.symbol = Some(symbol);
        self
    }
}

struct ReplayState {
    candles: Vec<Candle>,
    next: usize,
}

/// A candle file played as a market; cheap to clone.
#[derive(Clone)]
pub struct ReplayMarket {
    hub: MarketHub,
    clock: Arc<dyn Clock>,
    symbol: Symbol,
    base: Interval,
    speed: u32,
    state: Arc<Mutex<ReplayState>>,
}

impl std::fmt::Debug for ReplayMarket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayMarket")
            .field("symbol", &self.symbol)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The first `…USDT` word of a file name, e.g. `BTCUSDT` in `binance_BTCUSDT_1m.csv`.
pub fn symbol_from_path(path: &Path) -> Option<Symbol> {
    let stem = path.file_stem()?.to_str()?;
    stem.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.to_ascii_uppercase().ends_with("USDT") && w.len() > 4)
        .and_then(|w| Symbol::new(w).ok())
}

/// Rules for a symbol known only from its candles: the tick is the finest
/// decimal step among the first 1,000 prices, the lot and minimum 0.0001,
/// 5 USDT minimum value, 125x, 0.02 % / 0.06 % fees, 0.5 % maintenance.
pub fn generic_instrument(symbol: Symbol, candles: &[Candle]) -> Result<Instrument, MarketDataError> {
    let scale = candles
        .iter()
        .take(1_000)
        .flat_map(|c| [c.open, c.high, c.low, c.close])
        .map(|p| p.normalize().scale())
        .max()
        .unwrap_or(2);
    let d = Decimal::new;
    Instrument::new(
        symbol,
        d(1, scale),
        d(1, 4),
        d(1, 4),
        d(5, 0),
        125,
        d(2, 4),
        d(6, 4),
        d(5, 3),
    )
    .map_err(|e| MarketDataError::Malformed(format!("cannot derive contract rules from the file: {e}")))
}

/// The most common spacing of the rows, as an interval.
fn base_interval(candles: &[Candle], source: &str) -> Result<Interval, MarketDataError> {
    let mut counts: Vec<(i64, usize)> = Vec::new();
    for w in candles.windows(2) {
        let d = w[1].ts - w[0].ts;
        match counts.iter_mut().find(|(x, _)| *x == d) {
            Some((_, n)) => *n += 1,
            None => counts.push((d, 1)),
        }
    }
    let Some(&(spacing, _)) = counts.iter().max_by_key(|(d, n)| (*n, -*d)) else {
        return Ok(Interval::M1);
    };
    Interval::ALL
        .into_iter()
        .find(|i| i.millis() == spacing)
        .ok_or_else(|| {
            MarketDataError::Malformed(format!(
                "{source}: rows are mostly {spacing} ms apart, which is not a candle interval (1m, 3m, 5m, ... 1d)"
            ))
        })
}

impl ReplayMarket {
    /// Loads `path` and prepares the replay.
    pub fn from_csv(path: &Path, config: ReplayConfig, clock: Arc<dyn Clock>) -> Result<Self, MarketDataError> {
        let symbol = match config.symbol.clone().or_else(|| symbol_from_path(path)) {
            Some(s) => s,
            None => {
                return Err(MarketDataError::Malformed(format!(
                    "cannot tell the symbol from the file name {}; name it like BTCUSDT_1m.csv or give the symbol",
                    path.display()
                )))
            }
        };
        let candles = read_candles(path)?;
        Self::from_candles(symbol, candles, config, clock, &path.display().to_string())
    }

    /// Prepares a replay of `candles` (oldest first) for `symbol`; `source`
    /// names them in errors.
    pub fn from_candles(
        symbol: Symbol,
        candles: Vec<Candle>,
        config: ReplayConfig,
        clock: Arc<dyn Clock>,
        source: &str,
    ) -> Result<Self, MarketDataError> {
        if candles.is_empty() {
            return Err(MarketDataError::NoData(format!("{source} has no candles")));
        }
        let base = base_interval(&candles, source)?;
        let instrument = match config.instrument {
            Some(i) => i,
            None => match default_instrument(&symbol) {
                Some(i) => i,
                None => generic_instrument(symbol.clone(), &candles)?,
            },
        };
        let hub = MarketHub::new();
        hub.add_symbol(instrument, base);
        let split = config.history_candles.min(candles.len());
        hub.extend_history(&symbol, candles[..split].iter().copied())?;
        Ok(ReplayMarket {
            hub,
            clock,
            symbol,
            base,
            speed: config.speed.max(1),
            state: Arc::new(Mutex::new(ReplayState { candles, next: split })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ReplayState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The market's history, prices and subscriptions.
    pub fn hub(&self) -> &MarketHub {
        &self.hub
    }

    /// The replayed symbol.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Makes `venue` trade on this market.
    pub fn attach_venue(&self, venue: PaperExchange) -> Result<(), MarketDataError> {
        self.hub.attach_venue(venue)
    }

    /// Rows not played yet.
    pub fn remaining(&self) -> usize {
        let st = self.lock();
        st.candles.len() - st.next
    }

    /// Takes the next row and the one before it.
    fn take(&self) -> Option<(Candle, Option<Candle>)> {
        let mut st = self.lock();
        let c = *st.candles.get(st.next)?;
        let prev = st.next.checked_sub(1).and_then(|i| st.candles.get(i).copied());
        st.next += 1;
        Some((c, prev))
    }

    /// Plays the next row at once; `None` when the file is done.
    pub fn step(&self) -> Result<Option<Candle>, MarketDataError> {
        let Some((c, _)) = self.take() else {
            return Ok(None);
        };
        self.hub.publish_candle(&self.symbol, c)?;
        Ok(Some(c))
    }

    /// Plays the rest of the file on a tokio task, paced on the clock.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.run().await })
    }

    async fn run(&self) {
        let start = {
            let st = self.lock();
            st.candles.get(st.next).map(|c| c.ts)
        };
        let Some(start) = start else {
            return;
        };
        let mut pacer = Pacer::new(self.clock.clone(), self.speed, start);
        while let Some((c, prev)) = self.take() {
            if prev.is_some_and(|p| c.ts - p.ts > self.base.millis()) {
                pacer.rebase(c.ts);
            }
            for (price, ts) in path_points(&c, self.base) {
                pacer.wait_until(ts).await;
                if let Err(e) = self.hub.publish_price(&self.symbol, price, ts) {
                    tracing::warn!(symbol = %self.symbol, error = %e, "replayed price not published");
                }
            }
            if let Err(e) = self.hub.close_candle(&self.symbol, c) {
                tracing::warn!(symbol = %self.symbol, error = %e, "replayed candle not published");
            }
        }
    }
}

#[async_trait]
impl MarketData for ReplayMarket {
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
