//! Response bodies for bots and summaries. Money is a decimal string.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::manager::BotDetail;
use gridbot_core::model::{Bot, BotKind, BotSource, TimestampMs, UserSummary};

use crate::balance::BalanceView;

/// A bot as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BotView {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The contract.
    pub symbol: String,
    /// `grid` or `trend`.
    pub kind: &'static str,
    /// `created`, `starting`, `running`, `paused`, `stopping`, `stopped`, `error`.
    pub status: &'static str,
    /// USDT allocated.
    #[schema(value_type = String)]
    pub allocation: Decimal,
    /// realised + unrealised − fees, USDT.
    #[schema(value_type = String)]
    pub total_pnl: Decimal,
    /// Total PnL / allocation, percent.
    #[schema(value_type = String)]
    pub roi_pct: Decimal,
    /// ROI annualised over the time run, percent.
    #[schema(value_type = String)]
    pub apr_pct: Decimal,
    /// Realised PnL before fees.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Unrealised PnL.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// Grid profit after fees.
    #[schema(value_type = String)]
    pub grid_profit: Decimal,
    /// Fees paid.
    #[schema(value_type = String)]
    pub fees: Decimal,
    /// Net position (positive long).
    #[schema(value_type = String)]
    pub position_qty: Decimal,
    /// Last price the bot saw.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Fills booked.
    pub fills: u64,
    /// Completed round trips / trades.
    pub round_trips: u64,
    /// Resting or intended orders.
    pub open_orders: u64,
    /// Why the bot is in `error`.
    pub error_message: Option<String>,
    /// Where the settings came from.
    #[schema(value_type = Object)]
    pub source: BotSource,
    /// The settings (`{"type":"grid"|"trend","config":{...}}`).
    #[schema(value_type = Object)]
    pub config: BotKind,
    /// Creation time, ms.
    pub created_at: TimestampMs,
    /// Last start, ms.
    pub started_at: Option<TimestampMs>,
    /// Stop time, ms.
    pub stopped_at: Option<TimestampMs>,
}

impl BotView {
    /// The view of a bot with `open_orders` resting orders, at `now`.
    pub fn new(bot: Bot, open_orders: u64, now: TimestampMs) -> Self {
        let d = BotDetail::new(bot, usize::try_from(open_orders).unwrap_or(usize::MAX), now);
        let b = d.bot;
        BotView {
            id: b.id.0,
            name: b.name,
            symbol: b.symbol.to_string(),
            kind: b.kind.name(),
            status: b.status.as_str(),
            allocation: b.allocation,
            total_pnl: d.total_pnl,
            roi_pct: d.roi_pct,
            apr_pct: d.apr_pct,
            realized_pnl: b.stats.realized_pnl,
            unrealized_pnl: b.stats.unrealized_pnl,
            grid_profit: b.stats.grid_profit,
            fees: b.stats.fees,
            position_qty: b.stats.position_qty,
            last_price: b.stats.last_price,
            fills: b.stats.fills,
            round_trips: b.stats.round_trips,
            open_orders,
            error_message: b.error_message,
            source: b.source,
            config: b.kind,
            created_at: b.created_at,
            started_at: b.started_at,
            stopped_at: b.stopped_at,
        }
    }
}

/// The multibot summary: the balance bar and every bot of the user.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct SummaryView {
    /// The balance bar.
    pub balance: BalanceView,
    /// Every bot, newest first.
    pub bots: Vec<BotView>,
    /// Bots in any status.
    pub total_bots: u32,
    /// Bots holding an allocation.
    pub active_bots: u32,
    /// Bots running.
    pub running_bots: u32,
    /// Sum of allocations of active bots.
    #[schema(value_type = String)]
    pub allocated: Decimal,
    /// Total PnL over every bot.
    #[schema(value_type = String)]
    pub total_pnl: Decimal,
    /// Total PnL / allocated, percent.
    #[schema(value_type = String)]
    pub total_pnl_pct: Decimal,
    /// Realised PnL before fees, every bot.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Unrealised PnL, every bot.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// Fees, every bot.
    #[schema(value_type = String)]
    pub fees: Decimal,
    /// Grid profit, every bot.
    #[schema(value_type = String)]
    pub grid_profit: Decimal,
}

impl SummaryView {
    /// Builds the summary from the store's totals and the balance view.
    pub fn new(summary: UserSummary, balance: BalanceView, now: TimestampMs) -> Self {
        SummaryView {
            balance,
            total_bots: summary.total_bots,
            active_bots: summary.active_bots,
            running_bots: summary.running_bots,
            allocated: summary.allocated,
            total_pnl: summary.total_pnl,
            total_pnl_pct: crate::balance::pct(summary.total_pnl, summary.allocated),
            realized_pnl: summary.realized_pnl,
            unrealized_pnl: summary.unrealized_pnl,
            fees: summary.fees,
            grid_profit: summary.grid_profit,
            bots: summary
                .bots
                .into_iter()
                .map(|o| BotView::new(o.bot, o.open_orders, now))
                .collect(),
        }
    }
}
