//! Reconciliation: the bot's books against the exchange's own view, the
//! way passivbot's live loop does it (ideal orders versus actual ones).
//!
//! [`BotRunner::reconcile`] runs on (re)start, whenever an order event of
//! the bot shows something the bot did not do (an order cancelled or
//! rejected outside it), after a gap in the execution stream, after a
//! cancel that failed, and at least every
//! [`super::RunnerOptions::reconcile_every`]:
//! 1. books every fill after the cursor (what the bot missed);
//! 2. makes the exchange's resting orders of the bot equal the engine's
//!    ideal set: the bot's orders the engine does not want are cancelled;
//!    a wanted order that is not resting is looked up by client id —
//!    unknown to the exchange: placed (under the same id); filled: its
//!    fill is booked by the next sync; cancelled or rejected outside the
//!    bot: the engine is told ([`EngineEvent::Rejected`]) and places a
//!    replacement under a new id;
//! 3. refreshes the records the runner is unsure of (an intent whose
//!    answer was lost, a cancel that failed) by client id;
//! 4. compares the position the exchange holds on the bot's symbol with
//!    the bot's books. A difference that persists across two reads (fills
//!    in flight are booked in between) means something outside the bot
//!    traded its symbol: the bot goes to `error` saying both figures, never
//!    trading on with wrong books.
//!
//! [`BotRunner::finish`] is the end of every stop: the bot is `stopped`
//! only once the exchange shows no open order of the bot and the bot's
//! position closed.

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::bot_runner::BotRunner;
use super::RunnerError;
use crate::engine::{Command, EngineEvent, EnginePhase, StopReason};
use crate::model::{BotOrderStatus, BotStatus, ClientOrderId, Order, OrderStatus};

