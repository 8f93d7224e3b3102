//! A grid bot's settings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::model::Symbol;

/// How grid lines are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spacing {
    /// Equal price steps: `P_i = L + i·(U−L)/N`.
    Arithmetic,
    /// Equal ratios: `P_i = L·(U/L)^(i/N)`.
    Geometric,
}

impl Spacing {
    /// `arithmetic` or `geometric`.
    pub fn as_str(self) -> &'static str {
        match self {
            Spacing::Arithmetic => "arithmetic",
            Spacing::Geometric => "geometric",
        }
    }
}

impl std::str::FromStr for Spacing {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "arithmetic" | "arith" => Ok(Spacing::Arithmetic),
            "geometric" | "geo" => Ok(Spacing::Geometric),
            _ => Err(ValidationError::new(
                "spacing",
                format!("must be arithmetic or geometric, got {s:?}"),
            )),
        }
    }
}

/// Which way a grid leans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GridMode {
    /// Buys the cells above the start price at start; profits from a rise.
    Long,
    /// Sells the cells below the start price at start; profits from a fall.
    Short,
    /// No position at start; buys below open long, sells above open short.
    Neutral,
}

impl GridMode {
    /// `long`, `short` or `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            GridMode::Long => "long",
            GridMode::Short => "short",
            GridMode::Neutral => "neutral",
        }
    }
}

impl std::str::FromStr for GridMode {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "long" => Ok(GridMode::Long),
            "short" => Ok(GridMode::Short),
            "neutral" => Ok(GridMode::Neutral),
            _ => Err(ValidationError::new(
                "mode",
                format!("must be long, short or neutral, got {s:?}"),
            )),
        }
    }
}

/// What the bot does when the price leaves `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OutOfRange {
    /// Keep the orders resting and wait for the price to come back.
    #[default]
    Keep,
    /// Stop the bot (cancel orders; close the position if configured).
    Stop,
}

/// A grid bot's settings. Build with [`GridConfig::new`] and the `with_*`
/// methods; [`crate::grid`] validates it when planning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GridConfig {
    /// The contract.
    pub symbol: Symbol,
    /// Lowest grid line `L`.
    pub lower: Decimal,
    /// Highest grid line `U`.
    pub upper: Decimal,
    /// Number of grids `N` (intervals; N+1 lines), 2..=200.
    pub grids: u32,
    /// Arithmetic or geometric.
    pub spacing: Spacing,
    /// Long, short or neutral.
    pub mode: GridMode,
    /// Margin committed, USDT (isolated margin of the bot).
    pub investment: Decimal,
    /// Leverage, 1..=instrument max.
    pub leverage: u32,
    /// Wait until the price touches this before starting.
    #[serde(default)]
    pub trigger_price: Option<Decimal>,
    /// Stop the whole grid when the price reaches this (below the range for
    /// long/neutral, above it for short).
    #[serde(default)]
    pub stop_loss: Option<Decimal>,
    /// Stop the whole grid when the price reaches this.
    #[serde(default)]
    pub take_profit: Option<Decimal>,
    /// What to do on leaving the range.
    #[serde(default)]
    pub on_out_of_range: OutOfRange,
    /// Whether stopping closes the position (market, reduce-only).
    #[serde(default = "default_true")]
    pub close_on_stop: bool,
    /// When the investment was asked for as a share of the available
    /// balance: that percentage (informational; `investment` is what the
    /// grid trades with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment_ratio: Option<Decimal>,
}

fn default_true() -> bool {
    true
}

impl GridConfig {
    /// A grid with no trigger, no stop-loss / take-profit, kept running out
    /// of range, closing its position on stop.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        symbol: Symbol,
        lower: Decimal,
        upper: Decimal,
        grids: u32,
        spacing: Spacing,
        mode: GridMode,
        investment: Decimal,
        leverage: u32,
    ) -> Self {
        GridConfig {
            symbol,
            lower,
            upper,
            grids,
            spacing,
            mode,
            investment,
            leverage,
            trigger_price: None,
            stop_loss: None,
            take_profit: None,
            on_out_of_range: OutOfRange::Keep,
            close_on_stop: true,
            investment_ratio: None,
        }
    }

    /// Recording that the investment was asked for as `percent` of the
    /// available balance.
    pub fn with_investment_ratio(mut self, percent: Option<Decimal>) -> Self {
        self.investment_ratio = percent;
        self
    }

    /// With a trigger price.
    pub fn with_trigger(mut self, price: Option<Decimal>) -> Self {
        self.trigger_price = price;
        self
    }

    /// With stop-loss and take-profit prices.
    pub fn with_stops(mut self, stop_loss: Option<Decimal>, take_profit: Option<Decimal>) -> Self {
        self.stop_loss = stop_loss;
        self.take_profit = take_profit;
        self
    }

    /// With the out-of-range behaviour.
    pub fn with_out_of_range(mut self, on_out_of_range: OutOfRange) -> Self {
        self.on_out_of_range = on_out_of_range;
        self
    }

    /// With whether stopping closes the position.
    pub fn with_close_on_stop(mut self, close: bool) -> Self {
        self.close_on_stop = close;
        self
    }
}
