//! Candidate grids: the rules the walk-forward sweep scores, and the
//! concrete grids a rule gives at a price and volatility.
//!
//! A [`Rule`] is a grid setup relative to the market: the range's room below
//! and above the price in multiples of the weekly volatility σ (daily σ ×
//! √7), plus mode, spacing, grid count and leverage. The same rule gives a
//! different concrete [`Candidate`] in each validation window (the price and
//! σ known at the window's start), which is what lets it be validated out of
//! sample; at the current price and σ it gives the grid recommended.
//!
//! For each profile ([`super::profile`]) the rules cross:
//! - **range half-width** = width factor × weekly σ, each side clamped to
//!   [`HALF_WIDTH_LIMITS`]; a neutral range has the same room below and
//!   above the price (a [`Rule`] made from a proposal may be long or short,
//!   with room `(0.75, 1.25)` or `(1.25, 0.75)` × the half-width from
//!   [`range`]); bounds snapped to the tick (lower up, upper down);
//! - **grid counts** [`GRID_COUNTS`] (10–100);
//! - **both spacings**;
//! - **the profile's leverages** (its preferred one and those it may step
//!   down to);
//! - **neutral mode** only ([`MODES`]; why: [`super::profile`]).
//!
//! That is 3 × 9 × 2 × 1 = 54 conservative rules, 3 × 9 × 2 × 2 = 108
//! moderate and 2 × 9 × 2 × 3 = 108 aggressive ones, 270 in all, in a fixed
//! order, so a sweep is deterministic.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::profile::Profile;
use crate::grid::{GridMode, Spacing};
use crate::model::{Instrument, Rounding};
use crate::ports::{MarketAnalysis, RiskLevel};

/// Grid counts swept.
pub const GRID_COUNTS: [u32; 9] = [10, 15, 20, 30, 40, 50, 60, 80, 100];

/// Smallest and largest room on either side of the price, fraction of the
/// price.
pub const HALF_WIDTH_LIMITS: (f64, f64) = (0.01, 0.40);

/// The modes swept.
pub const MODES: [GridMode; 1] = [GridMode::Neutral];

/// One concrete grid to backtest.
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

impl Candidate {
    /// Whether `other` is the same grid (every setting but the profile).
    pub fn same_grid(&self, other: &Candidate) -> bool {
        Candidate {
            risk_level: self.risk_level,
            ..*other
        } == *self
    }
}

/// A grid setup relative to the price and its volatility (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// The profile it competes in.
    pub risk_level: RiskLevel,
    /// Long, short or neutral.
    pub mode: GridMode,
    /// Arithmetic or geometric.
    pub spacing: Spacing,
    /// Number of grids.
    pub grids: u32,
    /// Leverage.
    pub leverage: u32,
    /// Room below the price, in weekly σ.
    pub below: f64,
    /// Room above the price, in weekly σ.
    pub above: f64,
}

impl Rule {
    /// The concrete grid of this rule at `price` with weekly volatility
    /// `sigma_week` (a fraction); `None` when the range collapses on the tick.
    pub fn at(&self, price: Decimal, sigma_week: f64, instrument: &Instrument) -> Option<Candidate> {
        let clamp = |x: f64| x.clamp(HALF_WIDTH_LIMITS.0, HALF_WIDTH_LIMITS.1);
        let (lower, upper) = bounds(
            price,
            clamp(self.below * sigma_week),
            clamp(self.above * sigma_week),
            instrument,
        )?;
        Some(Candidate {
            risk_level: self.risk_level,
            mode: self.mode,
            spacing: self.spacing,
            lower,
            upper,
            grids: self.grids,
            leverage: self.leverage,
        })
    }

    /// The rule of a concrete grid at `price` and weekly volatility
    /// `sigma_week`: its room below and above in weekly σ (a σ of 0 is taken
    /// as 1 %). How a proposal is validated on past windows.
    pub fn of(c: &Candidate, price: Decimal, sigma_week: f64) -> Rule {
        let p = price.to_f64().unwrap_or(0.0);
        let sigma = if sigma_week > 0.0 { sigma_week } else { 0.01 };
        let room = |d: Decimal| {
            if p > 0.0 {
                (d.to_f64().unwrap_or(0.0) / p / sigma).max(0.0)
            } else {
                0.0
            }
        };
        Rule {
            risk_level: c.risk_level,
            mode: c.mode,
            spacing: c.spacing,
            grids: c.grids,
            leverage: c.leverage,
            below: room(price - c.lower),
            above: room(c.upper - price),
        }
    }
}

/// Room below and above for a width factor and mode, in weekly σ.
fn room(factor: f64, mode: GridMode) -> (f64, f64) {
    match mode {
        GridMode::Neutral => (factor, factor),
        GridMode::Long => (0.75 * factor, 1.25 * factor),
        GridMode::Short => (1.25 * factor, 0.75 * factor),
    }
}

/// The weekly volatility of an analysis as a fraction (daily σ × √7).
pub fn weekly_volatility(analysis: &MarketAnalysis) -> f64 {
    (analysis.volatility_24h_pct / 100.0).max(0.0) * 7f64.sqrt()
}

