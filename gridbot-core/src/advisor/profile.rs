//! Risk profiles: what conservative, moderate and aggressive mean.
//!
//! | profile      | max drawdown | leverage, preferred first | range half-width (× weekly σ) |
//! |--------------|--------------|---------------------------|-------------------------------|
//! | conservative | 10 %         | 1                         | 2.5, 3.0, 3.5                 |
//! | moderate     | 20 %         | 2, else 1                 | 2.5, 3.0, 3.5                 |
//! | aggressive   | 35 %         | 3, else 2, else 1         | 2.5, 3.0                      |
//!
//! A profile is first of all its leverage: it takes its highest leverage
//! that has a viable, safe and validated setup, and only when none has it
//! steps down ([`super::walk_forward`], "Picks"). So in a calm week the
//! three cards show 1x, 2x and 3x; in a wild one, where a 3x grid's
//! liquidation price lies within a plausible week's move, the aggressive
//! card shows the riskiest setup that is still safe (a narrower 2x grid,
//! say) instead of nothing or a grid likely to be liquidated. The
//! drawdown limit holds in the in-sample backtest of the pick.
//!
//! Why these, from the walk-forward data of the BTC and ETH 5m files (the
//! next week of every rule at 27 weekly steps each; SOL and XRP were held
//! out):
//! - the method's picks earned the week after about 2.3 %, 5.8 % and 6.6 %
//!   per unit of weekly σ at 1x, 2x and 3x; picking the best rule of one
//!   leverage every week gave 2.9, 6.1, 8.2 and 6.8 % per σ at 1x to 4x:
//!   4x earned less than 3x with its liquidation prices nearer, so 3x is
//!   the top;
//! - ranges narrower than 2 weekly σ on a side (σ then measured on 5m
//!   returns, about a fifth above the hourly σ used now) lost on average
//!   the week after at every leverage (−0.6 % to −15 % a week), wider ones
//!   earned; a moderate range of 3.5 σ earned more than one of only 2.5 or
//!   3.0 σ (0.77 % against 0.53 % a week at 2x);
//! - leverages of 6x and more were liquidated within reach of a plausible
//!   week (21 % of the aggressive picks of the earlier 7x/10x profile were
//!   liquidated the week after);
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
    /// Leverages swept, in order of preference: the highest first (see the
    /// module docs).
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
                leverages: vec![1],
                width_factors: vec![2.5, 3.0, 3.5],
            },
            RiskLevel::Moderate => Profile {
                level,
                max_drawdown_pct: Decimal::from(20),
                leverages: vec![2, 1],
                width_factors: vec![2.5, 3.0, 3.5],
            },
            RiskLevel::Aggressive => Profile {
                level,
                max_drawdown_pct: Decimal::from(35),
                leverages: vec![3, 2, 1],
                width_factors: vec![2.5, 3.0],
            },
        }
    }

    /// Where `leverage` stands in the profile's order of preference (0 =
    /// preferred); `None` when the profile does not use it.
    pub fn preference(&self, leverage: u32) -> Option<usize> {
        self.leverages.iter().position(|l| *l == leverage)
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
