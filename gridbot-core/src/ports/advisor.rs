//! The `Advisor` port: grid recommendations for a symbol.
//!
//! Every number a recommendation shows comes from a backtest that can be
//! re-run ([`crate::model`] decimals; statistics rounded to 2 places).

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::AdvisorError;
use crate::grid::{GridMode, Spacing};
use crate::model::{Candle, Instrument, Interval, Symbol, TimestampMs};

/// What an advisor is asked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdvisorRequest {
    /// The contract and its rules.
    pub instrument: Instrument,
    /// Candle interval of `candles` (the cache key's timeframe).
    pub timeframe: Interval,
    /// Recent candles, oldest first (at least a day; 7 days are backtested).
    pub candles: Arc<Vec<Candle>>,
    /// Now.
    pub now: TimestampMs,
}

impl AdvisorRequest {
    /// A request.
    pub fn new(instrument: Instrument, timeframe: Interval, candles: Arc<Vec<Candle>>, now: TimestampMs) -> Self {
        AdvisorRequest {
            instrument,
            timeframe,
            candles,
            now,
        }
    }

    /// The contract.
    pub fn symbol(&self) -> &Symbol {
        &self.instrument.symbol
    }
}

/// Direction of the market, by the rule documented in the analysis module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    /// Rising.
    Up,
    /// Falling.
    Down,
    /// Range-bound.
    Sideways,
}

/// A market analysis of recent candles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MarketAnalysis {
    /// The contract.
    pub symbol: Symbol,
    /// Last close.
    pub current_price: Decimal,
    /// Highest high of the last 24 h.
    pub high_24h: Decimal,
    /// Lowest low of the last 24 h.
    pub low_24h: Decimal,
    /// Price change over 24 h, percent.
    pub change_24h_pct: Decimal,
    /// Up, down or sideways.
    pub trend: Trend,
    /// Standard deviation of log returns over 24 h (not annualised), percent.
    pub volatility_24h_pct: f64,
    /// Annualised volatility, percent.
    pub volatility_annual_pct: f64,
    /// Average true range as a percentage of price (14 periods).
    pub atr_pct: f64,
    /// Support levels below the price, nearest first.
    pub support: Vec<Decimal>,
    /// Resistance levels above the price, nearest first.
    pub resistance: Vec<Decimal>,
    /// Candles analysed.
    pub candles: usize,
}

/// Conservative, moderate or aggressive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// Wide range, low leverage, small drawdown.
    Conservative,
    /// Balanced.
    Moderate,
    /// Narrow range, more grids, higher leverage.
    Aggressive,
}

impl RiskLevel {
    /// The three profiles, most cautious first.
    pub const ALL: [RiskLevel; 3] = [RiskLevel::Conservative, RiskLevel::Moderate, RiskLevel::Aggressive];

    /// `conservative`, `moderate` or `aggressive`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Conservative => "conservative",
            RiskLevel::Moderate => "moderate",
            RiskLevel::Aggressive => "aggressive",
        }
    }
}

/// One recommended grid setup, with the backtest behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recommendation {
    /// Display name.
    pub name: String,
    /// Risk profile.
    pub risk_level: RiskLevel,
    /// Long, short or neutral.
    pub mode: GridMode,
    /// Arithmetic or geometric.
    pub spacing: Spacing,
    /// Lowest line.
    pub lower: Decimal,
    /// Highest line.
    pub upper: Decimal,
    /// Number of grids.
    pub grids: u32,
    /// Leverage.
    pub leverage: u32,
    /// The return to expect over 30 days, percent: [`Self::expected_roi_7d_pct`]
    /// scaled linearly to 30 days (the owner's field; not the in-sample run).
    pub expected_roi_30d: Decimal,
    /// The return to expect over the next 7 days, percent, estimated out of
    /// sample (see [`crate::advisor::forecast`]).
    #[serde(default)]
    pub expected_roi_7d_pct: Decimal,
    /// Low end of the 7-day forecast's range, percent.
    #[serde(default)]
    pub expected_roi_7d_low_pct: Decimal,
    /// High end of the 7-day forecast's range, percent.
    #[serde(default)]
    pub expected_roi_7d_high_pct: Decimal,
    /// Days of the in-sample backtest.
    pub backtest_days: Decimal,
    /// In-sample backtest ROI over [`Self::backtest_days`], percent (the
    /// setup as recommended, run on the last days; not a forecast).
    #[serde(alias = "roi_pct")]
    pub backtest_roi_pct: Decimal,
    /// In-sample backtest APR, percent.
    pub apr_pct: Decimal,
    /// In-sample backtest maximum drawdown, percent.
    pub max_drawdown_pct: Decimal,
    /// Length of each walk-forward validation window, days.
    #[serde(default)]
    pub validation_days: Decimal,
    /// Out-of-sample ROI of this setup's rule in each validation window,
    /// oldest first, percent.
    #[serde(default)]
    pub validation_roi_pct: Vec<Decimal>,
    /// Worst drawdown of this setup's rule over the validation windows, percent.
    #[serde(default)]
    pub validation_max_drawdown_pct: Decimal,
    /// The method's own track record for this symbol and profile: what its
    /// pick of each past window (chosen on the windows before) returned in
    /// that window, oldest first, percent (empty when there are too few
    /// windows, and for proposals the method did not pick).
    #[serde(default)]
    pub track_record_roi_pct: Vec<Decimal>,
    /// The profile's own leverage when this week it had no setup that is
    /// viable, safe and validated, so this pick steps down to a lower one
    /// (`None` when the pick uses the profile's own leverage, and for
    /// proposals, which choose their leverage themselves).
    #[serde(default)]
    pub stepped_down_from: Option<u32>,
    /// Distance from the price to the estimated liquidation price, percent
    /// of the price (null when there is none).
    #[serde(default)]
    pub liquidation_distance_pct: Option<Decimal>,
    /// The plausible next-week move the liquidation distance was checked
    /// against, percent of the price.
    #[serde(default)]
    pub plausible_move_pct: Decimal,
    /// Backtest completed round trips.
    pub round_trips: u64,
    /// Smallest investment for which every grid order meets the minimums, USDT.
    pub min_investment: Decimal,
    /// Investment the backtest used, USDT.
    pub backtest_investment: Decimal,
    /// How long to run it, e.g. `3-7 days`.
    pub recommended_duration: String,
    /// Estimated liquidation price (outside the range), if any.
    pub liquidation_price: Option<Decimal>,
    /// Why this setup.
    pub description: String,
    /// ROI (percent) over the backtest: `(ts, roi_pct)` points, ≤ 500.
    pub roi_curve: Vec<(TimestampMs, Decimal)>,
}

