//! Bots run end to end through the runner and the Bitget adapter against
//! the fake Bitget, on a classic (v2) and on a unified (v3) account.
//!
//! A trend bot: the runner prepares the symbol (one-way, isolated,
//! leverage) — the fake starts in hedge mode, so an unprepared order would
//! be refused — enters on an EMA cross up with a market order, books the
//! fill from Bitget's fill history, exits on the cross down with a
//! reduce-only close, and every order exists exactly once.
//!
//! A neutral grid bot runs the same way over hundreds of fills, on a clean
//! connection and with 10 % of requests failing (5xx, 429, timeouts before
//! and after taking effect): every cell keeps exactly one resting order,
//! every fill is booked once, and the closing order is reduce-only.
//!
//! A bot on an account that cannot be put in one-way mode never trades: its
//! start fails with the adapter's explanation.

use std::sync::Arc;

use gridbot_bitget::fake::faults::Fault;
use gridbot_bitget::fake::{FakeBitget, FakeOptions};
use gridbot_bitget::{AccountKind, BitgetExchange, Environment};
use gridbot_core::clock::{Clock, ManualClock};
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

async fn fake_of(kind: AccountKind) -> FakeBitget {
    FakeBitget::start_with(FakeOptions {
        kind,
        environment: Environment::Live,
    })
    .await
    .unwrap()
}

/// Every closing order (`b{bot}-close-n`) was reduce-only; when the bot had
/// a position to close, there was one.
fn closes_were_reduce_only(fake: &FakeBitget, had_position: bool) {
    let closes: Vec<_> = fake
        .orders()
        .into_iter()
        .filter(|(id, _, _)| id.contains("-close-"))
        .collect();
    assert!(
        !had_position || !closes.is_empty(),
        "the bot closed its position with its own order"
    );
    assert!(closes.iter().all(|(_, reduce_only, _)| *reduce_only), "{closes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trend_bot_trades_a_round_trip_through_the_bitget_adapter_on_both_account_kinds() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        trend_round_trip(kind).await;
    }
}

async fn trend_round_trip(kind: AccountKind) {
    let fake = fake_of(kind).await;
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
    closes_were_reduce_only(&fake, true);
    assert_eq!(ex.known_kind(), Some(kind));
}

/// A neutral BTCUSDT grid of `grids` cells between 29000 and 29800 (2000
/// USDT, 5x), started in `store` and loaded into a runner on `ex`.
async fn grid_runner(
    store: &Arc<MemoryStore>,
    ex: Arc<BitgetExchange>,
    clock: Arc<ManualClock>,
    grids: u32,
    retries: u32,
) -> (gridbot_core::model::Bot, BotRunner) {
    let t0 = clock.now_ms();
    let user = store.create_user("op", "x", t0).await.unwrap();
    let grid = GridConfig::new(
        Symbol::new("BTCUSDT").unwrap(),
        dec!(29000),
        dec!(29800),
        grids,
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
        exchange: ex,
        clock,
        events: EventBus::new(),
        options: RunnerOptions {
            retry: RetryPolicy::immediate(retries),
            ..RunnerOptions::default()
        },
    };
    let lease = store.acquire_lease(bot.id, "e2e", 3_600_000).await.unwrap().unwrap();
    let runner = BotRunner::load(bot.clone(), ctx, lease).await.unwrap();
    (bot, runner)
}

async fn run_grid(kind: AccountKind, faults: bool) {
    let fake = fake_of(kind).await;
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
    fake.set_price("BTCUSDT", dec!(29410));
    let (bot, mut runner) = grid_runner(&store, ex.clone(), clock.clone(), 40, 8).await;
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
        level = if (rng >> 40).is_multiple_of(2) {
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
    let had_position = !fake.position_qty(&btc).is_zero();
    runner.stop().await.unwrap();
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
    assert!(fake.position_qty(&btc).is_zero());
    closes_were_reduce_only(&fake, had_position);
    assert_eq!(ex.known_kind(), Some(kind));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_neutral_grid_bot_trades_hundreds_of_fills_on_a_classic_account() {
    run_grid(AccountKind::Classic, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_neutral_grid_bot_trades_hundreds_of_fills_on_a_unified_account() {
    run_grid(AccountKind::Unified, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_grid_bot_keeps_running_with_ten_percent_of_requests_failing() {
    run_grid(AccountKind::Classic, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unified_grid_bot_keeps_running_with_ten_percent_of_requests_failing() {
    run_grid(AccountKind::Unified, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_on_an_account_stuck_in_hedge_mode_never_trades_and_says_what_to_change() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind).await;
        // A position opened outside gridbot while the account is in hedge mode.
        fake.with_book(|b| {
            b.pos_mode = "hedge_mode".into();
            b.positions.insert(
                "ETHUSDT".into(),
                gridbot_bitget::fake::book::FakePosition {
                    qty: dec!(1),
                    entry: dec!(2000),
                },
            );
        });
        let ex = Arc::new(BitgetExchange::new(fake.config()).unwrap());
        let t0 = 1_700_000_040_000i64;
        let store = Arc::new(MemoryStore::new());
        let (_, mut runner) = grid_runner(&store, ex, Arc::new(ManualClock::new(t0)), 10, 2).await;
        let e = runner.resume(dec!(29410), t0).await.unwrap_err().to_string();
        assert!(e.contains("one-way") && e.contains("One-way"), "{kind}: {e}");
        assert!(
            fake.orders().is_empty(),
            "{kind}: nothing traded on an unverified account"
        );
    }
}
