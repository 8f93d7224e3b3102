//! Carrying out engine commands against the exchange, recording every order
//! in the store *before* it is sent.
//!
//! Rules:
//! - A placement is written as `intended` first, then sent in one batch per
//!   run of consecutive `Place` commands. The answer updates the record
//!   (`open`, `filled`, `rejected`) and a refusal goes back to the engine as
//!   [`EngineEvent::Rejected`].
//! - A transient failure (timeout, connectivity, rate limit) leaves the
//!   outcome unknown: before sending again, the order is looked up by client
//!   id and, when the exchange has it, never sent again.
//! - Cancelling an order the exchange no longer has looks it up to record
//!   its real end (filled or cancelled).

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::bot_runner::{BotRunner, RunnerError};
use crate::engine::{Command, EngineEvent};
use crate::error::ExchangeError;
use crate::model::{BotOrder, BotOrderStatus, ClientOrderId, Order, OrderRequest, OrderStatus, Side};

/// The store status of an exchange order status.
pub(super) fn record_status(s: OrderStatus) -> BotOrderStatus {
    match s {
        OrderStatus::Open | OrderStatus::PartiallyFilled => BotOrderStatus::Open,
        OrderStatus::Filled => BotOrderStatus::Filled,
        OrderStatus::Canceled => BotOrderStatus::Canceled,
        OrderStatus::Rejected => BotOrderStatus::Rejected,
    }
}

