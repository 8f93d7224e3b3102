//! [`GridbotBuilder`]: choose an exchange, a market, a store and an advisor;
//! [`GridbotBuilder::build`] wires them into a running [`Gridbot`].

use std::path::PathBuf;
use std::sync::Arc;

use gridbot_core::advisor::{BacktestAdvisorConfig, CoreBacktester, GridBacktester};
use gridbot_core::clock::{Clock, SystemClock};
use gridbot_core::feed::{ReplayConfig, SimConfig};
use gridbot_core::manager::{EventBus, ExchangeProvider, MultiBotManager, SharedExchange};
use gridbot_core::model::{Instrument, Interval, Symbol};
use gridbot_core::paper::{PaperAccounts, PaperConfig, PaperExchange};
use gridbot_core::ports::{Advisor, Exchange, MarketData, Store};
use gridbot_core::runner::{LeaseOptions, MarketHub, RunnerOptions, Supervisor};
use gridbot_core::Decimal;

use super::advisor::{AdvisorChoice, MarketRequests};
use super::error::BuildError;
use super::market::MarketChoice;
use super::Gridbot;

/// Demo deposit of a paper account when none is given, USDT.
pub const DEFAULT_DEPOSIT: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// Who the bots trade with.
enum ExchangeChoice {
    Paper {
        deposit: Decimal,
        config: PaperConfig,
        snapshot: Option<PathBuf>,
        journal: Option<String>,
    },
    Provider(Arc<dyn ExchangeProvider>),
}

/// Where bots, orders, fills and the advice cache are kept.
enum StoreChoice {
    Memory,
    Url(String),
    Given(Arc<dyn Store>),
}

/// Assembles a [`Gridbot`]. Every setting has a default, so
/// `Gridbot::builder().build().await` runs: the paper exchange (10,000 USDT
/// per user), the simulated market in real time, the in-memory store and
/// the backtest advisor.
///
/// - Exchange: [`paper`](Self::paper) (default), [`exchange`](Self::exchange)
///   (one account of any [`Exchange`], yours included) or
///   [`exchange_provider`](Self::exchange_provider) (an account per user).
/// - Market: [`sim_market`](Self::sim_market) (default),
///   [`replay_market`](Self::replay_market), `bitget_market` (feature
///   `bitget`) or [`market_data`](Self::market_data) (any [`MarketData`]).
/// - Store: [`memory_store`](Self::memory_store) (default), `sqlite`
///   (feature `sqlite`), `postgres` (feature `postgres`),
///   [`database_url`](Self::database_url) or [`store`](Self::store) (any
///   [`Store`]).
/// - Advisor: the backtest advisor (default), `deepseek` (feature
///   `deepseek`) or [`advisor`](Self::advisor) (any [`Advisor`]).
#[must_use = "a builder does nothing until `build` is awaited"]
pub struct GridbotBuilder {
    clock: Arc<dyn Clock>,
    exchange: ExchangeChoice,
    market: MarketChoice,
    run_market: bool,
    store: StoreChoice,
    advisor: AdvisorChoice,
    refresh: Vec<(Symbol, Interval)>,
    runner: RunnerOptions,
    runner_name: Option<String>,
    seed_templates: bool,
}

impl Default for GridbotBuilder {
    fn default() -> Self {
        GridbotBuilder {
            clock: Arc::new(SystemClock),
            exchange: ExchangeChoice::Paper {
                deposit: DEFAULT_DEPOSIT,
                config: PaperConfig::default(),
                snapshot: None,
                journal: None,
            },
            market: MarketChoice::Sim(SimConfig::default()),
            run_market: true,
            store: StoreChoice::Memory,
            advisor: AdvisorChoice::Backtest(BacktestAdvisorConfig::default()),
            refresh: Vec::new(),
            runner: RunnerOptions::default(),
            runner_name: None,
            seed_templates: true,
        }
    }
}

