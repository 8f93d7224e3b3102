//! Bots: creation, the guarded start's every refusal, activation, status
//! rules, stats, listings.

use std::sync::Arc;

use gridbot_core::model::{
    BotId, BotKind, BotSource, BotStats, BotStatus, Interval, NewBot, TemplateId, TrendConfig, TrendDirection, UserId,
};
use gridbot_core::ports::Store;
use gridbot_core::StoreError;
use serde_json::json;

use super::records::template;
use crate::common::{d, grid_bot, limits, sym};

fn trend_bot(user: UserId, symbol: &str, amount: &str, source: BotSource) -> NewBot {
    let cfg = TrendConfig::new(
        sym(symbol),
        Interval::H1,
        9,
        21,
        TrendDirection::Short,
        4,
        d("1.5"),
        d("3"),
        d(amount),
    );
    NewBot::new(user, format!("trend {symbol}"), BotKind::Trend(cfg), d(amount), source)
}

pub async fn created_bot_holds_nothing_and_round_trips_its_settings(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let t = store.upsert_template(&template("BTC trend", "BTCUSDT")).await.unwrap();
    let grid = store
        .create_bot(&grid_bot(u.id, "BTCUSDT", d("150.25")), 10)
        .await
        .unwrap();
    assert_eq!(grid.status, BotStatus::Created);
    assert_eq!(grid.symbol, sym("BTCUSDT"));
    assert_eq!(grid.created_at, 10);
    assert_eq!(grid.started_at, None);
    assert_eq!(store.bot(grid.id).await.unwrap(), Some(grid.clone()));
    let trend = store
        .create_bot(&trend_bot(u.id, "BTCUSDT", "75", BotSource::Template(t.id)), 11)
        .await
        .unwrap();
    assert_eq!(store.bot(trend.id).await.unwrap(), Some(trend.clone()));
    assert_eq!(trend.source, BotSource::Template(t.id));
    let ai = store
        .create_bot(&trend_bot(u.id, "ETHUSDT", "75", BotSource::Recommendation), 12)
        .await
        .unwrap();
    assert_eq!(
        store.bot(ai.id).await.unwrap().unwrap().source,
        BotSource::Recommendation
    );
    // Created bots hold nothing: a start on the same symbol with the whole balance passes.
    store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("100")), limits(1, "100"), 13)
        .await
        .unwrap();
    assert_eq!(store.bot(BotId(999_999)).await.unwrap(), None);
}

pub async fn decimals_are_stored_exactly(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let amount = d("1234567890.123456789012345678");
    let bot = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", amount), limits(5, "99999999999"), 0)
        .await
        .unwrap();
    let back = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(back.allocation, amount);
    assert_eq!(back.allocation.to_string(), amount.to_string(), "scale kept");
    let mut stats = BotStats::default();
    stats.realized_pnl = d("0.1000000000000000000000000001");
    stats.fees = d("-0.0000000000000000000000000001");
    store.update_bot_stats(bot.id, &stats, 1).await.unwrap();
    assert_eq!(store.bot(bot.id).await.unwrap().unwrap().stats, stats);
}

pub async fn guarded_start_refuses_the_bot_over_the_limit(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let lim = limits(5, "10000");
    let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"];
    let mut started = Vec::new();
    for s in symbols {
        started.push(
            store
                .start_bot_guarded(&grid_bot(u.id, s, d("100")), lim, 1)
                .await
                .unwrap(),
        );
    }
    assert!(started
        .iter()
        .all(|b| b.status == BotStatus::Starting && b.started_at == Some(1)));
    // Created bots do not count.
    store.create_bot(&grid_bot(u.id, "ADAUSDT", d("100")), 1).await.unwrap();
    assert_eq!(
        store
            .start_bot_guarded(&grid_bot(u.id, "BNBUSDT", d("100")), lim, 2)
            .await,
        Err(StoreError::BotLimitReached { active: 5, max: 5 })
    );
    // Paused and errored bots still hold their slot.
    store
        .set_bot_status(started[0].id, BotStatus::Paused, None, 3)
        .await
        .unwrap();
    store
        .set_bot_status(started[1].id, BotStatus::Error, Some("auth refused".into()), 3)
        .await
        .unwrap();
    assert!(matches!(
        store
            .start_bot_guarded(&grid_bot(u.id, "BNBUSDT", d("100")), lim, 4)
            .await,
        Err(StoreError::BotLimitReached { .. })
    ));
    // A stopped bot frees its slot.
    store
        .set_bot_status(started[2].id, BotStatus::Stopped, None, 5)
        .await
        .unwrap();
    store
        .start_bot_guarded(&grid_bot(u.id, "BNBUSDT", d("100")), lim, 6)
        .await
        .unwrap();
    // Another user has slots of their own.
    let v = store.create_user("bob", "h", 0).await.unwrap();
    store
        .start_bot_guarded(&grid_bot(v.id, "BNBUSDT", d("100")), lim, 7)
        .await
        .unwrap();
}

