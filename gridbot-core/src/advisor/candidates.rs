//! Candidate grids for the sweep, derived from the market analysis.
//!
//! For each profile ([`super::profile`]) the sweep crosses:
//! - **range half-width** `w` = width factor × weekly volatility, clamped
//!   to 1 %–40 %; the range is `[S·(1 − a·w), S·(1 + b·w)]` around the price
//!   `S` with `(a, b) = (1, 1)` for neutral, `(0.75, 1.25)` for long (more
//!   room above) and `(1.25, 0.75)` for short; bounds snapped to the tick
//!   (lower up, upper down);
//! - **grid counts** [`GRID_COUNTS`] (10–100);
//! - **both spacings**;
//! - **the profile's leverages**;
//! - **modes by trend**: up → long and neutral, down → short and neutral,
//!   sideways → neutral.
//!
//! That is 3 × 9 × 2 × 2 = 108 candidates per profile and mode: 324 in a
//! sideways market, 648 in a trending one. Candidates are in a fixed order,
//! so a sweep is deterministic.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::profile::Profile;
use crate::grid::{GridMode, Spacing};
use crate::model::{Instrument, Rounding};
use crate::ports::{MarketAnalysis, RiskLevel, Trend};

/// Grid counts swept.
pub const GRID_COUNTS: [u32; 9] = [10, 15, 20, 30, 40, 50, 60, 80, 100];

/// Smallest and largest range half-width, fraction of the price.
pub const HALF_WIDTH_LIMITS: (f64, f64) = (0.01, 0.40);

/// One grid to backtest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The profile it competes in.
    pub risk_level: RiskLevel,
    /// Long, short or neutral.
    pub mode: GridMode,
    /// Arithmetic or geometric.
    pub spacing: Spacing,
    /// Lowest line (on the tick).
    pub lower: Decimal,
    /// Highest line (on the tick).
    pub upper: Decimal,
    /// Number of grids.
    pub grids: u32,
    /// Leverage.
    pub leverage: u32,
}

/// The modes swept for a trend.
pub fn modes_for(trend: Trend) -> &'static [GridMode] {
    match trend {
        Trend::Up => &[GridMode::Long, GridMode::Neutral],
        Trend::Down => &[GridMode::Short, GridMode::Neutral],
        Trend::Sideways => &[GridMode::Neutral],
    }
}

/// The weekly volatility as a fraction (daily σ × √7).
pub fn weekly_volatility(analysis: &MarketAnalysis) -> f64 {
    (analysis.volatility_24h_pct / 100.0).max(0.0) * 7f64.sqrt()
}

