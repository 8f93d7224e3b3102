//! One upstream market subscription per symbol, however many bots listen.
//!
//! [`MarketHub`] wraps any [`MarketData`] source. The first subscriber of a
//! symbol opens the upstream subscription and a pump task that broadcasts
//! each event to every listener; later subscribers join the broadcast; when
//! the last listener drops its subscription the pump stops and the upstream
//! subscription is released. A listener that falls more than `capacity`
//! events behind loses the oldest ones (logged), never blocks the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use rust_decimal::Decimal;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::BroadcastStream;

use crate::error::MarketDataError;
use crate::model::{Candle, Interval, MarketEvent, Symbol, TimestampMs};
use crate::ports::{MarketData, MarketSubscription};

/// Events buffered per symbol for slow listeners.
pub const HUB_CAPACITY: usize = 4096;

struct Topic {
    id: u64,
    tx: broadcast::Sender<MarketEvent>,
    listeners: usize,
    pump: JoinHandle<()>,
}

type Topics = Arc<Mutex<HashMap<Symbol, Topic>>>;

/// A fan-out of market data (see the module docs).
pub struct MarketHub {
    upstream: Arc<dyn MarketData>,
    topics: Topics,
    next_id: std::sync::atomic::AtomicU64,
    capacity: usize,
    /// Serialises opening upstream subscriptions, so two first listeners of
    /// a symbol arriving together open it once.
    opening: tokio::sync::Mutex<()>,
}

impl MarketHub {
    /// A hub over `upstream` with the default channel capacity (`HUB_CAPACITY`).
    pub fn new(upstream: Arc<dyn MarketData>) -> Self {
        Self::with_capacity(upstream, HUB_CAPACITY)
    }

    /// A hub buffering `capacity` events per symbol.
    pub fn with_capacity(upstream: Arc<dyn MarketData>, capacity: usize) -> Self {
        MarketHub {
            upstream,
            topics: Arc::new(Mutex::new(HashMap::new())),
            next_id: std::sync::atomic::AtomicU64::new(1),
            capacity: capacity.max(1),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    /// Listeners of `symbol` now.
    pub fn listeners(&self, symbol: &Symbol) -> usize {
        self.topics
            .lock()
            .ok()
            .and_then(|t| t.get(symbol).map(|x| x.listeners))
            .unwrap_or(0)
    }

    fn join(&self, symbol: &Symbol) -> Option<(u64, broadcast::Receiver<MarketEvent>)> {
        let mut topics = self.topics.lock().ok()?;
        let t = topics.get_mut(symbol)?;
        t.listeners += 1;
        Some((t.id, t.tx.subscribe()))
    }
}

struct Guard {
    topics: Topics,
    symbol: Symbol,
    id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Ok(mut topics) = self.topics.lock() else { return };
        let last = match topics.get_mut(&self.symbol) {
            Some(t) if t.id == self.id => {
                t.listeners = t.listeners.saturating_sub(1);
                t.listeners == 0
            }
            _ => false,
        };
        if last {
            if let Some(t) = topics.remove(&self.symbol) {
                t.pump.abort();
            }
        }
    }
}

fn subscription(topics: &Topics, symbol: &Symbol, id: u64, rx: broadcast::Receiver<MarketEvent>) -> MarketSubscription {
    let sym = symbol.clone();
    let stream = BroadcastStream::new(rx).filter_map(move |r| {
        let out = match r {
            Ok(ev) => Some(ev),
            Err(e) => {
                tracing::warn!(symbol = %sym, error = %e, "market listener fell behind; events dropped");
                None
            }
        };
        futures::future::ready(out)
    });
    let guard = Guard {
        topics: topics.clone(),
        symbol: symbol.clone(),
        id,
    };
    MarketSubscription::new(stream, Some(Box::new(guard)))
}

#[async_trait]
impl MarketData for MarketHub {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        if let Some((id, rx)) = self.join(symbol) {
            return Ok(subscription(&self.topics, symbol, id, rx));
        }
        let _opening = self.opening.lock().await;
        // Another subscriber may have opened the topic while we waited.
        if let Some((id, rx)) = self.join(symbol) {
            return Ok(subscription(&self.topics, symbol, id, rx));
        }
        let mut upstream = self.upstream.subscribe(symbol).await?;
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = broadcast::channel(self.capacity);
        let pump_tx = tx.clone();
        let topics = self.topics.clone();
        let sym = symbol.clone();
        let pump = tokio::spawn(async move {
            while let Some(ev) = upstream.next().await {
                let _ = pump_tx.send(ev);
            }
            // Upstream ended: drop the topic so listeners see the end.
            if let Ok(mut t) = topics.lock() {
                if t.get(&sym).is_some_and(|x| x.id == id) {
                    t.remove(&sym);
                }
            }
        });
        let mut topics = self
            .topics
            .lock()
            .map_err(|_| MarketDataError::Connectivity("market hub poisoned".to_owned()))?;
        topics.insert(
            symbol.clone(),
            Topic {
                id,
                tx,
                listeners: 1,
                pump,
            },
        );
        drop(topics);
        Ok(subscription(&self.topics, symbol, id, rx))
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        self.upstream.candles(symbol, interval, start, end).await
    }

    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        self.upstream.last_price(symbol).await
    }

    fn symbols(&self) -> Vec<Symbol> {
        self.upstream.symbols()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tick;
    use crate::ports::mocks::MockMarketData;
    use rust_decimal_macros::dec;
    use tokio::sync::mpsc;
    use tokio_stream::wrappers::UnboundedReceiverStream;

    #[tokio::test]
    async fn many_listeners_share_one_upstream_subscription_released_by_the_last() {
        let (tx, rx) = mpsc::unbounded_channel::<MarketEvent>();
        let rx = Mutex::new(Some(rx));
        let mut up = MockMarketData::new();
        up.expect_subscribe().times(1).returning(move |_| {
            let rx = rx.lock().unwrap().take().unwrap();
            Ok(MarketSubscription::new(UnboundedReceiverStream::new(rx), None))
        });
        let hub = MarketHub::new(Arc::new(up));
        let btc = Symbol::new("BTCUSDT").unwrap();
        let mut a = hub.subscribe(&btc).await.unwrap();
        let mut b = hub.subscribe(&btc).await.unwrap();
        assert_eq!(hub.listeners(&btc), 2);
        let tick = MarketEvent::Tick(Tick {
            symbol: btc.clone(),
            ts: 1,
            price: dec!(100),
        });
        tx.send(tick.clone()).unwrap();
        assert_eq!(a.next().await, Some(tick.clone()));
        assert_eq!(b.next().await, Some(tick));
        drop(a);
        assert_eq!(hub.listeners(&btc), 1);
        drop(b);
        assert_eq!(hub.listeners(&btc), 0);
    }
}
