//! A bot on the multibot routes: the owner's `BotInstanceResponse` plus
//! gridbot's exact figures.
//!
//! Decisions:
//! - `total_trades` counts completed round trips (grid) or closed trades
//!   (trend), `winning_trades` those that made money after fees, `win_rate`
//!   their share in percent;
//! - `started_at` is the last start, or the creation time for a bot never
//!   started (the owner's field is not nullable); `last_signal_at` is the
//!   time of the bot's newest fill (the last signal it acted on);
//! - `apr_pct` is null until the bot has run for a day: annualising minutes
//!   of trading shows absurd figures ([`APR_AFTER_MS`]).

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::engine::trend::TrendEngine;
use gridbot_core::manager::BotDetail;
use gridbot_core::model::{Bot, BotKind, BotSource, BotStatus, Side, TimestampMs};

use super::{iso, num, num2, owner_status};
use crate::i18n::{self, Lang};

/// APR is shown once a bot has run this long (one day).
pub const APR_AFTER_MS: i64 = 86_400_000;

/// The owner's `current_position`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct PositionView {
    /// `long` or `short`.
    pub side: &'static str,
    /// Absolute size, base currency.
    pub size: f64,
    /// Average entry price.
    pub entry_price: f64,
    /// Unrealised PnL, USDT.
    pub unrealized_pnl: f64,
    /// Estimated liquidation price, when the bot's engine knows it.
    pub liquidation_price: Option<f64>,
    /// The exact size, signed (+ long, − short).
    pub qty: String,
}

/// A trend bot's position management.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct TrendView {
    /// `waiting_for_cross` (flat, running), `in_position`, or `idle` (not running).
    pub state: &'static str,
    /// `long` or `short`.
    pub direction: &'static str,
    /// Stop-loss price of the open position.
    pub stop_loss_price: Option<String>,
    /// Take-profit price of the open position.
    pub take_profit_price: Option<String>,
}

/// What the user may do with the bot now (the dashboard's buttons).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BotActions {
    /// Stop it (it holds its allocation).
    pub stop: bool,
    /// Start it (created) or restart it (stopped).
    pub start: bool,
    /// Delete it (created, never started).
    pub delete: bool,
    /// Edit its stop-loss, take-profit and trigger (grid bots not stopping).
    pub edit: bool,
}

impl BotActions {
    /// The actions of a bot of `kind` in `status`.
    pub fn of(status: BotStatus, grid: bool) -> Self {
        BotActions {
            stop: status.holds_allocation() && status != BotStatus::Stopping,
            start: matches!(status, BotStatus::Created | BotStatus::Stopped),
            delete: status == BotStatus::Created,
            edit: grid && status != BotStatus::Stopping,
        }
    }
}

/// A bot as the multibot routes show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BotView {
    /// Id.
    pub id: i64,
    /// The template it was started from (0 when not from a template).
    pub template_id: i64,
    /// The template's name (the bot's name for other bots), in the request's language.
    pub template_name: String,
    /// The contract.
    pub symbol: String,
    /// Leverage.
    pub leverage: u32,
    /// USDT allocated, rounded to cents.
    pub allocated_amount: f64,
    /// Total PnL (realised + unrealised − fees), USDT, rounded to cents.
    pub current_pnl: f64,
    /// Total PnL / allocation, percent.
    pub current_pnl_percent: f64,
    /// `running`, `stopped` or `error` (`state` has the exact state).
    pub status: &'static str,
    /// Why the bot is in `error`.
    pub error_message: Option<String>,
    /// Completed round trips (grid) or closed trades (trend).
    pub total_trades: u64,
    /// Those that made money after fees.
    pub winning_trades: u64,
    /// winning / total trades, percent.
    pub win_rate: f64,
    /// The open position, or null.
    pub current_position: Option<PositionView>,
    /// Last start (creation for a bot never started), ISO-8601.
    pub started_at: String,
    /// Time of the newest fill, ISO-8601.
    pub last_signal_at: Option<String>,
    /// Display name, in the request's language.
    pub name: String,
    /// `grid` or `trend`.
    pub kind: &'static str,
    /// `created`, `starting`, `running`, `paused`, `stopping`, `stopped`, `error`.
    pub state: &'static str,
    /// USDT allocated, exact.
    #[schema(value_type = String)]
    pub allocation: Decimal,
    /// realised + unrealised − fees, USDT, exact.
    #[schema(value_type = String)]
    pub total_pnl: Decimal,
    /// Total PnL / allocation, percent.
    #[schema(value_type = String)]
    pub roi_pct: Decimal,
    /// ROI annualised, percent; null until the bot has run a day.
    #[schema(value_type = Option<String>)]
    pub apr_pct: Option<Decimal>,
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
    /// Average entry price of the position.
    #[schema(value_type = String)]
    pub entry_price: Decimal,
    /// Last price the bot saw.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Fills booked.
    pub fills: u64,
    /// Completed round trips / trades.
    pub round_trips: u64,
    /// Resting or intended orders.
    pub open_orders: u64,
    /// Where the settings came from (`{"source":"manual"|"template"|"recommendation","id":..}`).
    #[schema(value_type = Object)]
    pub source: BotSource,
    /// The settings (`{"type":"grid"|"trend","config":{...}}`).
    #[schema(value_type = Object)]
    pub config: BotKind,
    /// A trend bot's position management (null for grid bots).
    pub trend: Option<TrendView>,
    /// What the user may do now.
    pub actions: BotActions,
    /// Creation, ISO-8601.
    pub created_at: String,
    /// Creation, ms.
    pub created_at_ms: TimestampMs,
    /// Last start, ms (null when never started).
    pub started_at_ms: Option<TimestampMs>,
    /// Stop, ISO-8601.
    pub stopped_at: Option<String>,
    /// Stop, ms.
    pub stopped_at_ms: Option<TimestampMs>,
    /// Last change, ISO-8601.
    pub updated_at: String,
}

