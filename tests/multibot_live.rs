//! The live path: the supervisor runs each bot as a task fed by a shared
//! market subscription (through the market hub) on the paper exchange and
//! the in-memory store. Bots started through the manager trade, survive a
//! graceful shutdown and a process restart (`resume_all`), and stop flat.

mod multibot_sim;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::channel::mpsc;
use gridbot_core::clock::ManualClock;
use gridbot_core::error::MarketDataError;
use gridbot_core::manager::{EventBus, ExchangeMap, MultiBotManager};
use gridbot_core::model::{BotId, BotStatus, Candle, Interval, MarketEvent, Symbol};
use gridbot_core::paper::PaperExchange;
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription, Store};
use gridbot_core::runner::{MarketHub, RunnerOptions, Supervisor};
use gridbot_core::Decimal;
use gridbot_store::MemoryStore;
use multibot_sim::*;

/// A market whose candles the test pushes; each is walked on the venue
/// before listeners see it. One upstream subscription per symbol.
struct PushedMarket {
    venue: PaperExchange,
    senders: Mutex<HashMap<Symbol, Vec<mpsc::UnboundedSender<MarketEvent>>>>,
    upstream_subscriptions: Mutex<usize>,
}

impl PushedMarket {
    fn push(&self, symbol: &Symbol, candle: Candle) {
        self.venue.on_candle(symbol, &candle).unwrap();
        let ev = MarketEvent::Candle {
            symbol: symbol.clone(),
            candle,
        };
        if let Some(v) = self.senders.lock().unwrap().get_mut(symbol) {
            v.retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
        }
    }
}

#[async_trait]
impl MarketData for PushedMarket {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        let (tx, rx) = mpsc::unbounded();
        self.senders.lock().unwrap().entry(symbol.clone()).or_default().push(tx);
        *self.upstream_subscriptions.lock().unwrap() += 1;
        Ok(MarketSubscription::new(rx, None))
    }
    async fn candles(&self, _: &Symbol, _: Interval, _: i64, _: i64) -> Result<Vec<Candle>, MarketDataError> {
        Err(MarketDataError::NoData("no history in this test".into()))
    }
    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        self.venue
            .last_price(symbol)
            .ok_or_else(|| MarketDataError::NoData(symbol.to_string()))
    }
    fn symbols(&self) -> Vec<Symbol> {
        Vec::new()
    }
}

struct Live {
    supervisor: Arc<Supervisor>,
    manager: MultiBotManager,
}

fn live(store: &Arc<MemoryStore>, venue: &PaperExchange, market: Arc<dyn MarketData>, clock: Arc<ManualClock>) -> Live {
    let map = Arc::new(ExchangeMap::new());
    for (i, name) in USERS.iter().enumerate() {
        let account = venue.open_account(name, Decimal::from(DEPOSIT)).unwrap();
        map.insert(gridbot_core::model::UserId(i as i64 + 1), Arc::new(account));
    }
    let events = EventBus::new();
    let store_dyn: Arc<dyn Store> = store.clone();
    let supervisor = Supervisor::new(
        store_dyn.clone(),
        map.clone(),
        market,
        clock.clone(),
        events.clone(),
        // The manual clock only moves between steps: no backoff sleeps.
        RunnerOptions {
            retry: gridbot_core::runner::RetryPolicy::immediate(1),
            ..RunnerOptions::default()
        },
    );
    let manager = MultiBotManager::new(store_dyn, map, supervisor.clone(), clock, events);
    Live { supervisor, manager }
}

