//! Estimated liquidation price of an isolated-margin position.
//!
//! A position of `qty` at average entry `E` with isolated margin `M` is
//! liquidated when margin plus unrealised PnL falls to the maintenance
//! margin, `mmr × notional` at the mark price `p`:
//!
//! - long:  `M + Q·(p − E) = mmr·Q·p`  ⇒  `p = (Q·E − M) / (Q·(1 − mmr))`
//! - short: `M + Q·(E − p) = mmr·Q·p`  ⇒  `p = (Q·E + M) / (Q·(1 + mmr))`
//!
//! Fees and funding are ignored. The result is snapped to the tick towards
//! the position (a long's price rounds up, a short's down), so the estimate
//! errs on the side of caution. A long that cannot be liquidated (`p ≤ 0`)
//! has no liquidation price.

use rust_decimal::Decimal;

use crate::model::{Instrument, Rounding, Side};

/// The liquidation price of a position opened on `side` with total cost
/// `cost = Q·E` (quote), quantity `qty = Q > 0` and isolated margin `margin`.
/// `None` when the position is empty or a long can never be liquidated.
pub fn liquidation_price(
    side: Side,
    qty: Decimal,
    cost: Decimal,
    margin: Decimal,
    instrument: &Instrument,
) -> Option<Decimal> {
    if qty <= Decimal::ZERO {
        return None;
    }
    let mmr = instrument.maint_margin_rate;
    match side {
        Side::Buy => {
            let p = cost.checked_sub(margin)?.checked_div(qty * (Decimal::ONE - mmr))?;
            let p = instrument.round_price(p, Rounding::Up);
            (p > Decimal::ZERO).then_some(p)
        }
        Side::Sell => {
            let p = cost.checked_add(margin)?.checked_div(qty * (Decimal::ONE + mmr))?;
            Some(instrument.round_price(p, Rounding::Down))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn long_and_short_liquidation_follow_the_maintenance_margin_equation() {
        let i = Instrument::btcusdt();
        // long 0.1 @ 28625, margin 1000: (2862.5 − 1000) / (0.1 × 0.996) = 1862.5 / 0.0996
        // = 18699.799.., rounded up to the tick.
        assert_eq!(
            liquidation_price(Side::Buy, dec!(0.1), dec!(2862.5), dec!(1000), &i),
            Some(dec!(18699.8))
        );
        // short 0.1 @ 30000, margin 1000: (3000 + 1000) / (0.1 × 1.004) = 39840.63..
        assert_eq!(
            liquidation_price(Side::Sell, dec!(0.1), dec!(3000), dec!(1000), &i),
            Some(dec!(39840.6))
        );
        // 1x long: margin covers the whole cost, never liquidated.
        assert_eq!(
            liquidation_price(Side::Buy, dec!(0.1), dec!(3000), dec!(3000), &i),
            None
        );
        assert_eq!(liquidation_price(Side::Buy, dec!(0), dec!(0), dec!(3000), &i), None);
    }
}
