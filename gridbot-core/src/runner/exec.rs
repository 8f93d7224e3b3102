//! Carrying out engine commands against the exchange.
//!
//! Rules:
//! - **Written before sent.** A placement is recorded as `intended` and the
//!   runner commits (engine state, cursor, intents: everything pending)
//!   before the batch is sent. The answers update the records (`open`,
//!   `filled`, `rejected`) in the next commit; a refusal goes back to the
//!   engine as [`EngineEvent::Rejected`].
//! - **Unknown is not refused.** A timeout, a connectivity error or a rate
//!   limit leaves a placement's outcome unknown: before it is sent again it
//!   is looked up by client id, and when the exchange has it, it is never
//!   sent again (`retry.rs` is the one retry layer; nothing here retries on
//!   its own).
//! - **Cancels are checked.** An order the exchange no longer has is looked
//!   up to record how it really ended (filled or cancelled). A cancel that
//!   keeps failing leaves the order to the next reconciliation, which looks
//!   at it again (`reconcile.rs`).
//! - **Closing is exact.** The bot closes *its own* position — the
//!   quantity its books hold — with a reduce-only market order under the
//!   engine's closing id, never "the whole account position", which may
//!   include what is not the bot's.

use rust_decimal::Decimal;

use super::books::record_status;
use super::bot_runner::BotRunner;
use super::RunnerError;
use crate::engine::{Command, EngineEvent};
use crate::error::ExchangeError;
use crate::model::{BotOrder, BotOrderStatus, ClientOrderId, Order, OrderRequest, Side};

enum Batch {
    Place(Vec<OrderRequest>),
    Cancel(Vec<ClientOrderId>),
}

impl BotRunner {
    /// Carries out `cmds` in order; returns the engine's follow-up commands
    /// (reactions to refusals).
    pub(super) async fn execute(&mut self, cmds: Vec<Command>) -> Result<Vec<Command>, RunnerError> {
        let mut follow = Vec::new();
        let mut batch: Option<Batch> = None;
        for cmd in cmds {
            match cmd {
                Command::Place(r) => match &mut batch {
                    Some(Batch::Place(v)) => v.push(r),
                    _ => {
                        follow.extend(self.flush(batch.take()).await?);
                        batch = Some(Batch::Place(vec![r]));
                    }
                },
                Command::Cancel(id) => match &mut batch {
                    Some(Batch::Cancel(v)) => v.push(id),
                    _ => {
                        follow.extend(self.flush(batch.take()).await?);
                        batch = Some(Batch::Cancel(vec![id]));
                    }
                },
                Command::ClosePosition(id) => {
                    follow.extend(self.flush(batch.take()).await?);
                    follow.extend(self.close_position(id).await?);
                }
                Command::Finish(reason) => {
                    follow.extend(self.flush(batch.take()).await?);
                    self.finish(reason).await?;
                    return Ok(Vec::new());
                }
            }
        }
        follow.extend(self.flush(batch).await?);
        Ok(follow)
    }

    async fn flush(&mut self, batch: Option<Batch>) -> Result<Vec<Command>, RunnerError> {
        match batch {
            Some(Batch::Place(reqs)) => self.place_batch(reqs).await,
            Some(Batch::Cancel(ids)) => {
                self.cancel_batch(ids).await?;
                Ok(Vec::new())
            }
            None => Ok(Vec::new()),
        }
    }

    fn intent(&self, req: &OrderRequest) -> BotOrder {
        BotOrder::new(
            req.client_id.clone(),
            self.bot.id,
            req.client_id.parse().and_then(|p| p.cell()),
            req.side,
            req.price,
            req.qty,
            BotOrderStatus::Intended,
            self.ctx.clock.now_ms(),
        )
    }

    /// Records intents, commits, sends, records the answers.
    pub(super) async fn place_batch(&mut self, reqs: Vec<OrderRequest>) -> Result<Vec<Command>, RunnerError> {
        if reqs.is_empty() {
            return Ok(Vec::new());
        }
        for r in &reqs {
            let intent = self.intent(r);
            self.record_order(intent.clone());
            self.live.insert(intent, Decimal::ZERO);
        }
        self.engine_dirty = true;
        self.commit().await?;
        let results = self.send_orders(&reqs).await?;
        let now = self.ctx.clock.now_ms();
        let mut follow = Vec::new();
        for (req, res) in reqs.iter().zip(results) {
            match res {
                Ok(order) => self.note_answer(&req.client_id, &order, now),
                Err(e) => {
                    self.note_refused(&req.client_id, now);
                    self.refusals.insert(req.client_id.clone(), e.to_string());
                    tracing::info!(bot = %self.bot.id, order = %req.client_id, error = %e, "order refused");
                    let ev = EngineEvent::Rejected {
                        client_id: req.client_id.clone(),
                        reason: e.to_string(),
                        ts: now,
                    };
                    self.engine.on_event(&ev, &mut follow);
                }
            }
        }
        Ok(follow)
    }

    /// Records the exchange's answer for one of the bot's orders.
    pub(super) fn note_answer(&mut self, id: &ClientOrderId, order: &Order, now: i64) {
        let Some(mut live) = self.live.remove(id) else {
            return;
        };
        live.record.exchange_order_id = Some(order.id.clone());
        live.record.status = record_status(order.status);
        live.record.updated_at = now;
        if order.qty > Decimal::ZERO {
            live.record.qty = order.qty;
        }
        self.record_order(live.record.clone());
        // A filled order stays tracked until its fills are booked.
        if matches!(live.record.status, BotOrderStatus::Open | BotOrderStatus::Filled) && live.booked < live.record.qty
        {
            self.live.insert(live.record, live.booked);
        }
    }

