//! Strategy templates users start trend bots from: the default set and the
//! order they are listed in.
//!
//! The default set has one long and one short EMA-crossover template for each
//! major USDT-M perpetual ([`DEFAULT_SYMBOLS`]). Majors (BTC, ETH) trade the
//! 9/21 EMA on 15-minute candles at 5× with a 2 % stop-loss and a 4 %
//! take-profit; the others the same EMAs at 3× with 3 % / 6 %, because they
//! move more. BTC long and ETH long are featured. Amounts are 10–100000 USDT
//! (the manager's global bounds) except BTC and ETH which start at 50 USDT so
//! that one lot fits at 5×.
//!
//! Listing order ([`sort_for_listing`]): active before inactive, featured
//! before the rest, then by id (the owner's contract: "featured first, then
//! by id"; the defaults are inserted by symbol, long before short).

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::error::StoreError;
use crate::model::{Interval, StrategyTemplate, Symbol, TrendDirection};
use crate::ports::Store;

/// The symbols the default templates cover.
pub const DEFAULT_SYMBOLS: [&str; 7] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT",
];

/// The default template set, ids 0 (to be assigned by the store).
pub fn default_templates() -> Vec<StrategyTemplate> {
    let mut out = Vec::with_capacity(DEFAULT_SYMBOLS.len() * 2);
    for s in DEFAULT_SYMBOLS {
        let Ok(symbol) = Symbol::new(s) else { continue };
        let major = matches!(s, "BTCUSDT" | "ETHUSDT");
        let (leverage, sl, tp, min) = if major {
            (5, Decimal::TWO, Decimal::from(4), Decimal::from(50))
        } else {
            (3, Decimal::from(3), Decimal::from(6), Decimal::TEN)
        };
        for direction in [TrendDirection::Long, TrendDirection::Short] {
            let (word, verb) = match direction {
                TrendDirection::Long => ("Long", "Buys when the 9 EMA crosses above the 21 EMA"),
                TrendDirection::Short => ("Short", "Sells when the 9 EMA crosses below the 21 EMA"),
            };
            let mut t = StrategyTemplate::ema_crossover(
                format!("{} Trend {word}", symbol.base()),
                symbol.clone(),
                format!(
                    "{verb} on closed 15-minute candles and exits on the opposite cross, \
                     {leverage}x leverage, stop-loss {sl}% and take-profit {tp}% from the entry."
                ),
                direction,
                leverage,
                sl,
                tp,
                min,
                Decimal::from(100_000),
                Interval::M15,
                9,
                21,
            );
            t.is_featured = major && direction == TrendDirection::Long;
            out.push(t);
        }
    }
    out
}

/// Orders templates for listing: active first, featured first, then by id.
pub fn sort_for_listing(templates: &mut [StrategyTemplate]) {
    templates.sort_by(listing_order);
}

fn listing_order(a: &StrategyTemplate, b: &StrategyTemplate) -> Ordering {
    b.is_active
        .cmp(&a.is_active)
        .then(b.is_featured.cmp(&a.is_featured))
        .then(a.id.cmp(&b.id))
}

/// Inserts the default templates when the store has none; returns how many
/// were inserted (0 when templates already exist, so user edits survive).
pub async fn seed_default_templates(store: &dyn Store) -> Result<usize, StoreError> {
    if !store.templates().await?.is_empty() {
        return Ok(0);
    }
    let defaults = default_templates();
    for t in &defaults {
        store.upsert_template(t).await?;
    }
    Ok(defaults.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TemplateId;
    use crate::ports::mocks::MockStore;

    #[test]
    fn defaults_cover_the_major_symbols_long_and_short_with_valid_bounds() {
        let t = default_templates();
        assert_eq!(t.len(), 14);
        for s in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"] {
            for d in [TrendDirection::Long, TrendDirection::Short] {
                assert!(
                    t.iter().any(|x| x.symbol.as_str() == s && x.direction == d),
                    "{s} {d:?}"
                );
            }
        }
        for x in &t {
            assert!(x.is_active && x.fast_period < x.slow_period && x.leverage >= 1);
            assert!(x.min_investment >= Decimal::TEN && x.max_investment <= Decimal::from(100_000));
            assert!(x.min_investment < x.max_investment);
            assert_eq!(x.strategy_type, "ema_crossover");
        }
    }

    #[test]
    fn listing_puts_active_then_featured_first() {
        let mut t = default_templates();
        for (i, x) in t.iter_mut().enumerate() {
            x.id = TemplateId(i as i64 + 1);
        }
        t[0].is_active = false; // BTC long, featured but inactive
        sort_for_listing(&mut t);
        assert!(t[0].is_featured && t[0].is_active && t[0].symbol.as_str() == "ETHUSDT");
        assert!(!t.last().unwrap().is_active);
        let first_plain = t.iter().position(|x| !x.is_featured).unwrap();
        assert!(t[first_plain..t.len() - 1]
            .iter()
            .all(|x| x.is_active && !x.is_featured));
    }

    #[tokio::test]
    async fn seeding_inserts_defaults_only_into_an_empty_store() {
        let mut store = MockStore::new();
        store.expect_templates().times(1).returning(|| Ok(Vec::new()));
        store.expect_upsert_template().times(14).returning(|t| Ok(t.clone()));
        assert_eq!(seed_default_templates(&store).await.unwrap(), 14);

        let mut store = MockStore::new();
        store.expect_templates().returning(|| Ok(default_templates()));
        store.expect_upsert_template().never();
        assert_eq!(seed_default_templates(&store).await.unwrap(), 0);
    }
}
