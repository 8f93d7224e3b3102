//! The publishing side of a market: history, last prices, reference-counted
//! subscriptions, and the paper venue it drives.
//!
//! Invariants:
//! - Per symbol there is at most one broadcast channel, created by the first
//!   subscription and dropped when the last subscription is dropped
//!   ([`MarketHub::channel_count`] shows how many are open).
//! - Every price is given to the attached [`PaperExchange`] before any
//!   subscriber sees it, so a bot reacting to a tick or a candle finds the
//!   venue already up to date.
//! - History holds base candles (1 minute for the simulated market), oldest
//!   first, at most [`MAX_HISTORY`] of them per symbol.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use futures::StreamExt;
use rust_decimal::Decimal;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use super::aggregate::aggregate;
use crate::error::MarketDataError;
use crate::model::{Candle, Instrument, Interval, MarketEvent, Symbol, Tick, TimestampMs};
use crate::paper::fill_model::{candle_path, PATH_OFFSETS_MS};
use crate::paper::PaperExchange;
use crate::ports::MarketSubscription;

/// Most base candles kept per symbol (100 days of 1-minute candles).
pub const MAX_HISTORY: usize = 144_000;

/// Events buffered per symbol channel before a slow subscriber lags.
const CHANNEL_CAPACITY: usize = 1024;

struct Channel {
    tx: broadcast::Sender<MarketEvent>,
    subscribers: usize,
    generation: u64,
}

struct SymbolFeed {
    instrument: Instrument,
    base: Interval,
    history: VecDeque<Candle>,
    last: Option<(Decimal, TimestampMs)>,
    channel: Option<Channel>,
}

struct HubState {
    feeds: BTreeMap<Symbol, SymbolFeed>,
    venue: Option<PaperExchange>,
    generation: u64,
}

struct HubInner {
    state: Mutex<HubState>,
}

impl HubInner {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// History, last prices and subscriptions of a set of symbols; cheap to clone.
#[derive(Clone)]
pub struct MarketHub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for MarketHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketHub").field("symbols", &self.symbols()).finish()
    }
}

impl Default for MarketHub {
    fn default() -> Self {
        MarketHub::new()
    }
}

/// Decrements a symbol's subscriber count when a subscription is dropped.
struct SubscriptionGuard {
    hub: Weak<HubInner>,
    symbol: Symbol,
    generation: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let mut st = hub.lock();
        if let Some(feed) = st.feeds.get_mut(&self.symbol) {
            let release = match feed.channel.as_mut() {
                Some(ch) if ch.generation == self.generation => {
                    ch.subscribers = ch.subscribers.saturating_sub(1);
                    ch.subscribers == 0
                }
                _ => false,
            };
            if release {
                feed.channel = None;
            }
        }
    }
}

impl MarketHub {
    /// A hub with no symbols.
    pub fn new() -> Self {
        MarketHub {
            inner: Arc::new(HubInner {
                state: Mutex::new(HubState {
                    feeds: BTreeMap::new(),
                    venue: None,
                    generation: 0,
                }),
            }),
        }
    }

    /// Adds a symbol whose history is made of `base` candles.
    pub fn add_symbol(&self, instrument: Instrument, base: Interval) {
        let mut st = self.inner.lock();
        if let Some(v) = &st.venue {
            v.add_instrument(instrument.clone());
        }
        st.feeds.insert(
            instrument.symbol.clone(),
            SymbolFeed {
                instrument,
                base,
                history: VecDeque::new(),
                last: None,
                channel: None,
            },
        );
    }

