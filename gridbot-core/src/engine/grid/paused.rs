//! The grid's risk pause and its resume (rules in the [`super`] module
//! docs, "Pause and resume").

use rust_decimal::Decimal;

use super::{GridEngine, Paused};
use crate::engine::Command;
use crate::engine::EnginePhase;
use crate::model::ClientOrderId;

impl GridEngine {
    /// A risk pause (see the module docs).
    pub(super) fn pause(&mut self, close_position: bool, out: &mut Vec<Command>) {
        match self.phase {
            EnginePhase::Finished => return,
            EnginePhase::Waiting => {
                // Nothing placed, nothing held: the trigger waits for the resume.
                self.paused.get_or_insert(Paused::Keep);
                return;
            }
            EnginePhase::Active => {}
        }
        if self.paused.is_none() {
            let owner = self.owner();
            for (i, c) in self.cells.iter_mut().enumerate() {
                if c.placed {
                    c.placed = false;
                    out.push(Command::Cancel(ClientOrderId::grid(owner, i as u32, c.generation)));
                }
            }
            self.unplaced = 0;
            self.paused = Some(Paused::Keep);
        }
        if close_position && self.paused == Some(Paused::Keep) {
            self.paused = Some(Paused::Close);
            if self.may_hold() {
                self.send_close(out);
            } else {
                self.reset_cells();
            }
        }
    }

    /// Sends a closing order and moves the closing generation on, so the
    /// next close (a stop's) gets a new id. Fills of this one are still
    /// booked; a refusal of it is left to the resume (position not flat).
    pub(super) fn send_close(&mut self, out: &mut Vec<Command>) {
        self.close_sent = true;
        self.close_retry = false;
        out.push(Command::ClosePosition(self.close_id()));
        self.close_generation += 1;
    }

    /// Every cell back to its empty state (after a close left the position
    /// flat): order on its home side, nothing held or filled, a new
    /// generation, not placed. An unfinished initial market order is dropped.
    pub(super) fn reset_cells(&mut self) {
        for c in &mut self.cells {
            c.side = c.home;
            c.generation += 1;
            c.placed = false;
            c.seeded = false;
            c.filled = Decimal::ZERO;
            c.value = Decimal::ZERO;
            c.fees = Decimal::ZERO;
            c.open_value = Decimal::ZERO;
            c.open_fees = Decimal::ZERO;
            c.fill_ids.clear();
        }
        self.unplaced = 0;
        if let Some(m) = self.market.take() {
            self.next_init_generation = self.next_init_generation.max(m.generation + 1);
        }
    }

    /// `Start` while paused (see the module docs).
    pub(super) fn resume_from_pause(&mut self, paused: Option<Paused>, price: Decimal, out: &mut Vec<Command>) {
        if let Some(reason) = self.exit_reason(price) {
            self.finish(reason, out);
            return;
        }
        if paused == Some(Paused::Close) {
            if !self.position.is_flat() {
                self.send_close(out);
            }
            let generation = self.cells.iter().map(|c| c.generation).max().unwrap_or(0) + 1;
            if let Some(p) = self.plan_at(price) {
                self.lay_out(&p, generation);
                self.place_all(out);
                return;
            }
            // No plan at this price (cannot happen for a validated grid):
            // the reset cells are placed as they are.
        }
        for c in &mut self.cells {
            c.generation += 1;
            c.placed = false;
            c.fill_ids.clear();
        }
        self.unplaced = self.cells.len() as u32;
        let resend = self.market.as_ref().filter(|m| m.placed && m.filled < m.qty);
        if let Some(m) = resend {
            out.push(Command::Place(self.market_request(m)));
        }
        self.place_pending(out);
    }
}
