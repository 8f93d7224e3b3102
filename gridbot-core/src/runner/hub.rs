//! One upstream market subscription per symbol, however many bots listen.
//!
//! [`MarketHub`] wraps any [`MarketData`] source. The first subscriber of a
//! symbol opens the upstream subscription and a pump task that publishes
//! each event to every listener; later subscribers join; when the last
//! listener drops its subscription the pump stops and the upstream
//! subscription is released. A listener that falls more than `capacity`
//! events behind loses the oldest ones (logged), never blocks the others.
//!
//! Delivery is built for thousands of listeners per symbol (every bot's
//! runner listens to its symbol): the pump writes each event once into a
//! ring of the last `capacity` events and wakes each *waiting* listener
//! through the listener's own [`AtomicWaker`]; a listener reads the ring at
//! its own position. A listener's read and its re-registration take no lock
//! shared with the other listeners (only its slot's read lock), so waking
//! 1,000 runners costs 1,000 wakes and 1,000 event copies, nothing that
//! grows with contention.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures::task::AtomicWaker;
use futures::{Stream, StreamExt};
use rust_decimal::Decimal;
use tokio::task::JoinHandle;

use crate::error::MarketDataError;
use crate::model::{Candle, Interval, MarketEvent, Symbol, TimestampMs};
use crate::ports::{MarketData, MarketSubscription};

/// Events buffered per symbol for slow listeners.
pub const HUB_CAPACITY: usize = 4096;

/// A ring slot: an event and its number (`u64::MAX` before the first).
type Slot = RwLock<(u64, Option<MarketEvent>)>;

/// The last `capacity` events of one symbol and the listeners waiting for more.
struct Ring {
    /// Slot `seq % capacity` holds event number `seq`.
    slots: Box<[Slot]>,
    /// Events published so far (the next event's number).
    head: AtomicU64,
    /// The upstream ended: no event follows the published ones.
    closed: AtomicBool,
    /// Each listener's waker, by listener id.
    wakers: Mutex<Vec<(u64, Arc<AtomicWaker>)>>,
}

impl Ring {
    fn new(capacity: usize) -> Self {
        Ring {
            slots: (0..capacity).map(|_| RwLock::new((u64::MAX, None))).collect(),
            head: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
        }
    }

    fn slot(&self, seq: u64) -> &Slot {
        &self.slots[(seq % self.slots.len() as u64) as usize]
    }

    /// Writes event number `head` and wakes the waiting listeners. One
    /// writer (the pump) only.
    fn publish(&self, ev: MarketEvent) {
        let seq = self.head.load(Ordering::Relaxed);
        if let Ok(mut slot) = self.slot(seq).write() {
            *slot = (seq, Some(ev));
        }
        self.head.store(seq + 1, Ordering::Release);
        self.wake_all();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake_all();
    }

    fn wake_all(&self) {
        if let Ok(wakers) = self.wakers.lock() {
            for (_, w) in wakers.iter() {
                w.wake();
            }
        }
    }
}

/// One listener's read position in its symbol's ring.
struct Listener {
    ring: Arc<Ring>,
    next: u64,
    waker: Arc<AtomicWaker>,
    symbol: Symbol,
}

impl Listener {
    /// The next event if one is published, skipping what was overwritten.
    fn take(&mut self) -> Option<MarketEvent> {
        let head = self.ring.head.load(Ordering::Acquire);
        if self.next >= head {
            return None;
        }
        let capacity = self.ring.slots.len() as u64;
        if head - self.next > capacity {
            let lost = head - capacity - self.next;
            tracing::warn!(symbol = %self.symbol, lost, "market listener fell behind; events dropped");
            self.next = head - capacity;
        }
        let seq = self.next;
        let read = self.ring.slot(seq).read().ok().and_then(|slot| match &*slot {
            (s, Some(ev)) if *s == seq => Some(ev.clone()),
            _ => None,
        });
        self.next += 1;
        // `None` here: overwritten while we read (behind by a whole ring);
        // the next call resynchronises.
        read.or_else(|| self.take())
    }
}

