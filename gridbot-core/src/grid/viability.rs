//! Why a grid plan cannot run ([`PlanError`]) and what deserves a second look
//! ([`PlanWarning`]).
//!
//! Both are typed, serializable (`{"code": "...", ...fields}`, decimals as
//! strings) and carry a human message ([`std::fmt::Display`]). A plan is
//! viable exactly when its error list is empty; warnings never block.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A viability rule the plan breaks (DESIGN.md, "Grids").
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanError {
    /// `L ≥ U`.
    #[error("lower price {lower} must be below upper price {upper}")]
    InvalidRange {
        /// Lower bound as given.
        lower: Decimal,
        /// Upper bound as given.
        upper: Decimal,
    },
    /// `N` outside `2..=200`.
    #[error("grid count {grids} is outside {min}..={max}")]
    GridCountOutOfRange {
        /// Grids asked for.
        grids: u32,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// The smallest step between two lines is below one tick.
    #[error("grid spacing {min_step} is below one tick ({tick_size}): use fewer grids or a wider range")]
    SpacingBelowTick {
        /// The smallest exact step (price units).
        min_step: Decimal,
        /// The instrument's tick.
        tick_size: Decimal,
    },
    /// `q` below the instrument's minimum order quantity.
    #[error("quantity per grid {qty} is below the minimum {min_qty}: invest more, use more leverage or fewer grids")]
    QtyBelowMinQty {
        /// Quantity per grid.
        qty: Decimal,
        /// The instrument's minimum.
        min_qty: Decimal,
    },
    /// `q × P_0` (the smallest order a cell ever places) below the minimum
    /// order value.
    #[error("order value {notional} USDT at the lowest line is below the minimum {min_notional} USDT: invest more, use more leverage or fewer grids")]
    NotionalBelowMin {
        /// `q × P_0`.
        notional: Decimal,
        /// The instrument's minimum.
        min_notional: Decimal,
    },
    /// Some cell's round trip earns nothing after maker fees.
    #[error("profit per grid is {min_profit_pct} % after fees in the worst cell: use fewer grids or a wider range")]
    UnprofitableGrid {
        /// The worst cell's profit per grid, percent.
        min_profit_pct: Decimal,
    },
    /// The estimated liquidation price lies inside `[L, U]`.
    #[error("estimated liquidation price {liquidation_price} is inside the range {lower}–{upper}: lower the leverage or narrow the range")]
    LiquidationInRange {
        /// Estimated liquidation price.
        liquidation_price: Decimal,
        /// Lower bound.
        lower: Decimal,
        /// Upper bound.
        upper: Decimal,
    },
    /// Leverage above the instrument's limit.
    #[error("leverage {leverage}x is above the limit {max_leverage}x")]
    LeverageAboveLimit {
        /// Asked for.
        leverage: u32,
        /// The instrument's maximum.
        max_leverage: u32,
    },
}

impl PlanError {
    /// The stable snake_case code (`liquidation_in_range`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::InvalidRange { .. } => "invalid_range",
            PlanError::GridCountOutOfRange { .. } => "grid_count_out_of_range",
            PlanError::SpacingBelowTick { .. } => "spacing_below_tick",
            PlanError::QtyBelowMinQty { .. } => "qty_below_min_qty",
            PlanError::NotionalBelowMin { .. } => "notional_below_min",
            PlanError::UnprofitableGrid { .. } => "unprofitable_grid",
            PlanError::LiquidationInRange { .. } => "liquidation_in_range",
            PlanError::LeverageAboveLimit { .. } => "leverage_above_limit",
        }
    }
}

/// Something a user should know before running the plan; never blocks it.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanWarning {
    /// The start price is outside `[L, U]`: every order rests on one side
    /// (a long grid starting below the range buys every cell at start).
    #[error("start price {start_price} is outside the range {lower}–{upper}: every order rests on one side")]
    StartOutsideRange {
        /// Start price.
        start_price: Decimal,
        /// Lower bound.
        lower: Decimal,
        /// Upper bound.
        upper: Decimal,
    },
    /// The liquidation price is outside the range but within 5 % of it.
    #[error("estimated liquidation price {liquidation_price} is within 5 % of the range")]
    LiquidationNearRange {
        /// Estimated liquidation price.
        liquidation_price: Decimal,
    },
    /// The stop-loss would only fire after the estimated liquidation.
    #[error(
        "stop-loss {stop_loss} lies beyond the estimated liquidation price {liquidation_price}: it would never fire"
    )]
    StopLossBeyondLiquidation {
        /// Stop-loss price.
        stop_loss: Decimal,
        /// Estimated liquidation price.
        liquidation_price: Decimal,
    },
    /// The stop-loss (or take-profit) lies inside the range: the grid stops
    /// before using all its cells.
    #[error("{which} {price} lies inside the range {lower}–{upper}")]
    StopInsideRange {
        /// `stop-loss` or `take-profit`.
        which: String,
        /// The stop price.
        price: Decimal,
        /// Lower bound.
        lower: Decimal,
        /// Upper bound.
        upper: Decimal,
    },
    /// The worst cell earns less than 0.1 % per round trip after fees.
    #[error(
        "profit per grid is only {min_profit_pct} % in the worst cell: slippage or a taker fill turns it into a loss"
    )]
    ThinProfit {
        /// The worst cell's profit per grid, percent.
        min_profit_pct: Decimal,
    },
    /// Rounding the quantity down to the lot leaves more than 10 % of the
    /// investment unused.
    #[error("rounding the quantity per grid down to the lot uses only {used_pct} % of the investment")]
    InvestmentUnderused {
        /// Initial margin / investment, percent.
        used_pct: Decimal,
    },
}
