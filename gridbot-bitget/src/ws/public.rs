//! The public WebSocket client of either API: one connection carrying the
//! ticker and 1-minute candle subscriptions of several symbols. It pings,
//! reconnects with backoff and resubscribes its symbols by itself, and turns
//! pushes into [`MarketEvent`]s: a tick per ticker push, and a candle once it
//! is closed (when a push starts the next candle, the previous one is
//! emitted). Reference counting and spreading symbols over connections live
//! in [`crate::data`].
//!
//! v2: channels `ticker` and `candle1m` (`instType` `USDT-FUTURES`, rows as
//! arrays). v3: topics `ticker` and `kline` with interval `1m` (`instType`
//! `usdt-futures`, candles as objects `{start, open, high, low, close,
//! volume}`, the last price as `lastPrice`).

use std::collections::HashMap;

use futures::StreamExt;
use gridbot_core::model::{Candle, MarketEvent, Symbol, Tick};
use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::common::parse::{de_decimal, de_i64, de_opt_decimal};
use crate::config::WsConfig;
use crate::http::candles::parse_candle_row;
use crate::ws::connection::{connect, send_op, send_text, Backoff, WsStream};
use crate::ws::error::WsError;
use crate::ws::messages::{parse_incoming, Incoming, V2ChannelArg, V3TopicArg, WsApi};

/// Channels one symbol uses.
pub const CHANNELS_PER_SYMBOL: usize = 2;

/// What the owner asks a connection to do.
pub enum ConnCmd {
    /// Start delivering `symbol` to this sender.
    Subscribe(Symbol, broadcast::Sender<MarketEvent>),
    /// Stop delivering `symbol`.
    Unsubscribe(Symbol),
}

/// Where and how one public connection connects.
#[derive(Debug, Clone)]
pub struct PublicSocket {
    /// The public WebSocket URL of the API.
    pub url: String,
    /// Which dialect.
    pub api: WsApi,
    /// `instType` of the arguments (`USDT-FUTURES` on v2, `usdt-futures` on v3).
    pub inst_type: &'static str,
    /// Timings.
    pub ws: WsConfig,
}

/// A ticker push item of either dialect.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TickerPush {
    #[serde(default, alias = "lastPrice", deserialize_with = "de_decimal")]
    last_pr: Decimal,
    #[serde(default, deserialize_with = "de_i64")]
    ts: i64,
}

/// A v3 `kline` push item.
#[derive(Debug, Clone, Deserialize, Default)]
struct KlinePush {
    #[serde(default, deserialize_with = "de_i64")]
    start: i64,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    open: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    high: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    low: Option<Decimal>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    close: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal")]
    volume: Decimal,
}

/// A candle from a push item: an array row (v2) or an object (v3).
fn candle_of(item: &serde_json::Value) -> Option<Candle> {
    if let Some(row) = item.as_array() {
        return parse_candle_row(row).ok();
    }
    let k: KlinePush = serde_json::from_value(item.clone()).ok()?;
    Some(Candle {
        ts: k.start,
        open: k.open?,
        high: k.high?,
        low: k.low?,
        close: k.close?,
        volume: k.volume,
    })
}

struct Listener {
    tx: broadcast::Sender<MarketEvent>,
    candle: Option<Candle>,
}

async fn send_symbols(ws: &mut WsStream, cfg: &PublicSocket, op: &str, symbols: &[&Symbol]) -> Result<(), WsError> {
    if symbols.is_empty() {
        return Ok(());
    }
    match cfg.api {
        WsApi::V2 => {
            let args: Vec<V2ChannelArg> = symbols
                .iter()
                .flat_map(|s| {
                    [
                        V2ChannelArg::new(cfg.inst_type, "ticker", s.as_str()),
                        V2ChannelArg::new(cfg.inst_type, "candle1m", s.as_str()),
                    ]
                })
                .collect();
            send_op(ws, op, &args).await
        }
        WsApi::V3 => {
            let args: Vec<V3TopicArg> = symbols
                .iter()
                .flat_map(|s| {
                    [
                        V3TopicArg::public(cfg.inst_type, "ticker", s.as_str(), ""),
                        V3TopicArg::public(cfg.inst_type, "kline", s.as_str(), "1m"),
                    ]
                })
                .collect();
            send_op(ws, op, &args).await
        }
    }
}

/// One public connection: owns its symbols, reconnects and resubscribes.
/// Ends when the owner drops its command sender.
pub async fn run_connection(cfg: PublicSocket, mut cmds: mpsc::UnboundedReceiver<ConnCmd>) {
    let ws_cfg = cfg.ws.clone();
    let mut listeners: HashMap<Symbol, Listener> = HashMap::new();
    let mut backoff = Backoff::new(ws_cfg.reconnect_backoff, ws_cfg.reconnect_backoff_max);
    loop {
        let mut ws = match connect(&cfg.url, ws_cfg.login_timeout).await {
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
        let all: Vec<&Symbol> = listeners.keys().collect();
        if send_symbols(&mut ws, &cfg, "subscribe", &all).await.is_err() {
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
                        listeners.insert(sym.clone(), Listener { tx, candle: None });
                        if let Err(e) = send_symbols(&mut ws, &cfg, "subscribe", &[&sym]).await { break e; }
                    }
                    Some(ConnCmd::Unsubscribe(sym)) => {
                        listeners.remove(&sym);
                        if let Err(e) = send_symbols(&mut ws, &cfg, "unsubscribe", &[&sym]).await { break e; }
                    }
                },
                _ = ping.tick() => {
                    if last_rx.elapsed() > ws_cfg.idle_timeout {
                        break WsError::Idle { idle_ms: ws_cfg.idle_timeout.as_millis() as u64 };
                    }
                    if let Err(e) = send_text(&mut ws, "ping".to_owned()).await { break e; }
                }
                msg = ws.next() => match msg {
                    None => break WsError::Closed,
                    Some(Err(e)) => break WsError::Read(e.to_string()),
                    Some(Ok(Message::Text(t))) => {
                        last_rx = tokio::time::Instant::now();
                        backoff.reset();
                        handle_public(&t, &mut listeners);
                    }
                    Some(Ok(Message::Close(_))) => break WsError::Closed,
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
    let (action, arg, data, ts) = match parse_incoming(text) {
        Some(Incoming::Push { action, arg, data, ts }) => (action, arg, data, ts),
        Some(Incoming::Event { event, code, msg }) if event == "error" => {
            tracing::warn!(%code, %msg, "public WebSocket error event");
            return;
        }
        _ => return,
    };
    let Ok(symbol) = Symbol::new(arg.instrument()) else {
        return;
    };
    let Some(l) = listeners.get_mut(&symbol) else { return };
    match arg.name() {
        "ticker" => {
            for item in data {
                match serde_json::from_value::<TickerPush>(item) {
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
        "candle1m" | "kline" => {
            let mut rows: Vec<Candle> = data.iter().filter_map(candle_of).collect();
            rows.sort_by_key(|c| c.ts);
            // A v2 snapshot (history on subscribe) or the first push after a
            // (re)subscribe only sets the candle in progress; v3 may send
            // every push as a snapshot, so only v2's are skipped later on.
            if l.candle.is_none() || (action == "snapshot" && arg.name() == "candle1m") {
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