/// The grid cell of a cell order's id.
fn cell_of(id: &ClientOrderId) -> Option<u32> {
    id.parse()?.cell()
}

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
            cell_of(&req.client_id),
            req.side,
            req.price,
            req.qty,
            BotOrderStatus::Intended,
            self.ctx.clock.now_ms(),
        )
    }

    /// Writes intents, sends, records the answers.
    pub(super) async fn place_batch(&mut self, reqs: Vec<OrderRequest>) -> Result<Vec<Command>, RunnerError> {
        if reqs.is_empty() {
            return Ok(Vec::new());
        }
        let intents: Vec<BotOrder> = reqs.iter().map(|r| self.intent(r)).collect();
        self.ctx.store.upsert_orders(&intents).await?;
        for o in &intents {
            self.live_orders.insert(o.client_id.clone(), (o.clone(), o.qty));
        }
        let results = self.send_orders(&reqs).await?;
        let now = self.ctx.clock.now_ms();
        let mut updates = Vec::with_capacity(reqs.len());
        let mut follow = Vec::new();
        for (req, res) in reqs.iter().zip(results) {
            let Some((mut rec, remaining)) = self.live_orders.remove(&req.client_id) else {
                continue;
            };
            rec.updated_at = now;
            match res {
                Ok(order) => {
                    rec.exchange_order_id = Some(order.id.clone());
                    rec.status = record_status(order.status);
                    if rec.status == BotOrderStatus::Open || rec.status == BotOrderStatus::Filled {
                        // Filled ones stay until their fill is booked.
                        self.live_orders.insert(req.client_id.clone(), (rec.clone(), remaining));
                    }
                }
                Err(e) => {
                    rec.status = BotOrderStatus::Rejected;
                    tracing::info!(bot = %self.bot.id, order = %req.client_id, error = %e, "order refused");
                    let ev = EngineEvent::Rejected {
                        client_id: req.client_id.clone(),
                        reason: e.to_string(),
                        ts: now,
                    };
                    self.engine.on_event(&ev, &mut follow);
                }
            }
            updates.push(rec);
        }
        self.ctx.store.upsert_orders(&updates).await?;
        Ok(follow)
    }

    /// Sends orders, retrying transient failures; an order whose outcome is
    /// unknown is looked up by client id before it is sent again.
    async fn send_orders(&mut self, reqs: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, RunnerError> {
        let policy = self.ctx.options.retry;
        let mut results: Vec<Option<Result<Order, ExchangeError>>> = vec![None; reqs.len()];
        let mut last_err = ExchangeError::Protocol("no answer for the order".to_owned());
        for attempt in 0..policy.max_attempts.max(1) {
            let unknown: Vec<usize> = (0..reqs.len())
                .filter(|&i| !matches!(&results[i], Some(Ok(_))) && !is_final_err(&results[i]))
                .collect();
            if unknown.is_empty() {
                break;
            }
            if attempt > 0 {
                self.ctx.clock.sleep(policy.delay(attempt - 1, &last_err)).await;
                // The earlier attempt may have gone through: ask first.
                for &i in &unknown {
                    if let Ok(Some(o)) = self.ctx.exchange.order(&self.bot.symbol, &reqs[i].client_id).await {
                        results[i] = Some(Ok(o));
                    }
                }
            }
            let to_send: Vec<usize> = unknown
                .into_iter()
                .filter(|&i| !matches!(&results[i], Some(Ok(_))))
                .collect();
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
                _ => return Err(last_err.into()),
            }
        }
        Ok(out)
    }

    /// Cancels orders by client id and records how they ended.
    pub(super) async fn cancel_batch(&mut self, ids: Vec<ClientOrderId>) -> Result<(), RunnerError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
        let results = self
            .ctx
            .options
            .retry
            .run(&*self.ctx.clock, || ex.cancel_orders(&symbol, &ids))
            .await?;
        let now = self.ctx.clock.now_ms();
        let mut updates = Vec::new();
        for (id, r) in ids.iter().zip(results) {
            let status = match r {
                Ok(()) => BotOrderStatus::Canceled,
                Err(ExchangeError::NotFound(_)) => match self.ctx.exchange.order(&symbol, id).await {
                    Ok(Some(o)) => record_status(o.status),
                    _ => BotOrderStatus::Canceled,
                },
                Err(e) => {
                    tracing::warn!(bot = %self.bot.id, order = %id, error = %e, "cancel failed; left for reconciliation");
                    continue;
                }
            };
            let rec = match self.live_orders.remove(id) {
                Some((rec, _)) => Some(rec),
                None => self.ctx.store.order_by_client_id(id).await?,
            };
            if let Some(mut rec) = rec {
                if rec.status != BotOrderStatus::Filled {
                    rec.status = status;
                }
                rec.updated_at = now;
                updates.push(rec);
            }
        }
        self.ctx.store.upsert_orders(&updates).await?;
        Ok(())
    }

    /// Closes the whole position with a reduce-only market order `id`.
    pub(super) async fn close_position(&mut self, id: ClientOrderId) -> Result<Vec<Command>, RunnerError> {
        let stats = self.engine.stats();
        let side = if stats.position_qty > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let now = self.ctx.clock.now_ms();
        let mut rec = BotOrder::new(
            id.clone(),
            self.bot.id,
            None,
            side,
            None,
            stats.position_qty.abs(),
            BotOrderStatus::Intended,
            now,
        );
        self.ctx.store.upsert_orders(std::slice::from_ref(&rec)).await?;
        let policy = self.ctx.options.retry;
        let symbol = self.bot.symbol.clone();
        let mut outcome: Result<Option<Order>, ExchangeError> = Err(ExchangeError::Protocol("not sent".to_owned()));
        for attempt in 0..policy.max_attempts.max(1) {
            if attempt > 0 {
                if let Err(e) = &outcome {
                    self.ctx.clock.sleep(policy.delay(attempt - 1, e)).await;
                }
                if let Ok(Some(o)) = self.ctx.exchange.order(&symbol, &id).await {
                    outcome = Ok(Some(o));
                    break;
                }
            }
            outcome = self.ctx.exchange.close_position(&symbol, &id).await;
            match &outcome {
                Err(e) if e.is_transient() => continue,
                _ => break,
            }
        }
        let mut follow = Vec::new();
        rec.updated_at = self.ctx.clock.now_ms();
        match outcome {
            Ok(Some(order)) => {
                rec.exchange_order_id = Some(order.id.clone());
                rec.qty = order.qty;
                rec.status = record_status(order.status);
                if rec.status == BotOrderStatus::Open || rec.status == BotOrderStatus::Filled {
                    self.live_orders.insert(id.clone(), (rec.clone(), order.qty));
                }
            }
            Ok(None) => rec.status = BotOrderStatus::Canceled,
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                rec.status = BotOrderStatus::Rejected;
                let ev = EngineEvent::Rejected {
                    client_id: id.clone(),
                    reason: e.to_string(),
                    ts: rec.updated_at,
                };
                self.engine.on_event(&ev, &mut follow);
            }
        }
        self.ctx.store.upsert_orders(&[rec]).await?;
        Ok(follow)
    }

    /// Cancels every resting order of this bot on the exchange.
    pub(super) async fn cancel_all_mine(&mut self) -> Result<(), RunnerError> {
        let open = self.my_open_orders().await?;
        let ids: Vec<ClientOrderId> = open.into_iter().map(|o| o.client_id).collect();
        self.cancel_batch(ids).await
    }

    async fn my_open_orders(&mut self) -> Result<Vec<Order>, RunnerError> {
        let (ex, symbol) = (self.ctx.exchange.clone(), self.bot.symbol.clone());
        let open = self
            .ctx
            .options
            .retry
            .run(&*self.ctx.clock, || ex.open_orders(&symbol))
            .await?;
        Ok(open
            .into_iter()
            .filter(|o| o.client_id.bot() == Some(self.bot.id) && o.status.is_open())
            .collect())
    }

    /// Refreshes the store's intended / open orders from the exchange.
    pub(super) async fn refresh_order_records(&mut self) -> Result<(), RunnerError> {
        let recorded = self.ctx.store.orders_for_bot(self.bot.id, true).await?;
        let now = self.ctx.clock.now_ms();
        let mut updates = Vec::new();
        for mut rec in recorded {
            let (ex, symbol, id) = (
                self.ctx.exchange.clone(),
                self.bot.symbol.clone(),
                rec.client_id.clone(),
            );
            let found = self
                .ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.order(&symbol, &id))
                .await?;
            match found {
                Some(o) => {
                    let status = record_status(o.status);
                    rec.exchange_order_id = Some(o.id.clone());
                    if status == BotOrderStatus::Open {
                        let remaining = o.qty - o.filled_qty;
                        if rec.status != status {
                            rec.status = status;
                            rec.updated_at = now;
                            updates.push(rec.clone());
                        }
                        self.live_orders.insert(id, (rec, remaining));
                    } else {
                        rec.status = status;
                        rec.updated_at = now;
                        updates.push(rec);
                    }
                }
                None if rec.status == BotOrderStatus::Intended => {
                    // Never reached the exchange: the engine re-issues it on
                    // resume if it still wants it.
                    let qty = rec.qty;
                    self.live_orders.insert(id, (rec, qty));
                }
                None => {
                    rec.status = BotOrderStatus::Canceled;
                    rec.updated_at = now;
                    updates.push(rec);
                }
            }
        }
        self.ctx.store.upsert_orders(&updates).await?;
        Ok(())
    }

    /// Marks intents that were never sent and not re-issued as cancelled.
    pub(super) async fn drop_unsent_intents(&mut self) -> Result<(), RunnerError> {
        let now = self.ctx.clock.now_ms();
        let stale: Vec<ClientOrderId> = self
            .live_orders
            .iter()
            .filter(|(_, (o, _))| o.status == BotOrderStatus::Intended)
            .map(|(k, _)| k.clone())
            .collect();
        let mut updates = Vec::new();
        for k in stale {
            if let Some((mut rec, _)) = self.live_orders.remove(&k) {
                rec.status = BotOrderStatus::Canceled;
                rec.updated_at = now;
                updates.push(rec);
            }
        }
        self.ctx.store.upsert_orders(&updates).await?;
        Ok(())
    }

    /// Makes the exchange's resting orders of this bot equal the engine's
    /// ideal set: extras cancelled, missing ones placed unless the exchange
    /// already closed that id (then the engine is told it was refused).
    pub(super) async fn reconcile(&mut self) -> Result<(), RunnerError> {
        let ideal = self.engine.ideal_orders();
        let open = self.my_open_orders().await?;
        let ideal_ids: HashSet<&ClientOrderId> = ideal.iter().map(|o| &o.client_id).collect();
        let open_ids: HashSet<ClientOrderId> = open.iter().map(|o| o.client_id.clone()).collect();
        let extras: Vec<ClientOrderId> = open_ids.iter().filter(|id| !ideal_ids.contains(id)).cloned().collect();
        self.cancel_batch(extras).await?;
        let mut to_place = Vec::new();
        let mut follow = Vec::new();
        for req in ideal.into_iter().filter(|r| !open_ids.contains(&r.client_id)) {
            let (ex, symbol, id) = (
                self.ctx.exchange.clone(),
                self.bot.symbol.clone(),
                req.client_id.clone(),
            );
            let known = self
                .ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.order(&symbol, &id))
                .await?;
            match known {
                None => to_place.push(req),
                Some(o) if o.status.is_open() => {}
                // Filled: the next fill sync books it.
                Some(o) if o.status == OrderStatus::Filled => {}
                Some(o) => {
                    let ev = EngineEvent::Rejected {
                        client_id: o.client_id.clone(),
                        reason: format!("order {} is {:?} on the exchange", o.client_id, o.status),
                        ts: self.ctx.clock.now_ms(),
                    };
                    self.engine.on_event(&ev, &mut follow);
                }
            }
        }
        follow.extend(self.place_batch(to_place).await?);
        self.process(follow).await
    }
}

fn is_final_err(r: &Option<Result<Order, ExchangeError>>) -> bool {
    matches!(r, Some(Err(e)) if !e.is_transient())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_ids_name_their_cell_and_action_ids_none() {
        use crate::model::BotId;
        assert_eq!(cell_of(&ClientOrderId::grid(BotId(3), 17, 2)), Some(17));
        assert_eq!(cell_of(&ClientOrderId::action(BotId(3), "open", 2)), None);
    }
}