impl BotRunner {
    /// Reconciles the bot with the exchange (see the module docs).
    pub async fn reconcile(&mut self) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        self.reconcile_due = false;
        self.last_reconcile = self.ctx.clock.now_ms();
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        self.refresh_order_records().await?;
        if self.finished {
            return Ok(());
        }
        self.align_orders().await?;
        self.check_position().await?;
        self.commit().await
    }

    /// Step 2 of the module docs. A second pass places at once what the
    /// engine replaced during the first (an order cancelled outside it).
    async fn align_orders(&mut self) -> Result<(), RunnerError> {
        for _ in 0..2 {
            if !self.align_orders_once().await? || self.finished {
                break;
            }
        }
        Ok(())
    }

    /// One pass of [`BotRunner::align_orders`]; true when the engine
    /// replaced an order (its ideal set changed).
    async fn align_orders_once(&mut self) -> Result<bool, RunnerError> {
        let mut replaced = false;
        let ideal = self.engine.ideal_orders();
        let open = self.my_open_orders().await?;
        let ideal_ids: HashSet<&ClientOrderId> = ideal.iter().map(|o| &o.client_id).collect();
        let open_ids: HashSet<ClientOrderId> = open.iter().map(|o| o.client_id.clone()).collect();
        let extras: Vec<ClientOrderId> = open_ids.iter().filter(|id| !ideal_ids.contains(id)).cloned().collect();
        if !extras.is_empty() {
            tracing::info!(bot = %self.bot.id, count = extras.len(), "cancelling orders the bot no longer wants");
        }
        self.cancel_batch(extras).await?;
        let mut to_place = Vec::new();
        let mut follow = Vec::new();
        for req in ideal.into_iter().filter(|r| !open_ids.contains(&r.client_id)) {
            match self.lookup(&req.client_id).await? {
                None => to_place.push(req),
                Some(o) if o.status.is_open() => {}
                // Filled: the next fill sync books it.
                Some(o) if o.status == OrderStatus::Filled => self.reconcile_due = true,
                Some(o) => {
                    tracing::info!(bot = %self.bot.id, order = %o.client_id, status = ?o.status, "order ended outside the bot; replacing it");
                    let now = self.ctx.clock.now_ms();
                    self.note_answer(&o.client_id, &o, now);
                    let ev = EngineEvent::Rejected {
                        client_id: o.client_id.clone(),
                        reason: format!("order {} is {:?} on the exchange", o.client_id, o.status),
                        ts: now,
                    };
                    self.engine.on_event(&ev, &mut follow);
                    self.engine_dirty = true;
                    replaced = true;
                }
            }
        }
        follow.extend(self.place_batch(to_place).await?);
        self.process(follow).await?;
        Ok(replaced)
    }

    /// Step 3 of the module docs: the records the runner is unsure of —
    /// intents whose answer was lost, and orders recorded open that the
    /// exchange no longer shows resting (filled, or cancelled by a cancel
    /// whose answer was lost) — are looked up by client id and recorded as
    /// they really ended.
    pub(super) async fn refresh_order_records(&mut self) -> Result<(), RunnerError> {
        let resting: HashSet<ClientOrderId> = self.my_open_orders().await?.into_iter().map(|o| o.client_id).collect();
        let mut unsure = self.live.ids_in(BotOrderStatus::Intended);
        unsure.extend(
            self.live
                .ids_in(BotOrderStatus::Open)
                .into_iter()
                .filter(|id| !resting.contains(id)),
        );
        let now = self.ctx.clock.now_ms();
        for id in unsure {
            match self.lookup(&id).await? {
                Some(o) => self.note_answer(&id, &o, now),
                // Never reached the exchange: the engine re-issues it if it
                // still wants it (same id); otherwise it is dropped later.
                None if self
                    .live
                    .get(&id)
                    .is_some_and(|l| l.record.status == BotOrderStatus::Intended) => {}
                // Recorded open, unknown to the exchange: it is gone.
                None => {
                    if let Some(mut l) = self.live.remove(&id) {
                        l.record.status = BotOrderStatus::Canceled;
                        l.record.updated_at = now;
                        self.record_order(l.record);
                    }
                }
            }
        }
        Ok(())
    }

    /// Marks intents that never reached the exchange and are not wanted
    /// any more as cancelled.
    pub(super) fn drop_unsent_intents(&mut self) {
        let wanted: HashSet<ClientOrderId> = self.engine.ideal_orders().into_iter().map(|o| o.client_id).collect();
        let now = self.ctx.clock.now_ms();
        for id in self.live.ids_in(BotOrderStatus::Intended) {
            if wanted.contains(&id) {
                continue;
            }
            if let Some(mut l) = self.live.remove(&id) {
                l.record.status = BotOrderStatus::Canceled;
                l.record.updated_at = now;
                self.record_order(l.record);
            }
        }
    }

    /// Step 4 of the module docs.
    async fn check_position(&mut self) -> Result<(), RunnerError> {
        let first = self.exchange_position().await?;
        let books = self.engine.stats().position_qty;
        if first == books {
            return Ok(());
        }
        // Maybe a fill is in flight: book it, look again.
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        let second = self.exchange_position().await?;
        let books = self.engine.stats().position_qty;
        if second == books || first != second {
            // Equal now, or still moving (checked again next time).
            return Ok(());
        }
        Err(RunnerError::Mismatch {
            symbol: self.bot.symbol.clone(),
            detail: format!(
                "the exchange holds {second} but the bot's books hold {books}: an order or a trade outside \
                 the bot changed the position; close or adjust it on the exchange, then resume or stop the bot"
            ),
        })
    }

    async fn exchange_position(&mut self) -> Result<Decimal, RunnerError> {
        let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
        let p = self
            .retry(move || {
                let (ex, symbol) = (ex.clone(), symbol.clone());
                async move { ex.position(&symbol).await }
            })
            .await?;
        Ok(p.qty)
    }

    /// One order by client id, retried.
    pub(super) async fn lookup(&mut self, id: &ClientOrderId) -> Result<Option<Order>, RunnerError> {
        let (ex, symbol, id) = (self.ctx.exchange.clone(), self.bot.symbol.clone(), id.clone());
        self.retry(move || {
            let (ex, symbol, id) = (ex.clone(), symbol.clone(), id.clone());
            async move { ex.order(&symbol, &id).await }
        })
        .await
    }

    /// The bot's resting orders on the exchange.
    pub(super) async fn my_open_orders(&mut self) -> Result<Vec<Order>, RunnerError> {
        let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
        let open = self
            .retry(move || {
                let (ex, symbol) = (ex.clone(), symbol.clone());
                async move { ex.open_orders(&symbol).await }
            })
            .await?;
        Ok(open
            .into_iter()
            .filter(|o| self.owns(&o.client_id) && o.status.is_open())
            .collect())
    }

    /// Cancels every resting order of the bot until the exchange shows none
    /// (up to [`super::RunnerOptions::stop_attempts`] rounds).
    pub(super) async fn cancel_all_mine(&mut self) -> Result<(), RunnerError> {
        let attempts = self.ctx.options.stop_attempts.max(1);
        let mut left = Vec::new();
        for attempt in 0..attempts {
            let open = self.my_open_orders().await?;
            if open.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                // Orders still there after a round of cancels: back off.
                self.ctx.clock.sleep(self.backoff(attempt - 1)).await;
            }
            left = open.iter().map(|o| o.client_id.to_string()).collect();
            self.cancel_batch(open.into_iter().map(|o| o.client_id).collect())
                .await?;
        }
        if self.my_open_orders().await?.is_empty() {
            return Ok(());
        }
        Err(RunnerError::OrdersLeftOpen { ids: left.join(", ") })
    }

    /// The wait before another round of a stop's cancels or closes.
    fn backoff(&self, round: u32) -> std::time::Duration {
        let timeout = crate::ExchangeError::Timeout(String::new());
        self.ctx.options.retry.delay(round, &timeout)
    }

    /// The end of every stop (the engine finished: by itself, or asked to):
    /// cancels what rests until the exchange shows none, books the last
    /// fills, closes what the bot still holds (again and again, with
    /// backoff, under the engine's closing ids), and only then marks the
    /// bot `stopped` with its realised PnL. A close the exchange keeps
    /// refusing ends in [`RunnerError::PositionLeftOpen`]; orders that will
    /// not go away in [`RunnerError::OrdersLeftOpen`] (the bot stays
    /// `stopping` and the stop is tried again).
    pub(super) async fn finish(&mut self, reason: StopReason) -> Result<(), RunnerError> {
        self.stop_reason.get_or_insert(reason);
        self.cancel_all_mine().await?;
        let attempts = self.ctx.options.stop_attempts.max(1);
        let mut refusal = String::from("the exchange did not fill the closing order");
        for attempt in 0..attempts {
            let cmds = self.sync_fills().await?;
            self.run_after_finish(cmds);
            let held = self.engine.stats().position_qty;
            if held.is_zero() {
                break;
            }
            if attempt > 0 {
                self.ctx.clock.sleep(self.backoff(attempt - 1)).await;
            }
            // The engine re-sends its close (a new id after a refusal).
            let cmds = self.feed(&EngineEvent::Stop {
                ts: self.ctx.clock.now_ms(),
            });
            for cmd in cmds {
                if let Command::ClosePosition(id) = cmd {
                    let follow = self.close_position(id.clone()).await?;
                    if let Some(r) = self.last_refusal(&id) {
                        refusal = r;
                    }
                    self.run_after_finish(follow);
                }
            }
        }
        let held = self.engine.stats().position_qty;
        if !held.is_zero() {
            self.commit().await?;
            return Err(RunnerError::PositionLeftOpen {
                symbol: self.bot.symbol.clone(),
                qty: held,
                reason: refusal,
            });
        }
        // Anything placed meanwhile (a race) goes too; then every record
        // says how its order really ended.
        self.cancel_all_mine().await?;
        let cmds = self.sync_fills().await?;
        self.run_after_finish(cmds);
        self.refresh_order_records().await?;
        self.finished = true;
        let now = self.ctx.clock.now_ms();
        self.equity_point(now, true);
        let s = self.engine.stats();
        let reason = self.stop_reason.unwrap_or(reason);
        let note = (!self.unbooked.is_empty()).then(|| {
            format!(
                "stopped; left unbooked as not the bot's (what they traded is still on the exchange, \
                 not closed by this stop): {}",
                self.unbooked.join("; ")
            )
        });
        self.change_status(BotStatus::Stopped, note.clone(), &BotStatus::HOLDING);
        self.commit().await?;
        self.audit(
            "bot.stopped",
            format!(
                "stopped ({reason:?}): realised {:.2} USDT before fees, fees {:.2}, total PnL {:.2}",
                s.realized_pnl,
                s.fees,
                s.total_pnl()
            ),
        )
        .await;
        if let Some(note) = note {
            self.audit("bot.fills_unbooked", note).await;
        }
        Ok(())
    }

    /// After the engine finished it places nothing; any command it still
    /// issues for a fill booked now is ignored (closes are driven by
    /// [`BotRunner::finish`]).
    fn run_after_finish(&mut self, cmds: Vec<Command>) {
        if !cmds.is_empty() && self.engine.phase() == EnginePhase::Finished {
            tracing::debug!(bot = %self.bot.id, count = cmds.len(), "commands after finish ignored");
        }
    }

    /// Why the exchange refused order `id`, when it did (kept by the
    /// executor for messages).
    fn last_refusal(&self, id: &ClientOrderId) -> Option<String> {
        self.refusals.get(id).cloned()
    }
}
