//! From a surviving candidate to a [`Recommendation`]: the derived figures.
//!
//! - In-sample figures (`backtest_roi_pct`, `apr_pct`, `max_drawdown_pct`,
//!   `round_trips`, `roi_curve`) are the recommended grid's backtest over the
//!   last `backtest_days` days; they describe the past, not a forecast.
//! - Forecast figures (`expected_roi_7d_pct` and its range,
//!   `expected_roi_30d`) come from [`super::forecast`], set by
//!   [`with_forecast`]; `expected_roi_30d` is never the in-sample run scaled.
//! - `min_investment`: the smallest margin (cents, rounded up) for which the
//!   quantity per grid `q = investment·leverage / Σ_{i<N} P_i` (lot-floored)
//!   is at least the instrument's `min_qty` and `q·P_0` at least its
//!   `min_notional` — the plan's own size rules.
//! - `recommended_duration`: a random walk with daily volatility σ needs
//!   about `(d/σ)²` days to travel a distance `d`; with `d` the distance from
//!   the price to the nearer end of the range, the advice is
//!   `⌊t/2⌋–⌈t⌉ days` clamped to 1–30 days.
//! - `roi_curve`: the backtest's equity curve as ROI percent of the
//!   investment, 2 places.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use super::forecast::Forecast;
use super::profile::Profile;
use super::sweep::Survivor;
use crate::grid::GridPlan;
use crate::model::returns;
use crate::model::Instrument;
use crate::ports::{MarketAnalysis, Recommendation, Trend};

/// The smallest investment meeting the instrument's size minimums for this
/// plan's lines and leverage (see the module docs).
pub fn min_investment(plan: &GridPlan, instrument: &Instrument) -> Decimal {
    let n = plan.grids as usize;
    let bottoms: Decimal = plan.levels.iter().take(n).copied().sum();
    let Some(&p0) = plan.levels.first() else {
        return Decimal::ZERO;
    };
    if p0 <= Decimal::ZERO || plan.leverage == 0 {
        return Decimal::ZERO;
    }
    let lot = instrument.lot_size;
    let ceil_lot = |q: Decimal| (q / lot).ceil() * lot;
    let q = instrument.min_qty.max(lot).max(ceil_lot(instrument.min_notional / p0));
    (q * bottoms / Decimal::from(plan.leverage)).round_dp_with_strategy(2, RoundingStrategy::AwayFromZero)
}

/// How long to run a grid (see the module docs).
pub fn recommended_duration(price: Decimal, lower: Decimal, upper: Decimal, daily_vol_pct: f64) -> String {
    let room = (price - lower).min(upper - price);
    let d = if price > Decimal::ZERO {
        (room / price).to_f64().unwrap_or(0.0)
    } else {
        0.0
    };
    let sigma = daily_vol_pct / 100.0;
    let days = if sigma > 0.0 { (d / sigma).powi(2) } else { 30.0 };
    let days = days.clamp(1.0, 30.0);
    let lo = (days / 2.0).floor().max(1.0) as u32;
    let hi = (days.ceil() as u32).max(lo + 1);
    format!("{lo}-{hi} days")
}

/// The recommendation for a survivor.
pub fn recommendation(s: &Survivor, analysis: &MarketAnalysis, instrument: &Instrument) -> Recommendation {
    let c = &s.candidate;
    let o = &s.outcome;
    let profile = Profile::of(c.risk_level);
    let mut r = Recommendation::new(
        format!("{} {} grid", profile.title(), c.mode.as_str()),
        c.risk_level,
        c.mode,
        c.spacing,
        c.lower,
        c.upper,
        c.grids,
        c.leverage,
    );
    r.backtest_days = o.days.round_dp(2);
    r.backtest_roi_pct = returns::round_pct(o.roi_pct);
    r.apr_pct = returns::round_pct(o.apr_pct);
    r.max_drawdown_pct = returns::round_pct(o.max_drawdown_pct);
    r.round_trips = o.round_trips;
    r.min_investment = min_investment(&s.plan, instrument);
    r.backtest_investment = s.plan.investment;
    r.recommended_duration =
        recommended_duration(analysis.current_price, c.lower, c.upper, analysis.volatility_24h_pct);
    r.liquidation_price = s.plan.liquidation_price;
    r.roi_curve = o
        .equity_curve
        .iter()
        .map(|&(ts, eq)| (ts, roi_pct(eq, s.plan.investment)))
        .collect();
    r.description = describe(s, analysis, &profile);
    r
}

/// The walk-forward figures of a pick (see [`super::walk_forward`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Length of a validation window, days.
    pub days: f64,
    /// The rule's ROI in each window (7-day), percent.
    pub rois: Vec<f64>,
    /// Its worst drawdown over the windows, percent.
    pub max_drawdown: f64,
    /// The method's track record for the profile (7-day ROIs), percent.
    pub track: Vec<f64>,
    /// Liquidation distance, fraction of the price (`None`: none).
    pub liquidation_distance: Option<f64>,
    /// The plausible next-week move checked against, fraction of the price.
    pub plausible_move: f64,
}