    /// Appends history candles (oldest first) without telling anyone; sets
    /// the last price to the last close.
    pub fn extend_history(
        &self,
        symbol: &Symbol,
        candles: impl IntoIterator<Item = Candle>,
    ) -> Result<(), MarketDataError> {
        let mut st = self.inner.lock();
        let feed = st
            .feeds
            .get_mut(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        for c in candles {
            if !push_history(feed, c) {
                return Err(MarketDataError::Malformed(format!(
                    "{symbol} history candle at {} is not newer than the one before",
                    c.ts
                )));
            }
        }
        Ok(())
    }

    /// Attaches a paper venue: lists every symbol's instrument on it and
    /// gives it the last prices. From now on each price reaches the venue
    /// before subscribers.
    pub fn attach_venue(&self, venue: PaperExchange) -> Result<(), MarketDataError> {
        let mut st = self.inner.lock();
        for (symbol, feed) in &st.feeds {
            venue.add_instrument(feed.instrument.clone());
            if let Some((price, ts)) = feed.last {
                venue
                    .on_price(symbol, price, ts)
                    .map_err(|e| MarketDataError::Malformed(format!("venue refused {symbol} at {price}: {e}")))?;
            }
        }
        st.venue = Some(venue);
        Ok(())
    }

    /// The attached venue, if any.
    pub fn venue(&self) -> Option<PaperExchange> {
        self.inner.lock().venue.clone()
    }

    /// The instrument of `symbol`.
    pub fn instrument(&self, symbol: &Symbol) -> Option<Instrument> {
        self.inner.lock().feeds.get(symbol).map(|f| f.instrument.clone())
    }

    /// Every instrument, by symbol.
    pub fn instruments(&self) -> Vec<Instrument> {
        self.inner.lock().feeds.values().map(|f| f.instrument.clone()).collect()
    }

    /// A new price point: the venue walks to it, then subscribers get a tick.
    pub fn publish_price(&self, symbol: &Symbol, price: Decimal, ts: TimestampMs) -> Result<(), MarketDataError> {
        // The venue walks outside the hub's lock (readers are not held up by it).
        let venue = self.inner.lock().venue.clone();
        if let Some(v) = venue {
            v.on_price(symbol, price, ts)
                .map_err(|e| MarketDataError::Malformed(format!("venue refused {symbol} at {price}: {e}")))?;
        }
        let mut st = self.inner.lock();
        let feed = st
            .feeds
            .get_mut(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        feed.last = Some((price, ts));
        if let Some(ch) = &feed.channel {
            // No receiver left between the check and the send: nobody to tell.
            let _ = ch.tx.send(MarketEvent::Tick(Tick {
                symbol: symbol.clone(),
                ts,
                price,
            }));
        }
        Ok(())
    }

    /// A candle closed: it joins the history and subscribers get it. A
    /// candle not newer than the last one is refused.
    pub fn close_candle(&self, symbol: &Symbol, candle: Candle) -> Result<(), MarketDataError> {
        let mut st = self.inner.lock();
        let feed = st
            .feeds
            .get_mut(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        if !push_history(feed, candle) {
            return Err(MarketDataError::Malformed(format!(
                "{symbol} candle at {} is not newer than the last one",
                candle.ts
            )));
        }
        if let Some(ch) = &feed.channel {
            let _ = ch.tx.send(MarketEvent::Candle {
                symbol: symbol.clone(),
                candle,
            });
        }
        Ok(())
    }

    /// Publishes a whole candle at once: its four walk points as prices
    /// (venue first, then ticks), then the closed candle.
    pub fn publish_candle(&self, symbol: &Symbol, candle: Candle) -> Result<(), MarketDataError> {
        let base = self.base_interval(symbol)?;
        for (p, ts) in path_points(&candle, base) {
            self.publish_price(symbol, p, ts)?;
        }
        self.close_candle(symbol, candle)
    }

    /// The interval of `symbol`'s history candles.
    pub fn base_interval(&self, symbol: &Symbol) -> Result<Interval, MarketDataError> {
        self.inner
            .lock()
            .feeds
            .get(symbol)
            .map(|f| f.base)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))
    }

    /// Subscribes to `symbol`'s ticks and closed candles.
    pub fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        let mut st = self.inner.lock();
        st.generation += 1;
        let generation = st.generation;
        let feed = st
            .feeds
            .get_mut(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        let ch = feed.channel.get_or_insert_with(|| Channel {
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            subscribers: 0,
            generation,
        });
        ch.subscribers += 1;
        let rx = ch.tx.subscribe();
        let guard = SubscriptionGuard {
            hub: Arc::downgrade(&self.inner),
            symbol: symbol.clone(),
            generation: ch.generation,
        };
        // A lagging subscriber skips what it missed and carries on.
        let stream = BroadcastStream::new(rx).filter_map(|r| async move { r.ok() });
        Ok(MarketSubscription::new(stream, Some(Box::new(guard))))
    }

    /// Live subscriptions of `symbol`.
    pub fn subscriber_count(&self, symbol: &Symbol) -> usize {
        let st = self.inner.lock();
        st.feeds
            .get(symbol)
            .and_then(|f| f.channel.as_ref())
            .map_or(0, |c| c.subscribers)
    }

    /// Open per-symbol channels (one per symbol with at least one subscriber).
    pub fn channel_count(&self) -> usize {
        self.inner.lock().feeds.values().filter(|f| f.channel.is_some()).count()
    }

    /// Candles of `symbol` at `interval` with open time in `[start, end)`,
    /// aggregated from the base history; the newest may be partial.
    pub fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let st = self.inner.lock();
        let feed = st
            .feeds
            .get(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        if interval.millis() < feed.base.millis() || interval.millis() % feed.base.millis() != 0 {
            return Err(MarketDataError::NoData(format!(
                "{symbol} has {} history; {interval} candles cannot be built from it",
                feed.base
            )));
        }
        let first = interval.floor(start)
            + if interval.floor(start) < start {
                interval.millis()
            } else {
                0
            };
        let h = &feed.history;
        let from = h.partition_point(|c| c.ts < first);
        let to = h.partition_point(|c| interval.floor(c.ts) < end);
        if from >= to {
            return Ok(Vec::new());
        }
        let slice: Vec<Candle> = h.range(from..to).copied().collect();
        Ok(aggregate(&slice, interval))
    }

    /// The last price of `symbol`.
    pub fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        let st = self.inner.lock();
        let feed = st
            .feeds
            .get(symbol)
            .ok_or_else(|| MarketDataError::UnknownSymbol(symbol.to_string()))?;
        feed.last
            .map(|(p, _)| p)
            .ok_or_else(|| MarketDataError::NoData(format!("no price for {symbol} yet")))
    }

