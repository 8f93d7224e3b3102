//! The booking rule over a batch, the same in every store.
//!
//! The rule itself is gridbot-core's [`check_fill_booking`] (one rule, one
//! place); this module applies it to one bot's *new* fills (replays are
//! skipped before) in batch order, each with what its order has booked so
//! far: the stored fills' quantities plus the batch's earlier fills of the
//! same order. Quantities are summed here, in exact decimals — never by the
//! database, which would sum PostgreSQL NUMERIC exactly but SQLite TEXT as
//! floating point.
//!
//! A refusal refuses the whole call: the stores check before anything of
//! it is committed.

use std::collections::HashMap;

use gridbot_core::model::{BotId, BotOrder, Fill};
use gridbot_core::ports::check_fill_booking;
use gridbot_core::StoreError;
use rust_decimal::Decimal;

/// Quantities booked so far, by client order id.
pub(crate) type Booked = HashMap<String, Decimal>;

/// Adds `qty` to what `client_id` has booked; [`StoreError::Corrupt`] when
/// the sum leaves the decimal range (only a corrupt record can get there).
pub(crate) fn add_booked(booked: &mut Booked, client_id: &str, qty: Decimal) -> Result<(), StoreError> {
    let sum = booked.get(client_id).copied().unwrap_or_default();
    let sum = sum.checked_add(qty).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "the fills of order {client_id} book more than a decimal can hold; check its stored fills"
        ))
    })?;
    booked.insert(client_id.to_owned(), sum);
    Ok(())
}

/// Applies the booking rule to `fills`, the new fills of `bot` in batch
/// order: `order_of` finds a client id's order record (as it stands once
/// the call's orders are written), `booked` holds what each order's stored
/// fills booked. The first refusal is returned (naming both records).
pub(crate) fn check_new_fills<'o>(
    bot: BotId,
    fills: &[&Fill],
    order_of: impl Fn(&str) -> Option<&'o BotOrder>,
    mut booked: Booked,
) -> Result<(), StoreError> {
    for f in fills {
        let id = f.client_id.as_str();
        let order = order_of(id);
        if order.is_none() {
            // An exchange-made fill: nothing to book it against.
            continue;
        }
        let so_far = booked.get(id).copied().unwrap_or_default();
        if so_far.checked_add(f.qty).is_none() {
            return Err(StoreError::FillRefused {
                bot,
                reason: format!("fill {} of order {id}: quantity {} is out of range", f.id, f.qty),
            });
        }
        check_fill_booking(bot, order, so_far, f)?;
        add_booked(&mut booked, id, f.qty)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use gridbot_core::model::{BotOrderStatus, ClientOrderId, Liquidity, Side, Symbol};
    use rust_decimal_macros::dec;

    use super::*;

    fn order(qty: Decimal, bot: i64) -> BotOrder {
        BotOrder::new(
            ClientOrderId::new("g1-0-0"),
            BotId(bot),
            Some(0),
            Side::Buy,
            Some(dec!(100)),
            qty,
            BotOrderStatus::Open,
            0,
        )
    }

    fn fill(id: &str, client: &str, qty: Decimal) -> Fill {
        Fill::new(
            id,
            "ex-1",
            ClientOrderId::new(client),
            Symbol::new("BTCUSDT").unwrap(),
            Side::Buy,
            dec!(100),
            qty,
            dec!(0),
            Liquidity::Maker,
            1,
        )
    }

    #[test]
    fn fills_of_one_order_in_one_batch_add_up_against_its_quantity() {
        let o = order(dec!(1), 1);
        let (a, b) = (fill("a", "g1-0-0", dec!(0.6)), fill("b", "g1-0-0", dec!(0.4)));
        assert_eq!(
            check_new_fills(BotId(1), &[&a, &b], |_| Some(&o), Booked::new()),
            Ok(())
        );
        let c = fill("c", "g1-0-0", dec!(0.0001));
        let refused = check_new_fills(BotId(1), &[&a, &b, &c], |_| Some(&o), Booked::new());
        assert!(matches!(refused, Err(StoreError::FillRefused { .. })), "{refused:?}");
    }

    #[test]
    fn what_stored_fills_booked_counts_and_unknown_orders_pass() {
        let o = order(dec!(1), 1);
        let a = fill("a", "g1-0-0", dec!(0.5));
        let booked = Booked::from([("g1-0-0".to_owned(), dec!(0.6))]);
        assert!(check_new_fills(BotId(1), &[&a], |_| Some(&o), booked).is_err());
        let liquidation = fill("l", "", dec!(5));
        assert_eq!(
            check_new_fills(BotId(1), &[&liquidation], |_| None, Booked::new()),
            Ok(())
        );
    }

    #[test]
    fn a_sum_out_of_the_decimal_range_is_an_error_not_a_panic() {
        let mut booked = Booked::from([("x".to_owned(), Decimal::MAX)]);
        assert!(matches!(
            add_booked(&mut booked, "x", dec!(1)),
            Err(StoreError::Corrupt(_))
        ));
        let o = order(Decimal::MAX, 1);
        let a = fill("a", "g1-0-0", dec!(1));
        let booked = Booked::from([("g1-0-0".to_owned(), Decimal::MAX)]);
        assert!(matches!(
            check_new_fills(BotId(1), &[&a], |_| Some(&o), booked),
            Err(StoreError::FillRefused { .. })
        ));
    }
}
