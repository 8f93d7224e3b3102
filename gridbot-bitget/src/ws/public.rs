//! [`BitgetMarketData`]: the public WebSocket as a [`MarketData`] source.
//!
//! Invariants:
//! - One upstream subscription (channels `ticker` and `candle1m`) per symbol,
//!   however many [`MarketSubscription`]s are alive: a reference count per
//!   symbol; the last subscription dropped unsubscribes.
//! - Subscriptions are multiplexed over few connections; a new connection is
//!   opened only when every open one carries
//!   [`crate::config::WsConfig::max_channels_per_connection`] channels.
//! - Each connection pings, reconnects with backoff and resubscribes its
//!   symbols by itself.
//! - A candle is delivered once it is closed: when a push starts the next
//!   candle, the previous one is emitted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use futures::StreamExt;
use gridbot_core::model::{Candle, Interval, MarketEvent, Symbol, Tick, TimestampMs};
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription};
use gridbot_core::{ExchangeError, MarketDataError};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::config::{BitgetConfig, WsConfig};
use crate::http::exchange::BitgetExchange;
use crate::http::models::{parse_candle_row, TickerRecord};
use crate::ws::connection::{connect, send_text, Backoff};
use crate::ws::messages::{parse_incoming, ChannelArg, Incoming, OpRequest};

/// Channels one symbol uses.
const CHANNELS_PER_SYMBOL: usize = 2;
/// Events buffered per symbol for slow listeners.
const EVENT_BUFFER: usize = 4096;

