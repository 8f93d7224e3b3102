//! A deterministic multi-bot simulation for the integration and crash tests:
//! the paper exchange, the in-memory store, a manual clock, the real manager
//! and real bot runners, driven one closed candle at a time.
//!
//! Order of one step: the clock moves to the candle's close; the venue walks
//! each symbol's candle (resting orders fill); then every runner, by bot id,
//! handles the candles of its symbol. No task, no channel: the same inputs
//! always give the same run, which is what the crash test compares against.
//!
//! [`Tripwire`] wraps each account to "kill the process" at a chosen
//! exchange call: that call still reaches the venue (the answer is lost),
//! then every call fails until the simulation is rebuilt from the store and
//! a snapshot of the venue.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use gridbot_core::clock::{Clock, ManualClock};
use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::manager::{BotLauncher, EventBus, ExchangeMap, MultiBotManager};
use gridbot_core::model::{
    AccountBalance, Bot, BotId, BotSource, BotStatus, Candle, ClientOrderId, FillCursor, Instrument, Interval,
    MarketEvent, Order, OrderRequest, Position, StrategyTemplate, Symbol, TrendDirection, UserId,
};
use gridbot_core::paper::{JournalOptions, PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::{Exchange, ExecutionStream, FillPage, Lease, Store};
use gridbot_core::runner::{BotRunner, RetryPolicy, RunnerContext, RunnerError, RunnerOptions};
use gridbot_core::{Decimal, ExchangeError, StoreError};
use gridbot_store::MemoryStore;
use tokio::sync::Mutex;

/// Paper deposit of every simulated user, USDT.
pub const DEPOSIT: i64 = 10_000;

/// Loads a shared data file, or `None` (with a message) when absent.
pub fn load(file: &str) -> Option<Vec<Candle>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(file);
    if !path.exists() {
        eprintln!(
            "skipping: {} not found (the shared market data is absent)",
            path.display()
        );
        return None;
    }
    Some(gridbot_core::feed::csv::read_candles(&path).expect("readable candles"))
}

/// The ETHUSDT rules used in the simulations.
pub fn ethusdt() -> Instrument {
    Instrument::new(
        Symbol::new("ETHUSDT").unwrap(),
        Decimal::new(1, 2),
        Decimal::new(1, 3),
        Decimal::new(1, 3),
        Decimal::from(5),
        100,
        Decimal::new(2, 4),
        Decimal::new(6, 4),
        Decimal::new(5, 3),
    )
    .unwrap()
}

/// Kills the simulated process at one exchange call (see the module docs).
#[derive(Debug, Default)]
pub struct Tripwire {
    calls: AtomicU64,
    crash_at: Option<u64>,
    crashed: AtomicBool,
}

impl Tripwire {
    /// Never trips.
    pub fn never() -> Arc<Self> {
        Arc::new(Tripwire::default())
    }

    /// Trips at call number `n` (1-based).
    pub fn at(n: u64) -> Arc<Self> {
        Arc::new(Tripwire {
            crash_at: Some(n),
            ..Tripwire::default()
        })
    }

