//! The balance bar's numbers, shared by `/account/balance`,
//! `/multibot/summary` and `/multibot/balance-check`.
//!
//! total = exchange equity (USDT); used = Σ allocations of bots holding one;
//! available = max(total − used, 0). A start of `amount` is allowed only if
//! used + amount ≤ total (the store re-checks this atomically at start).
//! The bot limit is the core's ([`gridbot_core::manager::MAX_ACTIVE_BOTS`]):
//! this crate keeps no limit of its own.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::model::{UserId, UserSummary};

use crate::error::ApiResult;
use crate::state::AppState;

/// A user's balance as the dashboard's bar shows it. Money as strings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BalanceView {
    /// Exchange equity, USDT.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// Sum of allocations of active bots, USDT.
    #[schema(value_type = String)]
    pub used: Decimal,
    /// total − used (never negative), USDT.
    #[schema(value_type = String)]
    pub available: Decimal,
    /// used / total in percent, 2 decimals.
    #[schema(value_type = String)]
    pub used_pct: Decimal,
    /// What the exchange itself reports as free margin, USDT.
    #[schema(value_type = String)]
    pub exchange_available: Decimal,
    /// Bots holding an allocation.
    pub active_bots: u32,
    /// The limit of active bots.
    pub max_bots: u32,
    /// Total PnL over every bot (realised + unrealised − fees), USDT.
    #[schema(value_type = String)]
    pub total_pnl: Decimal,
}

/// Percentage `part / whole × 100`, 2 decimals (0 when `whole` ≤ 0).
pub fn pct(part: Decimal, whole: Decimal) -> Decimal {
    if whole <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (part * Decimal::ONE_HUNDRED / whole).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Builds the balance view from the exchange balance and a summary.
pub fn view(equity: Decimal, exchange_available: Decimal, summary: &UserSummary) -> BalanceView {
    let used = summary.allocated;
    BalanceView {
        total: equity,
        used,
        available: (equity - used).max(Decimal::ZERO),
        used_pct: pct(used, equity),
        exchange_available,
        active_bots: summary.active_bots,
        max_bots: gridbot_core::manager::MAX_ACTIVE_BOTS,
        total_pnl: summary.total_pnl,
    }
}

/// The user's summary and balance view.
pub async fn load(state: &AppState, user: UserId) -> ApiResult<(UserSummary, BalanceView)> {
    let summary = state.store.user_summary(user).await?;
    let exchange = state.accounts.exchange_for(user).await?;
    let bal = exchange.balance().await?;
    let v = view(bal.equity, bal.available, &summary);
    Ok((summary, v))
}