impl GridbotBuilder {
    /// The clock bots, markets and caches run on (the system clock by
    /// default; a [`gridbot_core::clock::ManualClock`] for simulations).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    // ---- exchange ----------------------------------------------------------

    /// Trade on the built-in paper exchange: each user gets their own
    /// account, opened with `deposit` USDT on first use. The venue lives in
    /// memory unless [`paper_journal`](Self::paper_journal) makes it durable.
    pub fn paper(mut self, deposit: Decimal) -> Self {
        self.exchange = ExchangeChoice::Paper {
            deposit,
            config: PaperConfig::default(),
            snapshot: None,
            journal: None,
        };
        self
    }

    /// Keep the paper venue durable in the store's venue journal under
    /// `venue` (`gridbot serve` uses [`crate::facade::venue::VENUE_NAME`]),
    /// claimed by this process's [`runner_name`](Self::runner_name): every
    /// accepted, cancelled or filled order is committed before anyone is
    /// told, and the next build continues from the last committed state
    /// (the simulated market too). A store without a venue journal gets an
    /// in-memory venue and a warning. Only with [`paper`](Self::paper);
    /// see [`crate::facade::venue`].
    pub fn paper_journal(mut self, venue: impl Into<String>) -> Self {
        if let ExchangeChoice::Paper { journal, .. } = &mut self.exchange {
            *journal = Some(venue.into());
        }
        self
    }

    /// Settings of the paper venue (slippage, default leverage); only with
    /// [`paper`](Self::paper).
    pub fn paper_config(mut self, config: PaperConfig) -> Self {
        if let ExchangeChoice::Paper { config: c, .. } = &mut self.exchange {
            *c = config;
        }
        self
    }

    /// A paper venue file of an earlier version (JSON, formerly saved
    /// every 30 s): imported once into the venue journal while the journal
    /// is empty, then renamed `….imported` (kept as it is with the
    /// in-memory store, where nothing outlives the process). Turns on
    /// [`paper_journal`](Self::paper_journal) with the venue name `paper`
    /// unless another was given. Only with [`paper`](Self::paper). See
    /// [`crate::facade::venue`].
    pub fn paper_snapshot(mut self, path: impl Into<PathBuf>) -> Self {
        if let ExchangeChoice::Paper { snapshot, journal, .. } = &mut self.exchange {
            *snapshot = Some(path.into());
            journal.get_or_insert_with(|| super::venue::VENUE_NAME.to_owned());
        }
        self
    }

    /// Every user trades on this one account (any [`Exchange`], your own
    /// included). The market still comes from the market setting.
    pub fn exchange(mut self, exchange: Arc<dyn Exchange>) -> Self {
        self.exchange = ExchangeChoice::Provider(Arc::new(SharedExchange(exchange)));
        self
    }

    /// Each user trades on the account `provider` gives them.
    pub fn exchange_provider(mut self, provider: Arc<dyn ExchangeProvider>) -> Self {
        self.exchange = ExchangeChoice::Provider(provider);
        self
    }

    // ---- market ------------------------------------------------------------

    /// The seeded simulated market (the default: the default symbols, 30 days
    /// of history, real time). It runs on its own task unless
    /// [`step_market_manually`](Self::step_market_manually).
    pub fn sim_market(mut self, config: SimConfig) -> Self {
        self.market = MarketChoice::Sim(config);
        self
    }

    /// A candle file (`ts_ms,open,high,low,close,volume`) played as a market.
    pub fn replay_market(mut self, path: impl Into<PathBuf>, config: ReplayConfig) -> Self {
        self.market = MarketChoice::Replay {
            path: path.into(),
            config,
        };
        self
    }

    /// Bitget's public market data for `symbols` (their contracts are
    /// loaded from Bitget at build).
    #[cfg(feature = "bitget")]
    pub fn bitget_market(mut self, config: gridbot_bitget::BitgetConfig, symbols: Vec<Symbol>) -> Self {
        self.market = MarketChoice::Bitget { config, symbols };
        self
    }

