//! [`BitgetMarketData`]: Bitget's public market data as a [`MarketData`]
//! source, over the WebSocket and REST of the account's API (classic v2
//! without keys).
//!
//! Invariants:
//! - One upstream subscription (ticker and 1-minute candles) per symbol,
//!   however many [`MarketSubscription`]s are alive: a reference count per
//!   symbol; the last subscription dropped unsubscribes.
//! - Subscriptions are multiplexed over few connections; a new connection is
//!   opened only when every open one carries
//!   [`crate::config::WsConfig::max_channels_per_connection`] channels.
//! - Each connection pings, reconnects with backoff and resubscribes its
//!   symbols by itself ([`crate::ws::public`]).
//! - Candle history is complete and UTC-aligned, or refused with an error
//!   naming the gap ([`crate::http::candles`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use gridbot_core::model::{Candle, Instrument, Interval, MarketEvent, Symbol, TimestampMs};
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription};
use gridbot_core::{ExchangeError, MarketDataError};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, mpsc};

use crate::common::account::AccountKind;
use crate::config::BitgetConfig;
use crate::execution::BitgetExchange;
use crate::ws::messages::WsApi;
use crate::ws::public::{run_connection, ConnCmd, PublicSocket, CHANNELS_PER_SYMBOL};

/// Events buffered per symbol for slow listeners.
const EVENT_BUFFER: usize = 4096;

struct ConnHandle {
    cmd: mpsc::UnboundedSender<ConnCmd>,
    channels: usize,
}

struct SymbolSub {
    count: usize,
    conn: usize,
    tx: broadcast::Sender<MarketEvent>,
}

#[derive(Default)]
struct State {
    symbols: HashMap<Symbol, SymbolSub>,
    conns: Vec<ConnHandle>,
}

struct Inner {
    rest: BitgetExchange,
    config: BitgetConfig,
    state: Mutex<State>,
}

/// Bitget public market data. Cheap to clone.
#[derive(Clone)]
pub struct BitgetMarketData {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BitgetMarketData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitgetMarketData")
            .field("rest", &self.inner.config.endpoints.rest)
            .finish()
    }
}

fn md_err(e: ExchangeError) -> MarketDataError {
    match e {
        ExchangeError::UnknownSymbol(s) => MarketDataError::UnknownSymbol(s),
        ExchangeError::Protocol(s) => MarketDataError::Malformed(s),
        ExchangeError::NotFound(s) => MarketDataError::NoData(s),
        other => MarketDataError::Connectivity(other.to_string()),
    }
}

struct Guard {
    inner: Weak<Inner>,
    symbol: Symbol,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(inner) = self.inner.upgrade() else { return };
        let Ok(mut st) = inner.state.lock() else { return };
        let remove = match st.symbols.get_mut(&self.symbol) {
            Some(s) => {
                s.count = s.count.saturating_sub(1);
                s.count == 0
            }
            None => false,
        };
        if remove {
            if let Some(s) = st.symbols.remove(&self.symbol) {
                if let Some(c) = st.conns.get_mut(s.conn) {
                    c.channels = c.channels.saturating_sub(CHANNELS_PER_SYMBOL);
                    let _ = c.cmd.send(ConnCmd::Unsubscribe(self.symbol.clone()));
                }
            }
        }
    }
}

impl BitgetMarketData {
    /// A market data client for `config` (keys are optional: with keys the
    /// account's API is used, without them the classic v2 public API).
    pub fn new(config: BitgetConfig) -> Result<Self, ExchangeError> {
        Ok(BitgetMarketData {
            inner: Arc::new(Inner {
                rest: BitgetExchange::new(config.clone())?,
                config,
                state: Mutex::new(State::default()),
            }),
        })
    }

    /// Loads the contract list, so [`MarketData::symbols`] can answer.
    pub async fn load_symbols(&self) -> Result<Vec<Symbol>, MarketDataError> {
        let c = self.inner.rest.contracts().await.map_err(md_err)?;
        Ok(c.into_iter().map(|i| i.symbol).collect())
    }

    /// Upstream connections open (or being re-opened).
    pub fn connection_count(&self) -> usize {
        self.inner.state.lock().map(|s| s.conns.len()).unwrap_or(0)
    }

    /// Listeners of `symbol` (0 when not subscribed upstream).
    pub fn listeners(&self, symbol: &Symbol) -> usize {
        self.inner
            .state
            .lock()
            .ok()
            .and_then(|s| s.symbols.get(symbol).map(|x| x.count))
            .unwrap_or(0)
    }

    /// The contract rules of `symbol` (REST), with its maintenance margin rate.
    pub async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, MarketDataError> {
        self.inner.rest.instrument(symbol).await.map_err(md_err)
    }

    fn socket(&self, kind: AccountKind) -> PublicSocket {
        let c = &self.inner.config;
        match kind {
            AccountKind::Classic => PublicSocket {
                url: c.endpoints.ws_v2.public.clone(),
                api: WsApi::V2,
                inst_type: c.product_type().as_str(),
                ws: c.ws.clone(),
            },
            AccountKind::Unified => PublicSocket {
                url: c.endpoints.ws_v3.public.clone(),
                api: WsApi::V3,
                inst_type: c.product_type().ws_v3_inst_type(),
                ws: c.ws.clone(),
            },
        }
    }
}

#[async_trait]
impl MarketData for BitgetMarketData {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        let kind = self.inner.rest.public_rest().await.map_err(md_err)?.kind();
        let rx = {
            let mut st = self
                .inner
                .state
                .lock()
                .map_err(|_| MarketDataError::Connectivity("market data state poisoned".into()))?;
            if let Some(s) = st.symbols.get_mut(symbol) {
                s.count += 1;
                s.tx.subscribe()
            } else {
                let max = self
                    .inner
                    .config
                    .ws
                    .max_channels_per_connection
                    .max(CHANNELS_PER_SYMBOL);
                let idx = match st.conns.iter().position(|c| c.channels + CHANNELS_PER_SYMBOL <= max) {
                    Some(i) => i,
                    None => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        tokio::spawn(run_connection(self.socket(kind), rx));
                        st.conns.push(ConnHandle { cmd: tx, channels: 0 });
                        st.conns.len() - 1
                    }
                };
                let (tx, rx) = broadcast::channel(EVENT_BUFFER);
                if let Some(c) = st.conns.get_mut(idx) {
                    c.channels += CHANNELS_PER_SYMBOL;
                    c.cmd
                        .send(ConnCmd::Subscribe(symbol.clone(), tx.clone()))
                        .map_err(|_| MarketDataError::Connectivity("market data connection task ended".into()))?;
                }
                st.symbols.insert(
                    symbol.clone(),
                    SymbolSub {
                        count: 1,
                        conn: idx,
                        tx,
                    },
                );
                rx
            }
        };
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => return Some((ev, rx)),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "market data listener too slow; skipped events");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        let guard = Guard {
            inner: Arc::downgrade(&self.inner),
            symbol: symbol.clone(),
        };
        Ok(MarketSubscription::new(stream, Some(Box::new(guard))))
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        self.inner
            .rest
            .candles(symbol, interval, start, end)
            .await
            .map_err(md_err)
    }

    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        self.inner.rest.ticker(symbol).await.map_err(md_err)
    }

    fn symbols(&self) -> Vec<Symbol> {
        self.inner.rest.cached_symbols()
    }
}
