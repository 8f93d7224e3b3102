//! 50 concurrent guarded starts for one user, mixed symbols and amounts:
//! whatever the interleaving, the rules hold.

use std::sync::Arc;

use gridbot_core::model::UserId;
use gridbot_core::ports::Store;
use gridbot_core::StoreError;
use rust_decimal::Decimal;

use crate::common::{d, grid_bot, limits};

const SYMBOLS: [&str; 8] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT", "LTCUSDT",
];

/// Races 50 starts of `user` spread over `stores` (handles on one
/// database: several pools stand for several processes) and checks the
/// outcome: at most 5 bots, no symbol twice, allocations within the
/// balance, and every refusal one of the three rule errors.
pub async fn fifty_concurrent_starts(stores: &[Arc<dyn Store>], user: UserId) {
    let lim = limits(5, "1000");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let amount = Decimal::from(50 + (i * 37) % 400);
            let bot = grid_bot(user, SYMBOLS[(i * 5) % SYMBOLS.len()], amount);
            tokio::spawn(async move { store.start_bot_guarded(&bot, lim, i as i64).await })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => started += 1,
            Err(
                StoreError::BotLimitReached { .. }
                | StoreError::SymbolBusy { .. }
                | StoreError::InsufficientBalance { .. },
            ) => {}
            Err(e) => panic!("a start failed with something other than a rule: {e}"),
        }
    }
    let bots = stores[0].bots_for_user(user, None).await.unwrap();
    let holders: Vec<_> = bots.iter().filter(|b| b.status.holds_allocation()).collect();
    assert_eq!(holders.len(), started);
    assert!((1..=5).contains(&started), "{started} bots started");
    let mut symbols: Vec<_> = holders.iter().map(|b| b.symbol.clone()).collect();
    symbols.sort();
    symbols.dedup();
    assert_eq!(symbols.len(), holders.len(), "a symbol started twice");
    let used: Decimal = holders.iter().map(|b| b.allocation).sum();
    assert!(used <= d("1000"), "allocations {used} above the balance");
}
