//! Bots, their orders and fills as the store keeps them, and strategy templates.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::GridConfig;
use super::{BotId, ClientOrderId, Fill, Interval, Side, Symbol, TemplateId, TimestampMs, UserId};

/// Long or short, for trend bots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendDirection {
    /// Buys on the fast EMA crossing above the slow one.
    Long,
    /// Sells on the fast EMA crossing below the slow one.
    Short,
}

/// An EMA-crossover trend bot's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrendConfig {
    /// The contract.
    pub symbol: Symbol,
    /// Candle interval the EMAs are computed on (closed candles only).
    pub interval: Interval,
    /// Fast EMA period (candles).
    pub fast_period: u32,
    /// Slow EMA period (candles), greater than `fast_period`.
    pub slow_period: u32,
    /// Long or short.
    pub direction: TrendDirection,
    /// Leverage.
    pub leverage: u32,
    /// Stop-loss distance from the entry price, in percent (e.g. 2 = 2 %).
    pub stop_loss_pct: Decimal,
    /// Take-profit distance from the entry price, in percent.
    pub take_profit_pct: Decimal,
    /// Margin committed to the bot, USDT.
    pub investment: Decimal,
}

impl TrendConfig {
    /// A trend config with the given fields.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        symbol: Symbol,
        interval: Interval,
        fast_period: u32,
        slow_period: u32,
        direction: TrendDirection,
        leverage: u32,
        stop_loss_pct: Decimal,
        take_profit_pct: Decimal,
        investment: Decimal,
    ) -> Self {
        TrendConfig {
            symbol,
            interval,
            fast_period,
            slow_period,
            direction,
            leverage,
            stop_loss_pct,
            take_profit_pct,
            investment,
        }
    }
}

/// What a bot does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "config", rename_all = "lowercase")]
#[non_exhaustive]
pub enum BotKind {
    /// A grid bot.
    Grid(GridConfig),
    /// An EMA-crossover trend bot.
    Trend(TrendConfig),
}

impl BotKind {
    /// The bot's contract.
    pub fn symbol(&self) -> &Symbol {
        match self {
            BotKind::Grid(g) => &g.symbol,
            BotKind::Trend(t) => &t.symbol,
        }
    }

    /// The bot's leverage.
    pub fn leverage(&self) -> u32 {
        match self {
            BotKind::Grid(g) => g.leverage,
            BotKind::Trend(t) => t.leverage,
        }
    }

    /// `grid` or `trend`.
    pub fn name(&self) -> &'static str {
        match self {
            BotKind::Grid(_) => "grid",
            BotKind::Trend(_) => "trend",
        }
    }
}

/// A bot's life-cycle state.
///
/// `Created` (saved, never started) and `Stopped` hold no allocation and no
/// symbol; every other status holds both, so the sum of allocations of bots
/// in those statuses never exceeds the account balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BotStatus {
    /// Saved but never started (grid bots created before starting).
    Created,
    /// Being started: symbol prepared, initial orders going out.
    Starting,
    /// Trading.
    Running,
    /// Orders cancelled by a risk rule or the user; allocation kept.
    Paused,
    /// Being stopped: cancelling orders, closing the position.
    Stopping,
    /// Done. Frees its symbol and allocation.
    Stopped,
    /// A persistent error stopped trading; see the bot's error message.
    Error,
}

impl BotStatus {
    /// True when the bot holds its allocation and its symbol.
    pub fn holds_allocation(self) -> bool {
        !matches!(self, BotStatus::Created | BotStatus::Stopped)
    }

    /// The status as stored and shown (`running`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BotStatus::Created => "created",
            BotStatus::Starting => "starting",
            BotStatus::Running => "running",
            BotStatus::Paused => "paused",
            BotStatus::Stopping => "stopping",
            BotStatus::Stopped => "stopped",
            BotStatus::Error => "error",
        }
    }

    /// Every status that holds an allocation (all but `created` and
    /// `stopped`).
    pub const HOLDING: [BotStatus; 5] = [
        BotStatus::Starting,
        BotStatus::Running,
        BotStatus::Paused,
        BotStatus::Stopping,
        BotStatus::Error,
    ];

    /// Every status.
    pub const ALL: [BotStatus; 7] = [
        BotStatus::Created,
        BotStatus::Starting,
        BotStatus::Running,
        BotStatus::Paused,
        BotStatus::Stopping,
        BotStatus::Stopped,
        BotStatus::Error,
    ];
}

impl std::str::FromStr for BotStatus {
    type Err = crate::error::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BotStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                crate::error::ValidationError::new(
                    "status",
                    format!("must be one of created starting running paused stopping stopped error, got {s:?}"),
                )
            })
    }
}