    /// Any market data source (yours included), trading `instruments`.
    /// With the paper exchange, its ticks and candles drive the venue.
    pub fn market_data(mut self, source: Arc<dyn MarketData>, instruments: Vec<Instrument>) -> Self {
        self.market = MarketChoice::Custom { source, instruments };
        self
    }

    /// Do not run the simulated or replay market on a task: the caller moves
    /// it with [`Gridbot::sim_market`]`().step()` (or the replay's `step`),
    /// typically with a [`gridbot_core::clock::ManualClock`].
    pub fn step_market_manually(mut self) -> Self {
        self.run_market = false;
        self
    }

    // ---- store ---------------------------------------------------------------

    /// Keep everything in memory (the default; nothing survives the process).
    pub fn memory_store(mut self) -> Self {
        self.store = StoreChoice::Memory;
        self
    }

    /// A SQLite file, created (and migrated) when missing.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.store = StoreChoice::Url(format!("sqlite://{}?mode=rwc", path.as_ref().display()));
        self
    }

    /// A PostgreSQL database (`postgres://user:password@host:5432/db`),
    /// migrated at build.
    #[cfg(feature = "postgres")]
    pub fn postgres(mut self, url: impl Into<String>) -> Self {
        self.store = StoreChoice::Url(url.into());
        self
    }

    /// A store named by URL: `memory`, `sqlite://…`, a file path or
    /// `postgres://…` (see [`gridbot_store::open`]).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.store = StoreChoice::Url(url.into());
        self
    }

    /// Any [`Store`], yours included.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = StoreChoice::Given(store);
        self
    }

    /// Whether build seeds the default strategy templates into the store
    /// (default: yes; existing templates are kept).
    pub fn seed_templates(mut self, seed: bool) -> Self {
        self.seed_templates = seed;
        self
    }

    // ---- advisor -------------------------------------------------------------

    /// The backtest advisor with these settings (the default advisor).
    pub fn backtest_advisor(mut self, config: BacktestAdvisorConfig) -> Self {
        self.advisor = AdvisorChoice::Backtest(config);
        self
    }

    /// DeepSeek proposals, re-backtested; the backtest advisor answers
    /// whenever DeepSeek fails or its budget (5 calls an hour) is spent.
    #[cfg(feature = "deepseek")]
    pub fn deepseek(mut self, config: gridbot_deepseek::DeepSeekConfig) -> Self {
        self.advisor = AdvisorChoice::DeepSeek(config);
        self
    }

    /// Any [`Advisor`], yours included; used as it is (not cached).
    pub fn advisor(mut self, advisor: Arc<dyn Advisor>) -> Self {
        self.advisor = AdvisorChoice::Custom(advisor);
        self
    }

    /// Recompute the advice for these `(symbol, timeframe)` pairs in the
    /// background, now and then shortly before each answer expires (hourly),
    /// so users asking for them never wait. Ignored with an advisor of your
    /// own.
    pub fn refresh_advice(mut self, popular: Vec<(Symbol, Interval)>) -> Self {
        self.refresh = popular;
        self
    }

    // ---- runners ---------------------------------------------------------------

    /// Retry and timing settings of the bot runners.
    pub fn runner_options(mut self, options: RunnerOptions) -> Self {
        self.runner = options;
        self
    }

    /// This process's name in the store's lease table. Give one that stays
    /// the same across restarts of this installation (and that no other live
    /// process uses): a restarted process then takes its bots back at once
    /// instead of waiting for its old leases to expire. `gridbot serve`
    /// keeps its name in the data folder. Default: a name unique to the
    /// process (see [`LeaseOptions::default`]).
    pub fn runner_name(mut self, name: impl Into<String>) -> Self {
        self.runner_name = Some(name.into());
        self
    }

    /// Opens the store, the market and the exchange, and wires the manager,
    /// the supervisor (with its daily-loss watch), the advisor and the
    /// background tasks. Bots saved as running do not resume until
    /// [`Gridbot::resume`]. Must be called inside a tokio runtime.
    pub async fn build(self) -> Result<Gridbot, BuildError> {
        let clock = self.clock;
        // An import into the in-memory store keeps the file: nothing of it
        // would outlive the process.
        let keeps_import = !matches!(self.store, StoreChoice::Memory);
        let store: Arc<dyn Store> = match self.store {
            // Leases expire by the store's clock: the deployment's.
            StoreChoice::Memory => Arc::new(gridbot_store::MemoryStore::with_clock(clock.clone())),
            StoreChoice::Url(url) => gridbot_store::open(&url).await?,
            StoreChoice::Given(store) => store,
        };
        if self.seed_templates {
            let seeded = gridbot_core::templates::seed_default_templates(&*store).await?;
            if seeded > 0 {
                tracing::info!(count = seeded, "default strategy templates seeded");
            }
        }
        let leases = self.runner_name.map(LeaseOptions::named).unwrap_or_default();
        // The venue first: a durable one knows where the market stood.
        let paper = match self.exchange {
            ExchangeChoice::Paper {
                deposit,
                config,
                snapshot,
                journal,
            } => {
                let venue = match journal {
                    Some(name) => {
                        super::venue::open_durable(
                            store.clone(),
                            &name,
                            &leases.owner,
                            config,
                            Vec::new(),
                            snapshot.as_deref(),
                            keeps_import,
                        )
                        .await?
                    }
                    None => PaperExchange::new(config),
                };
                Ok((venue, deposit))
            }
            ExchangeChoice::Provider(p) => Err(p),
        };
        let market = self
            .market
            .open(clock.clone(), paper.as_ref().ok().map(|(v, _)| v))
            .await?;
        let hub: Arc<dyn MarketData> = Arc::new(MarketHub::new(market.source.clone()));
        let symbols: Vec<Symbol> = market.instruments.iter().map(|i| i.symbol.clone()).collect();

        let (provider, venue): (Arc<dyn ExchangeProvider>, _) = match paper {
            Ok((venue, deposit)) => {
                for i in &market.instruments {
                    venue.add_instrument(i.clone());
                }
                (Arc::new(PaperAccounts::new(venue.clone(), deposit)), Some(venue))
            }
            Err(p) => (p, None),
        };
        let tasks = market
            .driver
            .start(venue.as_ref(), &market.source, &symbols, self.run_market)?;

        let mut tasks = tasks;
        let events = EventBus::new();
        let supervisor = Supervisor::with_leases(
            store.clone(),
            provider.clone(),
            hub.clone(),
            clock.clone(),
            events.clone(),
            self.runner,
            leases,
        );
        let manager = Arc::new(MultiBotManager::new(
            store.clone(),
            provider.clone(),
            supervisor.clone(),
            clock.clone(),
            events.clone(),
        ));
        tasks.push(supervisor.spawn_risk_watch());

        let backtester: Arc<dyn GridBacktester> = Arc::new(CoreBacktester::default());
        let assembled = self
            .advisor
            .assemble(backtester.clone(), store.clone(), clock.clone())?;
        if let (Some(cached), false) = (&assembled.cached, self.refresh.is_empty()) {
            let source = Arc::new(MarketRequests {
                market: hub.clone(),
                instruments: market.instruments.clone(),
                clock: clock.clone(),
            });
            tasks.push(cached.spawn_refresh(self.refresh, source));
        }

        Ok(Gridbot {
            manager,
            supervisor,
            events,
            store,
            market: hub,
            instruments: market.instruments,
            provider,
            advisor: assembled.advisor,
            backtester,
            clock,
            venue,
            driver: market.driver,
            tasks,
        })
    }
}