    /// Exchange calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// True once tripped.
    pub fn tripped(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    /// Counts a call: `Err` when the process is already dead; `Ok(true)`
    /// when this call is the fatal one (it runs, its answer is lost).
    fn enter(&self) -> Result<bool, ExchangeError> {
        if self.tripped() {
            return Err(ExchangeError::Connectivity("process killed".into()));
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fatal = self.crash_at == Some(n);
        if fatal {
            self.crashed.store(true, Ordering::SeqCst);
        }
        Ok(fatal)
    }
}

/// A paper account behind a [`Tripwire`].
pub struct Wired {
    inner: PaperAccount,
    wire: Arc<Tripwire>,
}

macro_rules! wired {
    ($self:ident, $call:expr) => {{
        let fatal = $self.wire.enter()?;
        let r = $call;
        if fatal {
            return Err(ExchangeError::Connectivity("process killed".into()));
        }
        r
    }};
}

#[async_trait]
impl Exchange for Wired {
    fn name(&self) -> &str {
        "paper"
    }
    async fn instrument(&self, s: &Symbol) -> Result<Instrument, ExchangeError> {
        wired!(self, self.inner.instrument(s).await)
    }
    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        wired!(self, self.inner.balance().await)
    }
    async fn set_leverage(&self, s: &Symbol, l: u32) -> Result<(), ExchangeError> {
        wired!(self, self.inner.set_leverage(s, l).await)
    }
    async fn place_orders(&self, o: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        wired!(self, self.inner.place_orders(o).await)
    }
    async fn cancel_orders(
        &self,
        s: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        wired!(self, self.inner.cancel_orders(s, ids).await)
    }
    async fn cancel_all(&self, s: &Symbol) -> Result<usize, ExchangeError> {
        wired!(self, self.inner.cancel_all(s).await)
    }
    async fn open_orders(&self, s: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        wired!(self, self.inner.open_orders(s).await)
    }
    async fn order(&self, s: &Symbol, id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        wired!(self, self.inner.order(s, id).await)
    }
    async fn fills_since(&self, s: &Symbol, c: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        wired!(self, self.inner.fills_since(s, c).await)
    }
    async fn position(&self, s: &Symbol) -> Result<Position, ExchangeError> {
        wired!(self, self.inner.position(s).await)
    }
    async fn close_position(&self, s: &Symbol, id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        wired!(self, self.inner.close_position(s, id).await)
    }
    fn execution_events(&self) -> ExecutionStream {
        self.inner.execution_events()
    }
}

/// Runs bots in-line for the simulation (the manager's launcher).
pub struct SimLauncher {
    runners: Mutex<BTreeMap<BotId, BotRunner>>,
    exchanges: HashMap<UserId, Arc<dyn Exchange>>,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    venue: PaperExchange,
    events: EventBus,
}

impl SimLauncher {
    fn ctx(&self, user: UserId) -> RunnerContext {
        RunnerContext {
            store: self.store.clone(),
            exchange: self.exchanges[&user].clone(),
            clock: self.clock.clone(),
            events: self.events.clone(),
            options: RunnerOptions {
                retry: RetryPolicy::immediate(1),
                ..RunnerOptions::default()
            },
        }
    }

    async fn start_runner(&self, bot: Bot) -> Result<(), RunnerError> {
        let price = self
            .venue
            .last_price(&bot.symbol)
            .ok_or_else(|| ExchangeError::InvalidOrder(format!("no price for {} yet", bot.symbol)))?;
        let id = bot.id;
        let lease = self.lease(id).await?;
        let mut r = BotRunner::load(bot.clone(), self.ctx(bot.user_id), lease).await?;
        r.resume(price, self.clock.now_ms()).await?;
        self.runners.lock().await.insert(id, r);
        Ok(())
    }

    /// The simulation's lease on a bot (one "process", always the same
    /// name, so a restarted simulation takes its bots back at once).
    async fn lease(&self, bot: BotId) -> Result<Lease, RunnerError> {
        self.store
            .acquire_lease(bot, "simulation", 3_600_000)
            .await?
            .ok_or_else(|| RunnerError::Store(StoreError::Conflict(format!("bot {bot} is leased elsewhere"))))
    }

    /// Feeds one market event to every runner of its symbol, by bot id.
    pub async fn feed(&self, event: &MarketEvent) -> Result<(), RunnerError> {
        let mut runners = self.runners.lock().await;
        for r in runners.values_mut() {
            r.on_market(event).await?;
        }
        runners.retain(|_, r| !r.is_finished());
        Ok(())
    }

    /// The bots with a live runner.
    pub async fn running(&self) -> Vec<BotId> {
        self.runners.lock().await.keys().copied().collect()
    }
}

#[async_trait]
impl BotLauncher for SimLauncher {
    async fn launch(&self, bot: Bot) -> Result<(), RunnerError> {
        self.start_runner(bot).await
    }

    async fn stop(&self, bot: Bot) -> Result<(), RunnerError> {
        let existing = self.runners.lock().await.remove(&bot.id);
        let mut r = match existing {
            Some(r) => r,
            None => {
                let lease = self.lease(bot.id).await?;
                BotRunner::load(bot.clone(), self.ctx(bot.user_id), lease).await?
            }
        };
        r.stop().await
    }

    fn is_running(&self, bot: BotId) -> bool {
        self.runners.try_lock().map(|r| r.contains_key(&bot)).unwrap_or(true)
    }
}

/// One simulated deployment.
pub struct Sim {
    pub venue: PaperExchange,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub launcher: Arc<SimLauncher>,
    pub manager: MultiBotManager,
    pub accounts: Vec<(UserId, PaperAccount)>,
    pub wire: Arc<Tripwire>,
}

/// The simulated users, in order.
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];

