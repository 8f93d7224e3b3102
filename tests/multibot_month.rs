//! Five bots of three users (trend bots long and short, grids long, short
//! and neutral) run together over a month of real
//! 1-minute BTC and ETH candles on the paper exchange with the in-memory
//! store. For every bot and every account, the money must add up exactly:
//! equity change = realised + unrealised − fees; stopping closes each
//! position and books its PnL.

mod multibot_sim;

use gridbot_core::model::{BotStatus, Symbol};
use gridbot_core::ports::{Exchange, Store};
use gridbot_core::Decimal;
use multibot_sim::*;

#[tokio::test]
async fn five_bots_over_a_month_keep_exact_accounts_and_stop_flat() {
    let (Some(btc), Some(eth)) = (load("binance_BTCUSDT_1m.csv"), load("binance_ETHUSDT_1m.csv")) else {
        return;
    };
    let steps = timeline(&[
        (Symbol::new("BTCUSDT").unwrap(), btc),
        (Symbol::new("ETHUSDT").unwrap(), eth),
    ]);
    let start = steps[0][0].1.ts + 60_000;
    let store = std::sync::Arc::new(gridbot_store::MemoryStore::new());
    let sim = Sim::build(fresh_venue(&steps[0]), store.clone(), Tripwire::never(), start).await;
    start_plan(&sim, month_plan()).await;
    let t0 = std::time::Instant::now();
    for step in &steps[1..] {
        sim.step(step).await.unwrap();
    }
    eprintln!("{} steps in {:?}", steps.len(), t0.elapsed());

    let mut any_trades = 0;
    for (i, (user, account)) in sim.accounts.iter().enumerate() {
        let bots = store.bots_for_user(*user, None).await.unwrap();
        let mut sum_pnl = Decimal::ZERO;
        for b in &bots {
            assert_eq!(b.status, BotStatus::Running, "{} {:?}", b.name, b.error_message);
            let s = &b.stats;
            let fills = store.fills_for_bot(b.id, usize::MAX).await.unwrap();
            assert_eq!(s.fills, fills.len() as u64, "{}: every fill booked once", b.name);
            let fees: Decimal = fills.iter().map(|f| f.fill.fee).sum();
            let realized: Decimal = fills.iter().map(|f| f.fill.realized_pnl).sum();
            assert_eq!(s.fees, fees, "{}: fees", b.name);
            assert_eq!(
                s.realized_pnl, realized,
                "{}: realised PnL matches the exchange's",
                b.name
            );
            let pos = account.position(&b.symbol).await.unwrap();
            assert_eq!(s.position_qty, pos.qty, "{}: position", b.name);
            any_trades += s.round_trips;
            sum_pnl += s.total_pnl();
        }
        let equity = account.balance().await.unwrap().equity;
        // To 1e-12 USDT: average entry prices are divisions that Decimal
        // rounds at 28 significant digits, in a different order per side.
        assert_eq!(
            (equity - Decimal::from(DEPOSIT)).round_dp(12),
            sum_pnl.round_dp(12),
            "user {i}: equity change = Σ bot PnL"
        );
    }
    assert!(any_trades > 10, "the bots traded ({any_trades} round trips)");

    for (user, account) in &sim.accounts {
        for b in store.bots_for_user(*user, None).await.unwrap() {
            let stopped = sim.manager.stop_bot(*user, b.id).await.unwrap();
            assert_eq!(stopped.status, BotStatus::Stopped);
            assert_eq!(stopped.stats.position_qty, Decimal::ZERO, "{}: flat after stop", b.name);
            assert_eq!(stopped.stats.unrealized_pnl, Decimal::ZERO);
            assert!(account.position(&b.symbol).await.unwrap().is_flat());
            assert!(account.open_orders(&b.symbol).await.unwrap().is_empty());
            let left = store.orders_for_bot(b.id, true).await.unwrap();
            assert!(left.is_empty(), "{}: no order left intended or open: {left:?}", b.name);
        }
        let bots = store.bots_for_user(*user, None).await.unwrap();
        let booked: Decimal = bots.iter().map(|b| b.stats.realized_pnl - b.stats.fees).sum();
        let equity = account.balance().await.unwrap().equity;
        assert_eq!(
            (equity - Decimal::from(DEPOSIT)).round_dp(12),
            booked.round_dp(12),
            "stop books every PnL"
        );
        let summary = sim.manager.summary(*user).await.unwrap();
        assert_eq!((summary.used_amount, summary.active_bot_count), (Decimal::ZERO, 0));
    }
}
