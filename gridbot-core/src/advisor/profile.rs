//! Risk profiles: what conservative, moderate and aggressive mean.
//!
//! | profile      | max drawdown | leverage | range half-width (× weekly σ) |
//! |--------------|--------------|----------|-------------------------------|
//! | conservative | 10 %         | 1, 2     | 1.5, 2.0, 2.5                 |
//! | moderate     | 20 %         | 3, 5     | 1.0, 1.25, 1.5                |
//! | aggressive   | 35 %         | 7, 10    | 0.5, 0.75, 1.0                |
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
                width_factors: vec![1.5, 2.0, 2.5],
            },
            RiskLevel::Moderate => Profile {
                level,
                max_drawdown_pct: Decimal::from(20),
                leverages: vec![3, 5],
                width_factors: vec![1.0, 1.25, 1.5],
            },
            RiskLevel::Aggressive => Profile {
                level,
                max_drawdown_pct: Decimal::from(35),
                leverages: vec![7, 10],
                width_factors: vec![0.5, 0.75, 1.0],
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