    /// The open time of the newest history candle of `symbol`.
    pub fn last_candle_ts(&self, symbol: &Symbol) -> Option<TimestampMs> {
        self.inner.lock().feeds.get(symbol)?.history.back().map(|c| c.ts)
    }

    /// Every symbol, sorted.
    pub fn symbols(&self) -> Vec<Symbol> {
        self.inner.lock().feeds.keys().cloned().collect()
    }
}

/// The four walk points of a `base` candle with their times (the 1-minute
/// offsets of the fill model, stretched to the candle's length).
pub(crate) fn path_points(candle: &Candle, base: Interval) -> [(Decimal, TimestampMs); 4] {
    let scale = base.millis() / 60_000;
    let path = candle_path(candle);
    let mut out = [(Decimal::ZERO, 0); 4];
    for (k, slot) in out.iter_mut().enumerate() {
        let off = if k == 3 {
            base.millis() - 1
        } else {
            PATH_OFFSETS_MS[k] * scale
        };
        *slot = (path[k], candle.ts + off);
    }
    out
}

/// Appends `c` unless it is not newer than the last candle (false then).
fn push_history(feed: &mut SymbolFeed, c: Candle) -> bool {
    if feed.history.back().is_some_and(|last| last.ts >= c.ts) {
        return false;
    }
    if feed.history.len() >= MAX_HISTORY {
        feed.history.pop_front();
    }
    feed.history.push_back(c);
    let close_ts = c.ts + feed.base.millis() - 1;
    if feed.last.is_none_or(|(_, ts)| ts <= close_ts) {
        feed.last = Some((c.close, close_ts));
    }
    true
}
