//! The daily loss limit: when a user's PnL since 00:00 UTC reaches the
//! limit, the supervisor pauses the user's bots (orders cancelled, position
//! closed when the user chose so), records a `risk.daily_loss` alert, and the
//! manager refuses new starts until the next UTC day.

mod multibot_sim;

use std::sync::Arc;

use gridbot_core::balance::Investment;
use gridbot_core::clock::ManualClock;
use gridbot_core::manager::{EventBus, ExchangeMap, MultiBotManager};
use gridbot_core::model::{BotStatus, Candle, Interval, OrderRequest, RiskSettings, Side, Symbol, TrendDirection};
use gridbot_core::ports::{Exchange, MarketData, Store};
use gridbot_core::risk::DAY_MS;
use gridbot_core::runner::{LeaseOptions, RunnerOptions, Supervisor};
use gridbot_core::Decimal;
use gridbot_store::MemoryStore;
use multibot_sim::*;
use rust_decimal_macros::dec;

fn candle(ts: i64, price: Decimal) -> Candle {
    Candle {
        ts,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: dec!(1),
    }
}

#[tokio::test]
async fn reaching_the_daily_loss_limit_pauses_the_users_bots_and_refuses_new_starts() {
    let day = 18_700 * DAY_MS;
    let btc = Symbol::new("BTCUSDT").unwrap();
    let venue = fresh_venue(&[(btc.clone(), candle(day, dec!(30000)))]);
    let store = Arc::new(MemoryStore::new());
    let user = store.create_user("alice", "x", day).await.unwrap().id;
    let account = venue.open_account("alice", Decimal::from(DEPOSIT)).unwrap();
    let map = Arc::new(ExchangeMap::new());
    map.insert(user, Arc::new(account.clone()));
    // Started yesterday evening.
    let clock = Arc::new(ManualClock::new(day - 120_000));
    let store_dyn: Arc<dyn Store> = store.clone();
    let market: Arc<dyn MarketData> = Arc::new(gridbot_core::ports::mocks::MockMarketData::new());
    let events = EventBus::new();
    let supervisor = Supervisor::new(
        store_dyn.clone(),
        map.clone(),
        market,
        clock.clone(),
        events.clone(),
        RunnerOptions::default(),
    );
    let manager = MultiBotManager::new(store_dyn, map, Arc::new(NoTasks), clock.clone(), events);

    let mut risk = RiskSettings::default_for(user);
    risk.daily_loss_limit = Some(dec!(50));
    risk.close_positions_on_pause = true;
    store.put_risk_settings(&risk).await.unwrap();
    let t = store
        .upsert_template(&trend_template(
            "BTCUSDT",
            TrendDirection::Long,
            Interval::M1,
            5,
            13,
            5,
            dec!(0),
            dec!(0),
        ))
        .await
        .unwrap();
    let bot = manager
        .start_from_template(user, t.id, Investment::Amount(dec!(1000)))
        .await
        .unwrap();
    // The bot made 60 USDT by midnight and nothing since: its PnL today is
    // −60 against a 50 USDT limit. It has an order resting.
    let point = gridbot_core::model::EquitySnapshot {
        bot_id: bot.id,
        ts: day - 60_000,
        equity: dec!(1060),
        pnl: dec!(60),
    };
    store.insert_equity_snapshots(&[point]).await.unwrap();
    let tag = store.installation_tag().await.unwrap();
    let rest = OrderRequest::limit(
        gridbot_core::model::ClientOrderId::action(gridbot_core::model::OrderOwner::new(tag, bot.id), "add", 1),
        btc.clone(),
        Side::Buy,
        dec!(20000),
        dec!(0.01),
    );
    account.place_orders(&[rest]).await.unwrap().remove(0).unwrap();
    store
        .set_bot_status(bot.id, BotStatus::Running, None, day)
        .await
        .unwrap();
    clock.set(day + 3_600_000);

    assert!(supervisor.check_daily_loss(user).await.unwrap(), "limit reached");
    let paused = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(paused.status, BotStatus::Paused);
    assert!(paused.error_message.unwrap().contains("daily loss limit"));
    assert!(account.open_orders(&btc).await.unwrap().is_empty(), "orders cancelled");
    let alerts = store.events_for_user(user, 20).await.unwrap();
    assert!(alerts.iter().any(|e| e.kind == "risk.daily_loss"), "{alerts:?}");

    let other = store
        .upsert_template(&trend_template(
            "ETHUSDT",
            TrendDirection::Long,
            Interval::M1,
            5,
            13,
            2,
            dec!(0),
            dec!(0),
        ))
        .await
        .unwrap();
    let err = manager
        .start_from_template(user, other.id, Investment::Amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.http_status()), ("daily_loss_limit", 409));
    // The paused bot keeps its allocation.
    let s = manager.summary(user).await.unwrap();
    assert_eq!((s.used_amount, s.active_bot_count), (dec!(1000), 1));
}

