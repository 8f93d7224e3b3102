//! The money-exact trading model shared by every crate.
//!
//! Invariants: prices, quantities, balances, fees and PnL are `Decimal`;
//! timestamps are milliseconds since the Unix epoch (UTC) as `i64`;
//! quantities are unsigned in orders and fills (the side carries the sign)
//! and signed in positions (positive = long).

mod account;
mod bot;
mod grid_config;
mod ids;
mod instrument;
mod market;
mod net_position;
mod order;
pub mod returns;
mod summary;
mod user;

pub use account::{AccountBalance, Position};
pub use bot::{
    Bot, BotKind, BotOrder, BotOrderStatus, BotSource, BotStats, BotStatus, EquitySnapshot, FillRecord, NewBot,
    StrategyTemplate, TrendConfig, TrendDirection,
};
pub use grid_config::{GridConfig, GridMode, OutOfRange, Spacing};
pub(crate) use ids::push_u64;
pub use ids::{
    BotId, ClientOrderId, FillCursor, IdTag, OrderOwner, OrderRole, ParsedOrderId, Symbol, TemplateId, UserId,
};
pub use instrument::{Instrument, Rounding};
pub use market::{Candle, Interval, MarketEvent, Tick};
pub use net_position::NetPosition;
pub use order::{ExecutionEvent, Fill, Liquidity, Order, OrderKind, OrderRequest, OrderStatus, Side, TimeInForce};
pub use summary::{BotOverview, UserSummary};
pub use user::{AuditEvent, CredentialsRecord, RiskSettings, User};

/// Milliseconds since the Unix epoch, UTC.
pub type TimestampMs = i64;