pub async fn guarded_start_refuses_a_symbol_held_by_another_bot_of_the_user(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let lim = limits(5, "10000");
    let first = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("100")), lim, 1)
        .await
        .unwrap();
    let trend = trend_bot(u.id, "BTCUSDT", "50", BotSource::Manual);
    assert_eq!(
        store.start_bot_guarded(&trend, lim, 2).await,
        Err(StoreError::SymbolBusy {
            symbol: "BTCUSDT".into()
        })
    );
    store
        .set_bot_status(first.id, BotStatus::Stopping, None, 3)
        .await
        .unwrap();
    assert!(matches!(
        store.start_bot_guarded(&trend, lim, 4).await,
        Err(StoreError::SymbolBusy { .. })
    ));
    store
        .set_bot_status(first.id, BotStatus::Stopped, None, 5)
        .await
        .unwrap();
    store.start_bot_guarded(&trend, lim, 6).await.unwrap();
    let v = store.create_user("bob", "h", 0).await.unwrap();
    store
        .start_bot_guarded(&grid_bot(v.id, "BTCUSDT", d("100")), lim, 7)
        .await
        .unwrap();
}

pub async fn guarded_start_refuses_allocations_above_the_balance(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let lim = limits(5, "1000");
    let a = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("600")), lim, 1)
        .await
        .unwrap();
    store.create_bot(&grid_bot(u.id, "XRPUSDT", d("900")), 1).await.unwrap();
    assert_eq!(
        store
            .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("400.01")), lim, 2)
            .await,
        Err(StoreError::InsufficientBalance {
            available: d("400"),
            requested: d("400.01")
        })
    );
    store
        .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("400")), lim, 3)
        .await
        .unwrap();
    assert!(matches!(
        store
            .start_bot_guarded(&grid_bot(u.id, "SOLUSDT", d("0.01")), lim, 4)
            .await,
        Err(StoreError::InsufficientBalance { .. })
    ));
    store.set_bot_status(a.id, BotStatus::Stopped, None, 5).await.unwrap();
    store
        .start_bot_guarded(&grid_bot(u.id, "SOLUSDT", d("600")), lim, 6)
        .await
        .unwrap();
    // A balance that shrank below the allocations leaves nothing available.
    assert_eq!(
        store
            .start_bot_guarded(&grid_bot(u.id, "ADAUSDT", d("10")), limits(5, "500"), 7)
            .await,
        Err(StoreError::InsufficientBalance {
            available: d("0"),
            requested: d("10")
        })
    );
}

