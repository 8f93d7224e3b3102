//! The account's execution-event stream over the private WebSocket.
//!
//! One background task per account (started by the first
//! [`gridbot_core::ports::Exchange::execution_events`] call) logs in,
//! subscribes `orders`, `fill` and `positions` (`instId` `default`), pings,
//! and on any failure reconnects with backoff, logs in and resubscribes.
//!
//! No fill lost, none delivered twice:
//! - every fill is delivered once, by fill id (a bounded memory of the last
//!   [`DELIVERED_MEMORY`] ids), whether it arrives on the socket, twice, late,
//!   or from the REST gap fill;
//! - after every (re)subscription the task reads REST `fills` of each traded
//!   symbol from [`REORDER_WINDOW_MS`] before the newest fill it delivered
//!   (or from the stream's start), so fills pushed while the socket was down,
//!   or delayed past a drop, are recovered. A failed gap fill is retried at
//!   every ping until it succeeds.
//! - order updates older than the last one delivered for that order
//!   (`uTime`) are dropped as out of order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, Weak};

use futures::StreamExt;
use gridbot_core::model::{ExecutionEvent, Symbol, TimestampMs};
use gridbot_core::ports::ExecutionStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::common::signing::sign_ws_login;
use crate::http::client::now_ms;
use crate::http::exchange::{position_from, BitgetExchange, Inner};
use crate::http::fills::fill_from_record;
use crate::http::models::{FillRecord, OrderRecord, PositionRecord};
use crate::ws::connection::{connect, send_text, Backoff, WsStream};
use crate::ws::messages::{parse_incoming, ChannelArg, Incoming, LoginArg, OpRequest};

/// Fill ids remembered for de-duplication.
pub const DELIVERED_MEMORY: usize = 100_000;
/// How far back before the newest delivered fill a gap fill reads.
pub const REORDER_WINDOW_MS: i64 = 60_000;

type Subscribers = Arc<Mutex<Vec<mpsc::UnboundedSender<ExecutionEvent>>>>;

/// Fan-out of one account's execution events to every stream handed out.
pub(crate) struct ExecutionHub {
    subscribers: Subscribers,
    exchange: Weak<Inner>,
    started: std::sync::atomic::AtomicBool,
}

impl ExecutionHub {
    pub(crate) fn new(exchange: Weak<Inner>) -> Self {
        ExecutionHub {
            subscribers: Arc::new(Mutex::new(Vec::new())),
            exchange,
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A new stream; starts the connection task on first use.
    pub(crate) fn subscribe(&self) -> ExecutionStream {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut s) = self.subscribers.lock() {
            s.push(tx);
        }
        if !self.started.swap(true, std::sync::atomic::Ordering::SeqCst) {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => {
                    h.spawn(run(self.exchange.clone(), self.subscribers.clone()));
                }
                Err(_) => {
                    self.started.store(false, std::sync::atomic::Ordering::SeqCst);
                    tracing::error!("execution_events() called outside a tokio runtime; no events will arrive");
                }
            }
        }
        Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        }))
    }
}

/// What the task remembers across reconnects.
struct Memory {
    delivered: HashSet<String>,
    delivered_order: VecDeque<String>,
    newest_fill_ts: HashMap<Symbol, TimestampMs>,
    order_updates: HashMap<String, i64>,
    started_at: TimestampMs,
    gap_pending: bool,
}

impl Memory {
    fn new() -> Self {
        Memory {
            delivered: HashSet::new(),
            delivered_order: VecDeque::new(),
            newest_fill_ts: HashMap::new(),
            order_updates: HashMap::new(),
            started_at: now_ms(),
            gap_pending: false,
        }
    }

    /// True the first time a fill id is seen.
    fn first_time(&mut self, id: &str) -> bool {
        if !self.delivered.insert(id.to_owned()) {
            return false;
        }
        self.delivered_order.push_back(id.to_owned());
        while self.delivered_order.len() > DELIVERED_MEMORY {
            if let Some(old) = self.delivered_order.pop_front() {
                self.delivered.remove(&old);
            }
        }
        true
    }
}

fn broadcast(subs: &Subscribers, ev: ExecutionEvent) {
    if let Ok(mut s) = subs.lock() {
        s.retain(|tx| tx.send(ev.clone()).is_ok());
    }
}