/// Where a bot's settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", content = "id", rename_all = "snake_case")]
pub enum BotSource {
    /// Entered by hand.
    Manual,
    /// Started from a strategy template.
    Template(TemplateId),
    /// Taken from an advisor recommendation.
    Recommendation,
}

/// A bot's running totals. Every field is exact; `total_pnl = realized_pnl +
/// unrealized_pnl − fees` where `realized_pnl` is before fees.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotStats {
    /// Realised PnL before fees (grid profit before fees plus closed position PnL).
    pub realized_pnl: Decimal,
    /// Profit of completed grid round trips, after their fees.
    pub grid_profit: Decimal,
    /// Unrealised PnL of the open position at the last price.
    pub unrealized_pnl: Decimal,
    /// Fees paid.
    pub fees: Decimal,
    /// Net position quantity (positive long).
    pub position_qty: Decimal,
    /// Average entry price of the open position.
    pub entry_price: Decimal,
    /// Fills booked.
    pub fills: u64,
    /// Completed round trips (grid) or closed trades (trend).
    pub round_trips: u64,
    /// Round trips / trades that made money after fees.
    pub wins: u64,
    /// Last price seen.
    pub last_price: Decimal,
}

impl BotStats {
    /// realised + unrealised − fees.
    pub fn total_pnl(&self) -> Decimal {
        self.realized_pnl + self.unrealized_pnl - self.fees
    }

    /// Wins / round trips in percent (0 when none).
    pub fn win_rate_pct(&self) -> Decimal {
        if self.round_trips == 0 {
            Decimal::ZERO
        } else {
            Decimal::from(self.wins) * Decimal::ONE_HUNDRED / Decimal::from(self.round_trips)
        }
    }
}

/// A bot to insert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewBot {
    /// Owner.
    pub user_id: UserId,
    /// Display name.
    pub name: String,
    /// Settings (the symbol is `kind.symbol()`).
    pub kind: BotKind,
    /// USDT allocated to the bot (rounded to cents).
    pub allocation: Decimal,
    /// Where the settings came from.
    pub source: BotSource,
}

impl NewBot {
    /// A new bot record.
    pub fn new(
        user_id: UserId,
        name: impl Into<String>,
        kind: BotKind,
        allocation: Decimal,
        source: BotSource,
    ) -> Self {
        NewBot {
            user_id,
            name: name.into(),
            kind,
            allocation,
            source,
        }
    }
}

/// A bot as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bot {
    /// Id.
    pub id: BotId,
    /// Owner.
    pub user_id: UserId,
    /// Display name.
    pub name: String,
    /// The contract (denormalised from `kind` for indexing).
    pub symbol: Symbol,
    /// Settings.
    pub kind: BotKind,
    /// Life-cycle state.
    pub status: BotStatus,
    /// USDT allocated.
    pub allocation: Decimal,
    /// Where the settings came from.
    pub source: BotSource,
    /// Running totals.
    pub stats: BotStats,
    /// Why the bot is in `Error` (or the last warning).
    pub error_message: Option<String>,
    /// Engine state saved by the runner (opaque JSON), for fast restarts.
    pub engine_state: Option<serde_json::Value>,
    /// Position in the exchange's fill history up to which fills are booked.
    pub fill_cursor: Option<String>,
    /// Creation time.
    pub created_at: TimestampMs,
    /// Last change.
    pub updated_at: TimestampMs,
    /// Last start.
    pub started_at: Option<TimestampMs>,
    /// Stop time.
    pub stopped_at: Option<TimestampMs>,
}

impl Bot {
    /// A bot record in `Created` status with zero stats, no error, engine
    /// state or cursor, for stores rebuilding a bot from its columns (set
    /// the remaining public fields afterwards). The symbol is `kind.symbol()`.
    pub fn new(
        id: BotId,
        user_id: UserId,
        name: impl Into<String>,
        kind: BotKind,
        allocation: Decimal,
        source: BotSource,
        created_at: TimestampMs,
    ) -> Self {
        Bot {
            id,
            user_id,
            name: name.into(),
            symbol: kind.symbol().clone(),
            kind,
            status: BotStatus::Created,
            allocation,
            source,
            stats: BotStats::default(),
            error_message: None,
            engine_state: None,
            fill_cursor: None,
            created_at,
            updated_at: created_at,
            started_at: None,
            stopped_at: None,
        }
    }
}

/// Where a bot's order is in its life, as the store records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BotOrderStatus {
    /// Written before sending; the exchange may or may not have it.
    Intended,
    /// Acknowledged by the exchange, resting.
    Open,
    /// Filled.
    Filled,
    /// Cancelled.
    Canceled,
    /// Refused by the exchange.
    Rejected,
}