pub async fn guarded_start_refuses_unknown_users_and_templates(store: Arc<dyn Store>) {
    let lim = limits(5, "1000");
    assert!(matches!(
        store
            .start_bot_guarded(&grid_bot(UserId(999_999), "BTCUSDT", d("10")), lim, 0)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .create_bot(&grid_bot(UserId(999_999), "BTCUSDT", d("10")), 0)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let ghost = trend_bot(u.id, "BTCUSDT", "10", BotSource::Template(TemplateId(999_999)));
    assert!(matches!(
        store.start_bot_guarded(&ghost, lim, 0).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store.bots_for_user(u.id, None).await.unwrap().is_empty(),
        "nothing written"
    );
}

pub async fn activation_applies_the_start_rules_to_created_and_stopped_bots(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let lim = limits(2, "1000");
    let btc = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("500")), 1).await.unwrap();
    let started = store.activate_bot_guarded(btc.id, lim, 2).await.unwrap();
    assert_eq!(started.status, BotStatus::Starting);
    assert_eq!(started.started_at, Some(2));
    assert!(matches!(
        store.activate_bot_guarded(btc.id, lim, 3).await,
        Err(StoreError::Conflict(_))
    ));
    let btc2 = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 4).await.unwrap();
    assert!(matches!(
        store.activate_bot_guarded(btc2.id, lim, 5).await,
        Err(StoreError::SymbolBusy { .. })
    ));
    let eth = store.create_bot(&grid_bot(u.id, "ETHUSDT", d("600")), 6).await.unwrap();
    assert_eq!(
        store.activate_bot_guarded(eth.id, lim, 7).await,
        Err(StoreError::InsufficientBalance {
            available: d("500"),
            requested: d("600")
        })
    );
    let sol = store
        .start_bot_guarded(&grid_bot(u.id, "SOLUSDT", d("100")), lim, 8)
        .await
        .unwrap();
    let xrp = store.create_bot(&grid_bot(u.id, "XRPUSDT", d("10")), 9).await.unwrap();
    assert_eq!(
        store.activate_bot_guarded(xrp.id, lim, 10).await,
        Err(StoreError::BotLimitReached { active: 2, max: 2 })
    );
    // A stopped bot restarts through activation, clearing its stop and error.
    store
        .set_bot_status(sol.id, BotStatus::Stopped, Some("stopped by user".into()), 11)
        .await
        .unwrap();
    let again = store.activate_bot_guarded(sol.id, lim, 12).await.unwrap();
    assert_eq!(again.status, BotStatus::Starting);
    assert_eq!(
        (again.started_at, again.stopped_at, again.error_message.clone()),
        (Some(12), None, None)
    );
    assert_eq!(store.bot(sol.id).await.unwrap(), Some(again));
    assert!(matches!(
        store.activate_bot_guarded(BotId(999_999), lim, 13).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn status_changes_cannot_bypass_the_guarded_start(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let created = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 1).await.unwrap();
    assert!(matches!(
        store.set_bot_status(created.id, BotStatus::Running, None, 2).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.bot(created.id).await.unwrap().unwrap().status, BotStatus::Created);
    let bot = store
        .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("100")), limits(5, "1000"), 3)
        .await
        .unwrap();
    store.set_bot_status(bot.id, BotStatus::Running, None, 4).await.unwrap();
    store
        .set_bot_status(bot.id, BotStatus::Error, Some("rate limited too long".into()), 5)
        .await
        .unwrap();
    let b = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(
        (b.status, b.error_message.as_deref(), b.updated_at),
        (BotStatus::Error, Some("rate limited too long"), 5)
    );
    store.set_bot_status(bot.id, BotStatus::Stopped, None, 6).await.unwrap();
    let b = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(
        (b.status, b.stopped_at, b.error_message),
        (BotStatus::Stopped, Some(6), None)
    );
    assert!(matches!(
        store.set_bot_status(bot.id, BotStatus::Running, None, 7).await,
        Err(StoreError::Conflict(_))
    ));
    store.set_bot_status(bot.id, BotStatus::Stopped, None, 8).await.unwrap();
    assert!(matches!(
        store.set_bot_status(BotId(999_999), BotStatus::Stopped, None, 9).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn stats_and_engine_state_round_trip(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let bot = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 1).await.unwrap();
    let mut stats = BotStats::default();
    stats.realized_pnl = d("12.5");
    stats.grid_profit = d("11.75");
    stats.unrealized_pnl = d("-3.2");
    stats.fees = d("0.75");
    stats.position_qty = d("-0.004");
    stats.entry_price = d("101.5");
    stats.fills = 42;
    stats.round_trips = 20;
    stats.wins = 19;
    stats.last_price = d("100.1");
    store.update_bot_stats(bot.id, &stats, 5).await.unwrap();
    let state = json!({"cells": [{"i": 0, "side": "buy", "gen": 3}], "qty": "0.001"});
    store
        .save_engine_state(bot.id, &state, Some("cursor-17".into()), 6)
        .await
        .unwrap();
    let b = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(b.stats, stats);
    assert_eq!(b.engine_state, Some(state));
    assert_eq!(b.fill_cursor.as_deref(), Some("cursor-17"));
    assert_eq!(b.updated_at, 6);
    assert!(matches!(
        store.update_bot_stats(BotId(999_999), &stats, 7).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.save_engine_state(BotId(999_999), &json!({}), None, 7).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn bots_are_listed_newest_first_and_filtered_by_status(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let v = store.create_user("bob", "h", 0).await.unwrap();
    let lim = limits(5, "1000");
    let a = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("10")), 1).await.unwrap();
    let b = store
        .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("10")), lim, 2)
        .await
        .unwrap();
    let c = store
        .start_bot_guarded(&grid_bot(u.id, "SOLUSDT", d("10")), lim, 3)
        .await
        .unwrap();
    let other = store
        .start_bot_guarded(&grid_bot(v.id, "SOLUSDT", d("10")), lim, 4)
        .await
        .unwrap();
    store.set_bot_status(c.id, BotStatus::Running, None, 5).await.unwrap();
    store
        .set_bot_status(other.id, BotStatus::Running, None, 5)
        .await
        .unwrap();
    let ids = |bots: Vec<gridbot_core::model::Bot>| bots.into_iter().map(|b| b.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.bots_for_user(u.id, None).await.unwrap()),
        vec![c.id, b.id, a.id]
    );
    assert_eq!(
        ids(store.bots_for_user(u.id, Some(BotStatus::Running)).await.unwrap()),
        vec![c.id]
    );
    assert_eq!(ids(store.bots_for_user(UserId(999_999), None).await.unwrap()), vec![]);
    assert_eq!(
        ids(store
            .bots_with_status(&[BotStatus::Running, BotStatus::Starting])
            .await
            .unwrap()),
        vec![b.id, c.id, other.id]
    );
    assert_eq!(ids(store.bots_with_status(&[]).await.unwrap()), vec![]);
}

pub async fn a_stop_racing_a_status_change_always_ends_stopped(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let lim = limits(50, "100000");
    for round in 0..10 {
        let bot = store
            .start_bot_guarded(&grid_bot(u.id, &format!("COIN{round}USDT"), d("10")), lim, 0)
            .await
            .unwrap();
        store.set_bot_status(bot.id, BotStatus::Running, None, 1).await.unwrap();
        let (s1, s2) = (store.clone(), store.clone());
        let stop = tokio::spawn(async move { s1.set_bot_status(bot.id, BotStatus::Stopped, None, 2).await });
        let pause = tokio::spawn(async move { s2.set_bot_status(bot.id, BotStatus::Paused, None, 2).await });
        stop.await.unwrap().unwrap();
        if let Err(e) = pause.await.unwrap() {
            assert!(matches!(e, StoreError::Conflict(_)), "{e}");
        }
        assert_eq!(store.bot(bot.id).await.unwrap().unwrap().status, BotStatus::Stopped);
    }
}

pub async fn only_a_created_bot_can_be_deleted_and_it_frees_nothing_it_never_held(store: Arc<dyn Store>) {
    let u = store.create_user("dora", "h", 0).await.unwrap();
    let created = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 1).await.unwrap();
    let running = store
        .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("100")), limits(5, "1000"), 2)
        .await
        .unwrap();
    let stopped = store
        .start_bot_guarded(&grid_bot(u.id, "SOLUSDT", d("100")), limits(5, "1000"), 3)
        .await
        .unwrap();
    store
        .set_bot_status(stopped.id, BotStatus::Stopped, None, 4)
        .await
        .unwrap();
    for (id, status) in [(running.id, "starting"), (stopped.id, "stopped")] {
        match store.delete_created_bot(id).await {
            Err(StoreError::Conflict(m)) => assert!(m.contains(status), "{m}"),
            other => panic!("deleting a {status} bot: {other:?}"),
        }
        assert!(store.bot(id).await.unwrap().is_some());
    }
    store.delete_created_bot(created.id).await.unwrap();
    assert_eq!(store.bot(created.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_created_bot(created.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_created_bot(BotId(987_654)).await,
        Err(StoreError::NotFound(_))
    ));
    let ids: Vec<BotId> = store
        .bots_for_user(u.id, None)
        .await
        .unwrap()
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, vec![stopped.id, running.id]);
}

