//! Runner safety on the paper exchange, with faults injected between the
//! runner and a real paper account (the venue itself is never mocked):
//! orders cancelled outside the bot, closes the exchange refuses, cancels
//! that fail, acknowledgements that get lost, fills booked again under a
//! new id, fills of no order of the bot, a lease taken over, stops racing
//! starts, and a stop interrupted by a crash.
//!
//! Every test runs the real supervisor and manager (one task per bot) over
//! a `MemoryStore`; the market is quiet (no ticks): fills reach the runners
//! through the account's execution events, as on a live exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use gridbot_core::clock::{Clock, ManualClock, SystemClock};
use gridbot_core::error::{ExchangeError, MarketDataError};
use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::manager::{EventBus, ExchangeMap, ManagerError, MultiBotManager};
use gridbot_core::model::{
    AccountBalance, Bot, BotId, BotOrderStatus, BotSource, BotStatus, Candle, ClientOrderId, Fill, FillCursor,
    Instrument, Interval, Order, OrderKind, OrderRequest, Position, Side, Symbol, UserId,
};
use gridbot_core::paper::{PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::{Exchange, ExecutionStream, FillPage, MarketData, MarketSubscription, Store};
use gridbot_core::runner::{BotLauncher, LeaseOptions, RetryPolicy, RunnerError, RunnerOptions, Supervisor};
use gridbot_core::Decimal;
use gridbot_store::MemoryStore;
use rust_decimal_macros::dec;

/// What the wire between the runner and the venue does wrong.
#[derive(Default)]
struct Faults {
    /// Reduce-only market orders are refused with this reason.
    refuse_closes: Option<String>,
    /// The next N cancel calls time out without reaching the venue.
    failing_cancels: u32,
    /// The next N placement calls reach the venue, then time out.
    lost_answers: u32,
    /// The next fill page repeats its first fill under a new id.
    duplicate_next_fill: bool,
    /// Closing orders hang forever (a process that dies mid-stop).
    hang_closes: bool,
    /// How often each client id reached the venue in a placement.
    sent: HashMap<ClientOrderId, u32>,
}

/// A paper account behind a faulty wire.
struct Faulty {
    inner: PaperAccount,
    faults: Arc<Mutex<Faults>>,
}

impl Faulty {
    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap()
    }
}

#[async_trait]
impl Exchange for Faulty {
    fn name(&self) -> &str {
        "paper"
    }
    async fn instrument(&self, s: &Symbol) -> Result<Instrument, ExchangeError> {
        self.inner.instrument(s).await
    }
    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        self.inner.balance().await
    }
    async fn set_leverage(&self, s: &Symbol, l: u32) -> Result<(), ExchangeError> {
        self.inner.set_leverage(s, l).await
    }
    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        let closing = orders.iter().any(|o| o.reduce_only && o.kind == OrderKind::Market);
        let (refuse, hang) = {
            let f = self.faults();
            (f.refuse_closes.clone(), f.hang_closes)
        };
        if closing && hang {
            futures::future::pending::<()>().await;
        }
        if let (true, Some(reason)) = (closing, refuse) {
            return Ok(orders
                .iter()
                .map(|_| Err(ExchangeError::InvalidOrder(reason.clone())))
                .collect());
        }
        {
            let mut f = self.faults();
            for o in orders {
                *f.sent.entry(o.client_id.clone()).or_default() += 1;
            }
        }
        let answers = self.inner.place_orders(orders).await;
        let mut f = self.faults();
        if f.lost_answers > 0 {
            f.lost_answers -= 1;
            return Err(ExchangeError::Timeout("the answer was lost".into()));
        }
        answers
    }
    async fn cancel_orders(
        &self,
        s: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        {
            let mut f = self.faults();
            if f.failing_cancels > 0 {
                f.failing_cancels -= 1;
                return Err(ExchangeError::Timeout("cancel timed out".into()));
            }
        }
        self.inner.cancel_orders(s, ids).await
    }
    async fn cancel_all(&self, s: &Symbol) -> Result<usize, ExchangeError> {
        self.inner.cancel_all(s).await
    }
    async fn open_orders(&self, s: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        self.inner.open_orders(s).await
    }
    async fn order(&self, s: &Symbol, id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.inner.order(s, id).await
    }
    async fn fills_since(&self, s: &Symbol, c: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        let mut page = self.inner.fills_since(s, c).await?;
        let mut f = self.faults();
        if f.duplicate_next_fill {
            if let Some(first) = page.fills.first().cloned() {
                f.duplicate_next_fill = false;
                let mut again = first;
                again.id = format!("{}-again", again.id);
                page.fills.push(again);
            }
        }
        Ok(page)
    }
    async fn position(&self, s: &Symbol) -> Result<Position, ExchangeError> {
        self.inner.position(s).await
    }
    async fn close_position(&self, s: &Symbol, id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.inner.close_position(s, id).await
    }
    fn execution_events(&self) -> ExecutionStream {
        self.inner.execution_events()
    }
}