impl BotOrderStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            BotOrderStatus::Intended => "intended",
            BotOrderStatus::Open => "open",
            BotOrderStatus::Filled => "filled",
            BotOrderStatus::Canceled => "canceled",
            BotOrderStatus::Rejected => "rejected",
        }
    }
}

/// One of a bot's orders, keyed by its client order id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotOrder {
    /// Deterministic client id (unique).
    pub client_id: ClientOrderId,
    /// Owner bot.
    pub bot_id: BotId,
    /// The exchange's id once known.
    pub exchange_order_id: Option<String>,
    /// Grid cell index, for grid orders.
    pub cell: Option<u32>,
    /// Buy or sell.
    pub side: Side,
    /// Limit price (`None` for market).
    pub price: Option<Decimal>,
    /// Quantity.
    pub qty: Decimal,
    /// State.
    pub status: BotOrderStatus,
    /// Creation time.
    pub created_at: TimestampMs,
    /// Last change.
    pub updated_at: TimestampMs,
}

impl BotOrder {
    /// An order record.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client_id: ClientOrderId,
        bot_id: BotId,
        cell: Option<u32>,
        side: Side,
        price: Option<Decimal>,
        qty: Decimal,
        status: BotOrderStatus,
        now: TimestampMs,
    ) -> Self {
        BotOrder {
            client_id,
            bot_id,
            exchange_order_id: None,
            cell,
            side,
            price,
            qty,
            status,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A fill booked to a bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillRecord {
    /// Owner bot.
    pub bot_id: BotId,
    /// The execution (its `id` is unique: inserting it again is a no-op).
    pub fill: Fill,
}

/// A point of a bot's equity curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquitySnapshot {
    /// Owner bot.
    pub bot_id: BotId,
    /// Time.
    pub ts: TimestampMs,
    /// Allocation + total PnL at that time.
    pub equity: Decimal,
    /// Total PnL at that time.
    pub pnl: Decimal,
}

/// A strategy template users start trend bots from (the seed's
/// TrendBotTemplate, plus the EMA parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StrategyTemplate {
    /// Id (0 before the store assigns one).
    pub id: TemplateId,
    /// Display name.
    pub name: String,
    /// The contract.
    pub symbol: Symbol,
    /// What it does, for the strategy card.
    pub description: String,
    /// Strategy family, `ema_crossover`.
    pub strategy_type: String,
    /// Long or short.
    pub direction: TrendDirection,
    /// Leverage.
    pub leverage: u32,
    /// Stop-loss, percent from entry.
    pub stop_loss_percent: Decimal,
    /// Take-profit, percent from entry.
    pub take_profit_percent: Decimal,
    /// Smallest amount a bot may be started with, USDT.
    pub min_investment: Decimal,
    /// Largest amount, USDT.
    pub max_investment: Decimal,
    /// Offered to users.
    pub is_active: bool,
    /// Shown first.
    pub is_featured: bool,
    /// EMA interval.
    pub interval: Interval,
    /// Fast EMA period.
    pub fast_period: u32,
    /// Slow EMA period.
    pub slow_period: u32,
}

impl StrategyTemplate {
    /// An EMA-crossover template.
    #[allow(clippy::too_many_arguments)]
    pub fn ema_crossover(
        name: impl Into<String>,
        symbol: Symbol,
        description: impl Into<String>,
        direction: TrendDirection,
        leverage: u32,
        stop_loss_percent: Decimal,
        take_profit_percent: Decimal,
        min_investment: Decimal,
        max_investment: Decimal,
        interval: Interval,
        fast_period: u32,
        slow_period: u32,
    ) -> Self {
        StrategyTemplate {
            id: TemplateId(0),
            name: name.into(),
            symbol,
            description: description.into(),
            strategy_type: "ema_crossover".to_owned(),
            direction,
            leverage,
            stop_loss_percent,
            take_profit_percent,
            min_investment,
            max_investment,
            is_active: true,
            is_featured: false,
            interval,
            fast_period,
            slow_period,
        }
    }

    /// The trend config a bot started from this template with `amount` runs.
    pub fn trend_config(&self, amount: Decimal) -> TrendConfig {
        TrendConfig {
            symbol: self.symbol.clone(),
            interval: self.interval,
            fast_period: self.fast_period,
            slow_period: self.slow_period,
            direction: self.direction,
            leverage: self.leverage,
            stop_loss_pct: self.stop_loss_percent,
            take_profit_pct: self.take_profit_percent,
            investment: amount,
        }
    }
}