/// `r` with its forecast and walk-forward figures, and a description that
/// says which figure is which.
pub fn with_forecast(mut r: Recommendation, forecast: &Forecast, v: &Validation) -> Recommendation {
    let d = |x: f64| returns::round_pct(Decimal::from_f64(x).unwrap_or_default());
    let (e, lo, hi, e30) = forecast.shown();
    r.expected_roi_7d_pct = e;
    r.expected_roi_7d_low_pct = lo;
    r.expected_roi_7d_high_pct = hi;
    r.expected_roi_30d = e30;
    r.validation_days = d(v.days);
    r.validation_roi_pct = v.rois.iter().map(|x| d(*x)).collect();
    r.validation_max_drawdown_pct = d(v.max_drawdown);
    r.track_record_roi_pct = v.track.iter().map(|x| d(*x)).collect();
    r.liquidation_distance_pct = v.liquidation_distance.map(|x| d(x * 100.0));
    r.plausible_move_pct = d(v.plausible_move * 100.0);
    let weeks = v.rois.len();
    r.description = format!(
        "{} Expected over the next 7 days: {e} % (range {lo} to {hi} %), estimated out of sample: from what this \
         method's {}x picks earned the week after at this volatility, and {weeks} walk-forward week{} it was not \
         chosen on.",
        r.description,
        r.leverage,
        if weeks == 1 { "" } else { "s" }
    );
    r
}

/// ROI of `equity` on `investment`, percent, 2 places.
pub fn roi_pct(equity: Decimal, investment: Decimal) -> Decimal {
    returns::roi_pct(equity - investment, investment)
}

fn describe(s: &Survivor, analysis: &MarketAnalysis, profile: &Profile) -> String {
    let c = &s.candidate;
    let o = &s.outcome;
    let market = match analysis.trend {
        Trend::Up => "an up-trending",
        Trend::Down => "a down-trending",
        Trend::Sideways => "a sideways",
    };
    let liq = match s.plan.liquidation_price {
        Some(p) => format!(" Estimated liquidation at {p}, outside the range."),
        None => String::new(),
    };
    let vol = Decimal::from_f64(analysis.volatility_24h_pct)
        .unwrap_or_default()
        .round_dp(2);
    format!(
        "{} {} grid from {} to {} with {} grids at {}x for {market} market (daily volatility {vol} %). \
         Backtest over the last {} days (in sample): {} % with {} round trips and a {} % maximum drawdown \
         (this profile allows {} %).{liq}",
        c.spacing.as_str(),
        c.mode.as_str(),
        c.lower,
        c.upper,
        c.grids,
        c.leverage,
        o.days.round_dp(1),
        o.roi_pct.round_dp(2),
        o.round_trips,
        o.max_drawdown_pct.round_dp(2),
        profile.max_drawdown_pct,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{plan, GridConfig, GridMode, PlanError, Spacing};
    use rust_decimal_macros::dec;

    #[test]
    fn min_investment_is_the_smallest_amount_the_plan_accepts() {
        let i = Instrument::btcusdt();
        for (grids, lev) in [(10u32, 1u32), (40, 3), (100, 10)] {
            let cfg = |inv: Decimal| {
                GridConfig::new(
                    i.symbol.clone(),
                    dec!(27000),
                    dec!(33000),
                    grids,
                    Spacing::Geometric,
                    GridMode::Neutral,
                    inv,
                    lev,
                )
            };
            let p = plan(&cfg(dec!(100000)), &i, dec!(30000)).unwrap();
            let min = min_investment(&p, &i);
            let size_error = |inv: Decimal| {
                plan(&cfg(inv), &i, dec!(30000))
                    .unwrap()
                    .errors
                    .iter()
                    .any(|e| matches!(e, PlanError::QtyBelowMinQty { .. } | PlanError::NotionalBelowMin { .. }))
            };
            assert!(!size_error(min), "{grids} grids at {lev}x: {min} refused");
            assert!(
                size_error(min - dec!(0.01)),
                "{grids} grids at {lev}x: {min} is not the smallest"
            );
        }
    }

    #[test]
    fn duration_follows_the_squared_room_over_volatility() {
        // 5 % room at 2 % daily volatility: (5/2)² = 6.25 days → 3-7 days.
        assert_eq!(recommended_duration(dec!(100), dec!(95), dec!(110), 2.0), "3-7 days");
        // The nearer edge counts, and the result is clamped to 1..30 days.
        assert_eq!(recommended_duration(dec!(100), dec!(99.5), dec!(150), 2.0), "1-2 days");
        assert_eq!(recommended_duration(dec!(100), dec!(50), dec!(150), 1.0), "15-30 days");
        assert_eq!(recommended_duration(dec!(100), dec!(90), dec!(110), 0.0), "15-30 days");
    }

    #[test]
    fn roi_is_relative_to_the_investment() {
        assert_eq!(roi_pct(dec!(1012.345), dec!(1000)), dec!(1.23));
        assert_eq!(roi_pct(dec!(900), dec!(1000)), dec!(-10));
        assert_eq!(roi_pct(dec!(900), dec!(0)), dec!(0));
    }
}
