//! A trend bot runs end to end through the Bitget adapter against the fake
//! Bitget: the runner prepares the symbol (one-way, isolated, leverage) —
//! the fake starts in hedge mode, so an unprepared order would be refused —
//! enters on an EMA cross up with a market order, books the fill from
//! Bitget's fill history, exits on the cross down, and every order exists
//! exactly once.
//!
//! The grid engine is not in this build yet; the grid role is covered by
//! gridbot-bitget's `grid_under_faults` test (a driver flipping orders under
//! 10 % request faults).

use std::sync::Arc;

use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::BitgetExchange;
use gridbot_core::clock::ManualClock;
use gridbot_core::manager::EventBus;
use gridbot_core::model::{
    BotKind, BotSource, Candle, Interval, MarketEvent, NewBot, Symbol, TrendConfig, TrendDirection,
};
use gridbot_core::ports::{BotLimits, Exchange, Store};
use gridbot_core::runner::{BotRunner, RetryPolicy, RunnerContext, RunnerOptions};
use gridbot_store::MemoryStore;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trend_bot_trades_a_round_trip_through_the_bitget_adapter() {
    let fake = FakeBitget::start().await.unwrap();
    fake.with_book(|b| b.pos_mode = "hedge_mode".into());
    let ex = Arc::new(BitgetExchange::new(fake.config()).unwrap());
    let btc = Symbol::new("BTCUSDT").unwrap();
    let t0 = 1_700_000_040_000i64;
    let clock = Arc::new(ManualClock::new(t0));
    let store = Arc::new(MemoryStore::new());
    let user = store.create_user("op", "x", t0).await.unwrap();
    let config = TrendConfig::new(
        btc.clone(),
        Interval::M1,
        3,
        6,
        TrendDirection::Long,
        5,
        dec!(10),
        dec!(50),
        dec!(1000),
    );
    let bot = store
        .start_bot_guarded(
            &NewBot::new(user.id, "trend", BotKind::Trend(config), dec!(1000), BotSource::Manual),
            BotLimits {
                max_active_bots: 5,
                total_balance: dec!(100000),
            },
            t0,
        )
        .await
        .unwrap();
    let ctx = RunnerContext {
        store: store.clone(),
        exchange: ex.clone(),
        clock: clock.clone(),
        events: EventBus::new(),
        options: RunnerOptions {
            retry: RetryPolicy::immediate(3),
            ..RunnerOptions::default()
        },
    };
    let mut runner = BotRunner::load(bot.clone(), ctx).await.unwrap();
    runner.resume(fake.price("BTCUSDT"), t0).await.unwrap();
    fake.with_book(|b| {
        assert_eq!(b.pos_mode, "one_way_mode");
        assert_eq!(b.leverage["BTCUSDT"], 5);
    });

    // Down 12 minutes, up 12, down 12: one cross up (entry), one cross down (exit).
    let mut price = dec!(30000);
    let mut closes = Vec::new();
    for step in [-50, 50, -50] {
        for _ in 0..12 {
            price += Decimal::from(step);
            closes.push(price);
        }
    }
    let mut entered = false;
    for (i, close) in closes.iter().enumerate() {
        let ts = t0 + i as i64 * 60_000;
        let open = close - dec!(10);
        let candle = Candle {
            ts,
            open,
            high: open.max(*close) + dec!(5),
            low: open.min(*close) - dec!(5),
            close: *close,
            volume: dec!(10),
        };
        fake.set_price("BTCUSDT", *close);
        clock.set(ts + 60_000);
        runner
            .on_market(&MarketEvent::Candle {
                symbol: btc.clone(),
                candle,
            })
            .await
            .unwrap();
        entered |= !fake.position_qty(&btc).is_zero();
    }
    assert!(entered, "the bot entered a long position");
    assert!(fake.position_qty(&btc).is_zero(), "the bot exited");
    let fills = fake.fill_ids();
    assert_eq!(fills.len(), 2);
    let orders: Vec<String> = fake.with_book(|b| b.orders.values().map(|o| o.client_oid.clone()).collect());
    for id in &orders {
        assert_eq!(fake.orders_with_client_oid(id), 1);
        assert!(id.starts_with(&format!("b{}-", bot.id.0)), "{id}");
    }
    assert_eq!(store.fill_count(bot.id).await.unwrap(), 2);
    let stats = runner.stats();
    assert_eq!(stats.round_trips, 1);
    runner.stop().await.unwrap();
    assert!(ex.position(&btc).await.unwrap().is_flat());
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
}
