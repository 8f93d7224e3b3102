//! A grid bot on the grid-bot routes: the owner's `GridBot`, and the grid's
//! positions (one per cell) for `performance`.
//!
//! Decisions:
//! - `stop_loss_percent` / `take_profit_percent`: gridbot's grids stop at a
//!   price; as the owner's percentages they are the distance from the
//!   range's edge the stop lies beyond (a long or neutral grid's stop-loss
//!   below `price_range_lower`: `(lower − stop) / lower × 100`; its
//!   take-profit above `price_range_upper`; the reverse for a short grid),
//!   null when not set. The prices themselves travel as `stop_loss` /
//!   `take_profit`.
//! - `investment_ratio` is the percentage of the available balance the
//!   user asked for, null when an amount was given.
//! - A grid position's `status`: `filled` while the cell holds its quantity
//!   (its opening order filled, its closing order rests), `pending` while it
//!   waits to open, `closed` once the grid finished and the cell holds
//!   nothing.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::engine::grid::GridEngine;
use gridbot_core::engine::{BotEngine, EnginePhase};
use gridbot_core::grid::{GridConfig, GridMode};
use gridbot_core::model::{Bot, BotKind, BotSource, Side};

use super::{iso, num, num2, owner_status, BotView};
use crate::i18n::{self, Lang};

/// A grid bot as the owner's client reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct GridBotView {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Display name, in the request's language.
    pub name: String,
    /// The contract.
    pub symbol: String,
    /// `arithmetic` or `geometric`.
    pub grid_type: &'static str,
    /// Lowest line.
    pub price_range_lower: f64,
    /// Highest line.
    pub price_range_upper: f64,
    /// Number of grids.
    pub grid_count: u32,
    /// Margin, USDT.
    pub investment_amount: f64,
    /// Percentage of the available balance asked for (null when an amount was given).
    pub investment_ratio: Option<f64>,
    /// Leverage.
    pub leverage: u32,
    /// Stop-loss distance beyond the range, percent (null when none).
    pub stop_loss_percent: Option<f64>,
    /// Take-profit distance beyond the range, percent (null when none).
    pub take_profit_percent: Option<f64>,
    /// `running`, `stopped`, `paused` or `error`.
    pub status: &'static str,
    /// Made from an advisor recommendation.
    pub is_ai_recommended: bool,
    /// Total PnL, USDT.
    pub total_profit: f64,
    /// Total PnL / investment, percent.
    pub total_profit_percent: f64,
    /// Completed round trips.
    pub total_trades: u64,
    /// Winning round trips, percent.
    pub win_rate: f64,
    /// Creation, ISO-8601.
    pub created_at: String,
    /// Last start, ISO-8601.
    pub started_at: Option<String>,
    /// Stop, ISO-8601.
    pub stopped_at: Option<String>,
    /// Last change, ISO-8601.
    pub updated_at: String,
    /// Exact life-cycle state.
    pub state: &'static str,
    /// `long`, `short` or `neutral`.
    pub mode: &'static str,
    /// Lowest line, exact.
    pub lower: String,
    /// Highest line, exact.
    pub upper: String,
    /// Stop-loss price, exact.
    pub stop_loss: Option<String>,
    /// Take-profit price, exact.
    pub take_profit: Option<String>,
    /// Trigger price, exact.
    pub trigger_price: Option<String>,
    /// The bot as the multibot routes show it.
    pub bot: BotView,
}

fn distance_pct(edge: Decimal, stop: Decimal, below: bool) -> Option<f64> {
    if edge <= Decimal::ZERO {
        return None;
    }
    let d = if below { edge - stop } else { stop - edge };
    Some(num2(d * Decimal::ONE_HUNDRED / edge))
}

fn text(d: Option<Decimal>) -> Option<String> {
    d.map(|v| v.normalize().to_string())
}

