//! The runner's books: what it has written, what it must write next, and
//! how it books fills.
//!
//! - **One write per step.** Everything a step changes (order records,
//!   booked fills, the engine state with its fill cursor, stats, equity,
//!   status) collects in [`BotWrites`] and goes to the store in one
//!   transaction ([`BotRunner::commit`], [`crate::ports::Store::write_bot`]),
//!   fenced by the runner's lease: a runner that lost its lease writes
//!   nothing more, and — as every order is written before it is sent —
//!   sends nothing more either.
//! - **Write-ahead.** Nothing goes to the exchange before what led to it is
//!   durable: the executor commits before every placement (see `exec.rs`),
//!   so after a crash the restored engine knows every order it may have
//!   sent, under the same client ids.
//! - **Exactly-once booking.** Fills are fetched after the saved cursor and
//!   attributed to the bot when their id names it (or names nobody: an
//!   exchange-made fill such as a liquidation). Each fill id is fed to the
//!   engine once; the fill, the engine state and the cursor are committed
//!   together, so a restart re-fetches exactly what was not committed. A
//!   fill that would book more than its order's quantity, or that the
//!   engine cannot explain (it books nothing for it), is refused: the bot
//!   goes to `error` with both records in the message, never booking it
//!   silently. The store applies the same quantity rule in the same
//!   transaction ([`crate::ports::check_fill_booking`]). A user's stop
//!   leaves such a fill unbooked and goes on (its orders cancelled, its
//!   own position closed), naming the fill in the `stopped` message
//!   ([`BotRunner::stop`]).

use std::collections::{HashMap, HashSet, VecDeque};

use rust_decimal::Decimal;

use super::bot_runner::BotRunner;
use super::RunnerError;
use crate::engine::{Command, EngineEvent};
use crate::error::StoreError;
use crate::model::{BotOrder, BotOrderStatus, BotStatus, ClientOrderId, Fill, OrderStatus};
use crate::ports::{check_fill_booking, EngineSave, StatusChange};

/// Fill pages fetched at most per sync (the rest waits for the next one).
const MAX_PAGES: usize = 64;
/// Fill ids remembered to drop duplicates an exchange may send.
const RECENT_FILLS_CAP: usize = 4096;

/// The store status of an exchange order status.
pub(super) fn record_status(s: OrderStatus) -> BotOrderStatus {
    match s {
        OrderStatus::Open | OrderStatus::PartiallyFilled => BotOrderStatus::Open,
        OrderStatus::Filled => BotOrderStatus::Filled,
        OrderStatus::Canceled => BotOrderStatus::Canceled,
        OrderStatus::Rejected => BotOrderStatus::Rejected,
    }
}

/// An order the runner believes intended or open, and what its fills
/// booked so far.
#[derive(Debug, Clone)]
pub(super) struct LiveOrder {
    pub record: BotOrder,
    pub booked: Decimal,
}

/// The orders a runner tracks, by client id: the live ones, and the
/// lately filled ones (bounded) so a fill repeated under a new id is still
/// checked against its order.
#[derive(Debug, Default)]
pub(super) struct LiveOrders {
    live: HashMap<ClientOrderId, LiveOrder>,
    done: HashMap<ClientOrderId, LiveOrder>,
    done_order: VecDeque<ClientOrderId>,
}

impl LiveOrders {
    pub fn get(&self, id: &ClientOrderId) -> Option<&LiveOrder> {
        self.live.get(id).or_else(|| self.done.get(id))
    }

    fn get_mut(&mut self, id: &ClientOrderId) -> Option<&mut LiveOrder> {
        self.live.get_mut(id)
    }

    pub fn insert(&mut self, record: BotOrder, booked: Decimal) {
        self.live.insert(record.client_id.clone(), LiveOrder { record, booked });
    }

    pub fn remove(&mut self, id: &ClientOrderId) -> Option<LiveOrder> {
        self.live.remove(id)
    }

    /// Moves a completely filled order to the recently filled ones.
    fn retire(&mut self, id: &ClientOrderId) {
        if let Some(o) = self.live.remove(id) {
            self.done.insert(id.clone(), o);
            self.done_order.push_back(id.clone());
            if self.done_order.len() > RECENT_FILLS_CAP {
                if let Some(old) = self.done_order.pop_front() {
                    self.done.remove(&old);
                }
            }
        }
    }

