//! Returns: ROI, APR and their rounding, in one place.
//!
//! Every ROI and APR gridbot shows — a live grid's ([`crate::engine::grid`]),
//! a bot view's ([`crate::manager`]), a backtest report's
//! ([`crate::backtest`]), a recommendation's ([`crate::advisor`]) — is
//! computed here:
//! - **ROI** = PnL / base × 100, percent; 0 when the base is not positive.
//! - **APR** = ROI × 365 days / elapsed, simple (not compounded: a grid's
//!   margin is fixed, profits are not reinvested); 0 when no time elapsed.
//! - **Scaling a return to another horizon** (a 7-day forecast to 30 days)
//!   is the same linear rule: ROI × to / from.
//!
//! One rounding rule: percentages shown are rounded to [`PCT_DP`] (2)
//! decimal places and USDT amounts to [`MONEY_DP`] (2, cents), both with
//! `rust_decimal`'s default strategy (half to even). Decisions a bot makes
//! on its own return (take-profit, stop-loss) use the exact values
//! ([`roi_pct_exact`]); only what is shown is rounded.

use rust_decimal::Decimal;

/// Decimal places of every percentage shown.
pub const PCT_DP: u32 = 2;

/// Decimal places of every USDT amount shown (cents).
pub const MONEY_DP: u32 = 2;

/// Milliseconds in a 365-day year.
pub const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A percentage as shown: [`PCT_DP`] places.
pub fn round_pct(pct: Decimal) -> Decimal {
    pct.round_dp(PCT_DP)
}

/// A USDT amount as shown: [`MONEY_DP`] places.
pub fn round_money(usdt: Decimal) -> Decimal {
    usdt.round_dp(MONEY_DP)
}

/// `pnl` in percent of `base`, exact (0 for a base ≤ 0).
pub fn roi_pct_exact(pnl: Decimal, base: Decimal) -> Decimal {
    if base <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    pnl * Decimal::ONE_HUNDRED / base
}

/// `pnl` in percent of `base`, as shown (0 for a base ≤ 0).
pub fn roi_pct(pnl: Decimal, base: Decimal) -> Decimal {
    round_pct(roi_pct_exact(pnl, base))
}

/// A return earned over `elapsed_ms` scaled linearly to a 365-day year,
/// exact (0 when no time elapsed).
pub fn apr_pct_exact(roi_pct: Decimal, elapsed_ms: i64) -> Decimal {
    if elapsed_ms <= 0 {
        return Decimal::ZERO;
    }
    roi_pct * Decimal::from(YEAR_MS) / Decimal::from(elapsed_ms)
}

/// [`apr_pct_exact`] as shown.
pub fn apr_pct(roi_pct: Decimal, elapsed_ms: i64) -> Decimal {
    round_pct(apr_pct_exact(roi_pct, elapsed_ms))
}

/// A return over `from_days` scaled linearly to `to_days`, as shown (0 when
/// `from_days` is not positive).
pub fn scale_pct(roi_pct: Decimal, from_days: Decimal, to_days: Decimal) -> Decimal {
    if from_days <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    round_pct(roi_pct * to_days / from_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn roi_apr_and_scaling_follow_the_one_rule() {
        assert_eq!(roi_pct(dec!(12.345), dec!(1000)), dec!(1.23));
        assert_eq!(roi_pct(dec!(-100), dec!(1000)), dec!(-10));
        assert_eq!(roi_pct(dec!(5), dec!(0)), dec!(0));
        assert_eq!(roi_pct_exact(dec!(1), dec!(3)), dec!(100) / dec!(3));
        assert_eq!(apr_pct(dec!(2.5), 73 * DAY_MS), dec!(12.5));
        assert_eq!(apr_pct(dec!(2.5), 0), dec!(0));
        assert_eq!(scale_pct(dec!(1.4), dec!(7), dec!(30)), dec!(6));
        assert_eq!(scale_pct(dec!(1.4), dec!(0), dec!(30)), dec!(0));
        assert_eq!(round_money(dec!(692.13963284799999999999999630)), dec!(692.14));
        assert_eq!(round_pct(dec!(0.125)), dec!(0.12), "half to even");
    }
}
