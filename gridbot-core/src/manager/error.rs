//! Why the manager refused or failed, one variant per thing the caller can
//! do about it. [`ManagerError::http_status`] gives the status the API
//! answers with (400 validation, 404 not found, 409 limit / busy / state,
//! 422 insufficient balance, 502 exchange, 500 store).

use rust_decimal::Decimal;
use thiserror::Error;

use crate::error::{ExchangeError, StoreError, ValidationError};
use crate::model::{BotId, BotStatus, TemplateId};
use crate::risk::RiskViolation;
use crate::runner::RunnerError;

/// A refusal or failure of a [`super::MultiBotManager`] call.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ManagerError {
    /// Bad input (settings, periods, leverage beyond the instrument, ...).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The amount is outside the allowed range.
    #[error("amount {amount:.2} USDT is outside the allowed range {min:.2}–{max:.2} USDT")]
    AmountOutOfRange {
        /// The amount asked for (rounded to cents).
        amount: Decimal,
        /// Smallest allowed.
        min: Decimal,
        /// Largest allowed.
        max: Decimal,
    },
    /// The leverage is above the user's risk cap.
    #[error("leverage {leverage}x is above your risk limit of {cap}x; lower it or raise the limit")]
    LeverageAboveCap {
        /// Requested leverage.
        leverage: u32,
        /// The user's cap.
        cap: u32,
    },
    /// Starting would exceed the user's maximum number of open positions.
    #[error("{open} bots already hold a position, your limit is {max}; stop one first or raise the limit")]
    OpenPositionLimit {
        /// Bots holding a position now.
        open: u32,
        /// The user's limit.
        max: u32,
    },
    /// The daily loss limit was reached today; starts are refused until 00:00 UTC.
    #[error(
        "daily loss limit reached: {loss:.2} USDT lost today, limit {limit:.2}; new bots can start after 00:00 UTC"
    )]
    DailyLossLimit {
        /// Loss today (positive).
        loss: Decimal,
        /// The user's limit.
        limit: Decimal,
    },
    /// No template with this id.
    #[error("strategy template {0} not found")]
    TemplateNotFound(TemplateId),
    /// The template exists but is switched off.
    #[error("strategy template {name:?} is not active; pick another template")]
    TemplateInactive {
        /// The template's name.
        name: String,
    },
    /// No such bot for this user.
    #[error("bot {0} not found")]
    BotNotFound(BotId),
    /// The user already has the maximum number of active bots.
    #[error("bot limit reached: {active} of {max} bots are active; stop one first")]
    BotLimitReached {
        /// Active bots.
        active: u32,
        /// The limit (5).
        max: u32,
    },
    /// Another active bot trades this symbol.
    #[error("a bot is already active on {symbol}; stop it first or pick another symbol")]
    SymbolBusy {
        /// The symbol.
        symbol: String,
    },
    /// Allocations would exceed the account's balance.
    #[error("insufficient balance: {available:.2} USDT available, {requested:.2} requested")]
    InsufficientBalance {
        /// Balance not allocated to other bots.
        available: Decimal,
        /// The amount asked for.
        requested: Decimal,
    },
    /// The bot is not in a status that allows this.
    #[error("bot {bot} is {status}; cannot {action}")]
    InvalidState {
        /// The bot.
        bot: BotId,
        /// Its status.
        status: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// A grid's new stop-loss or take-profit has already been reached by
    /// the last price: it would stop the grid at once.
    #[error("{which} {stop} has already been reached (the price is {price}); it would stop the grid at once")]
    StopWouldFire {
        /// `stop_loss` or `take_profit`.
        which: &'static str,
        /// The stop price asked for.
        stop: Decimal,
        /// The last price.
        price: Decimal,
    },
    /// The exchange failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(StoreError),
    /// The bot's runner could not finish what was asked (a stop that left
    /// the position open, books that disagree with the exchange, orders
    /// that would not cancel); the bot's status and message say what now.
    #[error(transparent)]
    Runner(RunnerError),
}

