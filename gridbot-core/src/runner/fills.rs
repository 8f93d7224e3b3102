//! Booking fills: fetch the account's fills after the cursor, keep the bot's
//! own, store them idempotently, feed them to the engine once.

use rust_decimal::Decimal;

use super::bot_runner::{BotRunner, RunnerError};
use crate::engine::{Command, EngineEvent};
use crate::model::{BotOrderStatus, FillRecord};

/// Pages fetched at most per sync (the rest waits for the next event).
const MAX_PAGES: usize = 64;

impl BotRunner {
    /// Fetches fills after the cursor, stores the bot's ones, feeds the
    /// engine each fill id once, and returns the engine's commands.
    pub(super) async fn sync_fills(&mut self) -> Result<Vec<Command>, RunnerError> {
        let mut cmds = Vec::new();
        let mut records = Vec::new();
        for _ in 0..MAX_PAGES {
            let (ex, symbol, cursor) = (self.ctx.exchange.clone(), self.bot.symbol.clone(), self.cursor.clone());
            let page = self
                .ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.fills_since(&symbol, cursor.clone()))
                .await?;
            let mine: Vec<_> = page.fills.iter().filter(|f| self.is_mine(f)).cloned().collect();
            for fill in &mine {
                if !self.remember(&fill.id) {
                    continue;
                }
                self.engine.on_event(&EngineEvent::Fill(fill.clone()), &mut cmds);
                self.note_filled(&fill.client_id, fill.qty);
                records.push(FillRecord {
                    bot_id: self.bot.id,
                    fill: fill.clone(),
                });
            }
            let advanced = page.next_cursor.is_some() && page.next_cursor != self.cursor;
            if let Some(c) = page.next_cursor {
                self.cursor = Some(c);
            }
            if !page.has_more || !advanced {
                break;
            }
        }
        if !records.is_empty() {
            self.ctx.store.insert_fills(&records).await?;
            self.flush_filled_orders().await?;
        }
        Ok(cmds)
    }

    /// Moves the cursor to the end of the account's fill history without
    /// booking anything (a fresh bot owns no earlier fill).
    pub(super) async fn skip_fill_history(&mut self) -> Result<(), RunnerError> {
        for _ in 0..MAX_PAGES * 16 {
            let (ex, symbol, cursor) = (self.ctx.exchange.clone(), self.bot.symbol.clone(), self.cursor.clone());
            let page = self
                .ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.fills_since(&symbol, cursor.clone()))
                .await?;
            let advanced = page.next_cursor.is_some() && page.next_cursor != self.cursor;
            if let Some(c) = page.next_cursor {
                self.cursor = Some(c);
            }
            if !page.has_more || !advanced {
                break;
            }
        }
        Ok(())
    }

    /// Remembers a fill id; false when it was seen already.
    fn remember(&mut self, id: &str) -> bool {
        if !self.recent_set.insert(id.to_owned()) {
            return false;
        }
        self.recent_fills.push_back(id.to_owned());
        if self.recent_fills.len() > super::bot_runner::RECENT_FILLS_CAP {
            if let Some(old) = self.recent_fills.pop_front() {
                self.recent_set.remove(&old);
            }
        }
        true
    }

    fn note_filled(&mut self, id: &crate::model::ClientOrderId, qty: Decimal) {
        if let Some((order, remaining)) = self.live_orders.get_mut(id) {
            *remaining -= qty;
            if *remaining <= Decimal::ZERO {
                order.status = BotOrderStatus::Filled;
            }
        }
    }

    /// Writes orders that filled completely and forgets them.
    async fn flush_filled_orders(&mut self) -> Result<(), RunnerError> {
        let now = self.ctx.clock.now_ms();
        let done: Vec<_> = self
            .live_orders
            .iter()
            .filter(|(_, (o, _))| o.status == BotOrderStatus::Filled)
            .map(|(k, (o, _))| {
                let mut o = o.clone();
                o.updated_at = now;
                (k.clone(), o)
            })
            .collect();
        if done.is_empty() {
            return Ok(());
        }
        let records: Vec<_> = done.iter().map(|(_, o)| o.clone()).collect();
        self.ctx.store.upsert_orders(&records).await?;
        for (k, _) in done {
            self.live_orders.remove(&k);
        }
        Ok(())
    }
}
