//! What the manager answers: a bot's detail and a user's summary.
//!
//! Percentages are `Decimal` rounded by [`crate::model::returns`] (2 places): ROI = total PnL /
//! allocation; APR = ROI × 365 days / days run (at least one hour counted, so a
//! bot that just started does not show an absurd APR); the summary's
//! `total_pnl_percent` = total PnL of every bot / used amount (0 when nothing
//! is allocated).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::returns;
use crate::model::{Bot, BotStats, Side, TimestampMs};

/// Hours counted at least when annualising.
const MIN_HOURS: i64 = 1;

/// The open position of a bot, from its stats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// `buy` for long, `sell` for short.
    pub side: Side,
    /// Absolute quantity.
    pub qty: Decimal,
    /// Average entry price.
    pub entry_price: Decimal,
    /// Last price seen by the bot.
    pub mark_price: Decimal,
    /// Unrealised PnL at the mark price.
    pub unrealized_pnl: Decimal,
}

impl PositionView {
    /// The position in `stats`, if any.
    pub fn from_stats(stats: &BotStats) -> Option<Self> {
        if stats.position_qty.is_zero() {
            return None;
        }
        Some(PositionView {
            side: if stats.position_qty.is_sign_positive() {
                Side::Buy
            } else {
                Side::Sell
            },
            qty: stats.position_qty.abs(),
            entry_price: stats.entry_price,
            mark_price: stats.last_price,
            unrealized_pnl: stats.unrealized_pnl,
        })
    }
}

/// A bot with its derived figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotDetail {
    /// The bot as stored.
    pub bot: Bot,
    /// realised + unrealised − fees.
    pub total_pnl: Decimal,
    /// Total PnL / allocation, percent.
    pub roi_pct: Decimal,
    /// ROI annualised over the time run, percent.
    pub apr_pct: Decimal,
    /// Winning round trips / round trips, percent.
    pub win_rate_pct: Decimal,
    /// The open position, if any.
    pub position: Option<PositionView>,
    /// The bot's intended or open orders.
    pub open_orders: usize,
}

impl BotDetail {
    /// Derives the figures of `bot` at `now`.
    pub fn new(bot: Bot, open_orders: usize, now: TimestampMs) -> Self {
        let total_pnl = bot.stats.total_pnl();
        let roi_pct = roi_pct(total_pnl, bot.allocation);
        let end = bot.stopped_at.unwrap_or(now);
        let apr_pct = apr_pct(roi_pct, bot.started_at.map(|s| end - s));
        BotDetail {
            total_pnl,
            roi_pct,
            apr_pct,
            win_rate_pct: bot.stats.win_rate_pct().round_dp(2),
            position: PositionView::from_stats(&bot.stats),
            open_orders,
            bot,
        }
    }
}

/// PnL relative to a base, percent, 2 places (0 for a zero base).
pub fn roi_pct(pnl: Decimal, base: Decimal) -> Decimal {
    returns::roi_pct(pnl, base)
}

/// ROI annualised over `run_ms` (0 when never started).
pub fn apr_pct(roi_pct: Decimal, run_ms: Option<i64>) -> Decimal {
    let Some(run_ms) = run_ms else {
        return Decimal::ZERO;
    };
    let hours = (run_ms / 3_600_000).max(MIN_HOURS);
    returns::apr_pct(roi_pct, hours * 3_600_000)
}

/// A user's account and bots at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// Exchange equity, USDT.
    pub total_balance: Decimal,
    /// Sum of allocations of bots holding one.
    pub used_amount: Decimal,
    /// max(total − used, 0).
    pub available_amount: Decimal,
    /// Bots holding an allocation.
    pub active_bot_count: u32,
    /// The bot limit (5).
    pub max_bot_count: u32,
    /// Total PnL over every bot of the user.
    pub total_pnl: Decimal,
    /// Total PnL / used amount, percent.
    pub total_pnl_percent: Decimal,
    /// The user's bots, newest first.
    pub bots: Vec<BotDetail>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn roi_and_apr_are_relative_to_allocation_and_time_run() {
        assert_eq!(roi_pct(dec!(5), dec!(200)), dec!(2.5));
        assert_eq!(roi_pct(dec!(5), dec!(0)), dec!(0));
        // 2.5 % in 73 days is 12.5 % a year.
        assert_eq!(apr_pct(dec!(2.5), Some(73 * 86_400_000)), dec!(12.5));
        assert_eq!(apr_pct(dec!(1), Some(1)), dec!(8760), "at least one hour");
        assert_eq!(apr_pct(dec!(1), None), dec!(0));
    }

    #[test]
    fn position_view_shows_side_and_absolute_quantity() {
        let stats = BotStats {
            position_qty: dec!(-0.5),
            entry_price: dec!(100),
            last_price: dec!(90),
            unrealized_pnl: dec!(5),
            ..BotStats::default()
        };
        let p = PositionView::from_stats(&stats).unwrap();
        assert_eq!((p.side, p.qty), (Side::Sell, dec!(0.5)));
        assert!(PositionView::from_stats(&BotStats::default()).is_none());
    }
}