async fn run(exchange: Weak<Inner>, subs: Subscribers) {
    let mut mem = Memory::new();
    let cfg = match exchange.upgrade() {
        Some(i) => i.client.config().clone(),
        None => return,
    };
    let mut backoff = Backoff::new(cfg.ws.reconnect_backoff, cfg.ws.reconnect_backoff_max);
    loop {
        if exchange.strong_count() == 0 {
            return;
        }
        match session(&exchange, &subs, &mut mem, &mut backoff).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, "private WebSocket lost; reconnecting"),
        }
        mem.gap_pending = true;
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

fn upgrade(w: &Weak<Inner>) -> Option<BitgetExchange> {
    w.upgrade().map(BitgetExchange::from_inner)
}

async fn login(ws: &mut WsStream, ex: &BitgetExchange) -> Result<(), String> {
    let cfg = ex.client().config();
    let creds = cfg
        .credentials
        .as_ref()
        .ok_or("no API credentials configured: the private WebSocket needs them")?;
    let ts = (now_ms() / 1000).to_string();
    let arg = LoginArg {
        api_key: creds.api_key().to_owned(),
        passphrase: creds.passphrase().to_owned(),
        sign: sign_ws_login(creds.secret(), &ts),
        timestamp: ts,
    };
    let text = serde_json::to_string(&OpRequest {
        op: "login",
        args: std::slice::from_ref(&arg),
    })
    .map_err(|e| e.to_string())?;
    send_text(ws, text).await?;
    let wait = async {
        while let Some(msg) = ws.next().await {
            let Ok(Message::Text(t)) = msg else { continue };
            if let Some(Incoming::Event { event, code, msg }) = parse_incoming(&t) {
                if event == "login" && (code == "0" || code.is_empty()) {
                    return Ok(());
                }
                if event == "error" || event == "login" {
                    return Err(format!("login refused ({code}): {msg}"));
                }
            }
        }
        Err("closed during login".to_owned())
    };
    tokio::time::timeout(cfg.ws.login_timeout, wait)
        .await
        .map_err(|_| "no login answer in time".to_owned())?
}

/// One connection's life. `Ok` only when the exchange is gone.
async fn session(w: &Weak<Inner>, subs: &Subscribers, mem: &mut Memory, backoff: &mut Backoff) -> Result<(), String> {
    let (url, ws_cfg, inst_type) = {
        let Some(ex) = upgrade(w) else { return Ok(()) };
        let c = ex.client().config();
        (c.endpoints.ws_private.clone(), c.ws.clone(), c.product_type().as_str())
    };
    let mut ws = connect(&url, ws_cfg.login_timeout).await?;
    {
        let Some(ex) = upgrade(w) else { return Ok(()) };
        login(&mut ws, &ex).await?;
    }
    let args: Vec<ChannelArg> = ["orders", "fill", "positions"]
        .iter()
        .map(|c| ChannelArg::new(inst_type, c, "default"))
        .collect();
    send_text(
        &mut ws,
        serde_json::to_string(&OpRequest {
            op: "subscribe",
            args: &args,
        })
        .unwrap_or_default(),
    )
    .await?;
    mem.gap_pending = true;
    gap_fill(w, subs, mem).await;
    let mut ping = tokio::time::interval(ws_cfg.ping_interval);
    ping.tick().await;
    let mut last_rx = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if w.strong_count() == 0 { return Ok(()); }
                if last_rx.elapsed() > ws_cfg.idle_timeout { return Err("no message within the idle timeout".into()); }
                send_text(&mut ws, "ping".to_owned()).await?;
                if mem.gap_pending { gap_fill(w, subs, mem).await; }
            }
            msg = ws.next() => match msg {
                None => return Err("closed by the server".into()),
                Some(Err(e)) => return Err(format!("read failed: {e}")),
                Some(Ok(Message::Text(t))) => {
                    last_rx = tokio::time::Instant::now();
                    backoff.reset();
                    handle_private(w, subs, mem, &t).await;
                }
                Some(Ok(Message::Close(_))) => return Err("closed by the server".into()),
                Some(Ok(_)) => { last_rx = tokio::time::Instant::now(); }
            },
        }
    }
}