    /// Ids of the orders in `status`.
    pub fn ids_in(&self, status: BotOrderStatus) -> Vec<ClientOrderId> {
        self.live
            .iter()
            .filter(|(_, o)| o.record.status == status)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Fill ids seen lately (a bounded set).
#[derive(Debug, Default)]
pub(super) struct RecentFills {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl RecentFills {
    /// Remembers a fill id; false when it was seen already.
    pub fn remember(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > RECENT_FILLS_CAP {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

impl BotRunner {
    /// Writes everything pending in one fenced transaction, with the engine
    /// state and cursor when they changed and the stats when they moved.
    pub(super) async fn commit(&mut self) -> Result<(), RunnerError> {
        if self.engine_dirty {
            self.pending.engine = Some(EngineSave {
                state: self.saved_state(),
                fill_cursor: self.cursor.as_ref().map(|c| c.0.clone()),
            });
        }
        let stats = self.engine.stats();
        if stats != self.saved_stats {
            self.pending.stats = Some(stats.clone());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let now = self.ctx.clock.now_ms();
        let mut writes = std::mem::take(&mut self.pending);
        match self.ctx.store.write_bot(&self.lease, &writes, now).await {
            Ok(_) => {}
            // The status moved under the runner (a stop asked meanwhile):
            // write the rest, and take the status the store has.
            Err(StoreError::Conflict(reason)) if writes.status.is_some() => {
                tracing::info!(bot = %self.bot.id, %reason, "status changed meanwhile; the runner follows the store");
                writes.status = None;
                self.ctx.store.write_bot(&self.lease, &writes, now).await?;
                if let Some(b) = self.ctx.store.bot(self.bot.id).await? {
                    self.bot.status = b.status;
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.engine_dirty = false;
        self.quiet_candles = 0;
        if let Some(status) = writes.status {
            self.bot.status = status.to;
            self.publish_status(status.to, status.message);
        }
        if writes.stats.is_some() {
            self.saved_stats = stats.clone();
            self.publish_stats(stats);
        }
        Ok(())
    }

    /// Asks for a status change in the next commit, allowed from `from`.
    pub(super) fn change_status(&mut self, to: BotStatus, message: Option<String>, from: &[BotStatus]) {
        self.pending.status = Some(StatusChange {
            to,
            message,
            from: from.to_vec(),
        });
    }

    /// Records an order change for the next commit.
    pub(super) fn record_order(&mut self, record: BotOrder) {
        self.pending.orders.push(record);
    }

    /// Fetches the fills after the cursor, books the bot's new ones and
    /// returns the engine's reactions. See the module docs for the rules.
    pub(super) async fn sync_fills(&mut self) -> Result<Vec<Command>, RunnerError> {
        let mut cmds = Vec::new();
        for _ in 0..MAX_PAGES {
            let cursor = self.cursor.clone();
            let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
            let page = self
                .retry(move || {
                    let (ex, symbol, cursor) = (ex.clone(), symbol.clone(), cursor.clone());
                    async move { ex.fills_since(&symbol, cursor).await }
                })
                .await?;
            let mine: Vec<&Fill> = page.fills.iter().filter(|f| self.is_mine(f)).collect();
            for fill in mine {
                if !self.recent.remember(&fill.id) {
                    continue;
                }
                match self.book_fill(fill, &mut cmds) {
                    Err(RunnerError::Store(StoreError::FillRefused { reason, .. })) if self.stopping => {
                        tracing::warn!(bot = %self.bot.id, fill = %fill.id, %reason, "fill left unbooked by a stop");
                        self.unbooked.push(format!(
                            "fill {} ({} {} at {}, order {})",
                            fill.id,
                            fill.side.as_str(),
                            fill.qty,
                            fill.price,
                            fill.client_id
                        ));
                    }
                    other => other?,
                }
            }
            let advanced = page.next_cursor.is_some() && page.next_cursor != self.cursor;
            if let Some(c) = page.next_cursor {
                if Some(&c) != self.cursor.as_ref() {
                    self.engine_dirty = true;
                }
                self.cursor = Some(c);
            }
            if !page.has_more || !advanced {
                break;
            }
        }
        if !self.pending.fills.is_empty() {
            self.engine_dirty = true;
        }
        Ok(cmds)
    }

    /// Books one new fill of the bot (see the module docs).
    fn book_fill(&mut self, fill: &Fill, cmds: &mut Vec<Command>) -> Result<(), RunnerError> {
        let live = self.live.get(&fill.client_id);
        let booked = live.map_or(Decimal::ZERO, |o| o.booked);
        check_fill_booking(self.bot.id, live.map(|o| &o.record), booked, fill)?;
        let before = self.engine.stats().fills;
        self.engine.on_event(&EngineEvent::Fill(fill.clone()), cmds);
        if self.engine.stats().fills == before {
            return Err(RunnerError::Store(StoreError::FillRefused {
                bot: self.bot.id,
                reason: format!(
                    "fill {} ({} {} {} at {}, order {}, {}) matches none of the bot's orders: \
                     an order or a trade outside the bot on its symbol; the bot's books and the \
                     exchange differ until it is looked at (close or cancel it on the exchange, \
                     then resume or stop the bot)",
                    fill.id,
                    fill.side.as_str(),
                    fill.qty,
                    fill.symbol,
                    fill.price,
                    fill.client_id,
                    fill.ts
                ),
            }));
        }
        if let Some(o) = self.live.get_mut(&fill.client_id) {
            o.booked += fill.qty;
            if o.booked >= o.record.qty {
                o.record.status = BotOrderStatus::Filled;
                let record = o.record.clone();
                self.live.retire(&fill.client_id);
                self.record_order(record);
            }
        }
        self.pending.fills.push(fill.clone());
        Ok(())
    }

    /// Moves the cursor to the end of the account's fill history without
    /// booking anything (a fresh bot owns no earlier fill).
    pub(super) async fn skip_fill_history(&mut self) -> Result<(), RunnerError> {
        for _ in 0..MAX_PAGES * 16 {
            let cursor = self.cursor.clone();
            let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
            let page = self
                .retry(move || {
                    let (ex, symbol, cursor) = (ex.clone(), symbol.clone(), cursor.clone());
                    async move { ex.fills_since(&symbol, cursor).await }
                })
                .await?;
            let advanced = page.next_cursor.is_some() && page.next_cursor != self.cursor;
            if let Some(c) = page.next_cursor {
                self.cursor = Some(c);
            }
            if !page.has_more || !advanced {
                break;
            }
        }
        self.engine_dirty = true;
        Ok(())
    }

    /// True when `fill` belongs to this bot: on its symbol, and its client
    /// id names this bot of this installation, or names nobody
    /// (exchange-made: a liquidation, a preset stop). One active bot per
    /// symbol per account makes that unambiguous.
    pub(super) fn is_mine(&self, fill: &Fill) -> bool {
        fill.symbol == self.bot.symbol && fill.client_id.parse().is_none_or(|p| p.owner == self.owner)
    }

    /// True when `id` is one of this bot's own order ids.
    pub(super) fn owns(&self, id: &ClientOrderId) -> bool {
        id.owner() == Some(self.owner)
    }
}
