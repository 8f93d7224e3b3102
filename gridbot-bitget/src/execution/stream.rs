//! The account's execution-event stream: the private WebSocket client
//! ([`crate::ws::private`]) of the account's API, turned into the port's
//! [`ExecutionEvent`]s and fanned out to every stream handed out.
//!
//! One background task per account, started by the first
//! [`gridbot_core::ports::Exchange::execution_events`] call; it ends when
//! the [`BitgetExchange`] is dropped.
//!
//! No fill lost, none delivered twice:
//! - every fill is delivered once, by fill id (a bounded memory of the last
//!   [`DELIVERED_MEMORY`] ids), whether it arrives on the socket, twice, late,
//!   or from the REST gap fill;
//! - after every (re)subscription the task reads REST fills of each traded
//!   symbol from [`REORDER_WINDOW_MS`] before the newest fill it delivered
//!   (or from the stream's start), so fills pushed while the socket was down,
//!   or delayed past a drop, are recovered. A failed gap fill is retried
//!   every ping interval until it succeeds;
//! - order updates older than the last one delivered for that order are
//!   dropped as out of order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use gridbot_core::model::{AccountBalance, ExecutionEvent, Order, Position, Symbol, TimestampMs};
use gridbot_core::ports::ExecutionStream;
use gridbot_core::ExchangeError;
use serde_json::Value;
use tokio::sync::mpsc;

use super::fills::fill_from_record;
use super::{BitgetExchange, Inner};
use crate::common::account::AccountKind;
use crate::http::client::now_ms;
use crate::http::records::FillRecord;
use crate::http::v2::models::{V2FillRecord, V2OrderRecord, V2PositionRecord};
use crate::http::v3::models::{V3Assets, V3FillRecord, V3OrderRecord, V3PositionRecord};
use crate::ws::connection::Backoff;
use crate::ws::messages::WsApi;
use crate::ws::private::{PrivateEvent, PrivateSocket, PrivateTopic};

/// Fill ids remembered for de-duplication.
pub const DELIVERED_MEMORY: usize = 100_000;
/// How far back before the newest delivered fill a gap fill reads.
pub const REORDER_WINDOW_MS: i64 = 60_000;

type Subscribers = Arc<Mutex<Vec<mpsc::UnboundedSender<ExecutionEvent>>>>;

/// Fan-out of one account's execution events to every stream handed out.
pub(crate) struct ExecutionHub {
    subscribers: Subscribers,
    exchange: Weak<Inner>,
    started: AtomicBool,
    balance: Arc<Mutex<Option<AccountBalance>>>,
}

impl BitgetExchange {
    pub(crate) fn hub(&self) -> &ExecutionHub {
        self.inner.hub.get_or_init(|| ExecutionHub {
            subscribers: Arc::new(Mutex::new(Vec::new())),
            exchange: Arc::downgrade(&self.inner),
            started: AtomicBool::new(false),
            balance: Arc::new(Mutex::new(None)),
        })
    }

    /// The balance last pushed on the unified `account` topic, once the
    /// execution stream runs (classic accounts: `None`).
    pub fn streamed_balance(&self) -> Option<AccountBalance> {
        self.inner.hub.get()?.balance.lock().ok()?.clone()
    }
}

