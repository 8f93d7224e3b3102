//! The 7-day forecast shown on every recommendation.
//!
//! The best of many rules on the validation windows is still chosen for
//! having done well there, so its validation mean overstates what comes
//! next (the winner's curse, smaller than an in-sample pick's but real).
//! The forecast shrinks it toward what the method achieved historically:
//!
//! - `m`: the pick's mean validation ROI (each window scaled to 7 days);
//! - `prior`: the method's historical achievement for the profile — the
//!   request's own track record (the method's past picks on this symbol and
//!   what followed, [`super::walk_forward::track_record`]) blended with the
//!   profile's long-run figure [`PRIOR_7D_PCT`] as if the latter were
//!   [`PRIOR_WEIGHT`] more track-record weeks;
//! - `expected_roi_7d_pct = SHRINK·m + (1 − SHRINK)·prior`, with
//!   [`SHRINK`] = 0.35;
//! - the range: `expected ± 1.0·s`, `s` the standard deviation of the
//!   pick's validation ROIs and the track record taken together (at least
//!   [`MIN_SPREAD_PCT`] of a percent) — roughly the middle two-thirds of
//!   what a week can bring when weeks are alike;
//! - `expected_roi_30d` = the 7-day forecast scaled linearly to 30 days
//!   ([`crate::model::returns::scale_pct`]).
//!
//! The constants were tuned with `gridbot recommend --evaluate` on the BTC
//! and ETH 5m files of `shared/data` (SOL and XRP held out): see the module
//! docs of [`super::evaluate`] for the figures.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::walk_forward::mean_sd;
use crate::model::returns::{round_pct, scale_pct};
use crate::ports::RiskLevel;

/// Weight of the pick's own validation mean.
pub const SHRINK: f64 = 0.35;

/// Weight of [`PRIOR_7D_PCT`] in the prior, in track-record weeks.
pub const PRIOR_WEIGHT: f64 = 3.0;

/// Smallest half-width of the forecast's range, percent.
pub const MIN_SPREAD_PCT: f64 = 0.25;

/// What the method's picks returned the week after, on average, per profile
/// (conservative, moderate, aggressive), percent over 7 days.
pub const PRIOR_7D_PCT: [f64; 3] = [0.4, 0.8, 1.2];

/// A 7-day forecast, percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// Expected ROI over the next 7 days.
    pub expected: f64,
    /// Low end of the range.
    pub low: f64,
    /// High end of the range.
    pub high: f64,
}

impl Forecast {
    /// The forecast of a pick with validation ROIs `validation` (7-day) for
    /// `level`, given the method's `track` record (see the module docs).
    pub fn of(level: RiskLevel, validation: &[f64], track: &[f64]) -> Forecast {
        let idx = RiskLevel::ALL.iter().position(|l| *l == level).unwrap_or(0);
        let base = PRIOR_7D_PCT.get(idx).copied().unwrap_or(0.0);
        let (m, _) = mean_sd(validation);
        let n = track.len() as f64;
        let track_sum: f64 = track.iter().sum();
        let prior = (track_sum + PRIOR_WEIGHT * base) / (n + PRIOR_WEIGHT);
        let expected = if validation.is_empty() {
            prior
        } else {
            SHRINK * m + (1.0 - SHRINK) * prior
        };
        let all: Vec<f64> = validation.iter().chain(track).copied().collect();
        let (_, s) = mean_sd(&all);
        let s = s.max(MIN_SPREAD_PCT);
        Forecast {
            expected,
            low: expected - s,
            high: expected + s,
        }
    }

    /// `(expected, low, high, expected over 30 days)` as shown, percent.
    pub fn shown(&self) -> (Decimal, Decimal, Decimal, Decimal) {
        let d = |x: f64| round_pct(Decimal::from_f64(x).unwrap_or_default());
        let e = d(self.expected);
        (
            e,
            d(self.low),
            d(self.high),
            scale_pct(e, Decimal::from(7), Decimal::from(30)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_forecast_shrinks_the_validation_mean_toward_the_track_record() {
        let f = Forecast::of(RiskLevel::Moderate, &[10.0, 6.0], &[1.0, 2.0, 3.0]);
        let prior = (6.0 + 3.0 * PRIOR_7D_PCT[1]) / 6.0;
        assert!((f.expected - (SHRINK * 8.0 + (1.0 - SHRINK) * prior)).abs() < 1e-12);
        assert!(f.low < f.expected && f.expected < f.high);
        assert!(f.expected < 8.0, "below the validation mean");
        // Without a track record the prior is the profile's long-run figure.
        let g = Forecast::of(RiskLevel::Aggressive, &[4.0], &[]);
        assert!((g.expected - (SHRINK * 4.0 + (1.0 - SHRINK) * PRIOR_7D_PCT[2])).abs() < 1e-12);
        assert!((g.high - g.expected - MIN_SPREAD_PCT).abs() < 1e-12);
    }

    #[test]
    fn thirty_days_scale_the_seven_day_forecast() {
        let f = Forecast {
            expected: 1.4,
            low: 0.4,
            high: 2.4,
        };
        assert_eq!(f.shown(), (dec!(1.4), dec!(0.4), dec!(2.4), dec!(6)));
    }
}
