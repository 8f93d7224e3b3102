//! Grid lines: the N+1 prices `P_0..P_N` from lower `L` to upper `U`.
//!
//! Rules (DESIGN.md, "Grids"):
//!
//! - `L` and `U` are snapped to the **nearest** tick first: they are order
//!   prices, so they must lie on the tick grid. `P_0 = L` and `P_N = U`
//!   exactly (after that snap).
//! - arithmetic: `P_i = L + i·(U−L)/N`, snapped to the nearest tick. It is
//!   computed exactly on integer ticks: `ticks_i = L_t + round(i·(U_t−L_t)/N)`
//!   with ties rounded away from zero, which equals snapping the Decimal value.
//! - geometric: `P_i = L·(U/L)^(i/N)`, snapped to the nearest tick. Decimal
//!   powers cost microseconds each (`powd`/`exp`/`ln` take 3–17 µs), so the
//!   ratio `r = (U_t/L_t)^(1/N)` is computed **once** and the lines are
//!   obtained by repeated multiplication `x_i = x_{i−1}·r` in tick units, in
//!   IEEE `f64` (only correctly rounded `×` after the one `powf`). For any
//!   grid allowed here (≤ 200 grids, ≤ 10^15 ticks) the relative error is
//!   below 10^-13, i.e. far below half a tick, so a line can land on another
//!   tick than the exact value only when the exact value lies within that
//!   error of a half-tick boundary. The property tests compare every line
//!   with a 28-digit `Decimal::powd` reference. No `f64` leaves this module:
//!   lines are integer ticks, converted to `Decimal` exactly.
//! - The smallest step must be at least one tick (else the plan reports
//!   [`super::PlanError::SpacingBelowTick`]); then the lines are strictly
//!   increasing, arithmetic steps differ by at most one tick and geometric
//!   lines are each within half a tick of the exact value.

use rust_decimal::{Decimal, RoundingStrategy};

use super::Spacing;
use crate::error::ValidationError;

/// Largest price range accepted, in ticks (keeps tick arithmetic exact in
/// `i64` and `f64`).
pub const MAX_TICKS: i64 = 1_000_000_000_000_000;

/// Converts between prices and integer tick counts for one tick size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickScale {
    tick: Decimal,
    mantissa: i128,
    scale: u32,
}

impl TickScale {
    /// The scale of `tick` (> 0).
    pub fn new(tick: Decimal) -> Result<Self, ValidationError> {
        if tick <= Decimal::ZERO {
            return Err(ValidationError::new(
                "tick_size",
                format!("must be greater than 0, got {tick}"),
            ));
        }
        let tick = tick.normalize();
        Ok(TickScale {
            tick,
            mantissa: tick.mantissa(),
            scale: tick.scale(),
        })
    }

    /// The tick size.
    pub fn tick(&self) -> Decimal {
        self.tick
    }

    /// `price / tick` rounded to the nearest whole tick (ties away from
    /// zero); refuses prices beyond [`MAX_TICKS`].
    pub fn to_ticks(&self, field: &str, price: Decimal) -> Result<i64, ValidationError> {
        let too_large = || {
            ValidationError::new(
                field,
                format!(
                    "{price} is too large for the tick size {} (at most {MAX_TICKS} ticks)",
                    self.tick
                ),
            )
        };
        let units = price
            .checked_div(self.tick)
            .ok_or_else(too_large)?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        let t = i64::try_from(units.mantissa() / 10i128.pow(units.scale())).map_err(|_| too_large())?;
        if t.abs() > MAX_TICKS {
            return Err(too_large());
        }
        Ok(t)
    }

    /// `ticks × tick` as a Decimal at the tick's scale (exact). `ticks` must
    /// be within ±[`MAX_TICKS`]; [`TickScale::check_range`] proves it fits.
    pub fn to_price(&self, ticks: i64) -> Decimal {
        Decimal::try_from_i128_with_scale(ticks as i128 * self.mantissa, self.scale)
            .unwrap_or_else(|_| Decimal::from(ticks) * self.tick)
    }

    /// True when every tick count up to `max_ticks` converts exactly.
    pub fn check_range(&self, field: &str, max_ticks: i64) -> Result<(), ValidationError> {
        Decimal::try_from_i128_with_scale(max_ticks as i128 * self.mantissa, self.scale)
            .map(|_| ())
            .map_err(|_| ValidationError::new(field, format!("is too large to express in ticks of {}", self.tick)))
    }
}

/// Grid lines in integer ticks, with the facts viability needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickLevels {
    /// `N+1` lines in ticks, `ticks[0] = L_t`, `ticks[N] = U_t`.
    pub ticks: Vec<i64>,
    /// True when the smallest exact (unsnapped) step is below one tick, or
    /// two snapped lines coincide.
    pub below_tick: bool,
    /// The smallest exact step, in ticks (for the error message).
    pub min_step_ticks: Decimal,
}

