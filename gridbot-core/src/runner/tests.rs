//! Runner rules with mocks of the exchange, the store and market data.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal_macros::dec;

use super::*;
use crate::clock::ManualClock;
use crate::engine::Command;
use crate::error::ExchangeError;
use crate::manager::{BotLauncher, EventBus, SharedExchange};
use crate::model::{
    Bot, BotId, BotKind, BotOrderStatus, BotSource, BotStatus, ClientOrderId, FillCursor, Instrument, Interval, Order,
    OrderRequest, Side, Symbol, TrendConfig, TrendDirection, UserId,
};
use crate::ports::mocks::{MockExchange, MockMarketData, MockStore};
use crate::ports::{Exchange, FillPage};

fn bot() -> Bot {
    let kind = BotKind::Trend(TrendConfig::new(
        Symbol::new("BTCUSDT").unwrap(),
        Interval::M1,
        5,
        13,
        TrendDirection::Long,
        3,
        dec!(1),
        dec!(2),
        dec!(1000),
    ));
    let mut b = Bot::new(BotId(7), UserId(1), "t", kind, dec!(1000), BotSource::Manual, 0);
    b.status = BotStatus::Starting;
    b
}

fn empty_page(cursor: Option<FillCursor>) -> FillPage {
    FillPage {
        fills: Vec::new(),
        next_cursor: cursor,
        has_more: false,
    }
}

/// A store that accepts every write and records what was written, in order.
fn recording_store(log: Arc<Mutex<Vec<String>>>) -> MockStore {
    let mut s = MockStore::new();
    let l = log.clone();
    s.expect_upsert_orders().returning(move |orders| {
        for o in orders {
            l.lock()
                .unwrap()
                .push(format!("store {} {}", o.client_id, o.status.as_str()));
        }
        Ok(())
    });
    s.expect_save_engine_state().returning(|_, _, _, _| Ok(()));
    s.expect_orders_for_bot().returning(|_, _| Ok(Vec::new()));
    s.expect_insert_fills().returning(|f| Ok(f.len()));
    s.expect_update_bot_stats().returning(|_, _, _| Ok(()));
    s.expect_append_event().returning(|_| Ok(1));
    s
}

fn ctx(store: MockStore, exchange: MockExchange) -> RunnerContext {
    RunnerContext {
        store: Arc::new(store),
        exchange: Arc::new(exchange),
        clock: Arc::new(ManualClock::new(1_000)),
        events: EventBus::new(),
        options: RunnerOptions {
            retry: RetryPolicy::immediate(3),
            ..RunnerOptions::default()
        },
    }
}

#[tokio::test]
async fn a_timed_out_placement_is_written_first_looked_up_by_client_id_and_never_sent_twice() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut ex = MockExchange::new();
    ex.expect_instrument().returning(|_| Ok(Instrument::btcusdt()));
    ex.expect_fills_since().returning(|_, c| Ok(empty_page(c)));
    let l = log.clone();
    ex.expect_place_orders().times(1).returning(move |orders| {
        l.lock().unwrap().push(format!("send {}", orders[0].client_id));
        Err(ExchangeError::Timeout("no answer in 10 s".into()))
    });
    let l = log.clone();
    ex.expect_order().times(1).returning(move |_, id| {
        l.lock().unwrap().push(format!("ask {id}"));
        let req = OrderRequest::limit(
            id.clone(),
            Symbol::new("BTCUSDT").unwrap(),
            Side::Buy,
            dec!(100),
            dec!(0.1),
        );
        Ok(Some(Order::accepted("x1", &req, 0)))
    });
    let mut runner = BotRunner::load(bot(), ctx(recording_store(log.clone()), ex))
        .await
        .unwrap();
    let id = ClientOrderId::grid(BotId(7), 3, 1);
    let req = OrderRequest::limit(
        id.clone(),
        Symbol::new("BTCUSDT").unwrap(),
        Side::Buy,
        dec!(100),
        dec!(0.1),
    );
    let follow = runner.execute(vec![Command::Place(req)]).await.unwrap();
    assert!(follow.is_empty());
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            format!("store {id} intended"),
            format!("send {id}"),
            format!("ask {id}"),
            format!("store {id} open"),
        ]
    );
}

