//! One account's resting orders on one symbol: bids and asks keyed by price
//! in integer ticks, FIFO within a price.
//!
//! The book stores order *slots* (indices into the account's order list),
//! never the orders themselves, so matching moves no strings. A walk down to
//! a price finds the touched bids in `O(log n + k)`: the highest bid first,
//! then the next, until the next bid is below the walk's bound.

use std::collections::BTreeSet;

use crate::model::Side;

/// Index of an order in its account's order list.
pub type Slot = u32;

/// Resting orders of one account on one symbol, by price.
///
/// Both sides are ordered sets of `(ticks, key)` (no allocation per price
/// level): bids use `key = −slot`, so the largest entry is the highest price
/// and, within it, the oldest order; asks use `key = slot`, so the smallest
/// entry is the lowest price and the oldest order.
#[derive(Debug, Clone, Default)]
pub struct OrderBook {
    bids: BTreeSet<(i64, i64)>,
    asks: BTreeSet<(i64, i64)>,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        OrderBook::default()
    }

    fn key(side: Side, ticks: i64, slot: Slot) -> (i64, i64) {
        match side {
            Side::Buy => (ticks, -i64::from(slot)),
            Side::Sell => (ticks, i64::from(slot)),
        }
    }

    fn slot_of(key: i64) -> Slot {
        Slot::try_from(key.unsigned_abs()).unwrap_or(Slot::MAX)
    }

    /// Rests `slot` on `side` at `ticks`, behind orders already at that price
    /// (slots grow with placement time).
    pub fn insert(&mut self, side: Side, ticks: i64, slot: Slot) {
        let key = Self::key(side, ticks, slot);
        match side {
            Side::Buy => self.bids.insert(key),
            Side::Sell => self.asks.insert(key),
        };
    }

    /// Removes `slot` from `side` at `ticks`; false when it was not there.
    pub fn remove(&mut self, side: Side, ticks: i64, slot: Slot) -> bool {
        let key = Self::key(side, ticks, slot);
        match side {
            Side::Buy => self.bids.remove(&key),
            Side::Sell => self.asks.remove(&key),
        }
    }

    /// The first bid a walk down to `min_ticks` touches: the highest bid at
    /// or above `min_ticks`, oldest first within the price.
    pub fn first_bid_at_or_above(&self, min_ticks: i64) -> Option<(i64, Slot)> {
        let &(ticks, key) = self.bids.last()?;
        (ticks >= min_ticks).then(|| (ticks, Self::slot_of(key)))
    }

    /// The first ask a walk up to `max_ticks` touches: the lowest ask at or
    /// below `max_ticks`, oldest first within the price.
    pub fn first_ask_at_or_below(&self, max_ticks: i64) -> Option<(i64, Slot)> {
        let &(ticks, key) = self.asks.first()?;
        (ticks <= max_ticks).then(|| (ticks, Self::slot_of(key)))
    }

    /// Every resting slot: bids from the highest price, then asks from the
    /// lowest, oldest first within a price.
    pub fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        let bids = self.bids.iter().rev().map(|&(_, k)| Self::slot_of(k));
        let asks = self.asks.iter().map(|&(_, k)| Self::slot_of(k));
        bids.chain(asks)
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// True when nothing rests.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Removes every order.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
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
