//! The `MarketData` port: public prices, shared by every user.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures::Stream;

use crate::error::MarketDataError;
use crate::model::{Candle, Interval, MarketEvent, Symbol, TimestampMs};

/// A live subscription to one symbol: a stream of [`MarketEvent`]s. Sources
/// keep one upstream subscription per symbol however many subscriptions are
/// alive; dropping the last one releases it (the guard's `Drop` does that).
pub struct MarketSubscription {
    stream: Pin<Box<dyn Stream<Item = MarketEvent> + Send + 'static>>,
    _guard: Option<Box<dyn Send + Sync + 'static>>,
}

impl MarketSubscription {
    /// Wraps a stream, with a guard dropped when the subscription is.
    pub fn new(
        stream: impl Stream<Item = MarketEvent> + Send + 'static,
        guard: Option<Box<dyn Send + Sync + 'static>>,
    ) -> Self {
        MarketSubscription {
            stream: Box::pin(stream),
            _guard: guard,
        }
    }
}

impl std::fmt::Debug for MarketSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketSubscription").finish_non_exhaustive()
    }
}

impl Stream for MarketSubscription {
    type Item = MarketEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MarketEvent>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// Public market data: live prices and candle history.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MarketData: Send + Sync {
    /// Subscribes to ticks and closed 1-minute candles of `symbol`.
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError>;

    /// Candles of `symbol` at `interval` with open time in `[start, end)`,
    /// oldest first.
    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError>;

    /// The last traded price.
    async fn last_price(&self, symbol: &Symbol) -> Result<rust_decimal::Decimal, MarketDataError>;

    /// The symbols this source can serve.
    fn symbols(&self) -> Vec<Symbol>;
}
