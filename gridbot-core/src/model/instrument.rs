//! Contract specifications and the rounding rules every order obeys.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{Side, Symbol};
use crate::error::{ExchangeError, ValidationError};

/// Which way to snap a price to the tick grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards minus infinity.
    Down,
    /// Towards plus infinity.
    Up,
    /// To the nearest tick (half away from zero).
    Nearest,
}

/// A perpetual contract's trading rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Instrument {
    /// The contract.
    pub symbol: Symbol,
    /// Smallest price increment (quote currency, USDT).
    pub tick_size: Decimal,
    /// Smallest quantity increment (base currency).
    pub lot_size: Decimal,
    /// Smallest order quantity (base currency).
    pub min_qty: Decimal,
    /// Smallest order value, price × quantity (USDT).
    pub min_notional: Decimal,
    /// Highest leverage allowed.
    pub max_leverage: u32,
    /// Fee rate for resting (maker) orders, e.g. 0.0002 = 0.02 %.
    pub maker_fee: Decimal,
    /// Fee rate for taking (taker) orders.
    pub taker_fee: Decimal,
    /// Maintenance margin rate: a position is liquidated when its margin plus
    /// unrealised PnL falls to `maint_margin_rate × notional`.
    pub maint_margin_rate: Decimal,
}

impl Instrument {
    /// An instrument with the given rules, validated: every size positive,
    /// fees and rates in `[0, 1)`, leverage ≥ 1.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        symbol: Symbol,
        tick_size: Decimal,
        lot_size: Decimal,
        min_qty: Decimal,
        min_notional: Decimal,
        max_leverage: u32,
        maker_fee: Decimal,
        taker_fee: Decimal,
        maint_margin_rate: Decimal,
    ) -> Result<Self, ValidationError> {
        let positive = |field: &str, v: Decimal| {
            if v <= Decimal::ZERO {
                Err(ValidationError::new(field, format!("must be greater than 0, got {v}")))
            } else {
                Ok(())
            }
        };
        let rate = |field: &str, v: Decimal| {
            if v < Decimal::ZERO || v >= Decimal::ONE {
                Err(ValidationError::new(field, format!("must be in [0, 1), got {v}")))
            } else {
                Ok(())
            }
        };
        positive("tick_size", tick_size)?;
        positive("lot_size", lot_size)?;
        if min_qty < Decimal::ZERO {
            return Err(ValidationError::new(
                "min_qty",
                format!("must not be negative, got {min_qty}"),
            ));
        }
        if min_notional < Decimal::ZERO {
            return Err(ValidationError::new(
                "min_notional",
                format!("must not be negative, got {min_notional}"),
            ));
        }
        if max_leverage == 0 {
            return Err(ValidationError::new("max_leverage", "must be at least 1"));
        }
        rate("maker_fee", maker_fee)?;
        rate("taker_fee", taker_fee)?;
        rate("maint_margin_rate", maint_margin_rate)?;
        Ok(Instrument {
            symbol,
            tick_size,
            lot_size,
            min_qty,
            min_notional,
            max_leverage,
            maker_fee,
            taker_fee,
            maint_margin_rate,
        })
    }

    /// Bitget's BTCUSDT rules (tick 0.1, lot 0.0001, min qty 0.0001, min
    /// notional 5 USDT, max leverage 125, maker 0.02 %, taker 0.06 %,
    /// maintenance margin 0.4 %), the default for `gridbot plan`.
    pub fn btcusdt() -> Self {
        Instrument {
            symbol: Symbol::unchecked("BTCUSDT"),
            tick_size: Decimal::new(1, 1),
            lot_size: Decimal::new(1, 4),
            min_qty: Decimal::new(1, 4),
            min_notional: Decimal::new(5, 0),
            max_leverage: 125,
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(6, 4),
            maint_margin_rate: Decimal::new(4, 3),
        }
    }

    /// Snaps `price` to the tick grid in the given direction.
    pub fn round_price(&self, price: Decimal, rounding: Rounding) -> Decimal {
        snap(price, self.tick_size, rounding)
    }

    /// Snaps a limit price so that it never overspends: buys round down,
    /// sells round up.
    pub fn round_price_for(&self, side: Side, price: Decimal) -> Decimal {
        match side {
            Side::Buy => self.round_price(price, Rounding::Down),
            Side::Sell => self.round_price(price, Rounding::Up),
        }
    }

    /// Rounds a quantity down to the lot step (never more than asked for).
    pub fn floor_qty(&self, qty: Decimal) -> Decimal {
        snap(qty, self.lot_size, Rounding::Down)
    }

    /// True when `price` lies on the tick grid.
    pub fn is_on_tick(&self, price: Decimal) -> bool {
        (price % self.tick_size).is_zero()
    }

    /// True when `qty` is a whole number of lots.
    pub fn is_on_lot(&self, qty: Decimal) -> bool {
        (qty % self.lot_size).is_zero()
    }

    /// Checks an order as an exchange would: price on tick and positive,
    /// quantity on lot, at least `min_qty`, and notional at least
    /// `min_notional`. `price` is the limit price, or the reference price of a
    /// market order.
    pub fn check_order(&self, price: Decimal, qty: Decimal) -> Result<(), ExchangeError> {
        if price <= Decimal::ZERO {
            return Err(ExchangeError::InvalidOrder(format!(
                "price must be greater than 0, got {price}"
            )));
        }
        if !self.is_on_tick(price) {
            return Err(ExchangeError::Precision(format!(
                "price {price} is not a multiple of the tick size {} for {}",
                self.tick_size, self.symbol
            )));
        }
        if !self.is_on_lot(qty) {
            return Err(ExchangeError::Precision(format!(
                "quantity {qty} is not a multiple of the lot size {} for {}",
                self.lot_size, self.symbol
            )));
        }
        if qty <= Decimal::ZERO || qty < self.min_qty {
            return Err(ExchangeError::BelowMinimum(format!(
                "quantity {qty} is below the minimum {} for {}",
                self.min_qty, self.symbol
            )));
        }
        let notional = price * qty;
        if notional < self.min_notional {
            return Err(ExchangeError::BelowMinimum(format!(
                "order value {} USDT is below the minimum {} USDT for {}",
                notional.round_dp(8).normalize(),
                self.min_notional,
                self.symbol
            )));
        }
        Ok(())
    }
}