impl ManagerError {
    /// A stable machine-readable kind (`bot_limit_reached`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            ManagerError::Validation(_) => "validation",
            ManagerError::AmountOutOfRange { .. } => "amount_out_of_range",
            ManagerError::LeverageAboveCap { .. } => "leverage_above_cap",
            ManagerError::OpenPositionLimit { .. } => "open_position_limit",
            ManagerError::DailyLossLimit { .. } => "daily_loss_limit",
            ManagerError::TemplateNotFound(_) => "template_not_found",
            ManagerError::TemplateInactive { .. } => "template_inactive",
            ManagerError::BotNotFound(_) => "bot_not_found",
            ManagerError::BotLimitReached { .. } => "bot_limit_reached",
            ManagerError::SymbolBusy { .. } => "symbol_busy",
            ManagerError::InsufficientBalance { .. } => "insufficient_balance",
            ManagerError::InvalidState { .. } => "invalid_state",
            ManagerError::StopWouldFire { .. } => "stop_would_fire",
            ManagerError::Exchange(_) => "exchange",
            ManagerError::Store(_) => "store",
            ManagerError::Runner(_) => "bot_runner",
        }
    }

    /// The HTTP status the API answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ManagerError::Validation(_)
            | ManagerError::AmountOutOfRange { .. }
            | ManagerError::LeverageAboveCap { .. }
            | ManagerError::TemplateInactive { .. }
            | ManagerError::StopWouldFire { .. } => 400,
            ManagerError::TemplateNotFound(_) | ManagerError::BotNotFound(_) => 404,
            ManagerError::BotLimitReached { .. }
            | ManagerError::SymbolBusy { .. }
            | ManagerError::InvalidState { .. }
            | ManagerError::OpenPositionLimit { .. }
            | ManagerError::DailyLossLimit { .. } => 409,
            ManagerError::InsufficientBalance { .. } => 422,
            ManagerError::Exchange(e) if e.is_transient() => 503,
            ManagerError::Exchange(_) => 502,
            ManagerError::Store(_) => 500,
            ManagerError::Runner(e) if e.is_transient() => 503,
            ManagerError::Runner(_) => 409,
        }
    }

    pub(crate) fn invalid_state(bot: BotId, status: BotStatus, action: &'static str) -> Self {
        ManagerError::InvalidState {
            bot,
            status: status.as_str(),
            action,
        }
    }
}

impl From<RiskViolation> for ManagerError {
    fn from(v: RiskViolation) -> Self {
        match v {
            RiskViolation::LeverageAboveCap { leverage, cap } => ManagerError::LeverageAboveCap { leverage, cap },
            RiskViolation::OpenPositionLimit { open, max } => ManagerError::OpenPositionLimit { open, max },
            RiskViolation::DailyLossLimit { loss, limit } => ManagerError::DailyLossLimit { loss, limit },
        }
    }
}

impl From<RunnerError> for ManagerError {
    fn from(e: RunnerError) -> Self {
        match e {
            RunnerError::Exchange(e) => ManagerError::Exchange(e),
            RunnerError::Store(e) => ManagerError::from(e),
            RunnerError::Invalid(e) => ManagerError::Validation(e),
            RunnerError::Market(e) => ManagerError::Exchange(ExchangeError::Connectivity(e.to_string())),
            other => ManagerError::Runner(other),
        }
    }
}

impl From<StoreError> for ManagerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BotLimitReached { active, max } => ManagerError::BotLimitReached { active, max },
            StoreError::SymbolBusy { symbol } => ManagerError::SymbolBusy { symbol },
            StoreError::InsufficientBalance { available, requested } => {
                ManagerError::InsufficientBalance { available, requested }
            }
            other => ManagerError::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn store_refusals_keep_their_distinct_kinds_and_statuses() {
        let e: ManagerError = StoreError::BotLimitReached { active: 5, max: 5 }.into();
        assert_eq!((e.kind(), e.http_status()), ("bot_limit_reached", 409));
        let e: ManagerError = StoreError::SymbolBusy {
            symbol: "BTCUSDT".into(),
        }
        .into();
        assert_eq!((e.kind(), e.http_status()), ("symbol_busy", 409));
        let e: ManagerError = StoreError::InsufficientBalance {
            available: dec!(120),
            requested: dec!(500),
        }
        .into();
        assert_eq!((e.kind(), e.http_status()), ("insufficient_balance", 422));
        assert_eq!(
            e.to_string(),
            "insufficient balance: 120.00 USDT available, 500.00 requested"
        );
        let e: ManagerError = StoreError::Database("down".into()).into();
        assert_eq!(e.http_status(), 500);
    }

    #[test]
    fn not_found_is_404_and_validation_400() {
        assert_eq!(ManagerError::BotNotFound(BotId(3)).http_status(), 404);
        assert_eq!(ManagerError::TemplateNotFound(TemplateId(3)).http_status(), 404);
        let e = ManagerError::AmountOutOfRange {
            amount: dec!(5),
            min: dec!(10),
            max: dec!(100000),
        };
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.to_string(),
            "amount 5.00 USDT is outside the allowed range 10.00–100000.00 USDT"
        );
    }
}