impl GridBotView {
    /// The view of a grid bot (`None` for a trend bot).
    pub fn new(bot: &Bot, view: BotView, lang: Lang) -> Option<Self> {
        let BotKind::Grid(g) = &bot.kind else {
            return None;
        };
        let long_side = g.mode != GridMode::Short;
        Some(GridBotView {
            id: bot.id.0,
            user_id: bot.user_id.0,
            name: i18n::name(&bot.name, lang),
            symbol: bot.symbol.to_string(),
            grid_type: g.spacing.as_str(),
            price_range_lower: num(g.lower),
            price_range_upper: num(g.upper),
            grid_count: g.grids,
            investment_amount: num2(g.investment),
            investment_ratio: g.investment_ratio.map(num2),
            leverage: g.leverage,
            stop_loss_percent: g.stop_loss.and_then(|sl| {
                if long_side {
                    distance_pct(g.lower, sl, true)
                } else {
                    distance_pct(g.upper, sl, false)
                }
            }),
            take_profit_percent: g.take_profit.and_then(|tp| {
                if long_side {
                    distance_pct(g.upper, tp, false)
                } else {
                    distance_pct(g.lower, tp, true)
                }
            }),
            status: owner_status(bot.status, true),
            is_ai_recommended: bot.source == BotSource::Recommendation,
            total_profit: view.current_pnl,
            total_profit_percent: view.current_pnl_percent,
            total_trades: view.total_trades,
            win_rate: view.win_rate,
            created_at: iso(bot.created_at),
            started_at: bot.started_at.map(iso),
            stopped_at: bot.stopped_at.map(iso),
            updated_at: iso(bot.updated_at),
            state: bot.status.as_str(),
            mode: g.mode.as_str(),
            lower: g.lower.normalize().to_string(),
            upper: g.upper.normalize().to_string(),
            stop_loss: text(g.stop_loss),
            take_profit: text(g.take_profit),
            trigger_price: text(g.trigger_price),
            bot: view,
        })
    }
}

/// One grid cell as the owner's performance page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct GridPositionView {
    /// Cell index (0 = lowest).
    pub grid_level: u32,
    /// Price of the cell's resting order.
    pub target_price: f64,
    /// Quantity of that order.
    pub order_size: f64,
    /// `pending`, `filled` or `closed`.
    pub status: &'static str,
    /// Client id of the cell's buy order, when its order is a buy.
    pub buy_order_id: Option<String>,
    /// Client id of the cell's sell order, when its order is a sell.
    pub sell_order_id: Option<String>,
    /// Price the held quantity was opened at (while `filled`).
    pub entry_price: Option<f64>,
    /// Price the held quantity closes at (while `filled`).
    pub exit_price: Option<f64>,
    /// Profit of the cell's completed round trips after fees, USDT.
    pub profit: f64,
}

/// The cells of a grid bot's saved engine, lowest first (empty before it
/// started or for a trend bot).
pub fn grid_positions(bot: &Bot) -> Vec<GridPositionView> {
    let Some(engine) = bot
        .engine_state
        .as_ref()
        .and_then(|s| s.get("engine"))
        .and_then(|e| GridEngine::restore(e).ok())
    else {
        return Vec::new();
    };
    let finished = engine.phase() == EnginePhase::Finished;
    let levels = engine.levels().to_vec();
    engine
        .cells()
        .map(|c| {
            let id = c.client_id(bot.id).to_string();
            let i = c.cell as usize;
            let (low, high) = (levels.get(i).copied(), levels.get(i + 1).copied());
            let (entry, exit) = match (c.holding, c.home) {
                (true, Side::Buy) => (low, high),
                (true, Side::Sell) => (high, low),
                _ => (None, None),
            };
            GridPositionView {
                grid_level: c.cell,
                target_price: num(c.price),
                order_size: num(c.remaining + c.filled),
                status: if c.holding {
                    "filled"
                } else if finished {
                    "closed"
                } else {
                    "pending"
                },
                buy_order_id: (c.side == Side::Buy).then(|| id.clone()),
                sell_order_id: (c.side == Side::Sell).then_some(id),
                entry_price: entry.map(num),
                exit_price: exit.map(num),
                profit: num2(c.profit),
            }
        })
        .collect()
}

/// The grid config of a bot, if it is a grid.
pub fn grid_config(bot: &Bot) -> Option<&GridConfig> {
    match &bot.kind {
        BotKind::Grid(g) => Some(g),
        _ => None,
    }
}
