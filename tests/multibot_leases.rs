//! Several processes on one store: every bot runs in exactly one of them.
//! A supervisor runs a bot only while it holds the bot's lease; a dead
//! process's bots are taken over once their leases expire, and the new
//! runner reconciles with the exchange by client id instead of placing the
//! grid again. The clock is simulated: leases expire when the test says.

mod multibot_sim;

use std::sync::Arc;
use std::time::Duration;

use gridbot_core::clock::{Clock, ManualClock};
use gridbot_core::error::MarketDataError;
use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::manager::{BotLauncher, EventBus, ExchangeMap, MultiBotManager};
use gridbot_core::model::{BotId, BotSource, BotStatus, Candle, Interval, Symbol, UserId};
use gridbot_core::paper::{PaperAccount, PaperExchange};
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription, Store};
use gridbot_core::risk::DAY_MS;
use gridbot_core::runner::{LeaseOptions, LeaseRound, RunnerOptions, Supervisor};
use gridbot_core::Decimal;
use gridbot_store::MemoryStore;
use multibot_sim::*;
use rust_decimal_macros::dec;

const TTL: i64 = 30_000;

/// Prices from the paper venue, no live events (the runners sit idle).
struct Quiet(PaperExchange);

#[async_trait::async_trait]
impl MarketData for Quiet {
    async fn subscribe(&self, _: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        Ok(MarketSubscription::new(futures::stream::pending(), None))
    }
    async fn candles(&self, _: &Symbol, _: Interval, _: i64, _: i64) -> Result<Vec<Candle>, MarketDataError> {
        Ok(Vec::new())
    }
    async fn last_price(&self, s: &Symbol) -> Result<Decimal, MarketDataError> {
        self.0
            .last_price(s)
            .ok_or_else(|| MarketDataError::NoData(format!("no price for {s}")))
    }
    fn symbols(&self) -> Vec<Symbol> {
        Vec::new()
    }
}

/// One shared deployment: venue, store, clock, one user's account.
struct World {
    venue: PaperExchange,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    map: Arc<ExchangeMap>,
    user: UserId,
    account: PaperAccount,
    btc: Symbol,
}

impl World {
    async fn new() -> World {
        let day = 18_700 * DAY_MS;
        let btc = Symbol::new("BTCUSDT").unwrap();
        let first = Candle {
            ts: day,
            open: dec!(30000),
            high: dec!(30000),
            low: dec!(30000),
            close: dec!(30000),
            volume: dec!(1),
        };
        let venue = fresh_venue(&[(btc.clone(), first)]);
        let clock = Arc::new(ManualClock::new(day + 60_000));
        // Leases expire by the store's clock: the simulated one.
        let store = Arc::new(MemoryStore::with_clock(clock.clone()));
        let user = store.create_user("alice", "x", day).await.unwrap().id;
        let account = venue.open_account("alice", Decimal::from(DEPOSIT)).unwrap();
        let map = Arc::new(ExchangeMap::new());
        map.insert(user, Arc::new(account.clone()));
        World {
            clock,
            venue,
            store,
            map,
            user,
            account,
            btc,
        }
    }

    /// A supervisor ("process") named `owner` on this deployment.
    fn process(&self, owner: &str) -> Arc<Supervisor> {
        let store: Arc<dyn Store> = self.store.clone();
        Supervisor::with_leases(
            store,
            self.map.clone(),
            Arc::new(Quiet(self.venue.clone())),
            self.clock.clone(),
            EventBus::new(),
            RunnerOptions::default(),
            LeaseOptions {
                owner: owner.to_owned(),
                ttl_ms: TTL,
                // The test runs the rounds itself, at chosen times.
                renew_automatically: false,
            },
        )
    }

    fn manager(&self, launcher: Arc<Supervisor>) -> MultiBotManager {
        let store: Arc<dyn Store> = self.store.clone();
        MultiBotManager::new(store, self.map.clone(), launcher, self.clock.clone(), EventBus::new())
    }

    fn grid(&self) -> GridConfig {
        GridConfig::new(
            self.btc.clone(),
            dec!(25000),
            dec!(35000),
            10,
            Spacing::Arithmetic,
            GridMode::Neutral,
            dec!(1000),
            2,
        )
    }