pub async fn a_bots_settings_change_but_never_its_symbol_or_kind(store: Arc<dyn Store>) {
    let u = store.create_user("erin", "h", 0).await.unwrap();
    let bot = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("100")), limits(5, "1000"), 1)
        .await
        .unwrap();
    let BotKind::Grid(cfg) = bot.kind.clone() else {
        panic!("a grid bot")
    };
    let edited = BotKind::Grid(cfg.clone().with_stops(Some(d("85.5")), Some(d("120"))));
    store.update_bot_config(bot.id, &edited, 7).await.unwrap();
    let read = store.bot(bot.id).await.unwrap().unwrap();
    assert_eq!(read.kind, edited);
    assert_eq!(read.updated_at, 7);
    assert_eq!((read.status, read.allocation), (bot.status, bot.allocation));

    let other_symbol = grid_bot(u.id, "ETHUSDT", d("100")).kind;
    assert!(matches!(
        store.update_bot_config(bot.id, &other_symbol, 8).await,
        Err(StoreError::Conflict(_))
    ));
    let trend = trend_bot(u.id, "BTCUSDT", "100", BotSource::Manual).kind;
    assert!(matches!(
        store.update_bot_config(bot.id, &trend, 8).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.bot(bot.id).await.unwrap().unwrap().kind, edited);
    assert!(matches!(
        store.update_bot_config(BotId(987_654), &edited, 8).await,
        Err(StoreError::NotFound(_))
    ));
}