    fn note_refused(&mut self, id: &ClientOrderId, now: i64) {
        if let Some(mut live) = self.live.remove(id) {
            live.record.status = BotOrderStatus::Rejected;
            live.record.updated_at = now;
            self.record_order(live.record);
        }
    }

    /// Sends orders; an order whose outcome is unknown is looked up by
    /// client id before it is sent again (one retry layer: the attempts and
    /// waits of [`super::RetryPolicy`]).
    async fn send_orders(&mut self, reqs: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, RunnerError> {
        let policy = self.ctx.options.retry;
        let mut results: Vec<Option<Result<Order, ExchangeError>>> = vec![None; reqs.len()];
        let mut last_err = ExchangeError::Protocol("no answer for the order".to_owned());
        for attempt in 0..policy.max_attempts.max(1) {
            let unknown: Vec<usize> = (0..reqs.len()).filter(|&i| is_unknown(&results[i])).collect();
            if unknown.is_empty() {
                break;
            }
            if attempt > 0 {
                self.ctx.clock.sleep(policy.delay(attempt - 1, &last_err)).await;
                // The earlier attempt may have gone through: ask first.
                for &i in &unknown {
                    match self.ctx.exchange.order(&self.bot.symbol, &reqs[i].client_id).await {
                        Ok(Some(o)) => results[i] = Some(Ok(o)),
                        Ok(None) => {}
                        Err(e) => last_err = e,
                    }
                }
            }
            let to_send: Vec<usize> = unknown.into_iter().filter(|&i| is_unknown(&results[i])).collect();
            if to_send.is_empty() {
                break;
            }
            let batch: Vec<OrderRequest> = to_send.iter().map(|&i| reqs[i].clone()).collect();
            match self.ctx.exchange.place_orders(&batch).await {
                Ok(answers) => {
                    for (&i, r) in to_send.iter().zip(answers) {
                        if let Err(e) = &r {
                            if e.is_transient() {
                                last_err = e.clone();
                            }
                        }
                        results[i] = Some(r);
                    }
                }
                Err(e) if e.is_transient() => last_err = e,
                Err(e) => return Err(e.into()),
            }
        }
        let mut out = Vec::with_capacity(reqs.len());
        for r in results {
            match r {
                Some(Ok(o)) => out.push(Ok(o)),
                Some(Err(e)) if !e.is_transient() => out.push(Err(e)),
                // Still unknown after every attempt: the intent stays
                // recorded; the reconciliation looks it up later.
                _ => return Err(last_err.into()),
            }
        }
        Ok(out)
    }

    /// Cancels orders by client id and records how they ended. A cancel
    /// that fails is left to the next reconciliation (it is due at once).
    pub(super) async fn cancel_batch(&mut self, ids: Vec<ClientOrderId>) -> Result<(), RunnerError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
        let results = match self
            .retry({
                let (ex, symbol, ids) = (ex.clone(), symbol.clone(), ids.clone());
                move || {
                    let (ex, symbol, ids) = (ex.clone(), symbol.clone(), ids.clone());
                    async move { ex.cancel_orders(&symbol, &ids).await }
                }
            })
            .await
        {
            Ok(r) => r,
            Err(RunnerError::Exchange(e)) if e.is_transient() => {
                tracing::warn!(bot = %self.bot.id, error = %e, "cancels failed; the reconciliation retries them");
                self.reconcile_due = true;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let now = self.ctx.clock.now_ms();
        for (id, r) in ids.iter().zip(results) {
            let status = match r {
                Ok(()) => BotOrderStatus::Canceled,
                Err(ExchangeError::NotFound(_)) => match self.ctx.exchange.order(&symbol, id).await {
                    Ok(Some(o)) => record_status(o.status),
                    Ok(None) => BotOrderStatus::Canceled,
                    Err(e) => {
                        tracing::warn!(bot = %self.bot.id, order = %id, error = %e, "cancelled order not looked up; reconciled later");
                        self.reconcile_due = true;
                        continue;
                    }
                },
                Err(e) => {
                    tracing::warn!(bot = %self.bot.id, order = %id, error = %e, "cancel failed; reconciled later");
                    self.reconcile_due = true;
                    continue;
                }
            };
            let record = match self.live.remove(id) {
                Some(l) => Some(l.record),
                None => self.ctx.store.order_by_client_id(id).await?,
            };
            if let Some(mut rec) = record {
                if rec.status != BotOrderStatus::Filled {
                    rec.status = status;
                }
                rec.updated_at = now;
                self.record_order(rec);
            }
        }
        Ok(())
    }

    /// Closes the bot's own position (the quantity its books hold) with a
    /// reduce-only market order `id`.
    pub(super) async fn close_position(&mut self, id: ClientOrderId) -> Result<Vec<Command>, RunnerError> {
        let qty = self.engine.stats().position_qty;
        if qty.is_zero() {
            return Ok(Vec::new());
        }
        let side = if qty > Decimal::ZERO { Side::Sell } else { Side::Buy };
        let req = OrderRequest::market(id, self.bot.symbol.clone(), side, qty.abs()).reduce_only();
        self.place_batch(vec![req]).await
    }
}

fn is_unknown(r: &Option<Result<Order, ExchangeError>>) -> bool {
    match r {
        None => true,
        Some(Ok(_)) => false,
        Some(Err(e)) => e.is_transient(),
    }
}