impl ExecutionHub {
    /// A new stream; starts the connection task on first use.
    pub(crate) fn subscribe(&self) -> ExecutionStream {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut s) = self.subscribers.lock() {
            s.push(tx);
        }
        if !self.started.swap(true, Ordering::SeqCst) {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => {
                    h.spawn(run(
                        self.exchange.clone(),
                        self.subscribers.clone(),
                        self.balance.clone(),
                    ));
                }
                Err(_) => {
                    self.started.store(false, Ordering::SeqCst);
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

fn upgrade(w: &Weak<Inner>) -> Option<BitgetExchange> {
    w.upgrade().map(BitgetExchange::from_inner)
}

/// Detects the account kind (retrying transient failures) and opens the
/// private socket of its API.
async fn open(w: &Weak<Inner>) -> Option<(AccountKind, mpsc::UnboundedReceiver<PrivateEvent>)> {
    let mut backoff = None;
    loop {
        let ex = upgrade(w)?;
        let cfg = ex.client().config().clone();
        let b = backoff.get_or_insert_with(|| Backoff::new(cfg.ws.reconnect_backoff, cfg.ws.reconnect_backoff_max));
        match ex.account_kind().await {
            Ok(kind) => {
                let (url, api) = match kind {
                    AccountKind::Classic => (cfg.endpoints.ws_v2.private.clone(), WsApi::V2),
                    AccountKind::Unified => (cfg.endpoints.ws_v3.private.clone(), WsApi::V3),
                };
                let socket = PrivateSocket {
                    url,
                    api,
                    credentials: cfg.credentials.clone(),
                    ws: cfg.ws.clone(),
                    v2_inst_type: cfg.product_type().as_str(),
                };
                match socket.spawn() {
                    Ok(rx) => return Some((kind, rx)),
                    Err(e) => tracing::error!(error = %e, "cannot start the private WebSocket"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "account kind unknown; the execution stream waits"),
        }
        let delay = b.next_delay();
        drop(ex);
        tokio::time::sleep(delay).await;
    }
}

async fn run(w: Weak<Inner>, subs: Subscribers, balance: Arc<Mutex<Option<AccountBalance>>>) {
    let Some((kind, mut rx)) = open(&w).await else { return };
    let mut mem = Memory::new();
    let ping = upgrade(&w).map(|ex| ex.client().config().ws.ping_interval);
    let mut retry = tokio::time::interval(ping.unwrap_or(std::time::Duration::from_secs(30)));
    retry.tick().await;
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                None => return,
                Some(PrivateEvent::Subscribed) => {
                    mem.gap_pending = true;
                    gap_fill(&w, &subs, &mut mem).await;
                }
                Some(PrivateEvent::Lost(e)) => {
                    tracing::warn!(error = %e, "private WebSocket lost; reconnecting");
                    mem.gap_pending = true;
                }
                Some(PrivateEvent::Push { topic, data }) => {
                    let Some(ex) = upgrade(&w) else { return };
                    handle_push(&ex, kind, &subs, &mut mem, &balance, topic, data).await;
                }
            },
            _ = retry.tick() => {
                if w.strong_count() == 0 { return; }
                if mem.gap_pending { gap_fill(&w, &subs, &mut mem).await; }
            }
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
) -> Result<(), ExchangeError> {
    if r.id.is_empty() || mem.delivered.contains(&r.id) {
        return Ok(());
    }
    let fill = match ex.known_client_id(&r.order_id) {
        Some(c) if r.client_oid.is_none() => {
            let fee = ex.fee_in_usdt(&r.id, &r.fees).await?;
            fill_from_record(symbol, r, c, fee)
        }
        _ => ex.to_fill(symbol, r).await?,
    };
    if mem.first_time(&fill.id) {
        let e = mem.newest_fill_ts.entry(symbol.clone()).or_insert(fill.ts);
        *e = (*e).max(fill.ts);
        broadcast(subs, ExecutionEvent::Fill(fill));
    }
    Ok(())
}

fn parse_each<T: serde::de::DeserializeOwned>(data: Vec<Value>, what: &str) -> Vec<T> {
    data.into_iter()
        .filter_map(|item| match serde_json::from_value::<T>(item) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable {what} push");
                None
            }
        })
        .collect()
}

async fn handle_push(
    ex: &BitgetExchange,
    kind: AccountKind,
    subs: &Subscribers,
    mem: &mut Memory,
    balance: &Mutex<Option<AccountBalance>>,
    topic: PrivateTopic,
    data: Vec<Value>,
) {
    match topic {
        PrivateTopic::Orders => {
            let orders: Vec<Result<Order, ExchangeError>> = match kind {
                AccountKind::Classic => parse_each::<V2OrderRecord>(data, "order")
                    .iter()
                    .map(|r| r.to_order())
                    .collect(),
                AccountKind::Unified => parse_each::<V3OrderRecord>(data, "order")
                    .iter()
                    .map(|r| r.to_order())
                    .collect(),
            };
            for order in orders {
                match order {
                    Ok(o) => deliver_order(ex, subs, mem, o),
                    Err(e) => tracing::warn!(error = %e, "unreadable order push"),
                }
            }
        }
        PrivateTopic::Fills => {
            let records: Vec<Result<FillRecord, ExchangeError>> = match kind {
                AccountKind::Classic => parse_each::<V2FillRecord>(data, "fill")
                    .iter()
                    .map(|r| r.to_record())
                    .collect(),
                AccountKind::Unified => parse_each::<V3FillRecord>(data, "fill")
                    .iter()
                    .map(|r| r.to_record())
                    .collect(),
            };
            for rec in records {
                let rec = match rec {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable fill push");
                        continue;
                    }
                };
                let Ok(symbol) = Symbol::new(&rec.symbol) else {
                    tracing::warn!(symbol = %rec.symbol, "fill push with an unreadable symbol");
                    continue;
                };
                ex.track(&symbol);
                if let Err(e) = deliver_fill(ex, subs, mem, &symbol, &rec).await {
                    tracing::warn!(error = %e, "fill push not resolved now; the gap fill will deliver it");
                    mem.gap_pending = true;
                }
            }
        }
        PrivateTopic::Positions => {
            for p in positions_of(kind, data) {
                broadcast(subs, ExecutionEvent::Position(p));
            }
        }
        PrivateTopic::Account => {
            if kind == AccountKind::Unified {
                if let Some(a) = parse_each::<V3Assets>(data, "account").last() {
                    if let Ok(mut b) = balance.lock() {
                        *b = Some(a.to_balance());
                    }
                }
            }
        }
    }
}

fn deliver_order(ex: &BitgetExchange, subs: &Subscribers, mem: &mut Memory, order: Order) {
    ex.remember_order_id(&order.id, &order.client_id);
    let last = mem.order_updates.entry(order.id.clone()).or_insert(i64::MIN);
    if order.updated_at < *last {
        tracing::debug!(order_id = %order.id, "dropping an out-of-order order update");
        return;
    }
    *last = order.updated_at;
    if !order.status.is_open() {
        // Bounded memory: closed orders need no further ordering.
        mem.order_updates.remove(&order.id);
    }
    broadcast(subs, ExecutionEvent::Order(order));
}

/// Position pushes grouped by symbol, as one-way positions.
fn positions_of(kind: AccountKind, data: Vec<Value>) -> Vec<Position> {
    let mut out = Vec::new();
    match kind {
        AccountKind::Classic => {
            let mut by_symbol: HashMap<String, Vec<V2PositionRecord>> = HashMap::new();
            for r in parse_each::<V2PositionRecord>(data, "position") {
                by_symbol.entry(r.symbol().to_owned()).or_default().push(r);
            }
            for (s, recs) in by_symbol {
                if let Ok(symbol) = Symbol::new(&s) {
                    out.push(V2PositionRecord::to_position(&symbol, &recs));
                }
            }
        }
        AccountKind::Unified => {
            let recs = parse_each::<V3PositionRecord>(data, "position");
            let mut symbols: Vec<&str> = recs.iter().map(|r| r.symbol.as_str()).collect();
            symbols.sort_unstable();
            symbols.dedup();
            for s in symbols {
                if let Ok(symbol) = Symbol::new(s) {
                    out.push(V3PositionRecord::to_position(&symbol, &recs));
                }
            }
        }
    }
    out
}
