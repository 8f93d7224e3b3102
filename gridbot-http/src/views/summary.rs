//! The owner's `BalanceSummaryResponse` and `BalanceCheckResponse`, with
//! gridbot's balance bar, exact totals and start limits beside them.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::manager::{StartLimits, MAX_ACTIVE_BOTS};
use gridbot_core::model::{RiskSettings, UserSummary};

use super::{num2, BotView};
use crate::balance::BalanceView;

/// Stopped and created bots listed in a summary, newest first (the whole
/// list is `GET /multibot/bots?status=all`).
pub const INACTIVE_SHOWN: usize = 20;

/// What starts are checked against: the dashboard disables a Start button
/// that cannot succeed and says why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct LimitsView {
    /// Most bots holding an allocation (5).
    pub max_bot_count: u32,
    /// Bots holding an allocation now.
    pub active_bot_count: u32,
    /// Smallest amount of any start, USDT.
    pub min_amount: String,
    /// Largest amount of any start, USDT.
    pub max_amount: String,
    /// The user's leverage cap.
    pub leverage_cap: u32,
    /// The user's limit of bots holding a position.
    pub max_open_positions: u32,
    /// Bots holding a position now.
    pub open_positions: u32,
    /// The user's daily loss limit, USDT.
    pub daily_loss_limit: Option<String>,
    /// Symbols an active bot trades (a new start there is refused).
    pub busy_symbols: Vec<String>,
}

impl From<StartLimits> for LimitsView {
    fn from(l: StartLimits) -> Self {
        LimitsView {
            max_bot_count: l.max_bot_count,
            active_bot_count: l.active_bot_count,
            min_amount: l.min_amount.normalize().to_string(),
            max_amount: l.max_amount.normalize().to_string(),
            leverage_cap: l.leverage_cap,
            max_open_positions: l.max_open_positions,
            open_positions: l.open_positions,
            daily_loss_limit: l.daily_loss_limit.map(|d| d.normalize().to_string()),
            busy_symbols: l.busy_symbols.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The multibot summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct SummaryView {
    /// Exchange equity, USDT.
    pub total_balance: f64,
    /// Allocated to active bots, USDT.
    pub used_amount: f64,
    /// total − used (never negative), USDT.
    pub available_amount: f64,
    /// Bots holding an allocation.
    pub active_bot_count: u32,
    /// The bot limit (5).
    pub max_bot_count: u32,
    /// Total PnL of every bot, USDT.
    pub total_pnl: f64,
    /// Total PnL / used amount, percent (0 when nothing is used).
    pub total_pnl_percent: f64,
    /// The bots holding an allocation (status running or error), newest first.
    pub bots: Vec<BotView>,
    /// The balance bar, exact.
    pub balance: BalanceView,
    /// Created and stopped bots, newest first, at most [`INACTIVE_SHOWN`].
    pub inactive_bots: Vec<BotView>,
    /// Bots in any status.
    pub total_bots: u32,
    /// Bots in the `running` state.
    pub running_bots: u32,
    /// Realised PnL before fees, every bot, exact.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Unrealised PnL, every bot, exact.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// Fees, every bot, exact.
    #[schema(value_type = String)]
    pub fees: Decimal,
    /// Grid profit, every bot, exact.
    #[schema(value_type = String)]
    pub grid_profit: Decimal,
    /// What starts are checked against.
    pub limits: LimitsView,
}

impl SummaryView {
    /// Builds the summary from the store's totals, the balance bar, the
    /// user's risk settings and the views of every bot (newest first).
    pub fn new(summary: &UserSummary, balance: BalanceView, settings: &RiskSettings, bots: Vec<BotView>) -> Self {
        let (active, inactive): (Vec<BotView>, Vec<BotView>) = bots.into_iter().partition(BotView::is_active);
        let open_positions = active.iter().filter(|b| !b.position_qty.is_zero()).count();
        let limits = LimitsView::from(StartLimits::from_state(
            settings,
            summary.active_bots,
            u32::try_from(open_positions).unwrap_or(u32::MAX),
            active
                .iter()
                .filter_map(|b| gridbot_core::model::Symbol::new(&b.symbol).ok())
                .collect(),
            balance.total,
            summary.allocated,
        ));
        SummaryView {
            total_balance: num2(balance.total),
            used_amount: num2(balance.used),
            available_amount: num2(balance.available),
            active_bot_count: summary.active_bots,
            max_bot_count: MAX_ACTIVE_BOTS,
            total_pnl: num2(summary.total_pnl),
            total_pnl_percent: num2(crate::balance::pct(summary.total_pnl, summary.allocated)),
            bots: active,
            balance,
            inactive_bots: inactive.into_iter().take(INACTIVE_SHOWN).collect(),
            total_bots: summary.total_bots,
            running_bots: summary.running_bots,
            realized_pnl: summary.realized_pnl,
            unrealized_pnl: summary.unrealized_pnl,
            fees: summary.fees,
            grid_profit: summary.grid_profit,
            limits,
        }
    }
}

/// The answer of the balance check.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BalanceCheckView {
    /// The amount asked for, rounded down to cents.
    pub requested_amount: f64,
    /// Whether a start with this amount may happen now (balance, bot limit
    /// and, with `template_id` / `bot_id`, every start rule).
    pub available: bool,
    /// The account's equity.
    pub current_balance: f64,
    /// Allocated to active bots.
    pub used_amount: f64,
    /// Balance − used.
    pub remaining: f64,
    /// `available` or why not, in the request's language.
    pub message: String,
    /// Same as `available`.
    pub allowed: bool,
    /// The refusal's stable code, when refused.
    pub code: Option<String>,
    /// The request field the refusal is about.
    pub field: Option<String>,
    /// The amount asked for, exact.
    #[schema(value_type = String)]
    pub requested: Decimal,
    /// Balance − used, exact (never negative).
    #[schema(value_type = String)]
    pub available_amount: Decimal,
    /// What would remain after the start: balance − used − requested.
    #[schema(value_type = String)]
    pub remaining_after: Decimal,
}