impl Sim {
    /// Builds the deployment around an existing venue and store (a fresh one
    /// or the state a killed run left).
    pub async fn build(venue: PaperExchange, store: Arc<MemoryStore>, wire: Arc<Tripwire>, now: i64) -> Sim {
        let clock = Arc::new(ManualClock::new(now));
        let map = ExchangeMap::new();
        let mut exchanges: HashMap<UserId, Arc<dyn Exchange>> = HashMap::new();
        let mut accounts = Vec::new();
        for name in USERS {
            let user = match store.user_by_name(name).await.unwrap() {
                Some(u) => u,
                None => store.create_user(name, "x", now).await.unwrap(),
            };
            let account = venue.open_account(name, Decimal::from(DEPOSIT)).unwrap();
            let ex: Arc<dyn Exchange> = Arc::new(Wired {
                inner: account.clone(),
                wire: wire.clone(),
            });
            map.insert(user.id, ex.clone());
            exchanges.insert(user.id, ex);
            accounts.push((user.id, account));
        }
        let events = EventBus::new();
        let store_dyn: Arc<dyn Store> = store.clone();
        let launcher = Arc::new(SimLauncher {
            runners: Mutex::new(BTreeMap::new()),
            exchanges,
            store: store_dyn.clone(),
            clock: clock.clone(),
            venue: venue.clone(),
            events: events.clone(),
        });
        let manager = MultiBotManager::new(store_dyn, Arc::new(map), launcher.clone(), clock.clone(), events);
        Sim {
            venue,
            store,
            clock,
            launcher,
            manager,
            accounts,
            wire,
        }
    }

    /// Resumes every bot the store says is running (process start).
    pub async fn resume_all(&self) -> Result<(), RunnerError> {
        let bots = self
            .store
            .bots_with_status(&[BotStatus::Starting, BotStatus::Running])
            .await?;
        for b in bots {
            self.launcher.start_runner(b).await?;
        }
        Ok(())
    }

    /// One step: every symbol's candle at `ts`.
    pub async fn step(&self, candles: &[(Symbol, Candle)]) -> Result<(), RunnerError> {
        if let Some((_, c)) = candles.first() {
            self.clock.set(c.ts + Interval::M1.millis());
        }
        for (s, c) in candles {
            self.venue.on_candle(s, c)?;
        }
        self.deliver(candles).await
    }

    /// The runners' half of a step (the venue already walked the candles).
    pub async fn deliver(&self, candles: &[(Symbol, Candle)]) -> Result<(), RunnerError> {
        if let Some((_, c)) = candles.first() {
            self.clock.set(c.ts + Interval::M1.millis());
        }
        for (s, c) in candles {
            let ev = MarketEvent::Candle {
                symbol: s.clone(),
                candle: *c,
            };
            self.launcher.feed(&ev).await?;
        }
        Ok(())
    }

    /// The user's id.
    pub fn user(&self, i: usize) -> UserId {
        self.accounts[i].0
    }
}

/// Candles of several symbols merged by open time (symbols in name order),
/// from the first time every symbol has a candle.
pub fn timeline(series: &[(Symbol, Vec<Candle>)]) -> Vec<Vec<(Symbol, Candle)>> {
    let start = series
        .iter()
        .filter_map(|(_, cs)| cs.first().map(|c| c.ts))
        .max()
        .unwrap_or(0);
    let mut by_ts: BTreeMap<i64, Vec<(Symbol, Candle)>> = BTreeMap::new();
    for (s, cs) in series {
        for c in cs.iter().filter(|c| c.ts >= start) {
            by_ts.entry(c.ts).or_default().push((s.clone(), *c));
        }
    }
    by_ts
        .into_values()
        .map(|mut v| {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        })
        .collect()
}

/// A trend template for the simulations.
#[allow(clippy::too_many_arguments)]
pub fn trend_template(
    symbol: &str,
    direction: TrendDirection,
    interval: Interval,
    fast: u32,
    slow: u32,
    leverage: u32,
    sl: Decimal,
    tp: Decimal,
) -> StrategyTemplate {
    StrategyTemplate::ema_crossover(
        format!("{symbol} {direction:?} {interval}"),
        Symbol::new(symbol).unwrap(),
        "simulation",
        direction,
        leverage,
        sl,
        tp,
        Decimal::TEN,
        Decimal::from(100_000),
        interval,
        fast,
        slow,
    )
}

