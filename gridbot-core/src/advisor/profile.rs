//! Risk profiles: what conservative, moderate and aggressive mean.
//!
//! | profile      | max drawdown | leverage | range half-width (× weekly σ) |
//! |--------------|--------------|----------|-------------------------------|
//! | conservative | 10 %         | 1, 2     | 2.5, 3.0, 3.5                 |
//! | moderate     | 20 %         | 2, 3     | 2.5, 3.0                      |
//! | aggressive   | 35 %         | 3, 4     | 2.5, 3.0                      |
//!
//! The drawdown limit holds in the in-sample backtest of the pick.
//! Leverages overlap at the edges (a moderate pick may use 2x like a
//! conservative one); the picks themselves are ordered by risk (see
//! [`super::walk_forward`]).
//!
//! Why these, from the walk-forward data of the BTC and ETH 5m files (the
//! next week of every rule at 26 weekly steps each):
//! - ranges narrower than 2 weekly σ on a side (σ then measured on 5m
//!   returns, about a fifth above the hourly σ used now) lost on average
//!   the week after at every leverage (−0.6 % to −15 % a week), wider ones
//!   earned;
//! - leverages of 6x and more were liquidated within reach of a plausible
//!   week (21 % of the aggressive picks of the earlier 7x/10x profile were
//!   liquidated the week after) and lost more than they earned when safe;
//! - directional (long/short) grids lost on average in every profile
//!   (−0.8 % to −24 % a week): they are bets on the direction, which the
//!   validation weeks did not predict; only neutral grids are swept.
//!
//! Weekly σ is the daily volatility of the analysis times √7; a half-width
//! is clamped to 1 %–40 % of the price. Wider ranges and less leverage
//! survive bigger moves; narrower ranges with more leverage trade more
//! often and earn more per move, with deeper drawdowns.

use rust_decimal::Decimal;

use crate::ports::RiskLevel;

/// The sweep and selection rules of one risk profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Which profile.
    pub level: RiskLevel,
    /// Largest backtest drawdown a pick may have, percent.
    pub max_drawdown_pct: Decimal,
    /// Leverages swept.
    pub leverages: Vec<u32>,
    /// Range half-widths swept, in multiples of the weekly volatility.
    pub width_factors: Vec<f64>,
}

impl Profile {
    /// The documented rules of `level`.
    pub fn of(level: RiskLevel) -> Self {
        match level {
            RiskLevel::Conservative => Profile {
                level,
                max_drawdown_pct: Decimal::from(10),
                leverages: vec![1, 2],
                width_factors: vec![2.5, 3.0, 3.5],
            },
            RiskLevel::Moderate => Profile {
                level,
                max_drawdown_pct: Decimal::from(20),
                leverages: vec![2, 3],
                width_factors: vec![2.5, 3.0],
            },
            RiskLevel::Aggressive => Profile {
                level,
                max_drawdown_pct: Decimal::from(35),
                leverages: vec![3, 4],
                width_factors: vec![2.5, 3.0],
            },
        }
    }

    /// The three profiles, most cautious first.
    pub fn all() -> [Profile; 3] {
        RiskLevel::ALL.map(Profile::of)
    }

    /// Display name of the profile, capitalised.
    pub fn title(&self) -> &'static str {
        match self.level {
            RiskLevel::Conservative => "Conservative",
            RiskLevel::Moderate => "Moderate",
            RiskLevel::Aggressive => "Aggressive",
        }
    }
}