impl Stream for Listener {
    type Item = MarketEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MarketEvent>> {
        let me = self.get_mut();
        if let Some(ev) = me.take() {
            return Poll::Ready(Some(ev));
        }
        me.waker.register(cx.waker());
        // Published (or closed) between the first look and the registration.
        if let Some(ev) = me.take() {
            return Poll::Ready(Some(ev));
        }
        if me.ring.closed.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

struct Topic {
    id: u64,
    ring: Arc<Ring>,
    listeners: usize,
    pump: JoinHandle<()>,
}

type Topics = Arc<Mutex<HashMap<Symbol, Topic>>>;

/// A fan-out of market data (see the module docs).
pub struct MarketHub {
    upstream: Arc<dyn MarketData>,
    topics: Topics,
    next_id: AtomicU64,
    capacity: usize,
    /// Serialises opening upstream subscriptions, so two first listeners of
    /// a symbol arriving together open it once.
    opening: tokio::sync::Mutex<()>,
}

impl MarketHub {
    /// A hub over `upstream` with the default capacity (`HUB_CAPACITY`).
    pub fn new(upstream: Arc<dyn MarketData>) -> Self {
        Self::with_capacity(upstream, HUB_CAPACITY)
    }

    /// A hub buffering `capacity` events per symbol.
    pub fn with_capacity(upstream: Arc<dyn MarketData>, capacity: usize) -> Self {
        MarketHub {
            upstream,
            topics: Arc::new(Mutex::new(HashMap::new())),
            next_id: AtomicU64::new(1),
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

    /// Joins an open topic: a listener from the next event on.
    fn join(&self, symbol: &Symbol) -> Option<MarketSubscription> {
        let mut topics = self.topics.lock().ok()?;
        let t = topics.get_mut(symbol)?;
        t.listeners += 1;
        let (topic, ring) = (t.id, t.ring.clone());
        drop(topics);
        Some(self.listen(symbol, topic, ring))
    }

    fn listen(&self, symbol: &Symbol, topic: u64, ring: Arc<Ring>) -> MarketSubscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let waker = Arc::new(AtomicWaker::new());
        if let Ok(mut w) = ring.wakers.lock() {
            w.push((id, waker.clone()));
        }
        let listener = Listener {
            next: ring.head.load(Ordering::Acquire),
            ring: ring.clone(),
            waker,
            symbol: symbol.clone(),
        };
        let guard = Guard {
            topics: self.topics.clone(),
            symbol: symbol.clone(),
            topic,
            listener: id,
            ring,
        };
        MarketSubscription::new(listener, Some(Box::new(guard)))
    }
}

/// Leaves the topic when a subscription is dropped; the last one out stops
/// the pump and releases the upstream subscription.
struct Guard {
    topics: Topics,
    symbol: Symbol,
    topic: u64,
    listener: u64,
    ring: Arc<Ring>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut w) = self.ring.wakers.lock() {
            w.retain(|(id, _)| *id != self.listener);
        }
        let Ok(mut topics) = self.topics.lock() else { return };
        let last = match topics.get_mut(&self.symbol) {
            Some(t) if t.id == self.topic => {
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

#[async_trait]
impl MarketData for MarketHub {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        if let Some(sub) = self.join(symbol) {
            return Ok(sub);
        }
        let _opening = self.opening.lock().await;
        // Another subscriber may have opened the topic while we waited.
        if let Some(sub) = self.join(symbol) {
            return Ok(sub);
        }
        let mut upstream = self.upstream.subscribe(symbol).await?;
        let topic = self.next_id.fetch_add(1, Ordering::Relaxed);
        let ring = Arc::new(Ring::new(self.capacity));
        let pump_ring = ring.clone();
        let topics = self.topics.clone();
        let sym = symbol.clone();
        // The first listener exists before the pump publishes anything.
        let sub = self.listen(symbol, topic, ring.clone());
        let mut table = self
            .topics
            .lock()
            .map_err(|_| MarketDataError::Connectivity("market hub poisoned".to_owned()))?;
        let pump = tokio::spawn(async move {
            while let Some(ev) = upstream.next().await {
                pump_ring.publish(ev);
            }
            // Upstream ended: listeners see the end; the topic goes.
            pump_ring.close();
            if let Ok(mut t) = topics.lock() {
                if t.get(&sym).is_some_and(|x| x.id == topic) {
                    t.remove(&sym);
                }
            }
        });
        table.insert(
            symbol.clone(),
            Topic {
                id: topic,
                ring,
                listeners: 1,
                pump,
            },
        );
        drop(table);
        Ok(sub)
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

    fn tick(n: i64) -> MarketEvent {
        MarketEvent::Tick(Tick {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            ts: n,
            price: Decimal::from(100 + n),
        })
    }

    /// A hub of `capacity` over one channel-fed upstream subscription.
    fn hub_over_channel(capacity: usize) -> (MarketHub, mpsc::UnboundedSender<MarketEvent>) {
        let (tx, rx) = mpsc::unbounded_channel::<MarketEvent>();
        let rx = Mutex::new(Some(rx));
        let mut up = MockMarketData::new();
        up.expect_subscribe().times(1).returning(move |_| {
            let rx = rx.lock().unwrap().take().unwrap();
            Ok(MarketSubscription::new(UnboundedReceiverStream::new(rx), None))
        });
        (MarketHub::with_capacity(Arc::new(up), capacity), tx)
    }

    #[tokio::test]
    async fn a_listener_more_than_capacity_behind_loses_the_oldest_events_and_reads_on() {
        let (hub, tx) = hub_over_channel(4);
        let btc = Symbol::new("BTCUSDT").unwrap();
        let mut slow = hub.subscribe(&btc).await.unwrap();
        let mut fast = hub.subscribe(&btc).await.unwrap();
        for n in 0..10 {
            tx.send(tick(n)).unwrap();
            assert_eq!(fast.next().await, Some(tick(n)), "the others are not held up");
        }
        // The last four are still there, in order.
        for n in 6..10 {
            assert_eq!(slow.next().await, Some(tick(n)));
        }
        tx.send(tick(10)).unwrap();
        assert_eq!(slow.next().await, Some(tick(10)));
    }

    #[tokio::test]
    async fn a_late_listener_sees_only_later_events_and_every_listener_sees_the_end() {
        let (hub, tx) = hub_over_channel(16);
        let btc = Symbol::new("BTCUSDT").unwrap();
        let mut early = hub.subscribe(&btc).await.unwrap();
        tx.send(tick(1)).unwrap();
        assert_eq!(early.next().await, Some(tick(1)));
        let mut late = hub.subscribe(&btc).await.unwrap();
        tx.send(tick(2)).unwrap();
        drop(tx);
        assert_eq!(late.next().await, Some(tick(2)));
        assert_eq!(late.next().await, None);
        assert_eq!(early.next().await, Some(tick(2)));
        assert_eq!(early.next().await, None);
    }

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
