//! A user's bots with their PnL totals and counts, as the API's summary and
//! bot list show them ([`crate::ports::Store::user_summary`]).
//!
//! Invariants: every total is the exact `Decimal` sum over the listed bots;
//! `allocated` and `active_bots` count only bots whose status
//! [holds an allocation](super::BotStatus::holds_allocation).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Bot, BotStatus, UserId};

/// One bot of a summary, with the counts the bot list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotOverview {
    /// The bot (its stats carry the PnL fields).
    pub bot: Bot,
    /// Fills booked to the bot.
    pub fill_count: u64,
    /// The bot's orders that are intended or open.
    pub open_orders: u64,
}

impl BotOverview {
    /// An overview row.
    pub fn new(bot: Bot, fill_count: u64, open_orders: u64) -> Self {
        BotOverview {
            bot,
            fill_count,
            open_orders,
        }
    }
}

/// A user's bots (newest first) and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserSummary {
    /// Owner.
    pub user_id: UserId,
    /// Every bot of the user, newest first.
    pub bots: Vec<BotOverview>,
    /// How many bots the user has in any status.
    pub total_bots: u32,
    /// Bots holding an allocation (every status but created and stopped).
    pub active_bots: u32,
    /// Bots in `running`.
    pub running_bots: u32,
    /// Sum of allocations of the bots holding one, USDT.
    pub allocated: Decimal,
    /// Sum of realised PnL before fees over every bot.
    pub realized_pnl: Decimal,
    /// Sum of unrealised PnL over every bot.
    pub unrealized_pnl: Decimal,
    /// Sum of fees over every bot.
    pub fees: Decimal,
    /// Sum of grid profit over every bot.
    pub grid_profit: Decimal,
    /// realised + unrealised − fees over every bot.
    pub total_pnl: Decimal,
    /// Sum of fill counts over every bot.
    pub fill_count: u64,
}

impl UserSummary {
    /// Totals `bots` (given newest first) for `user_id`.
    pub fn from_bots(user_id: UserId, bots: Vec<BotOverview>) -> Self {
        let mut s = UserSummary {
            user_id,
            bots: Vec::new(),
            total_bots: 0,
            active_bots: 0,
            running_bots: 0,
            allocated: Decimal::ZERO,
            realized_pnl: Decimal::ZERO,
            unrealized_pnl: Decimal::ZERO,
            fees: Decimal::ZERO,
            grid_profit: Decimal::ZERO,
            total_pnl: Decimal::ZERO,
            fill_count: 0,
        };
        for row in &bots {
            let b = &row.bot;
            s.total_bots += 1;
            if b.status.holds_allocation() {
                s.active_bots += 1;
                s.allocated += b.allocation;
            }
            if b.status == BotStatus::Running {
                s.running_bots += 1;
            }
            s.realized_pnl += b.stats.realized_pnl;
            s.unrealized_pnl += b.stats.unrealized_pnl;
            s.fees += b.stats.fees;
            s.grid_profit += b.stats.grid_profit;
            s.total_pnl += b.stats.total_pnl();
            s.fill_count += row.fill_count;
        }
        s.bots = bots;
        s
    }
}