#[tokio::test]
async fn an_order_the_exchange_refuses_is_recorded_rejected_and_reported_to_the_engine() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut ex = MockExchange::new();
    ex.expect_instrument().returning(|_| Ok(Instrument::btcusdt()));
    ex.expect_fills_since().returning(|_, c| Ok(empty_page(c)));
    ex.expect_place_orders().times(1).returning(|o| {
        Ok(o.iter()
            .map(|_| Err(ExchangeError::InsufficientBalance("margin".into())))
            .collect())
    });
    let mut runner = BotRunner::load(bot(), ctx(recording_store(log.clone()), ex))
        .await
        .unwrap();
    let id = ClientOrderId::action(BotId(7), "open", 1);
    let req = OrderRequest::market(id.clone(), Symbol::new("BTCUSDT").unwrap(), Side::Buy, dec!(0.01));
    runner.execute(vec![Command::Place(req)]).await.unwrap();
    assert_eq!(log.lock().unwrap().last().unwrap(), &format!("store {id} rejected"));
    assert_eq!(runner.live_orders.len(), 0);
}

#[tokio::test]
async fn a_fresh_bot_skips_the_accounts_earlier_fills() {
    let mut ex = MockExchange::new();
    ex.expect_instrument().returning(|_| Ok(Instrument::btcusdt()));
    ex.expect_fills_since().returning(|_, c| {
        Ok(match c {
            None => FillPage {
                fills: Vec::new(),
                next_cursor: Some(FillCursor("500".into())),
                has_more: true,
            },
            Some(c) if c.0 == "500" => empty_page(Some(FillCursor("900".into()))),
            other => empty_page(other),
        })
    });
    let mut store = MockStore::new();
    store
        .expect_save_engine_state()
        .times(1)
        .withf(|_, _, cursor, _| cursor.as_deref() == Some("900"))
        .returning(|_, _, _, _| Ok(()));
    store.expect_orders_for_bot().returning(|_, _| Ok(Vec::new()));
    store.expect_upsert_orders().returning(|_| Ok(()));
    let runner = BotRunner::load(bot(), ctx(store, ex)).await.unwrap();
    assert_eq!(runner.cursor, Some(FillCursor("900".into())));
}

#[tokio::test]
async fn recorded_orders_are_refreshed_from_the_exchange_by_client_id_on_load() {
    let id_done = ClientOrderId::grid(BotId(7), 1, 1);
    let id_lost = ClientOrderId::grid(BotId(7), 2, 1);
    let mut b = bot();
    b.engine_state = Some(serde_json::json!({
        "engine": crate::engine::BotEngine::snapshot(
            &crate::engine::trend::TrendEngine::new(BotId(7), trend(&b), Instrument::btcusdt()).unwrap()
        ),
        "last_candle_ts": null
    }));
    let mut ex = MockExchange::new();
    ex.expect_instrument().returning(|_| Ok(Instrument::btcusdt()));
    let done = id_done.clone();
    ex.expect_order().returning(move |_, id| {
        if *id == done {
            let req = OrderRequest::limit(id.clone(), Symbol::new("BTCUSDT").unwrap(), Side::Buy, dec!(1), dec!(1));
            let mut o = Order::accepted("e1", &req, 0);
            o.status = crate::model::OrderStatus::Filled;
            Ok(Some(o))
        } else {
            Ok(None)
        }
    });
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut store = recording_store(log.clone());
    store.checkpoint();
    let l = log.clone();
    store.expect_upsert_orders().returning(move |orders| {
        for o in orders {
            l.lock()
                .unwrap()
                .push(format!("store {} {}", o.client_id, o.status.as_str()));
        }
        Ok(())
    });
    let (a, b2) = (id_done.clone(), id_lost.clone());
    store.expect_orders_for_bot().returning(move |bot, _| {
        Ok(vec![
            crate::model::BotOrder::new(
                a.clone(),
                bot,
                Some(1),
                Side::Buy,
                Some(dec!(1)),
                dec!(1),
                BotOrderStatus::Open,
                0,
            ),
            crate::model::BotOrder::new(
                b2.clone(),
                bot,
                Some(2),
                Side::Buy,
                Some(dec!(1)),
                dec!(1),
                BotOrderStatus::Open,
                0,
            ),
        ])
    });
    BotRunner::load(b, ctx(store, ex)).await.unwrap();
    let log = log.lock().unwrap();
    assert!(log.contains(&format!("store {id_done} filled")), "{log:?}");
    assert!(log.contains(&format!("store {id_lost} canceled")), "{log:?}");
}