/// Every rule for `instrument`, in sweep order. Leverages above the
/// instrument's maximum are skipped.
pub fn rules(instrument: &Instrument) -> Vec<Rule> {
    let mut out = Vec::with_capacity(1300);
    for profile in Profile::all() {
        for &factor in &profile.width_factors {
            for mode in MODES {
                let (below, above) = room(factor, mode);
                for grids in GRID_COUNTS {
                    for spacing in [Spacing::Arithmetic, Spacing::Geometric] {
                        for &leverage in profile.leverages.iter().filter(|l| **l <= instrument.max_leverage) {
                            out.push(Rule {
                                risk_level: profile.level,
                                mode,
                                spacing,
                                grids,
                                leverage,
                                below,
                                above,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Every rule at the analysis' price and weekly volatility, in sweep order
/// (rules whose range collapses are left out).
pub fn candidates(analysis: &MarketAnalysis, instrument: &Instrument) -> Vec<Candidate> {
    let sigma = weekly_volatility(analysis);
    rules(instrument)
        .iter()
        .filter_map(|r| r.at(analysis.current_price, sigma, instrument))
        .collect()
}

/// The range with room `down` and `up` (fractions) around `price`, on the
/// tick; `None` when it collapses (price too small for the tick).
pub fn bounds(price: Decimal, down: f64, up: f64, instrument: &Instrument) -> Option<(Decimal, Decimal)> {
    let down = Decimal::from_f64(down)?.round_dp(6);
    let up = Decimal::from_f64(up)?.round_dp(6);
    let lower = instrument.round_price(price * (Decimal::ONE - down), Rounding::Up);
    let upper = instrument.round_price(price * (Decimal::ONE + up), Rounding::Down);
    (lower > Decimal::ZERO && lower < price && upper > price).then_some((lower, upper))
}

/// The range of half-width `w` around `price` for `mode`, on the tick;
/// `None` when it collapses.
pub fn range(price: Decimal, w: f64, mode: GridMode, instrument: &Instrument) -> Option<(Decimal, Decimal)> {
    let (below, above) = room(w, mode);
    bounds(price, below, above, instrument)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Symbol;
    use crate::ports::Trend;
    use rust_decimal_macros::dec;

    fn analysis(vol: f64) -> MarketAnalysis {
        MarketAnalysis {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            current_price: dec!(30000),
            high_24h: dec!(31000),
            low_24h: dec!(29000),
            change_24h_pct: dec!(0),
            trend: Trend::Sideways,
            volatility_24h_pct: vol,
            volatility_annual_pct: vol * 365f64.sqrt(),
            atr_pct: 0.1,
            support: vec![],
            resistance: vec![],
            candles: 10080,
        }
    }

    #[test]
    fn the_profiles_sweep_270_neutral_rules() {
        let r = rules(&Instrument::btcusdt());
        assert_eq!(r.len(), 270);
        let count = |level| r.iter().filter(|x| x.risk_level == level).count();
        assert_eq!(
            (
                count(RiskLevel::Conservative),
                count(RiskLevel::Moderate),
                count(RiskLevel::Aggressive)
            ),
            (54, 108, 108)
        );
        assert!(r.iter().all(|x| x.mode == GridMode::Neutral && x.below == x.above));
        assert!(r.iter().all(|x| (10..=100).contains(&x.grids)));
        let c = candidates(&analysis(3.0), &Instrument::btcusdt());
        assert_eq!(c.len(), 270);
    }

    #[test]
    fn ranges_scale_with_volatility_and_bracket_the_price_on_the_tick() {
        let i = Instrument::btcusdt();
        let calm = candidates(&analysis(1.0), &i);
        let wild = candidates(&analysis(4.0), &i);
        let width = |c: &Candidate| c.upper - c.lower;
        assert!(width(&wild[0]) > width(&calm[0]));
        for c in calm.iter().chain(&wild) {
            assert!(c.lower < dec!(30000) && c.upper > dec!(30000));
            assert!(i.is_on_tick(c.lower) && i.is_on_tick(c.upper));
        }
        let widest = |l: RiskLevel| wild.iter().filter(|c| c.risk_level == l).map(width).max().unwrap();
        assert!(widest(RiskLevel::Conservative) > widest(RiskLevel::Aggressive));
    }

    #[test]
    fn a_long_range_leaves_more_room_above_the_price() {
        let (l, u) = range(dec!(100), 0.1, GridMode::Long, &Instrument::btcusdt()).unwrap();
        assert_eq!((l, u), (dec!(92.5), dec!(112.5)));
        let (l, u) = range(dec!(100), 0.1, GridMode::Short, &Instrument::btcusdt()).unwrap();
        assert_eq!((l, u), (dec!(87.5), dec!(107.5)));
        // Each side clamps to 1 %–40 %.
        let c = candidates(&analysis(0.0), &Instrument::btcusdt());
        assert_eq!((c[0].lower, c[0].upper), (dec!(29700), dec!(30300)));
    }

    #[test]
    fn a_grid_turned_into_a_rule_gives_itself_back_at_the_same_price() {
        let i = Instrument::btcusdt();
        let c = candidates(&analysis(3.0), &i)[100];
        let sigma = 0.03 * 7f64.sqrt();
        let rule = Rule::of(&c, dec!(30000), sigma);
        let back = rule.at(dec!(30000), sigma, &i).unwrap();
        assert!((back.lower - c.lower).abs() <= dec!(0.1) && (back.upper - c.upper).abs() <= dec!(0.1));
        assert_eq!((back.grids, back.leverage, back.mode), (c.grids, c.leverage, c.mode));
        // At a doubled price the rule's range doubles with it.
        let moved = rule.at(dec!(60000), sigma, &i).unwrap();
        assert!((moved.lower - c.lower * dec!(2)).abs() <= dec!(0.2));
    }
}
