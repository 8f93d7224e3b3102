//! A trend bot runs end to end through the Bitget adapter against the fake
//! Bitget: the runner prepares the symbol (one-way, isolated, leverage) —
//! the fake starts in hedge mode, so an unprepared order would be refused —
//! enters on an EMA cross up with a market order, books the fill from
//! Bitget's fill history, exits on the cross down, and every order exists
//! exactly once.
//!
//! A neutral grid bot runs the same way over hundreds of fills, first on a
//! clean connection, then with 10 % of requests failing (5xx, 429, timeouts
//! before and after taking effect): every cell keeps exactly one resting
//! order and every fill is booked once.

use std::sync::Arc;

use gridbot_bitget::fake::faults::Fault;
use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::BitgetExchange;
use gridbot_core::clock::ManualClock;
use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::manager::EventBus;
use gridbot_core::model::{
    BotKind, BotSource, Candle, ClientOrderId, Interval, MarketEvent, NewBot, Symbol, TrendConfig, TrendDirection,
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
    let lease = store.acquire_lease(bot.id, "e2e", 3_600_000).await.unwrap().unwrap();
    let mut runner = BotRunner::load(bot.clone(), ctx, lease).await.unwrap();
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
        assert_eq!(ClientOrderId::new(id.clone()).bot(), Some(bot.id), "{id}");
    }
    assert_eq!(store.fill_count(bot.id).await.unwrap(), 2);
    let stats = runner.stats();
    assert_eq!(stats.round_trips, 1);
    runner.stop().await.unwrap();
    assert!(ex.position(&btc).await.unwrap().is_flat());
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
}

async fn run_grid(faults: bool) {
    let fake = FakeBitget::start().await.unwrap();
    let mut cfg = fake.config();
    if faults {
        cfg.request_timeout = std::time::Duration::from_millis(150);
        cfg.max_retries = 4;
        fake.faults().set_timeout_delay(std::time::Duration::from_millis(250));
    }
    let ex = Arc::new(BitgetExchange::new(cfg).unwrap());
    let btc = Symbol::new("BTCUSDT").unwrap();
    let t0 = 1_700_000_040_000i64;
    let clock = Arc::new(ManualClock::new(t0));
    let store = Arc::new(MemoryStore::new());
    let user = store.create_user("op", "x", t0).await.unwrap();
    fake.set_price("BTCUSDT", dec!(29410));
    let grid = GridConfig::new(
        btc.clone(),
        dec!(29000),
        dec!(29800),
        40,
        Spacing::Arithmetic,
        GridMode::Neutral,
        dec!(2000),
        5,
    );
    let bot = store
        .start_bot_guarded(
            &NewBot::new(user.id, "grid", BotKind::Grid(grid), dec!(2000), BotSource::Manual),
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
            retry: RetryPolicy::immediate(8),
            ..RunnerOptions::default()
        },
    };
    let lease = store.acquire_lease(bot.id, "e2e", 3_600_000).await.unwrap().unwrap();
    let mut runner = BotRunner::load(bot.clone(), ctx, lease).await.unwrap();
    runner.resume(dec!(29410), t0).await.unwrap();
    assert_eq!(fake.open_orders("BTCUSDT"), 40);
    if faults {
        fake.faults().set_random(
            0.10,
            &[
                Fault::ServerError,
                Fault::RateLimited,
                Fault::TimeoutBefore,
                Fault::TimeoutAfter,
            ],
            11,
        );
    }
    // A price path bouncing through the range, 1 to 4 lines a minute.
    let mut rng: u64 = 3;
    let mut level: i64 = 20;
    for i in 0..300 {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let jump = ((rng >> 33) % 4 + 1) as i64;
        level = if (rng >> 40) % 2 == 0 {
            level + jump
        } else {
            level - jump
        };
        level = level.clamp(1, 39);
        let close = dec!(29000) + Decimal::from(level * 20) + dec!(5);
        fake.set_price("BTCUSDT", close);
        let ts = t0 + i * 60_000;
        clock.set(ts + 60_000);
        let candle = Candle {
            ts,
            open: close,
            high: close,
            low: close,
            close,
            volume: dec!(1),
        };
        runner
            .on_market(&MarketEvent::Candle {
                symbol: btc.clone(),
                candle,
            })
            .await
            .unwrap();
    }
    fake.faults().set_random(0.0, &[], 1);
    // One more quiet minute lets the runner settle anything left unsure.
    let close = fake.price("BTCUSDT");
    clock.set(t0 + 301 * 60_000);
    let candle = Candle {
        ts: t0 + 300 * 60_000,
        open: close,
        high: close,
        low: close,
        close,
        volume: dec!(1),
    };
    runner
        .on_market(&MarketEvent::Candle {
            symbol: btc.clone(),
            candle,
        })
        .await
        .unwrap();
    if faults {
        assert!(
            fake.faults().injected() > 20,
            "faults injected: {}",
            fake.faults().injected()
        );
    }
    let fills = fake.fill_ids().len();
    assert!(fills > 200, "{fills} fills");
    assert_eq!(fake.open_orders("BTCUSDT"), 40, "one resting order per cell");
    assert_eq!(
        store.fill_count(bot.id).await.unwrap(),
        fills as u64,
        "every fill booked once"
    );
    assert!(runner.stats().round_trips > 50);
    runner.stop().await.unwrap();
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
    assert!(fake.position_qty(&btc).is_zero());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_neutral_grid_bot_trades_hundreds_of_fills_through_the_bitget_adapter() {
    run_grid(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_bot_keeps_running_with_ten_percent_of_requests_failing() {
    run_grid(true).await;
}
