//! One account's resting orders on one symbol: bids and asks keyed by price
//! in integer ticks, FIFO within a price.
//!
//! The book stores order *slots* (indices into the account's order list),
//! never the orders themselves, so matching moves no strings. A walk down to
//! a price finds the touched bids in `O(log n + k)`: the highest bid first,
//! then the next, until the next bid is below the walk's bound.

use std::collections::{BTreeMap, VecDeque};

use crate::model::Side;

/// Index of an order in its account's order list.
pub type Slot = u32;

/// Resting orders of one account on one symbol, by price.
#[derive(Debug, Clone, Default)]
pub struct OrderBook {
    bids: BTreeMap<i64, VecDeque<Slot>>,
    asks: BTreeMap<i64, VecDeque<Slot>>,
    len: usize,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        OrderBook::default()
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<i64, VecDeque<Slot>> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Rests `slot` on `side` at `ticks`, behind orders already at that price.
    pub fn insert(&mut self, side: Side, ticks: i64, slot: Slot) {
        self.side_mut(side).entry(ticks).or_default().push_back(slot);
        self.len += 1;
    }

    /// Removes `slot` from `side` at `ticks`; false when it was not there.
    pub fn remove(&mut self, side: Side, ticks: i64, slot: Slot) -> bool {
        let book = self.side_mut(side);
        let Some(level) = book.get_mut(&ticks) else {
            return false;
        };
        let Some(pos) = level.iter().position(|s| *s == slot) else {
            return false;
        };
        level.remove(pos);
        if level.is_empty() {
            book.remove(&ticks);
        }
        self.len -= 1;
        true
    }

    /// The first bid a walk down to `min_ticks` touches: the highest bid at
    /// or above `min_ticks`, oldest first within the price.
    pub fn first_bid_at_or_above(&self, min_ticks: i64) -> Option<(i64, Slot)> {
        let (&ticks, level) = self.bids.last_key_value()?;
        if ticks < min_ticks {
            return None;
        }
        level.front().map(|s| (ticks, *s))
    }

    /// The first ask a walk up to `max_ticks` touches: the lowest ask at or
    /// below `max_ticks`, oldest first within the price.
    pub fn first_ask_at_or_below(&self, max_ticks: i64) -> Option<(i64, Slot)> {
        let (&ticks, level) = self.asks.first_key_value()?;
        if ticks > max_ticks {
            return None;
        }
        level.front().map(|s| (ticks, *s))
    }

    /// Every resting slot: bids from the highest price, then asks from the
    /// lowest, FIFO within a price.
    pub fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        let bids = self.bids.values().rev().flat_map(|l| l.iter().copied());
        let asks = self.asks.values().flat_map(|l| l.iter().copied());
        bids.chain(asks)
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing rests.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every order.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_down_touches_the_highest_bid_first_and_fifo_within_a_price() {
        let mut b = OrderBook::new();
        b.insert(Side::Buy, 100, 1);
        b.insert(Side::Buy, 105, 2);
        b.insert(Side::Buy, 105, 3);
        b.insert(Side::Sell, 110, 4);
        assert_eq!(b.first_bid_at_or_above(101), Some((105, 2)));
        assert!(b.remove(Side::Buy, 105, 2));
        assert_eq!(b.first_bid_at_or_above(101), Some((105, 3)));
        assert!(b.remove(Side::Buy, 105, 3));
        assert_eq!(b.first_bid_at_or_above(101), None);
        assert_eq!(b.first_ask_at_or_below(109), None);
        assert_eq!(b.first_ask_at_or_below(110), Some((110, 4)));
        assert_eq!(b.slots().collect::<Vec<_>>(), vec![1, 4]);
        assert!(!b.remove(Side::Sell, 111, 4));
        assert_eq!(b.len(), 2);
    }
}