/// Every candidate for `analysis`, in sweep order. Leverages above the
/// instrument's maximum are skipped.
pub fn candidates(analysis: &MarketAnalysis, instrument: &Instrument) -> Vec<Candidate> {
    let price = analysis.current_price;
    let sigma = weekly_volatility(analysis);
    let mut out = Vec::with_capacity(700);
    for profile in Profile::all() {
        for &factor in &profile.width_factors {
            let w = (factor * sigma).clamp(HALF_WIDTH_LIMITS.0, HALF_WIDTH_LIMITS.1);
            for &mode in modes_for(analysis.trend) {
                let Some((lower, upper)) = range(price, w, mode, instrument) else {
                    continue;
                };
                for grids in GRID_COUNTS {
                    for spacing in [Spacing::Arithmetic, Spacing::Geometric] {
                        for &leverage in profile.leverages.iter().filter(|l| **l <= instrument.max_leverage) {
                            out.push(Candidate {
                                risk_level: profile.level,
                                mode,
                                spacing,
                                lower,
                                upper,
                                grids,
                                leverage,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// The range of half-width `w` around `price` for `mode`, on the tick;
/// `None` when it collapses (price too small for the tick).
pub fn range(price: Decimal, w: f64, mode: GridMode, instrument: &Instrument) -> Option<(Decimal, Decimal)> {
    let (below, above) = match mode {
        GridMode::Neutral => (1.0, 1.0),
        GridMode::Long => (0.75, 1.25),
        GridMode::Short => (1.25, 0.75),
    };
    let down = Decimal::from_f64(w * below)?.round_dp(6);
    let up = Decimal::from_f64(w * above)?.round_dp(6);
    let lower = instrument.round_price(price * (Decimal::ONE - down), Rounding::Up);
    let upper = instrument.round_price(price * (Decimal::ONE + up), Rounding::Down);
    (lower > Decimal::ZERO && lower < price && upper > price).then_some((lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Symbol;
    use rust_decimal_macros::dec;

    fn analysis(trend: Trend, vol: f64) -> MarketAnalysis {
        MarketAnalysis {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            current_price: dec!(30000),
            high_24h: dec!(31000),
            low_24h: dec!(29000),
            change_24h_pct: dec!(0),
            trend,
            volatility_24h_pct: vol,
            volatility_annual_pct: vol * 365f64.sqrt(),
            atr_pct: 0.1,
            support: vec![],
            resistance: vec![],
            candles: 10080,
        }
    }

    #[test]
    fn a_sideways_market_gets_at_least_300_neutral_candidates() {
        let c = candidates(&analysis(Trend::Sideways, 3.0), &Instrument::btcusdt());
        assert_eq!(c.len(), 324);
        assert!(c.iter().all(|x| x.mode == GridMode::Neutral));
        assert!(c.iter().all(|x| (10..=100).contains(&x.grids)));
        for level in RiskLevel::ALL {
            assert_eq!(c.iter().filter(|x| x.risk_level == level).count(), 108);
        }
    }

    #[test]
    fn trends_add_the_matching_directional_mode() {
        let up = candidates(&analysis(Trend::Up, 3.0), &Instrument::btcusdt());
        assert_eq!(up.len(), 648);
        assert!(up.iter().any(|x| x.mode == GridMode::Long));
        assert!(!up.iter().any(|x| x.mode == GridMode::Short));
        let down = candidates(&analysis(Trend::Down, 3.0), &Instrument::btcusdt());
        assert!(down.iter().any(|x| x.mode == GridMode::Short));
    }

    #[test]
    fn ranges_scale_with_volatility_and_bracket_the_price_on_the_tick() {
        let i = Instrument::btcusdt();
        let calm = candidates(&analysis(Trend::Sideways, 1.0), &i);
        let wild = candidates(&analysis(Trend::Sideways, 4.0), &i);
        let width = |c: &Candidate| c.upper - c.lower;
        assert!(width(&wild[0]) > width(&calm[0]));
        for c in calm.iter().chain(&wild) {
            assert!(c.lower < dec!(30000) && c.upper > dec!(30000));
            assert!(i.is_on_tick(c.lower) && i.is_on_tick(c.upper));
        }
        // Conservative ranges are wider than aggressive ones.
        let widest = |l: RiskLevel| wild.iter().filter(|c| c.risk_level == l).map(width).max().unwrap();
        assert!(widest(RiskLevel::Conservative) > widest(RiskLevel::Aggressive));
    }

    #[test]
    fn a_long_range_leaves_more_room_above_the_price() {
        let (l, u) = range(dec!(100), 0.1, GridMode::Long, &Instrument::btcusdt()).unwrap();
        assert_eq!((l, u), (dec!(92.5), dec!(112.5)));
        let (l, u) = range(dec!(100), 0.1, GridMode::Short, &Instrument::btcusdt()).unwrap();
        assert_eq!((l, u), (dec!(87.5), dec!(107.5)));
        // Half-widths clamp to 1 %–40 %.
        let c = candidates(&analysis(Trend::Sideways, 0.0), &Instrument::btcusdt());
        assert_eq!((c[0].lower, c[0].upper), (dec!(29700), dec!(30300)));
    }
}