impl Recommendation {
    /// A setup with its grid parameters; every backtest figure starts at zero
    /// (and the curve empty) until the caller fills it from a backtest.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: impl Into<String>,
        risk_level: RiskLevel,
        mode: GridMode,
        spacing: Spacing,
        lower: Decimal,
        upper: Decimal,
        grids: u32,
        leverage: u32,
    ) -> Self {
        Recommendation {
            name: name.into(),
            risk_level,
            mode,
            spacing,
            lower,
            upper,
            grids,
            leverage,
            expected_roi_30d: Decimal::ZERO,
            expected_roi_7d_pct: Decimal::ZERO,
            expected_roi_7d_low_pct: Decimal::ZERO,
            expected_roi_7d_high_pct: Decimal::ZERO,
            backtest_days: Decimal::ZERO,
            backtest_roi_pct: Decimal::ZERO,
            apr_pct: Decimal::ZERO,
            max_drawdown_pct: Decimal::ZERO,
            validation_days: Decimal::ZERO,
            validation_roi_pct: Vec::new(),
            validation_max_drawdown_pct: Decimal::ZERO,
            track_record_roi_pct: Vec::new(),
            stepped_down_from: None,
            liquidation_distance_pct: None,
            plausible_move_pct: Decimal::ZERO,
            round_trips: 0,
            min_investment: Decimal::ZERO,
            backtest_investment: Decimal::ZERO,
            recommended_duration: String::new(),
            liquidation_price: None,
            description: String::new(),
            roi_curve: Vec::new(),
        }
    }
}

/// A profile the advisor has no pick for, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUnavailable {
    /// The profile.
    pub risk_level: RiskLevel,
    /// Why no setup is shown (e.g. every viable setup's liquidation price
    /// lies within a plausible next-week move).
    pub reason: String,
}

/// An advisor's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecommendationSet {
    /// The analysis the picks are based on.
    pub analysis: MarketAnalysis,
    /// Conservative, moderate, aggressive (fewer when no candidate survived
    /// a profile's rules), in that order, ordered by risk: no profile shows a
    /// larger drawdown or leverage than a riskier one.
    pub recommendations: Vec<Recommendation>,
    /// The profiles without a pick, each saying why ("no safe pick").
    #[serde(default)]
    pub unavailable: Vec<ProfileUnavailable>,
    /// Which advisor produced it (`backtest`, `deepseek`).
    pub source: String,
    /// Set when a richer advisor failed and this is the fallback, saying why.
    pub fallback_reason: Option<String>,
    /// When computed.
    pub generated_at: TimestampMs,
}

impl RecommendationSet {
    /// A set of recommendations.
    pub fn new(
        analysis: MarketAnalysis,
        recommendations: Vec<Recommendation>,
        source: impl Into<String>,
        generated_at: TimestampMs,
    ) -> Self {
        RecommendationSet {
            analysis,
            recommendations,
            unavailable: Vec::new(),
            source: source.into(),
            fallback_reason: None,
            generated_at,
        }
    }
}

/// Recommends grid setups for a symbol.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Advisor: Send + Sync {
    /// Three picks (conservative, moderate, aggressive) for the request.
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError>;
}