/// A launcher that starts nothing (the test drives the supervisor itself).
struct NoTasks;

#[async_trait::async_trait]
impl gridbot_core::manager::BotLauncher for NoTasks {
    async fn launch(&self, _bot: gridbot_core::model::Bot) -> Result<(), gridbot_core::runner::RunnerError> {
        Ok(())
    }
    async fn stop(&self, _bot: gridbot_core::model::Bot) -> Result<(), gridbot_core::runner::RunnerError> {
        Ok(())
    }
    fn is_running(&self, _bot: gridbot_core::model::BotId) -> bool {
        false
    }
}

/// One step of the pause scenario: BTC and ETH candles at minute `m` of the day.
fn walk(day: i64, m: i64, btc: Decimal, eth: Decimal, prev: (Decimal, Decimal)) -> Vec<(Symbol, Candle)> {
    let c = |open: Decimal, close: Decimal| Candle {
        ts: day + m * 60_000,
        open,
        high: open.max(close),
        low: open.min(close),
        close,
        volume: dec!(1),
    };
    vec![
        (Symbol::new("BTCUSDT").unwrap(), c(prev.0, btc)),
        (Symbol::new("ETHUSDT").unwrap(), c(prev.1, eth)),
    ]
}

/// Every bot of `user` booked each of its fills once, its fees and realised
/// PnL are the exchange's, its position is the account's, and the account's
/// equity change is the sum of the bots' total PnL (realised + unrealised −
/// fees), to 1e-12 USDT.
async fn assert_books_exact(sim: &Sim, user: gridbot_core::model::UserId, account: &gridbot_core::paper::PaperAccount) {
    let mut sum = Decimal::ZERO;
    for b in sim.store.bots_for_user(user, None).await.unwrap() {
        let fills = sim.store.fills_for_bot(b.id, usize::MAX).await.unwrap();
        let s = &b.stats;
        assert_eq!(s.fills, fills.len() as u64, "{}: every fill booked once", b.name);
        assert_eq!(
            s.fees,
            fills.iter().map(|f| f.fill.fee).sum::<Decimal>(),
            "{}: fees",
            b.name
        );
        let realized: Decimal = fills.iter().map(|f| f.fill.realized_pnl).sum();
        assert_eq!(
            s.realized_pnl.round_dp(12),
            realized.round_dp(12),
            "{}: realised",
            b.name
        );
        assert_eq!(
            s.position_qty,
            account.position(&b.symbol).await.unwrap().qty,
            "{}: position",
            b.name
        );
        sum += s.total_pnl();
    }
    let equity = account.balance().await.unwrap().equity;
    assert_eq!(
        (equity - Decimal::from(DEPOSIT)).round_dp(12),
        sum.round_dp(12),
        "equity change = Σ realised + unrealised − fees"
    );
}

