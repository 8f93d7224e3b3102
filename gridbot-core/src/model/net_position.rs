//! Net (one-way) position accounting shared by the paper exchange, the
//! engines and the backtester.
//!
//! Rules: a fill on the side of the position (or from flat) adds to it and
//! moves the average entry price to the quantity-weighted average; a fill
//! against it reduces it and realises `closed_qty × (price − entry)` for a
//! long (`(entry − price)` for a short); a fill larger than the position
//! closes it and opens the remainder the other way at the fill price.
//! Fees are not part of realised PnL here; callers book them separately.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Side;

/// A one-way net position: signed quantity and average entry price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetPosition {
    /// Signed quantity: positive long, negative short.
    pub qty: Decimal,
    /// Average entry price (zero when flat).
    pub entry_price: Decimal,
}

impl NetPosition {
    /// Applies a fill; returns the PnL it realised (before fees).
    pub fn apply(&mut self, side: Side, price: Decimal, qty: Decimal) -> Decimal {
        let signed = side.sign() * qty;
        if self.qty.is_zero() || self.qty.is_sign_positive() == signed.is_sign_positive() {
            let new_qty = self.qty + signed;
            if !new_qty.is_zero() {
                self.entry_price = (self.entry_price * self.qty.abs() + price * qty) / new_qty.abs();
            }
            self.qty = new_qty;
            return Decimal::ZERO;
        }
        let closing = qty.min(self.qty.abs());
        let direction = if self.qty.is_sign_positive() {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let realized = closing * (price - self.entry_price) * direction;
        let remaining = self.qty + signed;
        if remaining.is_zero() {
            self.qty = Decimal::ZERO;
            self.entry_price = Decimal::ZERO;
        } else if remaining.is_sign_positive() == self.qty.is_sign_positive() {
            self.qty = remaining;
        } else {
            // Flipped: the rest opens the other way at the fill price.
            self.qty = remaining;
            self.entry_price = price;
        }
        realized
    }

    /// Unrealised PnL at `mark`.
    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        self.qty * (mark - self.entry_price)
    }

    /// Notional at `mark` (always ≥ 0).
    pub fn notional(&self, mark: Decimal) -> Decimal {
        self.qty.abs() * mark
    }

    /// True when flat.
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn adding_averages_the_entry_and_reducing_realises_pnl() {
        let mut p = NetPosition::default();
        assert_eq!(p.apply(Side::Buy, dec!(100), dec!(1)), dec!(0));
        assert_eq!(p.apply(Side::Buy, dec!(110), dec!(1)), dec!(0));
        assert_eq!(p.entry_price, dec!(105));
        assert_eq!(p.unrealized(dec!(100)), dec!(-10));
        assert_eq!(p.apply(Side::Sell, dec!(120), dec!(0.5)), dec!(7.5));
        assert_eq!(p.qty, dec!(1.5));
        assert_eq!(p.entry_price, dec!(105));
    }

    #[test]
    fn a_fill_larger_than_the_position_flips_it_at_the_fill_price() {
        let mut p = NetPosition::default();
        p.apply(Side::Sell, dec!(200), dec!(2));
        assert_eq!(p.apply(Side::Buy, dec!(190), dec!(3)), dec!(20));
        assert_eq!(p.qty, dec!(1));
        assert_eq!(p.entry_price, dec!(190));
        assert_eq!(p.apply(Side::Sell, dec!(190), dec!(1)), dec!(0));
        assert!(p.is_flat());
        assert_eq!(p.entry_price, dec!(0));
    }
}
