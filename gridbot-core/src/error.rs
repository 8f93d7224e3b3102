//! Errors, one enum per port, split by what the caller can do about them.
//!
//! - [`ValidationError`]: bad input; names the field and the limit. Never retry.
//! - [`ExchangeError`]: connectivity and rate limits are transient
//!   ([`ExchangeError::is_transient`]): retry with backoff. Everything else
//!   (insufficient balance, precision, minimum size, auth, not found) needs an
//!   action by the caller or the user.
//! - [`StoreError`]: the guarded-start refusals are distinct variants so that
//!   the API can answer 409 / 422 precisely.

use rust_decimal::Decimal;
use thiserror::Error;

/// Input that breaks a rule. `field` names the input, `message` the rule and
/// the limit, e.g. `grids: must be between 2 and 200, got 500`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The input field at fault, as the user spelled it (`grids`, `lower`, ...).
    pub field: String,
    /// What is wrong and what the limit is.
    pub message: String,
}

impl ValidationError {
    /// A validation error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Errors from an [`crate::ports::Exchange`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The exchange could not be reached or answered with a server error.
    /// Transient: retry with backoff.
    #[error("exchange unreachable: {0}")]
    Connectivity(String),
    /// The request timed out. The outcome is unknown: an order may or may not
    /// exist. Ask for it by client order id before sending it again.
    #[error("exchange request timed out: {0}")]
    Timeout(String),
    /// Too many requests. Transient: wait at least `retry_after_ms`.
    #[error("rate limited by the exchange, retry after {retry_after_ms} ms")]
    RateLimited {
        /// Suggested wait before the next request.
        retry_after_ms: u64,
    },
    /// Not enough margin or balance for the order.
    #[error("insufficient balance: {0}")]
    InsufficientBalance(String),
    /// Price or quantity does not match the instrument's tick or lot step.
    #[error("price or size precision rejected: {0}")]
    Precision(String),
    /// Quantity or notional below the instrument's minimum.
    #[error("order below the minimum: {0}")]
    BelowMinimum(String),
    /// The order is malformed (price ≤ 0, reduce-only with no position, ...).
    #[error("invalid order: {0}")]
    InvalidOrder(String),
    /// The symbol is not traded on this exchange.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// The API key, signature, timestamp or permissions were refused.
    #[error("authentication refused: {0}")]
    Auth(String),
    /// The order (or other object) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The exchange answered something this client cannot parse.
    #[error("unexpected answer from the exchange: {0}")]
    Protocol(String),
    /// Any other refusal, with the exchange's code and message.
    #[error("exchange refused ({code}): {message}")]
    Rejected {
        /// The exchange's error code.
        code: String,
        /// The exchange's message.
        message: String,
    },
}

impl ExchangeError {
    /// True when the same request may succeed later (connectivity, timeout,
    /// rate limit). A timeout's outcome is unknown; see [`ExchangeError::Timeout`].
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ExchangeError::Connectivity(_) | ExchangeError::Timeout(_) | ExchangeError::RateLimited { .. }
        )
    }
}

/// Errors from a [`crate::ports::MarketData`] source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MarketDataError {
    /// The symbol is not known to this source.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// The source could not be reached. Transient.
    #[error("market data unreachable: {0}")]
    Connectivity(String),
    /// The requested history is not available.
    #[error("no market data: {0}")]
    NoData(String),
    /// Malformed data (bad CSV row, unparsable message).
    #[error("malformed market data: {0}")]
    Malformed(String),
}

/// Errors from a [`crate::ports::Store`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique key already exists (user name, ...).
    #[error("already exists: {0}")]
    Conflict(String),
    /// Guarded start refused: the user already has `max` bots that are not stopped.
    #[error("bot limit reached: {active} of {max} bots are active; stop one first")]
    BotLimitReached {
        /// Bots currently holding a slot.
        active: u32,
        /// The limit.
        max: u32,
    },
    /// Guarded start refused: another non-stopped bot trades this symbol.
    #[error("a bot is already active on {symbol}; stop it first or pick another symbol")]
    SymbolBusy {
        /// The symbol in use.
        symbol: String,
    },
    /// Guarded start refused: allocations would exceed the balance.
    #[error("insufficient balance: {available} USDT available, {requested} requested")]
    InsufficientBalance {
        /// Balance not yet allocated to other bots.
        available: Decimal,
        /// The amount asked for.
        requested: Decimal,
    },
    /// The database failed (connection, I/O). May be transient.
    #[error("database error: {0}")]
    Database(String),
    /// A stored value could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A runner's write was refused: its lease on the bot is no longer
    /// valid (another process took the bot over, or the lease lapsed). The
    /// runner must stop acting for the bot.
    #[error(
        "bot {bot}: the runner's lease ({owner}, epoch {epoch}) no longer holds the bot \
         (taken over by another process or expired); this runner stops"
    )]
    LeaseLost {
        /// The bot.
        bot: crate::model::BotId,
        /// The lease's owner.
        owner: String,
        /// The lease's epoch.
        epoch: i64,
    },
    /// A fill could not be booked: it would book more than its order's
    /// quantity, or names another bot's order. Both records are in the
    /// message.
    #[error("fill refused for bot {bot}: {reason}")]
    FillRefused {
        /// The bot the fill was to be booked to.
        bot: crate::model::BotId,
        /// What is wrong, naming the fill and the order.
        reason: String,
    },
    /// A paper venue's journal append was refused: a later claim on the
    /// venue (another process, or this one restarted) fenced this writer.
    #[error(
        "paper venue {venue}: this process's claim ({owner}, epoch {epoch}) was taken over by a later \
         claim; this venue stops trading"
    )]
    VenueFenced {
        /// The venue.
        venue: String,
        /// The fenced claim's owner.
        owner: String,
        /// The fenced claim's epoch.
        epoch: i64,
    },
    /// The store does not offer what was asked (a custom store without a
    /// paper venue journal, say).
    #[error("not supported by this store: {0}")]
    Unsupported(String),
}

/// Errors from an [`crate::ports::Advisor`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AdvisorError {
    /// Not enough candles to analyse or backtest.
    #[error("not enough market data: {0}")]
    NotEnoughData(String),
    /// No candidate survived the viability rules.
    #[error("no viable grid found: {0}")]
    NoViableGrid(String),
    /// The upstream service failed or answered nonsense.
    #[error("advisor upstream failed: {0}")]
    Upstream(String),
    /// The upstream call budget is spent.
    #[error("advisor rate limit reached: {0}")]
    RateLimited(String),
    /// Input is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}