    /// Waits until the grid's ten orders rest on the exchange.
    async fn grid_resting(&self) {
        for _ in 0..1000 {
            if self.account.open_orders(&self.btc).await.unwrap().len() == 10 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the grid's orders never rested");
    }

    /// The bot's order records: every one of the first placement (generation
    /// 0), ten in all — nothing was placed twice or again.
    async fn assert_placed_once(&self, bot: BotId) {
        let orders = self.store.orders_for_bot(bot, false).await.unwrap();
        assert_eq!(orders.len(), 10, "{orders:?}");
        assert!(
            orders.iter().all(|o| o.client_id.as_str().ends_with("-0")),
            "{orders:?}"
        );
    }
}

#[tokio::test]
async fn a_dead_processs_bot_is_taken_over_after_its_lease_expires_and_reconciled_without_new_orders() {
    let w = World::new().await;
    let t0 = w.clock.now_ms();
    // Process A runs on its own runtime, so it can die without cleaning up.
    let rt_a = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let a = w.process("a");
    let manager_a = w.manager(a.clone());
    let (user, grid) = (w.user, w.grid());
    let bot = rt_a
        .spawn(async move { manager_a.start_grid(user, grid, BotSource::Manual).await })
        .await
        .unwrap()
        .unwrap();
    w.grid_resting().await;

    // Process B never runs what A holds, as long as A renews.
    let b = w.process("b");
    assert_eq!(b.maintain_leases().await.unwrap(), LeaseRound::default());
    assert!(!b.is_running(bot.id));
    w.clock.set(t0 + 20_000);
    let a2 = a.clone();
    let renewed = rt_a
        .spawn(async move { a2.maintain_leases().await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.renewed, 1);
    w.clock.set(t0 + 40_000);
    assert_eq!(b.maintain_leases().await.unwrap().taken_over, 0, "A renewed at +20 s");
    assert!(!b.is_running(bot.id));

    // A dies: its runner is gone, its lease stays until it expires.
    rt_a.shutdown_background();
    w.clock.set(t0 + 20_000 + TTL - 1);
    assert_eq!(b.maintain_leases().await.unwrap().taken_over, 0, "not expired yet");
    w.clock.set(t0 + 20_000 + TTL);
    assert_eq!(b.maintain_leases().await.unwrap().taken_over, 1);
    assert!(b.is_running(bot.id));

    // B's runner resumed the grid from the store: the ten orders A placed
    // are the grid's, nothing new was sent. Stopping through B (the stop
    // waits for the resume to finish) cancels exactly those.
    let stopped = w.manager(b.clone()).stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(stopped.status, BotStatus::Stopped);
    w.assert_placed_once(bot.id).await;
    assert!(w.account.open_orders(&w.btc).await.unwrap().is_empty());
    assert_eq!(b.maintain_leases().await.unwrap(), LeaseRound::default());
}

#[tokio::test]
async fn a_runner_that_lost_its_lease_stops_and_a_graceful_shutdown_hands_the_bot_over_at_once() {
    let w = World::new().await;
    let t0 = w.clock.now_ms();
    let a = w.process("a");
    let bot = w
        .manager(a.clone())
        .start_grid(w.user, w.grid(), BotSource::Manual)
        .await
        .unwrap();
    w.grid_resting().await;

    // A stalls past its TTL; B takes the bot; A's next round notices and
    // shuts its runner down (state saved, status untouched).
    let b = w.process("b");
    w.clock.set(t0 + TTL);
    assert_eq!(b.maintain_leases().await.unwrap().taken_over, 1);
    let round = a.maintain_leases().await.unwrap();
    assert_eq!((round.lost, round.taken_over), (1, 0));
    assert!(!a.is_running(bot.id) && b.is_running(bot.id));
    assert_eq!(w.store.bot(bot.id).await.unwrap().unwrap().status, BotStatus::Running);

    // B shuts down gracefully: the lease is released, so C takes the bot
    // over at once, without waiting for an expiry.
    b.shutdown().await;
    let c = w.process("c");
    assert_eq!(c.maintain_leases().await.unwrap().taken_over, 1);
    assert!(c.is_running(bot.id));
    assert_eq!(a.maintain_leases().await.unwrap().taken_over, 0, "C holds it");
    let stopped = w.manager(c.clone()).stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(stopped.status, BotStatus::Stopped);
    w.assert_placed_once(bot.id).await;
}