/// A fresh venue with BTCUSDT and ETHUSDT and the first candle of each.
pub fn fresh_venue(first: &[(Symbol, Candle)]) -> PaperExchange {
    let venue = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt(), ethusdt()]);
    for (s, c) in first {
        venue.on_candle(s, c).unwrap();
    }
    venue
}

/// A durable venue kept in `store`'s journal, with BTCUSDT and ETHUSDT and
/// the first candle of each walked and committed.
pub async fn durable_venue(store: Arc<MemoryStore>, first: &[(Symbol, Candle)]) -> PaperExchange {
    let venue = reopen_venue(store).await;
    for (s, c) in first {
        venue.on_candle(s, c).unwrap();
    }
    venue.flush().await.unwrap();
    venue
}

/// The venue as `store`'s journal holds it: what a restarted process finds
/// (its claim fences the venue of the process that died).
pub async fn reopen_venue(store: Arc<MemoryStore>) -> PaperExchange {
    PaperExchange::open_journaled(
        store,
        JournalOptions::new("paper", "simulation").with_checkpoint_every(64, 1 << 20),
        PaperConfig::default(),
        vec![Instrument::btcusdt(), ethusdt()],
        None,
    )
    .await
    .unwrap()
    .0
}

/// Walks the candles of `step` that a restarted venue has not walked (its
/// journal did not commit them before the crash), as the market feed does
/// when it resumes from the venue's time.
pub fn catch_up(venue: &PaperExchange, step: &[(Symbol, Candle)]) {
    for (s, c) in step {
        let walked = venue
            .last_price_at(s)
            .is_some_and(|(_, ts)| ts >= c.ts + gridbot_core::paper::fill_model::PATH_OFFSETS_MS[3]);
        if !walked {
            venue.on_candle(s, c).unwrap();
        }
    }
}

/// What a scenario bot is.
pub enum PlanBot {
    /// A trend bot started from this template.
    Trend(StrategyTemplate),
    /// A grid bot with these settings (its investment is the amount).
    Grid(GridConfig),
}

/// One bot of a scenario: user index, bot, amount.
pub type PlanItem = (usize, PlanBot, Decimal);

/// A grid for the simulations.
pub fn grid(symbol: &str, lower: i64, upper: i64, grids: u32, mode: GridMode, leverage: u32) -> PlanBot {
    PlanBot::Grid(GridConfig::new(
        Symbol::new(symbol).unwrap(),
        Decimal::from(lower),
        Decimal::from(upper),
        grids,
        Spacing::Arithmetic,
        mode,
        Decimal::ZERO,
        leverage,
    ))
}

/// The month scenario (20 Apr – 20 May 2021): a long and a short trend bot,
/// long, short and neutral grids, leverage 1 to 3, on two symbols and three
/// accounts.
pub fn month_plan() -> Vec<PlanItem> {
    use rust_decimal_macros::dec;
    use Interval::*;
    use TrendDirection::*;
    vec![
        (
            0,
            PlanBot::Trend(trend_template("BTCUSDT", Long, M15, 9, 21, 3, dec!(2), dec!(4))),
            dec!(2000),
        ),
        (0, grid("ETHUSDT", 1800, 4600, 40, GridMode::Neutral, 1), dec!(3000)),
        (1, grid("BTCUSDT", 30000, 65000, 30, GridMode::Long, 2), dec!(3000)),
        (
            1,
            PlanBot::Trend(trend_template("ETHUSDT", Short, M5, 12, 26, 2, dec!(3), dec!(6))),
            dec!(1000),
        ),
        (2, grid("BTCUSDT", 40000, 64000, 20, GridMode::Short, 2), dec!(2000)),
    ]
}

/// Starts every bot of a plan through the manager, in order.
pub async fn start_plan(sim: &Sim, plan: Vec<PlanItem>) {
    for (user, bot, amount) in plan {
        let user = sim.user(user);
        let result = match bot {
            PlanBot::Trend(t) => {
                let t = sim.store.upsert_template(&t).await.unwrap();
                sim.manager
                    .start_from_template(user, t.id, gridbot_core::balance::Investment::Amount(amount))
                    .await
            }
            PlanBot::Grid(mut g) => {
                g.investment = amount;
                sim.manager.start_grid(user, g, BotSource::Manual).await
            }
        };
        result.unwrap();
    }
}
