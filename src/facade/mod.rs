//! The facade: [`Gridbot`], a whole trading system assembled by
//! [`GridbotBuilder`] — exchange, market data, store, advisor, the
//! multi-bot manager and the supervisor that runs one task per bot.
//!
//! `gridbot serve` is built on it, so the CLI and an embedding program run
//! the same wiring. Modules:
//! - [`venue`]: how the paper venue is kept durable in the store's journal.
//!
//! Lifecycle: [`GridbotBuilder::build`] → [`Gridbot::resume`] (bots saved as
//! running start again) → use [`Gridbot::manager`] → [`Gridbot::shutdown`]
//! (runners save their state and exit; running bots stay `running` in the
//! store and resume on the next start). Dropping a `Gridbot` without
//! `shutdown` stops its background tasks but not the bot runners.

mod advisor;
mod builder;
mod error;
mod market;
pub mod venue;

use std::sync::Arc;
use std::time::Duration;

use gridbot_core::advisor::GridBacktester;
use gridbot_core::clock::Clock;
use gridbot_core::feed::{ReplayMarket, SimMarket};
use gridbot_core::manager::{EventBus, ExchangeProvider, ManagerError, MultiBotManager};
use gridbot_core::model::{BotStatus, Instrument, Symbol, UserId};
use gridbot_core::paper::PaperExchange;
use gridbot_core::ports::{Advisor, Exchange, MarketData, Store};
use gridbot_core::runner::Supervisor;
use gridbot_core::{Decimal, ExchangeError, StoreError};
use tokio::task::JoinHandle;

pub use advisor::BACKTEST_CALLS_PER_HOUR;
pub use builder::{GridbotBuilder, DEFAULT_DEPOSIT};
pub use error::BuildError;

use market::Driver;

/// Password hash of users made by [`Gridbot::ensure_user`]: not an argon2
/// hash, so no password ever matches and such a user cannot log in over HTTP.
const NO_LOGIN: &str = "!";

/// A running gridbot system (see the module docs).
pub struct Gridbot {
    manager: Arc<MultiBotManager>,
    supervisor: Arc<Supervisor>,
    events: EventBus,
    store: Arc<dyn Store>,
    market: Arc<dyn MarketData>,
    instruments: Vec<Instrument>,
    provider: Arc<dyn ExchangeProvider>,
    advisor: Arc<dyn Advisor>,
    backtester: Arc<dyn GridBacktester>,
    clock: Arc<dyn Clock>,
    venue: Option<PaperExchange>,
    driver: Driver,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Gridbot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gridbot")
            .field("instruments", &self.instruments.len())
            .field("paper", &self.venue.is_some())
            .finish_non_exhaustive()
    }
}

impl Gridbot {
    /// A builder with every default (see [`GridbotBuilder`]).
    pub fn builder() -> GridbotBuilder {
        GridbotBuilder::default()
    }

    /// Starts, stops, lists and summarises bots.
    pub fn manager(&self) -> &Arc<MultiBotManager> {
        &self.manager
    }

