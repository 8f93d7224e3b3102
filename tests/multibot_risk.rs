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
use gridbot_core::runner::{RunnerOptions, Supervisor};
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
    let rest = OrderRequest::limit(
        gridbot_core::model::ClientOrderId::action(bot.id, "add", 1),
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
    async fn launch(&self, _bot: gridbot_core::model::Bot) -> Result<(), gridbot_core::manager::ManagerError> {
        Ok(())
    }
    async fn stop(&self, _bot: gridbot_core::model::Bot) -> Result<(), gridbot_core::manager::ManagerError> {
        Ok(())
    }
    fn is_running(&self, _bot: gridbot_core::model::BotId) -> bool {
        false
    }
}