fn trend(b: &Bot) -> TrendConfig {
    match &b.kind {
        BotKind::Trend(t) => t.clone(),
        _ => unreachable!("test bot is a trend bot"),
    }
}

#[tokio::test]
async fn a_persistent_exchange_error_puts_the_bot_in_error_with_the_message() {
    let mut ex = MockExchange::new();
    ex.expect_instrument()
        .returning(|_| Err(ExchangeError::Auth("API key revoked".into())));
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let mut store = MockStore::new();
    store
        .expect_set_bot_status()
        .withf(|_, status, msg, _| {
            *status == BotStatus::Error && msg.as_deref().is_some_and(|m| m.contains("API key revoked"))
        })
        .times(1)
        .returning(move |_, _, _, _| {
            let _ = tx.lock().unwrap().send(());
            Ok(())
        });
    store.expect_append_event().returning(|_| Ok(1));
    store.expect_acquire_lease().returning(|_, _, _, _| Ok(true));
    let ex: Arc<dyn Exchange> = Arc::new(ex);
    let sup = Supervisor::new(
        Arc::new(store),
        Arc::new(SharedExchange(ex)),
        Arc::new(MockMarketData::new()),
        Arc::new(ManualClock::new(0)),
        EventBus::new(),
        RunnerOptions::default(),
    );
    sup.launch(bot()).await.unwrap();
    tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("the bot was put in error");
}

#[tokio::test]
async fn a_new_trend_bot_warms_its_emas_up_from_history_and_can_trade_on_the_next_close() {
    use crate::engine::EngineEvent;
    use crate::model::Candle;
    let mut ex = MockExchange::new();
    ex.expect_instrument().returning(|_| Ok(Instrument::btcusdt()));
    ex.expect_fills_since().returning(|_, c| Ok(empty_page(c)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut runner = BotRunner::load(bot(), ctx(recording_store(log), ex)).await.unwrap();
    let candle = |i: i64, close: rust_decimal::Decimal| Candle {
        ts: i * 60_000,
        open: close,
        high: close,
        low: close,
        close,
        volume: dec!(1),
    };
    let mut market = MockMarketData::new();
    market
        .expect_candles()
        .withf(|_, interval, start, end| *interval == Interval::M1 && *end == 0 && *start == -40 * 60_000)
        .times(1)
        .returning(move |_, _, _, _| {
            Ok((0..40)
                .map(|i| candle(i - 40, dec!(30000) - rust_decimal::Decimal::from(i)))
                .collect())
        });
    runner.warm_up(&market).await.unwrap();
    runner.feed(&EngineEvent::Start {
        price: dec!(29960),
        ts: 0,
    });
    let cmds = runner.feed(&EngineEvent::Candle(candle(0, dec!(30500))));
    assert!(
        matches!(cmds.as_slice(), [Command::Place(r)] if r.side == Side::Buy),
        "{cmds:?}"
    );
}