    /// Runs one task per bot; resumes and shuts them down.
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.supervisor
    }

    /// Bot status and stats changes, published by the manager and the
    /// runners ([`EventBus::subscribe`]).
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Market data as bots see it (one upstream subscription per symbol).
    pub fn market(&self) -> &Arc<dyn MarketData> {
        &self.market
    }

    /// The contracts the market trades.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Which exchange account each user trades on.
    pub fn exchange_provider(&self) -> &Arc<dyn ExchangeProvider> {
        &self.provider
    }

    /// The exchange account of `user`.
    pub async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        self.provider.exchange_for(user).await
    }

    /// The advisor (grid recommendations).
    pub fn advisor(&self) -> &Arc<dyn Advisor> {
        &self.advisor
    }

    /// The grid backtester behind the advisor.
    pub fn backtester(&self) -> &Arc<dyn GridBacktester> {
        &self.backtester
    }

    /// The clock everything runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The paper venue, when trading on paper.
    pub fn paper_venue(&self) -> Option<&PaperExchange> {
        self.venue.as_ref()
    }

    /// The simulated market, when it is the market (call its `step` after
    /// [`GridbotBuilder::step_market_manually`]).
    pub fn sim_market(&self) -> Option<&SimMarket> {
        match &self.driver {
            Driver::Sim(s) => Some(s),
            _ => None,
        }
    }

    /// The replay market, when it is the market.
    pub fn replay_market(&self) -> Option<&ReplayMarket> {
        match &self.driver {
            Driver::Replay(r) => Some(r),
            _ => None,
        }
    }

    /// The user called `name`, created (unable to log in over HTTP) when
    /// missing: how a program that has no login gets a user to own bots.
    pub async fn ensure_user(&self, name: &str) -> Result<UserId, StoreError> {
        if let Some(u) = self.store.user_by_name(name).await? {
            return Ok(u.id);
        }
        Ok(self.store.create_user(name, NO_LOGIN, self.clock.now_ms()).await?.id)
    }

    /// Resumes every bot the store holds as running (and finishes
    /// interrupted stops); returns how many resumed.
    pub async fn resume(&self) -> Result<usize, ManagerError> {
        Ok(self.supervisor.resume_all().await?)
    }

    /// Waits until no bot of `user` is still starting and every running one
    /// on one of the `closes`' symbols reports that close as its last price
    /// (runners save their stats after handling a candle), or until
    /// `timeout` (real time). Returns whether they all caught up.
    ///
    /// For markets stepped by hand ([`GridbotBuilder::step_market_manually`],
    /// a market of your own): call it after each step so the runners never
    /// fall behind the feed.
    pub async fn wait_for_bots(
        &self,
        user: UserId,
        closes: &[(Symbol, Decimal)],
        timeout: Duration,
    ) -> Result<bool, StoreError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let bots = self.store.bots_for_user(user, None).await?;
            let behind = bots.iter().any(|b| match b.status {
                BotStatus::Starting => true,
                BotStatus::Running => closes
                    .iter()
                    .any(|(s, close)| *s == b.symbol && b.stats.last_price != *close),
                _ => false,
            });
            if !behind {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    /// Waits until every change of a durable paper venue is committed to
    /// its journal (at once otherwise; see [`GridbotBuilder::paper_journal`]).
    pub async fn flush_paper_venue(&self) -> Result<(), ExchangeError> {
        match &self.venue {
            Some(v) => v.flush().await,
            None => Ok(()),
        }
    }

    /// Stops the market and background tasks, lets every runner save its
    /// state and exit (running bots stay `running` in the store and resume
    /// on the next start), then waits for the paper venue's last commit.
    pub async fn shutdown(mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        self.supervisor.shutdown().await;
        if let Err(e) = self.flush_paper_venue().await {
            tracing::error!(error = %e, "the paper venue's last changes are not committed");
        }
    }
}

impl Drop for Gridbot {
    fn drop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_across_tasks<T: Send + Sync>() {}

    #[test]
    fn what_programs_share_across_tasks_is_send_and_sync() {
        shared_across_tasks::<Gridbot>();
        shared_across_tasks::<GridbotBuilder>();
        shared_across_tasks::<BuildError>();
        shared_across_tasks::<gridbot_core::paper::PaperAccounts>();
        shared_across_tasks::<MultiBotManager>();
        shared_across_tasks::<Supervisor>();
        #[cfg(feature = "bitget")]
        shared_across_tasks::<gridbot_bitget::BitgetExchange>();
        #[cfg(feature = "deepseek")]
        shared_across_tasks::<gridbot_deepseek::DeepSeekAdvisor>();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn popular_advice_is_computed_in_the_background_without_anyone_asking() {
        use gridbot_core::advisor::CachedAdvisor;
        use gridbot_core::model::Interval;
        let sim = gridbot_core::feed::SimConfig::default()
            .with_symbols(&["BTCUSDT"])
            .with_history_days(8);
        let btc = Symbol::new("BTCUSDT").unwrap();
        let g = Gridbot::builder()
            .sim_market(sim)
            .refresh_advice(vec![(btc.clone(), Interval::H1)])
            .build()
            .await
            .unwrap();
        let key = CachedAdvisor::key(&btc, Interval::H1);
        let mut cached = None;
        for _ in 0..600 {
            cached = g.store().cache_get(&key, g.clock().now_ms()).await.unwrap();
            if cached.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        g.shutdown().await;
        assert!(cached.is_some(), "the refresh stored an answer under {key}");
    }

    #[tokio::test]
    async fn a_user_made_for_a_program_is_found_again_and_cannot_log_in() {
        let sim = gridbot_core::feed::SimConfig::default()
            .with_symbols(&["BTCUSDT"])
            .with_history_days(0);
        let g = Gridbot::builder().sim_market(sim).build().await.unwrap();
        let a = g.ensure_user("prog").await.unwrap();
        assert_eq!(g.ensure_user("prog").await.unwrap(), a);
        let user = g.store().user(a).await.unwrap().unwrap();
        assert_eq!(user.password_hash, NO_LOGIN);
        let account = g.exchange_for(a).await.unwrap();
        assert_eq!(account.balance().await.unwrap().equity, DEFAULT_DEPOSIT);
        g.shutdown().await;
    }
}