/// Prices from the venue, no live market events.
struct Quiet(PaperExchange);

#[async_trait]
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

/// One deployment: a venue, a store, one user behind a faulty wire.
struct World {
    venue: PaperExchange,
    store: Arc<MemoryStore>,
    clock: Arc<dyn Clock>,
    map: Arc<ExchangeMap>,
    user: UserId,
    account: PaperAccount,
    faults: Arc<Mutex<Faults>>,
    btc: Symbol,
    ts: Mutex<i64>,
}

impl World {
    async fn new() -> World {
        Self::with_clock(Arc::new(SystemClock)).await
    }

    async fn with_clock(clock: Arc<dyn Clock>) -> World {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let venue = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
        venue.on_price(&btc, dec!(30000), 1_000).unwrap();
        let store = Arc::new(MemoryStore::with_clock(clock.clone()));
        let user = store.create_user("alice", "x", 0).await.unwrap().id;
        let account = venue.open_account("alice", dec!(100000)).unwrap();
        let faults = Arc::new(Mutex::new(Faults::default()));
        let map = Arc::new(ExchangeMap::new());
        map.insert(
            user,
            Arc::new(Faulty {
                inner: account.clone(),
                faults: faults.clone(),
            }),
        );
        World {
            venue,
            store,
            clock,
            map,
            user,
            account,
            faults,
            btc,
            ts: Mutex::new(1_000),
        }
    }

    fn process(&self, owner: &str) -> Arc<Supervisor> {
        let store: Arc<dyn Store> = self.store.clone();
        Supervisor::with_leases(
            store,
            self.map.clone(),
            Arc::new(Quiet(self.venue.clone())),
            self.clock.clone(),
            EventBus::new(),
            RunnerOptions {
                retry: RetryPolicy::immediate(3),
                ..RunnerOptions::default()
            },
            LeaseOptions {
                owner: owner.to_owned(),
                ttl_ms: 30_000,
                renew_automatically: false,
            },
        )
    }

    fn manager(&self, launcher: Arc<Supervisor>) -> MultiBotManager {
        let store: Arc<dyn Store> = self.store.clone();
        MultiBotManager::new(store, self.map.clone(), launcher, self.clock.clone(), EventBus::new())
    }

    fn grid(&self, mode: GridMode) -> GridConfig {
        GridConfig::new(
            self.btc.clone(),
            dec!(25000),
            dec!(35000),
            10,
            Spacing::Arithmetic,
            mode,
            dec!(1000),
            2,
        )
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap()
    }

    /// Moves the venue's price (orders the walk touches fill).
    fn price(&self, p: Decimal) {
        let mut ts = self.ts.lock().unwrap();
        *ts += 1_000;
        self.venue.on_price(&self.btc, p, *ts).unwrap();
    }

