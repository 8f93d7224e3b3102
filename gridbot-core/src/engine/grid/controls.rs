//! Edits of a running grid's controls (stop-loss, take-profit, trigger).
//!
//! Design: the bot's stored config is the source of truth for these three
//! controls. When an engine is restored (every runner start, and the reload
//! an edit triggers: [`crate::manager::MultiBotManager::edit_grid_controls`]),
//! [`GridEngine::adopt_controls`] copies them from the stored config; the
//! rest of the snapshot (cells, orders, position, stats) is untouched, so
//! the grid resumes with its orders and fills as after any restart.
//!
//! Rules:
//! - a stop of a long grid fires on a fall and its take-profit on a rise,
//!   the reverse for a short grid (fixed by the mode, as at activation); a
//!   neutral grid takes each stop's side from the last price (the start
//!   price when none was seen), as activation does from the start price;
//! - a new trigger only matters while the grid waits for one: it is
//!   adopted then (the side to wait on is worked out again at the next
//!   start event); once the grid trades, a trigger has no effect.

use rust_decimal::Decimal;

use super::GridEngine;
use crate::engine::EnginePhase;
use crate::grid::{GridConfig, GridMode};

impl GridEngine {
    /// Takes the stop-loss, take-profit and trigger of `stored` (the bot's
    /// stored config); see the module docs.
    pub fn adopt_controls(&mut self, stored: &GridConfig) {
        let same = self.config.stop_loss == stored.stop_loss
            && self.config.take_profit == stored.take_profit
            && self.config.trigger_price == stored.trigger_price;
        if same {
            return;
        }
        self.config.stop_loss = stored.stop_loss;
        self.config.take_profit = stored.take_profit;
        if self.phase == EnginePhase::Waiting && self.config.trigger_price != stored.trigger_price {
            self.config.trigger_price = stored.trigger_price;
            self.trigger_rising = None;
        }
        let reference = if self.stats.last_price > Decimal::ZERO {
            self.stats.last_price
        } else {
            self.start_price
        };
        if self.config.mode == GridMode::Neutral && reference > Decimal::ZERO {
            self.stop_loss_falling = self.config.stop_loss.is_none_or(|sl| sl <= reference);
            self.take_profit_rising = self.config.take_profit.is_none_or(|tp| tp >= reference);
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::super::tests::{config, engine, price, start};
    use super::*;
    use crate::engine::{BotEngine, Command, StopReason};

    fn started(mode: GridMode) -> GridEngine {
        let mut e = engine(config(mode));
        start(&mut e, dec!(30000));
        e
    }

    fn restored_with(e: &GridEngine, stored: &GridConfig) -> GridEngine {
        let mut r = GridEngine::restore(&e.snapshot()).unwrap();
        r.adopt_controls(stored);
        r
    }

    fn finishes(out: &[Command]) -> Option<StopReason> {
        out.iter().find_map(|c| match c {
            Command::Finish(r) => Some(*r),
            _ => None,
        })
    }

    #[test]
    fn a_restored_grid_takes_a_new_stop_loss_from_the_stored_config_and_fires_on_it() {
        let e = started(GridMode::Long);
        let stored = e.config().clone().with_stops(Some(dec!(29000)), None);
        let mut r = restored_with(&e, &stored);
        assert_eq!(r.config().stop_loss, Some(dec!(29000)));
        assert_eq!(r.levels(), e.levels(), "cells and levels kept");
        assert_eq!(finishes(&price(&mut r, dec!(29500))), None);
        assert_eq!(finishes(&price(&mut r, dec!(28900))), Some(StopReason::StopLoss));
    }

    #[test]
    fn a_removed_take_profit_no_longer_fires() {
        let e = started(GridMode::Neutral);
        let with_tp = e.config().clone().with_stops(None, Some(dec!(31000)));
        let r = restored_with(&e, &with_tp);
        let mut kept = r.clone();
        assert_eq!(finishes(&price(&mut kept, dec!(31100))), Some(StopReason::TakeProfit));
        let mut r = restored_with(&r, &with_tp.clone().with_stops(None, None));
        assert_eq!(finishes(&price(&mut r, dec!(31100))), None);
    }
}