/// Reads REST fills of every traded symbol and delivers the missing ones.
async fn gap_fill(w: &Weak<Inner>, subs: &Subscribers, mem: &mut Memory) {
    let Some(ex) = upgrade(w) else { return };
    let mut ok = true;
    for symbol in ex.tracked_symbols() {
        let since = mem
            .newest_fill_ts
            .get(&symbol)
            .map(|ts| ts - REORDER_WINDOW_MS)
            .unwrap_or(mem.started_at - REORDER_WINDOW_MS)
            .max(mem.started_at - REORDER_WINDOW_MS);
        match ex.fill_records(&symbol, None, Some(since)).await {
            Ok((records, _)) => {
                for r in records {
                    if let Err(e) = deliver_fill(&ex, subs, mem, &symbol, &r).await {
                        tracing::warn!(error = %e, "gap fill could not resolve a fill; will retry");
                        ok = false;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(%symbol, error = %e, "gap fill failed; will retry");
                ok = false;
            }
        }
    }
    mem.gap_pending = !ok;
}

async fn deliver_fill(
    ex: &BitgetExchange,
    subs: &Subscribers,
    mem: &mut Memory,
    symbol: &Symbol,
    r: &FillRecord,
) -> Result<(), gridbot_core::ExchangeError> {
    if r.trade_id.is_empty() || mem.delivered.contains(&r.trade_id) {
        return Ok(());
    }
    let fill = match ex.known_client_id(&r.order_id) {
        Some(c) if r.client_oid.is_empty() => fill_from_record(symbol, r, c)?,
        _ => ex.to_fill(symbol, r).await?,
    };
    if mem.first_time(&fill.id) {
        let e = mem.newest_fill_ts.entry(symbol.clone()).or_insert(fill.ts);
        *e = (*e).max(fill.ts);
        broadcast(subs, ExecutionEvent::Fill(fill));
    }
    Ok(())
}

async fn handle_private(w: &Weak<Inner>, subs: &Subscribers, mem: &mut Memory, text: &str) {
    let (arg, data) = match parse_incoming(text) {
        Some(Incoming::Push { arg, data, .. }) => (arg, data),
        Some(Incoming::Event { event, code, msg }) if event == "error" => {
            tracing::warn!(%code, %msg, "private WebSocket error event");
            return;
        }
        _ => return,
    };
    let Some(ex) = upgrade(w) else { return };
    match arg.channel.as_str() {
        "orders" => {
            for item in data {
                let rec: OrderRecord = match serde_json::from_value(item) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable order push");
                        continue;
                    }
                };
                let order = match rec.to_order() {
                    Ok(o) => o,
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable order push");
                        continue;
                    }
                };
                ex.remember_order_id(&order.id, &order.client_id);
                let last = mem.order_updates.entry(order.id.clone()).or_insert(i64::MIN);
                if order.updated_at < *last {
                    tracing::debug!(order_id = %order.id, "dropping an out-of-order order update");
                    continue;
                }
                *last = order.updated_at;
                if !order.status.is_open() {
                    // Bounded memory: closed orders need no further ordering.
                    mem.order_updates.remove(&order.id);
                }
                broadcast(subs, ExecutionEvent::Order(order));
            }
        }
        "fill" => {
            for item in data {
                let rec: FillRecord = match serde_json::from_value(item) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable fill push");
                        continue;
                    }
                };
                let Ok(symbol) = Symbol::new(rec.symbol()) else {
                    tracing::warn!(symbol = %rec.symbol(), "fill push with an unreadable symbol");
                    continue;
                };
                ex.track(&symbol);
                if let Err(e) = deliver_fill(&ex, subs, mem, &symbol, &rec).await {
                    tracing::warn!(error = %e, "fill push not resolved now; the gap fill will deliver it");
                    mem.gap_pending = true;
                }
            }
        }
        "positions" => {
            let mut by_symbol: HashMap<String, Vec<PositionRecord>> = HashMap::new();
            for item in data {
                match serde_json::from_value::<PositionRecord>(item) {
                    Ok(r) => by_symbol.entry(r.symbol().to_owned()).or_default().push(r),
                    Err(e) => tracing::warn!(error = %e, "unreadable position push"),
                }
            }
            for (s, recs) in by_symbol {
                if let Ok(symbol) = Symbol::new(&s) {
                    broadcast(subs, ExecutionEvent::Position(position_from(&symbol, &recs)));
                }
            }
        }
        _ => {}
    }
}