    /// The bot's resting orders on the venue.
    async fn resting(&self, bot: BotId) -> Vec<Order> {
        self.account
            .open_orders(&self.btc)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.client_id.bot() == Some(bot))
            .collect()
    }

    async fn position(&self) -> Decimal {
        self.account.position(&self.btc).await.unwrap().qty
    }

    async fn bot(&self, id: BotId) -> Bot {
        self.store.bot(id).await.unwrap().unwrap()
    }

    /// Waits (real time) until `cond` holds.
    async fn until<F, Fut>(&self, what: &str, mut cond: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..2_000 {
            if cond().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("timed out waiting until {what}");
    }

    async fn until_resting(&self, bot: BotId, n: usize) {
        self.until(&format!("bot {bot} has {n} resting orders"), || async move {
            self.resting(bot).await.len() == n
        })
        .await;
    }

    async fn until_status(&self, bot: BotId, status: BotStatus) {
        self.until(&format!("bot {bot} is {status:?}"), || async move {
            self.bot(bot).await.status == status
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_outside_the_bot_is_replaced_under_a_new_id() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    let victim = w.resting(bot.id).await.remove(3).client_id;
    let cell = victim.parse().unwrap().cell().unwrap();
    // Someone cancels it on the exchange, outside the bot.
    w.account
        .cancel_orders(&w.btc, std::slice::from_ref(&victim))
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    w.until("the cell's order is replaced", || async {
        let resting = w.resting(bot.id).await;
        resting.len() == 10 && !resting.iter().any(|o| o.client_id == victim)
    })
    .await;
    let replacement = w
        .resting(bot.id)
        .await
        .into_iter()
        .find(|o| o.client_id.parse().unwrap().cell() == Some(cell))
        .expect("the cell has an order again");
    assert_ne!(replacement.client_id, victim);
    let record = w.store.order_by_client_id(&victim).await.unwrap().unwrap();
    assert_eq!(record.status, BotOrderStatus::Canceled);
    assert_eq!(w.bot(bot.id).await.status, BotStatus::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_the_exchange_refuses_on_stop_leaves_the_bot_in_error_naming_the_position() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    // A long grid buys the cells above the price at start: it holds a position.
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Long), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    let held = w.position().await;
    assert!(held > Decimal::ZERO);
    w.faults().refuse_closes = Some("reduce-only orders are suspended on this symbol".into());
    let err = m.stop_bot(w.user, bot.id).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, ManagerError::Runner(RunnerError::PositionLeftOpen { .. })),
        "{err:?}"
    );
    assert!(
        message.contains(&format!("position of {held} BTCUSDT left open")),
        "{message}"
    );
    assert!(message.contains("reduce-only orders are suspended"), "{message}");
    let b = w.bot(bot.id).await;
    assert_eq!(b.status, BotStatus::Error);
    assert_eq!(b.error_message.as_deref(), Some(message.as_str()));
    assert!(w.resting(bot.id).await.is_empty(), "its orders are cancelled");
    assert_eq!(
        w.position().await,
        held,
        "the position is still there, and the bot says so"
    );
    // Once the exchange accepts closes again, stopping again finishes.
    w.faults().refuse_closes = None;
    m.stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(w.bot(bot.id).await.status, BotStatus::Stopped);
    assert_eq!(w.position().await, Decimal::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_that_keep_failing_are_retried_and_the_stop_ends_with_no_open_order() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    // More failures than one call's retries: the stop's rounds go on.
    w.faults().failing_cancels = 7;
    m.stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(w.bot(bot.id).await.status, BotStatus::Stopped);
    assert!(w.resting(bot.id).await.is_empty());
    assert_eq!(w.faults().failing_cancels, 0, "the failures were all met");
    for o in w.store.orders_for_bot(bot.id, false).await.unwrap() {
        assert!(
            !matches!(o.status, BotOrderStatus::Open | BotOrderStatus::Intended),
            "{o:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_acknowledgement_is_looked_up_by_client_id_and_never_sent_twice() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    w.faults().lost_answers = 2;
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    // Fill two buys and let the runner place their counter orders.
    w.price(dec!(27500));
    w.until("the filled cells flipped", || async {
        w.resting(bot.id).await.len() == 10
    })
    .await;
    {
        let f = w.faults();
        assert_eq!(f.lost_answers, 0);
        let twice: Vec<_> = f.sent.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "sent more than once: {twice:?}");
    }
    w.until("the records say the ten orders are open", || async {
        let records = w.store.orders_for_bot(bot.id, true).await.unwrap();
        records.len() == 10 && records.iter().all(|o| o.status == BotOrderStatus::Open)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_booked_again_under_a_new_id_is_refused_and_a_stop_still_closes_the_bot() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    w.faults().duplicate_next_fill = true;
    w.price(dec!(28500));
    w.until_status(bot.id, BotStatus::Error).await;
    let b = w.bot(bot.id).await;
    let message = b.error_message.unwrap();
    let venue_fills = w.account.fills().unwrap();
    assert_eq!(venue_fills.len(), 1);
    let original = &venue_fills[0];
    assert!(message.contains(&format!("{}-again", original.id)), "{message}");
    assert!(message.contains(original.client_id.as_str()), "{message}");
    assert!(message.contains("would book"), "{message}");
    let booked = w.store.fills_for_bot(bot.id, 100).await.unwrap();
    assert!(
        booked.iter().all(|f| !f.fill.id.ends_with("-again")),
        "the repeated fill is never booked: {booked:?}"
    );
    // A stop still takes it off the market and closes what its books hold
    // (this exchange reported the repeat once: the stop does not see it).
    m.stop_bot(w.user, bot.id).await.unwrap();
    let b = w.bot(bot.id).await;
    assert_eq!(b.status, BotStatus::Stopped);
    assert!(w.resting(bot.id).await.is_empty(), "its orders are cancelled");
    assert_eq!(w.position().await, Decimal::ZERO, "its own position is closed");
    let booked = w.store.fills_for_bot(bot.id, 100).await.unwrap();
    assert!(booked.iter().all(|f| !f.fill.id.ends_with("-again")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_of_no_order_of_the_bot_puts_it_in_error_and_a_stop_still_takes_it_off_the_market() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    // A manual trade on the bot's symbol, on the same account.
    let manual = OrderRequest::market(ClientOrderId::new("manual-1"), w.btc.clone(), Side::Buy, dec!(0.01));
    w.account.place_orders(&[manual]).await.unwrap().remove(0).unwrap();
    w.until_status(bot.id, BotStatus::Error).await;
    let message = w.bot(bot.id).await.error_message.unwrap();
    assert!(message.contains("manual-1"), "{message}");
    assert!(message.contains("matches none of the bot's orders"), "{message}");
    assert!(w.store.fills_for_bot(bot.id, 100).await.unwrap().is_empty());
    assert!(!w.resting(bot.id).await.is_empty(), "its grid still rests");
    // The user stops it: the stop takes the bot off the market (no order
    // of it rests) and ends `stopped`, naming the fill it left; the manual
    // trade is the user's and stays on the exchange.
    let stopped = m.stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(stopped.status, BotStatus::Stopped);
    assert!(w.resting(bot.id).await.is_empty(), "its orders are cancelled");
    assert_eq!(
        w.position().await,
        dec!(0.01),
        "the manual trade is not closed by the bot"
    );
    let b = w.bot(bot.id).await;
    assert_eq!(b.status, BotStatus::Stopped);
    let note = b.error_message.unwrap_or_default();
    assert!(note.contains("left unbooked") && note.contains("manual-1"), "{note}");
    assert!(w.store.fills_for_bot(bot.id, 100).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_whose_lease_was_taken_over_writes_nothing_and_sends_nothing() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let w = World::with_clock(clock.clone()).await;
    let a = w.process("process-a");
    let m = w.manager(a.clone());
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    // A stalls past its lease; B takes the bot over and resumes it.
    clock.advance(31_000);
    let b = w.process("process-b");
    b.maintain_leases().await.unwrap();
    w.until("b runs the bot", || async { b.is_running(bot.id) }).await;
    // A fill reaches both runners: only B may act on it.
    w.price(dec!(28500));
    w.until("a's runner stopped at its fenced write", || async {
        !a.is_running(bot.id)
    })
    .await;
    w.until_resting(bot.id, 10).await;
    {
        let f = w.faults();
        let twice: Vec<_> = f.sent.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "sent more than once: {twice:?}");
    }
    let fills = w.store.fills_for_bot(bot.id, 100).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(w.bot(bot.id).await.status, BotStatus::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_racing_starts_and_each_other_never_leave_an_order_or_a_position() {
    let w = Arc::new(World::new().await);
    let m = Arc::new(w.manager(w.process("p1")));
    for round in 0..24u64 {
        // Long grids buy at start: a stop that misses the start would leave a position.
        let bot = m
            .create_grid(w.user, w.grid(GridMode::Long), BotSource::Manual)
            .await
            .unwrap();
        let start = {
            let (m, user) = (m.clone(), w.user);
            tokio::spawn(async move { m.start_bot(user, bot.id).await })
        };
        tokio::time::sleep(Duration::from_millis(round % 8)).await;
        // Six stops at once (some before the start is through: refused as
        // "not running yet" or joined; none may strand anything).
        let stops: Vec<_> = (0..6)
            .map(|_| {
                let (m, user) = (m.clone(), w.user);
                tokio::spawn(async move { m.stop_bot(user, bot.id).await })
            })
            .collect();
        let started = start.await.unwrap();
        for s in stops {
            match s.await.unwrap() {
                Ok(b) => assert_eq!(b.status, BotStatus::Stopped, "round {round}: a stop that answered"),
                // Before the start was through: the bot was not running yet.
                Err(ManagerError::InvalidState { .. }) => {}
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        if started.is_ok() && w.bot(bot.id).await.status != BotStatus::Stopped {
            m.stop_bot(w.user, bot.id).await.unwrap();
        }
        let b = w.bot(bot.id).await;
        assert!(
            matches!(b.status, BotStatus::Stopped | BotStatus::Created),
            "round {round}: {:?} {:?}",
            b.status,
            b.error_message
        );
        assert!(w.resting(bot.id).await.is_empty(), "round {round}: orders left");
        assert_eq!(w.position().await, Decimal::ZERO, "round {round}: position left");
        let stopped = w
            .store
            .events_for_user(w.user, 1_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.bot_id == Some(bot.id) && e.kind == "bot.stopped")
            .count();
        assert!(stopped <= 1, "round {round}: stopped {stopped} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_interrupted_by_a_crash_is_finished_at_the_next_start_before_anything_else() {
    let w = World::new().await;
    let a = w.process("stable-name");
    let m = w.manager(a.clone());
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Long), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    // The stop cancels the orders, then dies while closing.
    w.faults().hang_closes = true;
    let stop = {
        let m = Arc::new(m);
        let user = w.user;
        tokio::spawn(async move { m.stop_bot(user, bot.id).await })
    };
    w.until("the orders are cancelled", || async {
        w.resting(bot.id).await.is_empty()
    })
    .await;
    stop.abort();
    drop(a);
    assert_eq!(w.bot(bot.id).await.status, BotStatus::Stopping);
    assert!(w.position().await > Decimal::ZERO);
    // The next process (same stable name: no lease wait) finishes the stop.
    w.faults().hang_closes = false;
    let b = w.process("stable-name");
    b.resume_all().await.unwrap();
    w.until_status(bot.id, BotStatus::Stopped).await;
    assert_eq!(w.position().await, Decimal::ZERO);
    assert!(w.resting(bot.id).await.is_empty());
    assert!(!b.is_running(bot.id), "a stopped bot's runner never acts again");
    let fills: Vec<Fill> = w.account.fills().unwrap();
    let booked = w.store.fills_for_bot(bot.id, 1_000).await.unwrap();
    assert_eq!(booked.len(), fills.len(), "every venue fill booked once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_bot_started_again_trades_a_new_run_under_ids_never_used_before() {
    let w = World::new().await;
    let m = w.manager(w.process("p1"));
    let bot = m
        .start_grid(w.user, w.grid(GridMode::Neutral), BotSource::Manual)
        .await
        .unwrap();
    w.until_resting(bot.id, 10).await;
    w.price(dec!(28500));
    w.until("a buy filled and flipped", || async {
        w.resting(bot.id).await.len() == 10
    })
    .await;
    m.stop_bot(w.user, bot.id).await.unwrap();
    assert_eq!(w.position().await, Decimal::ZERO);
    let first_run: Vec<ClientOrderId> = w
        .store
        .orders_for_bot(bot.id, false)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.client_id)
        .collect();
    // Started again: a new run whose orders rest, under new ids.
    let again = m.start_bot(w.user, bot.id).await.unwrap();
    assert!(matches!(again.status, BotStatus::Starting | BotStatus::Running));
    w.until_resting(bot.id, 10).await;
    w.until_status(bot.id, BotStatus::Running).await;
    for o in w.resting(bot.id).await {
        assert!(
            !first_run.contains(&o.client_id),
            "{} was used by the first run",
            o.client_id
        );
    }
    m.stop_bot(w.user, bot.id).await.unwrap();
    assert!(w.resting(bot.id).await.is_empty());
    assert_eq!(w.position().await, Decimal::ZERO);
}
