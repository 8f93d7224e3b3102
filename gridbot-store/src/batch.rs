//! Shaping a batch before it is written, the same way in every store.
//!
//! - Orders: a client id named twice in one batch is written once, at the
//!   position of its first occurrence, with the values of its last (as if
//!   the batch were applied in order).
//! - Fills: grouped by bot, keeping each bot's fills in batch order; a fill
//!   id named twice for one bot is kept once, at its first occurrence (the
//!   later ones are replays of it).

use std::collections::{HashMap, HashSet};

use gridbot_core::model::{BotId, BotOrder, Fill, FillRecord};

/// The orders to write, one per client id (see the module docs).
pub(crate) fn dedupe_orders(orders: &[BotOrder]) -> Vec<&BotOrder> {
    let mut at: HashMap<&str, usize> = HashMap::with_capacity(orders.len());
    let mut out: Vec<&BotOrder> = Vec::with_capacity(orders.len());
    for o in orders {
        match at.get(o.client_id.as_str()) {
            Some(&i) => out[i] = o,
            None => {
                at.insert(o.client_id.as_str(), out.len());
                out.push(o);
            }
        }
    }
    out
}

/// The fills grouped by bot, bots in order of first appearance, each
/// bot's fills deduplicated by [`dedupe_fills`].
pub(crate) fn group_fills_by_bot(fills: &[FillRecord]) -> Vec<(BotId, Vec<&Fill>)> {
    let mut groups: Vec<(BotId, Vec<&Fill>)> = Vec::new();
    for r in fills {
        match groups.iter_mut().find(|(id, _)| *id == r.bot_id) {
            Some((_, g)) => g.push(&r.fill),
            None => groups.push((r.bot_id, vec![&r.fill])),
        }
    }
    for (_, g) in &mut groups {
        *g = dedupe_fills(g.iter().copied());
    }
    groups
}

/// One bot's fills with each fill id once, at its first occurrence.
pub(crate) fn dedupe_fills<'a>(fills: impl IntoIterator<Item = &'a Fill>) -> Vec<&'a Fill> {
    let mut seen: HashSet<&str> = HashSet::new();
    fills.into_iter().filter(|f| seen.insert(f.id.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use gridbot_core::model::{BotOrderStatus, ClientOrderId, Side};
    use rust_decimal::Decimal;

    use super::*;

    fn order(id: &str, status: BotOrderStatus) -> BotOrder {
        BotOrder::new(
            ClientOrderId::new(id),
            BotId(1),
            None,
            Side::Buy,
            None,
            Decimal::ONE,
            status,
            0,
        )
    }

    #[test]
    fn a_client_id_repeated_in_a_batch_keeps_its_first_position_and_last_values() {
        let batch = [
            order("a", BotOrderStatus::Intended),
            order("b", BotOrderStatus::Intended),
            order("a", BotOrderStatus::Open),
        ];
        let out = dedupe_orders(&batch);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].client_id.as_str(), "a");
        assert_eq!(out[0].status, BotOrderStatus::Open);
        assert_eq!(out[1].client_id.as_str(), "b");
    }
}