/// Snaps `value` to a multiple of `step` (step > 0).
fn snap(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    let units = value / step;
    let units = match rounding {
        Rounding::Down => units.floor(),
        Rounding::Up => units.ceil(),
        Rounding::Nearest => units.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
    };
    (units * step).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_snap_to_tick_in_the_direction_that_never_overspends() {
        let i = Instrument::btcusdt();
        assert_eq!(i.round_price(dec!(30000.06), Rounding::Down), dec!(30000.0));
        assert_eq!(i.round_price(dec!(30000.06), Rounding::Up), dec!(30000.1));
        assert_eq!(i.round_price(dec!(30000.05), Rounding::Nearest), dec!(30000.1));
        assert_eq!(i.round_price_for(Side::Buy, dec!(100.19)), dec!(100.1));
        assert_eq!(i.round_price_for(Side::Sell, dec!(100.11)), dec!(100.2));
        assert_eq!(i.floor_qty(dec!(0.00019)), dec!(0.0001));
    }

    #[test]
    fn orders_below_minimums_or_off_tick_are_refused() {
        let i = Instrument::btcusdt();
        assert!(i.check_order(dec!(30000), dec!(0.001)).is_ok());
        assert!(matches!(
            i.check_order(dec!(30000.05), dec!(0.001)),
            Err(ExchangeError::Precision(_))
        ));
        assert!(matches!(
            i.check_order(dec!(30000), dec!(0.00015)),
            Err(ExchangeError::Precision(_))
        ));
        // 0.0001 × 30000 = 3 USDT < 5 USDT.
        assert!(matches!(
            i.check_order(dec!(30000), dec!(0.0001)),
            Err(ExchangeError::BelowMinimum(_))
        ));
        assert!(matches!(
            i.check_order(dec!(0), dec!(1)),
            Err(ExchangeError::InvalidOrder(_))
        ));
    }

    #[test]
    fn new_validates_every_field() {
        let s = Symbol::new("ETHUSDT").unwrap();
        let e = Instrument::new(
            s.clone(),
            dec!(0),
            dec!(0.01),
            dec!(0.01),
            dec!(5),
            100,
            dec!(0.0002),
            dec!(0.0006),
            dec!(0.005),
        )
        .unwrap_err();
        assert_eq!(e.field, "tick_size");
        let e = Instrument::new(
            s,
            dec!(0.01),
            dec!(0.01),
            dec!(0.01),
            dec!(5),
            0,
            dec!(0.0002),
            dec!(0.0006),
            dec!(0.005),
        )
        .unwrap_err();
        assert_eq!(e.field, "max_leverage");
    }
}
