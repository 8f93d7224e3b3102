//! Grid proposals, their bounds, and the re-backtest seam.
//!
//! A [`GridProposal`] is only a set of grid parameters; nothing it claims
//! about returns is trusted. It becomes a [`Recommendation`] only through a
//! [`Rebacktest`], which backtests it on the request's candles and refuses
//! it when it is not viable. This is how an LLM's proposal is shown with
//! numbers that are reproducible backtests.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{AdvisorError, ValidationError};
use crate::grid::{GridMode, Spacing};
use crate::model::Instrument;
use crate::ports::{AdvisorRequest, Recommendation, RiskLevel};

/// A grid setup proposed for one risk profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridProposal {
    /// The profile it is meant for.
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
    /// Why (free text from the proposer; empty when none).
    #[serde(default)]
    pub rationale: String,
}

/// Limits a proposal must respect before it is even backtested.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProposalBounds {
    /// Fewest grids.
    pub min_grids: u32,
    /// Most grids.
    pub max_grids: u32,
    /// Lowest leverage.
    pub min_leverage: u32,
    /// Highest leverage (also capped by the instrument's maximum).
    pub max_leverage: u32,
    /// How far from the current price either bound may lie, percent: the
    /// range must lie within `price × (1 ± max_distance_pct / 100)`.
    pub max_distance_pct: Decimal,
}

impl Default for ProposalBounds {
    /// Grids 10–100, leverage 1–20, range within ±50 % of the price.
    fn default() -> Self {
        ProposalBounds {
            min_grids: 10,
            max_grids: 100,
            min_leverage: 1,
            max_leverage: 20,
            max_distance_pct: Decimal::from(50),
        }
    }
}

impl ProposalBounds {
    /// Checks `proposal` against these bounds at `price`: grids and leverage
    /// in range (leverage also ≤ the instrument's maximum), and
    /// `price·(1 − d) ≤ lower < price < upper ≤ price·(1 + d)`.
    pub fn check(
        &self,
        proposal: &GridProposal,
        price: Decimal,
        instrument: &Instrument,
    ) -> Result<(), ValidationError> {
        if !(self.min_grids..=self.max_grids).contains(&proposal.grids) {
            return Err(ValidationError::new(
                "grids",
                format!(
                    "must be between {} and {}, got {}",
                    self.min_grids, self.max_grids, proposal.grids
                ),
            ));
        }
        let max_leverage = self.max_leverage.min(instrument.max_leverage);
        if !(self.min_leverage..=max_leverage).contains(&proposal.leverage) {
            return Err(ValidationError::new(
                "leverage",
                format!(
                    "must be between {} and {max_leverage}, got {}",
                    self.min_leverage, proposal.leverage
                ),
            ));
        }
        let d = self.max_distance_pct / Decimal::ONE_HUNDRED;
        let (floor, ceiling) = (price * (Decimal::ONE - d), price * (Decimal::ONE + d));
        if !(proposal.lower >= floor && proposal.lower < price) {
            return Err(ValidationError::new(
                "lower",
                format!(
                    "must lie below the price {price} and at or above {}, got {}",
                    floor.round_dp(8).normalize(),
                    proposal.lower
                ),
            ));
        }
        if !(proposal.upper > price && proposal.upper <= ceiling) {
            return Err(ValidationError::new(
                "upper",
                format!(
                    "must lie above the price {price} and at or below {}, got {}",
                    ceiling.round_dp(8).normalize(),
                    proposal.upper
                ),
            ));
        }
        Ok(())
    }
}

/// Turns a proposal into a backtested recommendation.
///
/// Implementations backtest the proposal on the request's candles (the same
/// window and investment their own recommendations use) and refuse it with
/// [`AdvisorError::NoViableGrid`] when it breaks a viability rule, so that
/// whatever they return can be shown as is.
pub trait Rebacktest: Send + Sync {
    /// Backtests `proposal` for `request`.
    fn rebacktest(&self, request: &AdvisorRequest, proposal: &GridProposal) -> Result<Recommendation, AdvisorError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn proposal(lower: Decimal, upper: Decimal, grids: u32, leverage: u32) -> GridProposal {
        GridProposal {
            risk_level: RiskLevel::Moderate,
            mode: GridMode::Neutral,
            spacing: Spacing::Geometric,
            lower,
            upper,
            grids,
            leverage,
            rationale: String::new(),
        }
    }

    #[test]
    fn proposals_outside_grid_leverage_or_price_bounds_are_refused_with_the_field() {
        let b = ProposalBounds::default();
        let i = Instrument::btcusdt();
        let p = dec!(100);
        assert!(b.check(&proposal(dec!(90), dec!(110), 10, 1), p, &i).is_ok());
        assert!(b.check(&proposal(dec!(50), dec!(150), 100, 20), p, &i).is_ok());
        let field = |x: GridProposal| b.check(&x, p, &i).unwrap_err().field;
        assert_eq!(field(proposal(dec!(90), dec!(110), 9, 1)), "grids");
        assert_eq!(field(proposal(dec!(90), dec!(110), 101, 1)), "grids");
        assert_eq!(field(proposal(dec!(90), dec!(110), 10, 0)), "leverage");
        assert_eq!(field(proposal(dec!(90), dec!(110), 10, 21)), "leverage");
        assert_eq!(field(proposal(dec!(49.9), dec!(110), 10, 1)), "lower");
        assert_eq!(field(proposal(dec!(100), dec!(110), 10, 1)), "lower");
        assert_eq!(field(proposal(dec!(90), dec!(100), 10, 1)), "upper");
        assert_eq!(field(proposal(dec!(90), dec!(150.1), 10, 1)), "upper");
    }
}