/// The liquidation price a bot's saved grid engine estimated.
fn liquidation_of(bot: &Bot) -> Option<Decimal> {
    let engine = bot.engine_state.as_ref()?.get("engine")?;
    match &bot.kind {
        BotKind::Grid(_) => gridbot_core::engine::grid::GridEngine::restore(engine)
            .ok()?
            .liquidation_price(),
        _ => None,
    }
}

fn trend_view(bot: &Bot) -> Option<TrendView> {
    let BotKind::Trend(cfg) = &bot.kind else {
        return None;
    };
    let engine = bot
        .engine_state
        .as_ref()
        .and_then(|s| s.get("engine"))
        .and_then(|e| TrendEngine::restore(e).ok());
    let levels = engine.as_ref().and_then(TrendEngine::exit_levels);
    let running = matches!(bot.status, BotStatus::Running | BotStatus::Starting);
    let state = if levels.is_some() || !bot.stats.position_qty.is_zero() {
        "in_position"
    } else if running {
        "waiting_for_cross"
    } else {
        "idle"
    };
    let (sl, tp) = levels.unwrap_or((None, None));
    Some(TrendView {
        state,
        direction: match cfg.direction {
            gridbot_core::model::TrendDirection::Long => "long",
            gridbot_core::model::TrendDirection::Short => "short",
        },
        stop_loss_price: sl.map(|p| p.normalize().to_string()),
        take_profit_price: tp.map(|p| p.normalize().to_string()),
    })
}

impl BotView {
    /// The view of `bot` with `open_orders` resting orders and its newest
    /// fill at `last_fill_ts`, at `now`, names in `lang`.
    pub fn new(bot: Bot, open_orders: u64, last_fill_ts: Option<TimestampMs>, now: TimestampMs, lang: Lang) -> Self {
        let liquidation = liquidation_of(&bot);
        let trend = trend_view(&bot);
        let d = BotDetail::new(bot, usize::try_from(open_orders).unwrap_or(usize::MAX), now);
        let b = d.bot;
        let end = b.stopped_at.unwrap_or(now);
        let apr = b.started_at.filter(|s| end - s >= APR_AFTER_MS).map(|_| d.apr_pct);
        let name = i18n::name(&b.name, lang);
        let current_position = d.position.map(|p| PositionView {
            side: if p.side == Side::Buy { "long" } else { "short" },
            size: num(p.qty),
            entry_price: num(p.entry_price),
            unrealized_pnl: num2(p.unrealized_pnl),
            liquidation_price: liquidation.map(num),
            qty: b.stats.position_qty.normalize().to_string(),
        });
        BotView {
            id: b.id.0,
            template_id: match b.source {
                BotSource::Template(t) => t.0,
                _ => 0,
            },
            template_name: name.clone(),
            symbol: b.symbol.to_string(),
            leverage: b.kind.leverage(),
            allocated_amount: num2(b.allocation),
            current_pnl: num2(d.total_pnl),
            current_pnl_percent: num2(d.roi_pct),
            status: owner_status(b.status, false),
            error_message: b.error_message.clone(),
            total_trades: b.stats.round_trips,
            winning_trades: b.stats.wins,
            win_rate: num2(d.win_rate_pct),
            current_position,
            started_at: iso(b.started_at.unwrap_or(b.created_at)),
            last_signal_at: last_fill_ts.map(iso),
            name,
            kind: b.kind.name(),
            state: b.status.as_str(),
            allocation: b.allocation,
            total_pnl: d.total_pnl,
            roi_pct: d.roi_pct,
            apr_pct: apr,
            realized_pnl: b.stats.realized_pnl,
            unrealized_pnl: b.stats.unrealized_pnl,
            grid_profit: b.stats.grid_profit,
            fees: b.stats.fees,
            position_qty: b.stats.position_qty,
            entry_price: b.stats.entry_price,
            last_price: b.stats.last_price,
            fills: b.stats.fills,
            round_trips: b.stats.round_trips,
            open_orders,
            source: b.source,
            trend,
            actions: BotActions::of(b.status, matches!(b.kind, BotKind::Grid(_))),
            config: b.kind,
            created_at: iso(b.created_at),
            created_at_ms: b.created_at,
            started_at_ms: b.started_at,
            stopped_at: b.stopped_at.map(iso),
            stopped_at_ms: b.stopped_at,
            updated_at: iso(b.updated_at),
        }
    }

    /// True when the bot holds its allocation (the owner's summary lists these).
    pub fn is_active(&self) -> bool {
        !matches!(self.state, "created" | "stopped")
    }
}