enum ConnCmd {
    Subscribe(Symbol, broadcast::Sender<MarketEvent>),
    Unsubscribe(Symbol),
}

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
    url: String,
    inst_type: &'static str,
    ws: WsConfig,
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
            .field("url", &self.inner.url)
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
    /// A market data client for `config` (keys are not needed).
    pub fn new(config: BitgetConfig) -> Result<Self, ExchangeError> {
        let url = config.endpoints.ws_public.clone();
        let ws = config.ws.clone();
        let inst_type = config.product_type().as_str();
        Ok(BitgetMarketData {
            inner: Arc::new(Inner {
                rest: BitgetExchange::new(config)?,
                url,
                inst_type,
                ws,
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

    fn spawn_connection(&self) -> ConnHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run_connection(
            self.inner.url.clone(),
            self.inner.inst_type,
            self.inner.ws.clone(),
            rx,
        ));
        ConnHandle { cmd: tx, channels: 0 }
    }
}

#[async_trait]
impl MarketData for BitgetMarketData {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
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
                let max = self.inner.ws.max_channels_per_connection.max(CHANNELS_PER_SYMBOL);
                let idx = match st.conns.iter().position(|c| c.channels + CHANNELS_PER_SYMBOL <= max) {
                    Some(i) => i,
                    None => {
                        let h = self.spawn_connection();
                        st.conns.push(h);
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

impl BitgetMarketData {
    /// The contract rules of `symbol` (REST).
    pub async fn instrument(&self, symbol: &Symbol) -> Result<gridbot_core::model::Instrument, MarketDataError> {
        self.inner.rest.instrument(symbol).await.map_err(md_err)
    }
}

struct Listener {
    tx: broadcast::Sender<MarketEvent>,
    candle: Option<Candle>,
}

fn args_for(inst_type: &str, symbol: &Symbol) -> [ChannelArg; 2] {
    [
        ChannelArg::new(inst_type, "ticker", symbol.as_str()),
        ChannelArg::new(inst_type, "candle1m", symbol.as_str()),
    ]
}

fn op_text(op: &str, args: &[ChannelArg]) -> String {
    serde_json::to_string(&OpRequest { op, args }).unwrap_or_default()
}

/// One public connection: owns its symbols, reconnects and resubscribes.
async fn run_connection(
    url: String,
    inst_type: &'static str,
    ws_cfg: WsConfig,
    mut cmds: mpsc::UnboundedReceiver<ConnCmd>,
) {
    let mut listeners: HashMap<Symbol, Listener> = HashMap::new();
    let mut backoff = Backoff::new(ws_cfg.reconnect_backoff, ws_cfg.reconnect_backoff_max);
    loop {
        let mut ws = match connect(&url, ws_cfg.login_timeout).await {
            Ok(ws) => ws,
            Err(e) => {
                tracing::warn!(error = %e, "public WebSocket connect failed; retrying");
                if drain_commands(&mut cmds, &mut listeners).is_err() {
                    return;
                }
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let all: Vec<ChannelArg> = listeners.keys().flat_map(|s| args_for(inst_type, s)).collect();
        if !all.is_empty() && send_text(&mut ws, op_text("subscribe", &all)).await.is_err() {
            tokio::time::sleep(backoff.next_delay()).await;
            continue;
        }
        let mut ping = tokio::time::interval(ws_cfg.ping_interval);
        ping.tick().await;
        let mut last_rx = tokio::time::Instant::now();
        let reason = loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None => return,
                    Some(ConnCmd::Subscribe(sym, tx)) => {
                        let args = args_for(inst_type, &sym);
                        listeners.insert(sym, Listener { tx, candle: None });
                        if let Err(e) = send_text(&mut ws, op_text("subscribe", &args)).await { break e; }
                    }
                    Some(ConnCmd::Unsubscribe(sym)) => {
                        listeners.remove(&sym);
                        let args = args_for(inst_type, &sym);
                        if let Err(e) = send_text(&mut ws, op_text("unsubscribe", &args)).await { break e; }
                    }
                },
                _ = ping.tick() => {
                    if last_rx.elapsed() > ws_cfg.idle_timeout { break "no message within the idle timeout".to_owned(); }
                    if let Err(e) = send_text(&mut ws, "ping".to_owned()).await { break e; }
                }
                msg = ws.next() => match msg {
                    None => break "closed by the server".to_owned(),
                    Some(Err(e)) => break format!("read failed: {e}"),
                    Some(Ok(Message::Text(t))) => {
                        last_rx = tokio::time::Instant::now();
                        backoff.reset();
                        handle_public(&t, &mut listeners);
                    }
                    Some(Ok(Message::Close(_))) => break "closed by the server".to_owned(),
                    Some(Ok(_)) => { last_rx = tokio::time::Instant::now(); }
                },
            }
        };
        tracing::info!(reason = %reason, "public WebSocket lost; reconnecting");
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Applies queued commands while disconnected. Err when the owner is gone.
fn drain_commands(
    cmds: &mut mpsc::UnboundedReceiver<ConnCmd>,
    listeners: &mut HashMap<Symbol, Listener>,
) -> Result<(), ()> {
    loop {
        match cmds.try_recv() {
            Ok(ConnCmd::Subscribe(s, tx)) => {
                listeners.insert(s, Listener { tx, candle: None });
            }
            Ok(ConnCmd::Unsubscribe(s)) => {
                listeners.remove(&s);
            }
            Err(mpsc::error::TryRecvError::Empty) => return Ok(()),
            Err(mpsc::error::TryRecvError::Disconnected) => return Err(()),
        }
    }
}

fn handle_public(text: &str, listeners: &mut HashMap<Symbol, Listener>) {
    let Some(Incoming::Push { action, arg, data, ts }) = parse_incoming(text) else {
        if let Some(Incoming::Event { event, code, msg }) = parse_incoming(text) {
            if event == "error" {
                tracing::warn!(%code, %msg, "public WebSocket error event");
            }
        }
        return;
    };
    let Ok(symbol) = Symbol::new(&arg.inst_id) else { return };
    let Some(l) = listeners.get_mut(&symbol) else { return };
    match arg.channel.as_str() {
        "ticker" => {
            for item in data {
                match serde_json::from_value::<TickerRecord>(item) {
                    Ok(t) if t.last_pr > Decimal::ZERO => {
                        let tick = Tick {
                            symbol: symbol.clone(),
                            ts: if t.ts > 0 { t.ts } else { ts },
                            price: t.last_pr,
                        };
                        let _ = l.tx.send(MarketEvent::Tick(tick));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "unreadable ticker push"),
                }
            }
        }
        "candle1m" => {
            let mut rows: Vec<Candle> = data
                .iter()
                .filter_map(|v| v.as_array().and_then(|r| parse_candle_row(r).ok()))
                .collect();
            rows.sort_by_key(|c| c.ts);
            if action == "snapshot" {
                if let Some(last) = rows.last() {
                    if l.candle.is_none_or(|c| c.ts <= last.ts) {
                        l.candle = Some(*last);
                    }
                }
                return;
            }
            for c in rows {
                match l.candle {
                    Some(cur) if c.ts > cur.ts => {
                        let _ = l.tx.send(MarketEvent::Candle {
                            symbol: symbol.clone(),
                            candle: cur,
                        });
                        l.candle = Some(c);
                    }
                    Some(cur) if c.ts < cur.ts => {}
                    _ => l.candle = Some(c),
                }
            }
        }
        _ => {}
    }
}