/// Computes the `n+1` lines between `lower_ticks` and `upper_ticks`
/// (`0 < lower_ticks < upper_ticks ≤ MAX_TICKS`, `n ≥ 1`).
pub fn tick_levels(lower_ticks: i64, upper_ticks: i64, n: u32, spacing: Spacing) -> TickLevels {
    let mut ticks = Vec::with_capacity(n as usize + 1);
    let (below_tick, min_step_ticks) = match spacing {
        Spacing::Arithmetic => {
            let d = (upper_ticks - lower_ticks) as i128;
            let n128 = n as i128;
            for i in 0..=n128 {
                // round(i·d/n), ties away from zero (all values ≥ 0).
                let off = (2 * i * d + n128) / (2 * n128);
                ticks.push(lower_ticks + off as i64);
            }
            (d < n128, Decimal::from(d) / Decimal::from(n))
        }
        Spacing::Geometric => {
            let l = lower_ticks as f64;
            let r = (upper_ticks as f64 / l).powf(1.0 / n as f64);
            let mut x = l;
            ticks.push(lower_ticks);
            for _ in 1..n {
                x *= r;
                ticks.push(x.round() as i64);
            }
            ticks.push(upper_ticks);
            let first_step = l * (r - 1.0);
            let min_step = Decimal::from_f64_retain(first_step).unwrap_or_default().round_dp(4);
            (first_step < 1.0, min_step)
        }
    };
    let coincide = ticks.windows(2).any(|w| w[1] <= w[0]);
    TickLevels {
        ticks,
        below_tick: below_tick || coincide,
        min_step_ticks,
    }
}

/// The grid lines as prices: [`tick_levels`] converted with `scale`.
pub fn levels(
    lower: Decimal,
    upper: Decimal,
    grids: u32,
    spacing: Spacing,
    tick: Decimal,
) -> Result<Vec<Decimal>, ValidationError> {
    let scale = TickScale::new(tick)?;
    let lt = scale.to_ticks("lower", lower)?;
    let ut = scale.to_ticks("upper", upper)?;
    if lt <= 0 {
        return Err(ValidationError::new(
            "lower",
            format!("must be at least one tick ({tick}), got {lower}"),
        ));
    }
    if ut <= lt {
        return Err(ValidationError::new(
            "upper",
            format!("must be above lower ({lower}) by at least one tick, got {upper}"),
        ));
    }
    if !(1..=10_000).contains(&grids) {
        return Err(ValidationError::new(
            "grids",
            format!("must be between 1 and 10000, got {grids}"),
        ));
    }
    scale.check_range("upper", ut)?;
    Ok(tick_levels(lt, ut, grids, spacing)
        .ticks
        .into_iter()
        .map(|t| scale.to_price(t))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn arithmetic_lines_are_exact_on_ticks() {
        let l = tick_levels(250_000, 350_000, 3, Spacing::Arithmetic);
        // 10000/3 = 3333.33.. → 28333.3, 31666.666.. → 31666.7
        assert_eq!(l.ticks, vec![250_000, 283_333, 316_667, 350_000]);
        assert!(!l.below_tick);
    }

    #[test]
    fn arithmetic_ties_round_away_from_zero() {
        // step 2.5 ticks: 0, 2.5 → 3, 5, 7.5 → 8, 10
        let l = tick_levels(10, 20, 4, Spacing::Arithmetic);
        assert_eq!(l.ticks, vec![10, 13, 15, 18, 20]);
    }

    #[test]
    fn geometric_lines_keep_a_constant_ratio() {
        let l = tick_levels(100, 400, 2, Spacing::Geometric);
        assert_eq!(l.ticks, vec![100, 200, 400]);
    }

    #[test]
    fn spacing_below_one_tick_is_flagged() {
        assert!(tick_levels(100, 105, 10, Spacing::Arithmetic).below_tick);
        assert!(tick_levels(100, 105, 10, Spacing::Geometric).below_tick);
        assert!(!tick_levels(100, 110, 10, Spacing::Arithmetic).below_tick);
    }

    #[test]
    fn levels_snap_the_ends_to_the_nearest_tick() {
        let v = levels(dec!(100.04), dec!(100.36), 3, Spacing::Arithmetic, dec!(0.1)).unwrap();
        assert_eq!(v, vec![dec!(100.0), dec!(100.1), dec!(100.3), dec!(100.4)]);
        assert_eq!(
            levels(dec!(0.01), dec!(1), 2, Spacing::Arithmetic, dec!(0.1))
                .unwrap_err()
                .field,
            "lower"
        );
    }
}