/// A long grid (BTC) and a long trend bot (ETH) of one user lose money; the
/// daily loss limit pauses both, closing or keeping their positions as the
/// user's setting says; the next day the user resumes them and they trade on.
async fn daily_loss_pause_scenario(close_positions: bool) {
    let day = 18_700 * DAY_MS;
    let (btc, eth) = (Symbol::new("BTCUSDT").unwrap(), Symbol::new("ETHUSDT").unwrap());
    let first = vec![
        (btc.clone(), candle(day, dec!(30000))),
        (eth.clone(), candle(day, dec!(3000))),
    ];
    let sim = Sim::build(
        fresh_venue(&first),
        Arc::new(MemoryStore::new()),
        Tripwire::never(),
        day + 60_000,
    )
    .await;
    let (user, account) = (sim.user(0), sim.accounts[0].1.clone());
    let trend = trend_template("ETHUSDT", TrendDirection::Long, Interval::M1, 2, 4, 2, dec!(0), dec!(0));
    start_plan(
        &sim,
        vec![
            (
                0,
                grid("BTCUSDT", 25000, 35000, 10, gridbot_core::grid::GridMode::Long, 2),
                dec!(2000),
            ),
            (0, PlanBot::Trend(trend), dec!(1000)),
        ],
    )
    .await;
    // BTC falls 100 a minute (the grid buys its way down); ETH falls, jumps
    // (the trend bot buys at the cross up) and drifts just below the entry.
    let mut prev = (dec!(30000), dec!(3000));
    for m in 1..=30i64 {
        let btc_px = dec!(30000) - Decimal::from(100 * m);
        let eth_px = match m {
            1..=10 => dec!(3000) - Decimal::from(10 * m),
            11 => dec!(3000),
            _ => dec!(2990),
        };
        sim.step(&walk(day, m, btc_px, eth_px, prev)).await.unwrap();
        prev = (btc_px, eth_px);
    }
    let bots = sim.store.bots_for_user(user, None).await.unwrap();
    assert!(
        bots.iter().all(|b| !b.stats.position_qty.is_zero()),
        "both bots hold a position"
    );
    assert_books_exact(&sim, user, &account).await;

    let map = Arc::new(ExchangeMap::new());
    map.insert(user, Arc::new(account.clone()));
    let store: Arc<dyn Store> = sim.store.clone();
    // The same process as the simulation's runners (its lease name).
    let supervisor = Supervisor::with_leases(
        store,
        map,
        Arc::new(gridbot_core::ports::mocks::MockMarketData::new()),
        sim.clock.clone(),
        EventBus::new(),
        RunnerOptions::default(),
        LeaseOptions::named("simulation"),
    );
    let mut risk = RiskSettings::default_for(user);
    risk.daily_loss_limit = Some(dec!(20));
    risk.close_positions_on_pause = close_positions;
    sim.store.put_risk_settings(&risk).await.unwrap();
    let held: Vec<Decimal> = bots.iter().map(|b| b.stats.position_qty).collect();

    assert!(supervisor.check_daily_loss(user).await.unwrap(), "limit reached");
    let alerts = sim.store.events_for_user(user, 50).await.unwrap();
    assert!(alerts.iter().any(|e| e.kind == "risk.daily_loss"), "{alerts:?}");
    let word = if close_positions {
        "position closed"
    } else {
        "position kept"
    };
    assert_eq!(
        alerts
            .iter()
            .filter(|e| e.kind == "bot.paused" && e.message.ends_with(word))
            .count(),
        2
    );
    for (b, held) in sim.store.bots_for_user(user, None).await.unwrap().iter().zip(held) {
        assert_eq!(b.status, BotStatus::Paused, "{}", b.name);
        assert!(b.error_message.as_deref().unwrap_or("").contains("daily loss limit"));
        assert!(
            account.open_orders(&b.symbol).await.unwrap().is_empty(),
            "{}: orders cancelled",
            b.name
        );
        assert!(
            sim.store.orders_for_bot(b.id, true).await.unwrap().is_empty(),
            "{}: none left open",
            b.name
        );
        let expected = if close_positions { Decimal::ZERO } else { held };
        assert_eq!(b.stats.position_qty, expected, "{}: position as configured", b.name);
        if close_positions {
            assert_eq!(b.stats.unrealized_pnl, Decimal::ZERO, "{}: PnL realised", b.name);
        }
    }
    assert_books_exact(&sim, user, &account).await;

    // The next day the user resumes both; the grid has one order per cell
    // again and both trade on with exact books.
    let next = day + DAY_MS;
    sim.clock.set(next);
    for b in sim.store.bots_for_user(user, None).await.unwrap() {
        let b = sim.manager.resume_bot(user, b.id).await.unwrap();
        assert_eq!(b.status, BotStatus::Running, "{}", b.name);
    }
    assert_eq!(account.open_orders(&btc).await.unwrap().len(), 10, "one order per cell");
    assert_books_exact(&sim, user, &account).await;
    // Up 2500, down 2000, up 1500: cells open and close again.
    for m in 1..=60i64 {
        let up = match m {
            1..=25 => 100 * m,
            26..=45 => 2500 - 100 * (m - 25),
            _ => 500 + 100 * (m - 45),
        };
        let btc_px = dec!(27000) + Decimal::from(up);
        sim.step(&walk(next, m, btc_px, dec!(2990), prev)).await.unwrap();
        prev = (btc_px, dec!(2990));
    }
    let grid_bot = sim
        .store
        .bots_for_user(user, None)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.symbol == btc)
        .unwrap();
    assert!(grid_bot.stats.round_trips > 0, "the resumed grid completed round trips");
    assert_eq!(account.open_orders(&btc).await.unwrap().len(), 10, "one order per cell");
    assert_books_exact(&sim, user, &account).await;
}

#[tokio::test]
async fn the_daily_loss_limit_closes_grid_and_trend_positions_when_the_user_chose_so() {
    daily_loss_pause_scenario(true).await;
}

#[tokio::test]
async fn the_daily_loss_limit_keeps_grid_and_trend_positions_when_the_user_chose_so() {
    daily_loss_pause_scenario(false).await;
}
