//! One grid cell's state: the side of its one order, the order's generation,
//! what has filled of it, and the open leg of the round trip it holds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{ClientOrderId, OrderOwner, OrderRole, Side};

/// A cell `[P_c, P_c+1]`.
///
/// The cell is *flat* while its order is on its `home` side (long grids:
/// buy; short grids: sell; neutral grids: the side it had at start) and
/// *holds* `q` (long for a buy home, short for a sell home) while its order
/// is on the other side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cell {
    /// Side of the current order: buy at `P_c`, sell at `P_c+1`.
    pub side: Side,
    /// The side on which the cell holds nothing.
    pub home: Side,
    /// Generation of the current order (its client id's last part).
    pub generation: u64,
    /// False after a rejection: the order must be placed again (with this,
    /// already incremented, generation) on the next price event.
    pub placed: bool,
    /// The holding came from the initial market order, not from a fill of
    /// this cell: closing it is not a grid round trip.
    pub seeded: bool,
    /// Quantity filled of the current order.
    pub filled: Decimal,
    /// Σ price × qty of the current order's fills.
    pub value: Decimal,
    /// Σ fees of the current order's fills.
    pub fees: Decimal,
    /// Value of the completed opening leg the cell holds.
    pub open_value: Decimal,
    /// Fees of that opening leg.
    pub open_fees: Decimal,
    /// Completed round trips (open and close, both from this cell).
    pub round_trips: u64,
    /// Σ profit of those round trips after both legs' fees.
    pub profit: Decimal,
    /// Fill ids of the current order while it is partly filled (duplicates
    /// of them are ignored); cleared when it completes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fill_ids: Vec<String>,
}

impl Cell {
    /// A cell waiting on `side` at start.
    pub fn new(side: Side, home: Side) -> Self {
        Cell {
            side,
            home,
            generation: 0,
            placed: true,
            seeded: side != home,
            filled: Decimal::ZERO,
            value: Decimal::ZERO,
            fees: Decimal::ZERO,
            open_value: Decimal::ZERO,
            open_fees: Decimal::ZERO,
            round_trips: 0,
            profit: Decimal::ZERO,
            fill_ids: Vec::new(),
        }
    }

    /// True while the cell holds its quantity.
    pub fn holding(&self) -> bool {
        self.side != self.home
    }

    /// Books one fill of the current order, whose quantity is `target`.
    /// When the order is complete the cell flips to the other side with a
    /// new generation; the result says which leg completed.
    pub fn book(&mut self, price: Decimal, qty: Decimal, fee: Decimal, target: Decimal) -> LegResult {
        self.filled += qty;
        self.value += price * qty;
        self.fees += fee;
        if self.filled < target {
            return LegResult::Partial;
        }
        let result = if self.side == self.home {
            self.open_value = self.value;
            self.open_fees = self.fees;
            self.seeded = false;
            LegResult::Opened
        } else if self.seeded {
            self.seeded = false;
            LegResult::ClosedSeed
        } else {
            let gross = match self.home {
                Side::Buy => self.value - self.open_value,
                Side::Sell => self.open_value - self.value,
            };
            let profit = gross - self.open_fees - self.fees;
            self.round_trips += 1;
            self.profit += profit;
            self.open_value = Decimal::ZERO;
            self.open_fees = Decimal::ZERO;
            LegResult::RoundTrip(profit)
        };
        // Flip: the other side, a new order.
        self.side = self.side.opposite();
        self.generation += 1;
        self.filled = Decimal::ZERO;
        self.value = Decimal::ZERO;
        self.fees = Decimal::ZERO;
        self.fill_ids.clear();
        result
    }
}

/// What a fill did to its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegResult {
    /// The order is still partly open.
    Partial,
    /// The opening leg completed; the cell now holds.
    Opened,
    /// A holding from the initial market order was closed (no round trip).
    ClosedSeed,
    /// A round trip completed with this profit after fees.
    RoundTrip(Decimal),
}

/// Which of the bot's orders a client id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderRef {
    /// Cell `cell`'s order number `generation`.
    Cell {
        /// Cell index.
        cell: usize,
        /// Generation.
        generation: u64,
    },
    /// The initial market order number `generation`.
    Init(u64),
    /// The position-closing order number `generation`.
    Close(u64),
}

/// Tag of the initial market order's client id.
pub(super) const INIT_TAG: &str = "init";
/// Tag of the closing order's client id.
pub(super) const CLOSE_TAG: &str = "close";

/// Which of `owner`'s orders a client id names; anything else (another
/// bot's, another installation's, a foreign id) is `None`. The format is
/// [`ClientOrderId`]'s; no allocation.
pub(super) fn parse_id(id: &ClientOrderId, owner: OrderOwner) -> Option<OrderRef> {
    let p = id.parse()?;
    if p.owner != owner {
        return None;
    }
    match p.role {
        OrderRole::Cell { cell, generation } => Some(OrderRef::Cell {
            cell: usize::try_from(cell).ok()?,
            generation,
        }),
        OrderRole::Action {
            tag: INIT_TAG,
            generation,
        } => Some(OrderRef::Init(generation)),
        OrderRole::Action {
            tag: CLOSE_TAG,
            generation,
        } => Some(OrderRef::Close(generation)),
        OrderRole::Action { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BotId;

    #[test]
    fn ids_are_parsed_only_for_their_own_bot() {
        let bot = BotId(7);
        assert_eq!(
            parse_id(&ClientOrderId::grid(bot, 12, 3), bot.into()),
            Some(OrderRef::Cell {
                cell: 12,
                generation: 3
            })
        );
        assert_eq!(
            parse_id(&ClientOrderId::action(bot, INIT_TAG, 2), bot.into()),
            Some(OrderRef::Init(2))
        );
        assert_eq!(
            parse_id(&ClientOrderId::action(bot, CLOSE_TAG, 0), bot.into()),
            Some(OrderRef::Close(0))
        );
        assert_eq!(parse_id(&ClientOrderId::grid(BotId(8), 12, 3), bot.into()), None);
        assert_eq!(parse_id(&ClientOrderId::action(bot, "open", 1), bot.into()), None);
        assert_eq!(parse_id(&ClientOrderId::new("foreign"), bot.into()), None);
        assert_eq!(parse_id(&ClientOrderId::new("g7-x-1"), bot.into()), None);
    }
}