/// Waits until every bot of a symbol in `step` has handled its candle.
async fn wait_for(store: &MemoryStore, bots: &[BotId], step: &[(Symbol, Candle)]) {
    for _ in 0..2_000 {
        let mut done = true;
        for id in bots {
            let b = store.bot(*id).await.unwrap().unwrap();
            let Some((_, c)) = step.iter().find(|(s, _)| *s == b.symbol) else {
                continue;
            };
            // Progress: the bot's stats carry the candle's close as last price
            // once it handled the candle (grid bots save their state lazily).
            let seen = b
                .engine_state
                .as_ref()
                .and_then(|s| s.get("last_candle_ts"))
                .and_then(|v| v.as_i64());
            if seen.is_none_or(|t| t < c.ts) && b.stats.last_price != c.close {
                done = false;
            }
        }
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut states = Vec::new();
    for id in bots {
        let b = store.bot(*id).await.unwrap().unwrap();
        states.push((
            b.name,
            b.status,
            b.error_message,
            b.engine_state.and_then(|s| s.get("last_candle_ts").cloned()),
        ));
    }
    panic!(
        "bots did not reach the candles of {:?}: {states:?}",
        step.first().map(|s| s.1.ts)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_bots_trade_on_a_shared_feed_survive_a_restart_and_stop_flat() {
    let (Some(btc), Some(eth)) = (load("binance_BTCUSDT_1m.csv"), load("binance_ETHUSDT_1m.csv")) else {
        return;
    };
    let steps = timeline(&[
        (Symbol::new("BTCUSDT").unwrap(), btc.into_iter().take(2_000).collect()),
        (Symbol::new("ETHUSDT").unwrap(), eth.into_iter().take(2_000).collect()),
    ]);
    let store = Arc::new(MemoryStore::new());
    for name in USERS {
        store.create_user(name, "x", 0).await.unwrap();
    }
    let venue = fresh_venue(&steps[0]);
    let clock = Arc::new(ManualClock::new(steps[0][0].1.ts + 60_000));
    let market = Arc::new(PushedMarket {
        venue: venue.clone(),
        senders: Mutex::new(HashMap::new()),
        upstream_subscriptions: Mutex::new(0),
    });
    let hub: Arc<dyn MarketData> = Arc::new(MarketHub::new(market.clone()));
    let first = live(&store, &venue, hub.clone(), clock.clone());
    let mut bots = Vec::new();
    for (user, bot, amount) in month_plan() {
        let user = gridbot_core::model::UserId(user as i64 + 1);
        let started = match bot {
            PlanBot::Trend(t) => {
                let t = store.upsert_template(&t).await.unwrap();
                first
                    .manager
                    .start_from_template(user, t.id, gridbot_core::balance::Investment::Amount(amount))
                    .await
            }
            PlanBot::Grid(mut g) => {
                g.investment = amount;
                first
                    .manager
                    .start_grid(user, g, gridbot_core::model::BotSource::Manual)
                    .await
            }
        };
        bots.push(started.unwrap().id);
    }
    // Three bots on BTCUSDT and two on ETHUSDT: one upstream subscription each.
    for _ in 0..500 {
        if *market.upstream_subscriptions.lock().unwrap() == 2 && hub_ready(&store, &bots).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for id in &bots {
        let b = store.bot(*id).await.unwrap().unwrap();
        assert_eq!(b.status, BotStatus::Running, "{}: {:?}", b.name, b.error_message);
    }
    assert_eq!(*market.upstream_subscriptions.lock().unwrap(), 2);

    let half = steps.len() / 2;
    for step in &steps[1..half] {
        clock.set(step[0].1.ts + 60_000);
        for (s, c) in step {
            market.push(s, *c);
        }
        wait_for(&store, &bots, step).await;
    }
    // Graceful shutdown: the bots stay running in the store.
    first.supervisor.shutdown().await;
    for id in &bots {
        assert_eq!(store.bot(*id).await.unwrap().unwrap().status, BotStatus::Running);
    }
    // A new process resumes them.
    let second = live(&store, &venue, hub.clone(), clock.clone());
    assert_eq!(second.supervisor.resume_all().await.unwrap(), 5);
    for _ in 0..500 {
        if bots.iter().all(|b| second.supervisor_is_running(*b)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for step in &steps[half..] {
        clock.set(step[0].1.ts + 60_000);
        for (s, c) in step {
            market.push(s, *c);
        }
        wait_for(&store, &bots, step).await;
    }
    let mut fills = 0;
    for id in &bots {
        let b = store.bot(*id).await.unwrap().unwrap();
        let stopped = second.manager.stop_bot(b.user_id, b.id).await.unwrap();
        assert_eq!(stopped.status, BotStatus::Stopped);
        assert_eq!(stopped.stats.position_qty, Decimal::ZERO);
        fills += stopped.stats.fills;
    }
    assert!(fills > 0, "the bots traded");
    for (i, _) in USERS.iter().enumerate() {
        let user = gridbot_core::model::UserId(i as i64 + 1);
        let account = venue.account(USERS[i]).unwrap();
        let booked: Decimal = store
            .bots_for_user(user, None)
            .await
            .unwrap()
            .iter()
            .map(|b| b.stats.realized_pnl - b.stats.fees)
            .sum();
        // To 1e-12 USDT (Decimal rounds average entry prices at 28 digits).
        assert_eq!(
            (account.balance().await.unwrap().equity - Decimal::from(DEPOSIT)).round_dp(12),
            booked.round_dp(12)
        );
    }
}

async fn hub_ready(store: &MemoryStore, bots: &[BotId]) -> bool {
    for id in bots {
        if store.bot(*id).await.unwrap().unwrap().status != BotStatus::Running {
            return false;
        }
    }
    true
}

impl Live {
    fn supervisor_is_running(&self, bot: BotId) -> bool {
        use gridbot_core::manager::BotLauncher;
        self.supervisor.is_running(bot)
    }
}
