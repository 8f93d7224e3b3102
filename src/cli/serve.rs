//! `gridbot serve`: the API, the dashboard and every bot in one process.
//!
//! With no flags and no setup it runs on embedded defaults:
//! - SQLite in `./gridbot-data/gridbot.db` (created on first start);
//! - the paper exchange, each user with their own account funded with a
//!   10,000 USDT demo balance; the venue is saved to
//!   `./gridbot-data/paper-venue.json` every 30 s and on shutdown, so
//!   balances, positions and orders survive a restart;
//! - the simulated market for the default symbols;
//! - a `demo` user created on first start, its password printed once and
//!   kept in `./gridbot-data/demo-login.txt` (mode 0600);
//! - the dashboard at `http://127.0.0.1:8080`, bound to loopback unless
//!   `--addr` says otherwise.
//!
//! On Ctrl-C (or SIGTERM) it stops accepting requests, lets runners save
//! their state and exit (bots stay `running` in the store), saves the paper
//! venue and exits; on the next start every running bot resumes.
//!
//! Secrets: the master key comes from `GRIDBOT_SECRET_KEY` (64 hex digits)
//! or `./gridbot-data/secret.key`; users' exchange keys are stored sealed
//! with it and never printed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use clap::ValueEnum;
use rust_decimal::Decimal;

use gridbot_bitget::{BitgetConfig, BitgetExchange, BitgetMarketData, Credentials};
use gridbot_core::advisor::cache::CacheConfig;
use gridbot_core::advisor::{BacktestAdvisor, BacktestAdvisorConfig, CachedAdvisor, CoreBacktester, GridBacktester};
use gridbot_core::clock::{Clock, SystemClock};
use gridbot_core::feed::{ReplayConfig, ReplayMarket, SimConfig, SimMarket};
use gridbot_core::manager::{EventBus, ExchangeProvider, MultiBotManager};
use gridbot_core::model::{AccountBalance, Instrument, MarketEvent, Symbol, UserId};
use gridbot_core::paper::{PaperConfig, PaperExchange, PaperSnapshot};
use gridbot_core::ports::{Advisor, Exchange, MarketData, Store};
use gridbot_core::runner::{MarketHub, RunnerOptions, Supervisor};
use gridbot_core::ExchangeError;
use gridbot_http::accounts::{Accounts, CredentialVerifier, PaperAccounts};
use gridbot_http::auth::limiter::AuthLimiter;
use gridbot_http::auth::password::hash_password;
use gridbot_http::auth::tokens::TokenService;
use gridbot_http::metrics::Metrics;
use gridbot_http::secrets::{load_or_create_master_key, CredentialCipher, ExchangeCredentials, SECRET_KEY_ENV};
use gridbot_http::services::Services;
use gridbot_http::AppState;

use super::CliError;

/// Which exchange bots trade on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExchangeKind {
    /// The built-in paper exchange (default).
    Paper,
    /// Bitget live trading with each user's saved keys.
    Bitget,
    /// Bitget demo trading with each user's saved demo keys.
    BitgetDemo,
}

/// Arguments of `gridbot serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (loopback by default; use 0.0.0.0:8080 to expose it).
    #[arg(long, env = "GRIDBOT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder for the SQLite file, the key file and the paper venue.
    #[arg(long, env = "GRIDBOT_DATA_DIR", default_value = "gridbot-data")]
    pub data_dir: PathBuf,
    /// Database: a SQLite file path, `sqlite://…`, `postgres://…` or `memory`
    /// (default: `<data-dir>/gridbot.db`).
    #[arg(long, env = "GRIDBOT_DB")]
    pub db: Option<String>,
    /// Exchange the bots trade on.
    #[arg(long, env = "GRIDBOT_EXCHANGE", value_enum, default_value = "paper")]
    pub exchange: ExchangeKind,
    /// Market data: `sim`, `replay:FILE.csv` or `bitget`.
    #[arg(long, env = "GRIDBOT_MARKET", default_value = "sim")]
    pub market: String,
    /// Demo balance of each paper account, USDT.
    #[arg(long, env = "GRIDBOT_DEMO_BALANCE", default_value = "10000")]
    pub demo_balance: Decimal,
    /// Market minutes per real minute for `sim` and `replay` (1 = real time).
    #[arg(long, env = "GRIDBOT_SIM_SPEED", default_value = "1")]
    pub sim_speed: u32,
    /// Do not create the `demo` user.
    #[arg(long, env = "GRIDBOT_NO_DEMO_USER")]
    pub no_demo_user: bool,
}

/// Runs `gridbot serve`.
pub async fn run(args: Args) -> Result<(), CliError> {
    // Logs go to stderr; `RUST_LOG` overrides the default `info`.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", args.data_dir.display())))?;
    let env_key = std::env::var(SECRET_KEY_ENV).ok();
    let key =
        load_or_create_master_key(env_key.as_deref(), &args.data_dir).map_err(|e| CliError::new(e.to_string()))?;
    let db = args.db.clone().unwrap_or_else(|| default_db(&args.data_dir));
    let store = gridbot_store::open(&db)
        .await
        .map_err(|e| CliError::runtime(format!("cannot open the database: {e}")))?;
    let seeded = gridbot_core::templates::seed_default_templates(&*store)
        .await
        .map_err(|e| CliError::runtime(format!("cannot seed templates: {e}")))?;
    if seeded > 0 {
        tracing::info!(count = seeded, "default strategy templates seeded");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let cipher = Arc::new(CredentialCipher::new(&key));

    let market = open_market(&args.market, args.sim_speed, clock.clone()).await?;
    let hub: Arc<dyn MarketData> = Arc::new(MarketHub::new(market.source.clone()));

    let mut venue_saver = None;
    let mut venue = None;
    let accounts: Arc<dyn AccountsProvider> = match args.exchange {
        ExchangeKind::Paper => {
            let v = open_venue(&args.data_dir, market.instruments.clone())?;
            venue_saver = Some(VenueSaver::new(v.clone(), &args.data_dir));
            venue = Some(v.clone());
            Arc::new(PaperAccounts::new(
                Arc::new(v),
                args.demo_balance,
                Arc::new(BitgetVerifier { force_demo: false }),
            ))
        }
        kind => Arc::new(BitgetAccounts::new(
            store.clone(),
            cipher.clone(),
            kind == ExchangeKind::BitgetDemo,
        )),
    };
    let feed = market.driver.start(venue.as_ref(), &market.source, &market.symbols)?;
    let provider = accounts.clone().as_provider();

    let events = EventBus::new();
    let supervisor = Supervisor::new(
        store.clone(),
        provider.clone(),
        hub.clone(),
        clock.clone(),
        events.clone(),
        RunnerOptions::default(),
    );
    let manager = Arc::new(MultiBotManager::new(
        store.clone(),
        provider,
        supervisor.clone(),
        clock.clone(),
        events,
    ));
    let backtester: Arc<dyn GridBacktester> = Arc::new(CoreBacktester::default());
    let advisor = make_advisor(backtester.clone(), store.clone(), clock.clone());

    if !args.no_demo_user {
        ensure_demo_user(&*store, &args.data_dir, clock.now_ms()).await?;
    }
    let resumed = supervisor
        .resume_all()
        .await
        .map_err(|e| CliError::runtime(format!("cannot resume bots: {e}")))?;
    let risk_watch = supervisor.spawn_risk_watch();
    if let Some(saver) = &venue_saver {
        saver.spawn_periodic();
    }

    let state = AppState {
        store,
        clock,
        accounts: accounts.as_accounts(),
        tokens: Arc::new(TokenService::new(&key)),
        cipher,
        limiter: Arc::new(AuthLimiter::default()),
        metrics: Arc::new(Metrics::default()),
        services: Services {
            manager,
            market: hub,
            advisor,
            backtester,
        },
    };
    let listener = gridbot_http::server::bind(args.addr)
        .await
        .map_err(|e| CliError::runtime(format!("cannot listen on {}: {e}", args.addr)))?;
    let local = listener.local_addr().unwrap_or(args.addr);
    println!("gridbot is serving the dashboard at http://{local} ({resumed} bots resumed; Ctrl-C stops)");
    let served = gridbot_http::server::serve(listener, state, gridbot_http::server::shutdown_signal()).await;

    println!("gridbot: stopping; bots will resume on the next start");
    risk_watch.abort();
    if let Some(feed) = feed {
        feed.abort();
    }
    supervisor.shutdown().await;
    if let Some(saver) = &venue_saver {
        saver.save();
    }
    served.map_err(|e| CliError::runtime(format!("server failed: {e}")))
}

fn default_db(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gridbot.db").display())
}

// ---- market data -------------------------------------------------------------

/// The market source with the symbols it serves and their instruments.
struct Market {
    source: Arc<dyn MarketData>,
    symbols: Vec<Symbol>,
    instruments: Vec<Instrument>,
    driver: MarketDriver,
}

async fn open_market(spec: &str, speed: u32, clock: Arc<dyn Clock>) -> Result<Market, CliError> {
    let default_symbols: Vec<Symbol> = gridbot_core::templates::DEFAULT_SYMBOLS
        .iter()
        .filter_map(|s| Symbol::new(s).ok())
        .collect();
    if spec == "sim" {
        let sim = SimMarket::new(SimConfig::default().with_speed(speed), clock)
            .map_err(|e| CliError::runtime(format!("cannot start the simulated market: {e}")))?;
        return Ok(Market {
            symbols: sim.hub().instruments().into_iter().map(|i| i.symbol).collect(),
            instruments: sim.hub().instruments(),
            source: Arc::new(sim.clone()),
            driver: MarketDriver::Sim(sim),
        });
    }
    if let Some(file) = spec.strip_prefix("replay:") {
        let replay = ReplayMarket::from_csv(Path::new(file), ReplayConfig::default().with_speed(speed), clock)
            .map_err(|e| CliError::new(format!("cannot replay {file}: {e}")))?;
        return Ok(Market {
            symbols: vec![replay.symbol().clone()],
            instruments: replay.hub().instruments(),
            source: Arc::new(replay.clone()),
            driver: MarketDriver::Replay(replay),
        });
    }
    if spec == "bitget" {
        let md = BitgetMarketData::new(BitgetConfig::live(None))
            .map_err(|e| CliError::runtime(format!("cannot set up Bitget market data: {e}")))?;
        let mut instruments = Vec::new();
        for s in &default_symbols {
            let i = md
                .instrument(s)
                .await
                .map_err(|e| CliError::runtime(format!("cannot load the {s} contract from Bitget: {e}")))?;
            instruments.push(i);
        }
        return Ok(Market {
            source: Arc::new(md),
            symbols: default_symbols,
            instruments,
            driver: MarketDriver::External,
        });
    }
    Err(CliError::new(format!(
        "--market must be sim, replay:FILE.csv or bitget, got {spec:?}"
    )))
}

/// How the paper venue gets its prices.
enum MarketDriver {
    /// The simulated market walks the venue itself and runs on a task.
    Sim(SimMarket),
    /// The replay walks the venue itself and runs on a task.
    Replay(ReplayMarket),
    /// An outside feed: a task per symbol passes its prices to the venue.
    External,
}

impl MarketDriver {
    /// Attaches the venue (when trading on paper) and starts the feed.
    fn start(
        &self,
        venue: Option<&PaperExchange>,
        source: &Arc<dyn MarketData>,
        symbols: &[Symbol],
    ) -> Result<Option<tokio::task::JoinHandle<()>>, CliError> {
        let attach_err =
            |e: gridbot_core::MarketDataError| CliError::runtime(format!("cannot attach the paper venue: {e}"));
        match self {
            MarketDriver::Sim(sim) => {
                if let Some(v) = venue {
                    sim.attach_venue(v.clone()).map_err(attach_err)?;
                }
                Ok(Some(sim.spawn()))
            }
            MarketDriver::Replay(replay) => {
                if let Some(v) = venue {
                    replay.attach_venue(v.clone()).map_err(attach_err)?;
                }
                Ok(Some(replay.spawn()))
            }
            MarketDriver::External => {
                if let Some(v) = venue {
                    drive_venue(v.clone(), source.clone(), symbols.to_vec());
                }
                Ok(None)
            }
        }
    }
}

// ---- paper venue --------------------------------------------------------------

fn venue_file(data_dir: &Path) -> PathBuf {
    data_dir.join("paper-venue.json")
}

/// The paper venue: restored from the data folder when saved before.
fn open_venue(data_dir: &Path, instruments: Vec<Instrument>) -> Result<PaperExchange, CliError> {
    let path = venue_file(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let snap: PaperSnapshot = serde_json::from_slice(&bytes)
                .map_err(|e| CliError::runtime(format!("{} is unreadable: {e}", path.display())))?;
            let venue = PaperExchange::restore(snap)
                .map_err(|e| CliError::runtime(format!("cannot restore {}: {e}", path.display())))?;
            let known: Vec<Symbol> = venue.instruments().into_iter().map(|i| i.symbol).collect();
            for i in instruments.into_iter().filter(|i| !known.contains(&i.symbol)) {
                venue.add_instrument(i);
            }
            Ok(venue)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(PaperExchange::with_instruments(PaperConfig::default(), instruments))
        }
        Err(e) => Err(CliError::runtime(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Feeds the venue from the market: ticks move prices (and fill orders);
/// a closed candle is walked only when no tick of it was seen (candle-only
/// sources such as a replay).
fn drive_venue(venue: PaperExchange, market: Arc<dyn MarketData>, symbols: Vec<Symbol>) {
    for symbol in symbols {
        let venue = venue.clone();
        let market = market.clone();
        tokio::spawn(async move {
            use futures::StreamExt;
            loop {
                let mut sub = match market.subscribe(&symbol).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%symbol, error = %e, "paper venue cannot subscribe; retrying");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                };
                let mut ticked = false;
                while let Some(ev) = sub.next().await {
                    let result = match &ev {
                        MarketEvent::Tick(t) => {
                            ticked = true;
                            venue.on_price(&t.symbol, t.price, t.ts)
                        }
                        MarketEvent::Candle { symbol, candle } => {
                            let r = if ticked {
                                Ok(())
                            } else {
                                venue.on_candle(symbol, candle)
                            };
                            ticked = false;
                            r
                        }
                        _ => Ok(()),
                    };
                    if let Err(e) = result {
                        tracing::warn!(%symbol, error = %e, "paper venue refused a market event");
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Saves the venue to the data folder (atomically: temp file + rename).
struct VenueSaver {
    venue: PaperExchange,
    path: PathBuf,
}

impl VenueSaver {
    fn new(venue: PaperExchange, data_dir: &Path) -> Self {
        VenueSaver {
            venue,
            path: venue_file(data_dir),
        }
    }

    fn save(&self) {
        if let Err(e) = save_venue(&self.venue, &self.path) {
            tracing::error!(path = %self.path.display(), error = %e, "paper venue not saved");
        }
    }

    fn spawn_periodic(&self) {
        let venue = self.venue.clone();
        let path = self.path.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(30));
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = save_venue(&venue, &path) {
                    tracing::error!(path = %path.display(), error = %e, "paper venue not saved");
                }
            }
        });
    }
}

fn save_venue(venue: &PaperExchange, path: &Path) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(&venue.snapshot()).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

// ---- accounts -------------------------------------------------------------------

/// An [`Accounts`] that is also the manager's [`ExchangeProvider`].
trait AccountsProvider: Accounts {
    fn as_provider(self: Arc<Self>) -> Arc<dyn ExchangeProvider>;
    fn as_accounts(self: Arc<Self>) -> Arc<dyn Accounts>;
}

impl<T: Accounts + 'static> AccountsProvider for T {
    fn as_provider(self: Arc<Self>) -> Arc<dyn ExchangeProvider> {
        self
    }
    fn as_accounts(self: Arc<Self>) -> Arc<dyn Accounts> {
        self
    }
}

fn bitget_config(creds: &ExchangeCredentials, demo: bool) -> BitgetConfig {
    let c = Credentials::new(&creds.api_key, &creds.api_secret, &creds.passphrase);
    if demo {
        BitgetConfig::demo(Some(c))
    } else {
        BitgetConfig::live(Some(c))
    }
}

/// Verifies keys with a Bitget balance call (demo keys on demo trading).
struct BitgetVerifier {
    force_demo: bool,
}

#[async_trait]
impl CredentialVerifier for BitgetVerifier {
    async fn verify(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        BitgetExchange::new(bitget_config(creds, creds.demo || self.force_demo))?
            .balance()
            .await
    }
}

/// Each user trades on Bitget with the keys they saved (decrypted on first
/// use, the client cached until the keys change).
struct BitgetAccounts {
    store: Arc<dyn Store>,
    cipher: Arc<CredentialCipher>,
    force_demo: bool,
    clients: RwLock<HashMap<UserId, Arc<dyn Exchange>>>,
}

impl BitgetAccounts {
    fn new(store: Arc<dyn Store>, cipher: Arc<CredentialCipher>, force_demo: bool) -> Self {
        BitgetAccounts {
            store,
            cipher,
            force_demo,
            clients: RwLock::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl ExchangeProvider for BitgetAccounts {
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        if let Some(x) = self.clients.read().ok().and_then(|m| m.get(&user).cloned()) {
            return Ok(x);
        }
        let record = self
            .store
            .credentials(user)
            .await
            .map_err(|e| ExchangeError::Connectivity(format!("credentials unavailable: {e}")))?
            .ok_or_else(|| ExchangeError::Auth("no Bitget API keys saved; add them under account settings".into()))?;
        let creds = self
            .cipher
            .open(&record)
            .map_err(|e| ExchangeError::Auth(e.to_string()))?;
        let demo = record.demo || self.force_demo;
        let client: Arc<dyn Exchange> = Arc::new(BitgetExchange::new(bitget_config(&creds, demo))?);
        if let Ok(mut m) = self.clients.write() {
            m.insert(user, client.clone());
        }
        Ok(client)
    }
}

#[async_trait]
impl Accounts for BitgetAccounts {
    async fn verify_credentials(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        BitgetVerifier {
            force_demo: self.force_demo,
        }
        .verify(creds)
        .await
    }

    async fn credentials_changed(&self, user: UserId) {
        if let Ok(mut m) = self.clients.write() {
            m.remove(&user);
        }
    }
}

// ---- advisor and demo user -------------------------------------------------------

/// The backtest advisor behind the hour-long cache (one computation per
/// symbol and timeframe at a time).
fn make_advisor(backtester: Arc<dyn GridBacktester>, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Arc<dyn Advisor> {
    let backtest: Arc<dyn Advisor> = Arc::new(BacktestAdvisor::new(backtester, BacktestAdvisorConfig::default()));
    Arc::new(CachedAdvisor::new(backtest, None, store, clock, CacheConfig::default()))
}

/// Creates the `demo` user on first start and prints its login.
async fn ensure_demo_user(store: &dyn Store, data_dir: &Path, now: i64) -> Result<(), CliError> {
    let login_file = data_dir.join("demo-login.txt");
    if store
        .user_by_name("demo")
        .await
        .map_err(|e| CliError::runtime(format!("cannot read users: {e}")))?
        .is_some()
    {
        println!("demo login: user `demo`, password in {}", login_file.display());
        return Ok(());
    }
    let password = random_password();
    let hash = hash_password(password.clone())
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    store
        .create_user("demo", &hash, now)
        .await
        .map_err(|e| CliError::runtime(format!("cannot create the demo user: {e}")))?;
    if let Err(e) = write_private(&login_file, &format!("user: demo\npassword: {password}\n")) {
        tracing::warn!(error = %e, "demo login not saved to a file");
    }
    println!(
        "demo login created: user `demo`, password `{password}` (also in {})",
        login_file.display()
    );
    Ok(())
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn defaults_bind_loopback_with_paper_sim_and_sqlite_in_the_data_folder() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.args.addr, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
        assert_eq!(cli.args.exchange, ExchangeKind::Paper);
        assert_eq!(cli.args.market, "sim");
        assert_eq!(cli.args.demo_balance, Decimal::from(10_000));
        assert_eq!(
            default_db(&cli.args.data_dir),
            "sqlite://gridbot-data/gridbot.db?mode=rwc"
        );
    }

    #[test]
    fn flags_select_bitget_demo_and_a_postgres_database() {
        let cli = Cli::try_parse_from([
            "serve",
            "--exchange",
            "bitget-demo",
            "--db",
            "postgres://u@localhost/g",
            "--addr",
            "0.0.0.0:9000",
        ])
        .unwrap();
        assert_eq!(cli.args.exchange, ExchangeKind::BitgetDemo);
        assert_eq!(cli.args.db.as_deref(), Some("postgres://u@localhost/g"));
        assert_eq!(cli.args.addr.port(), 9000);
    }

    #[tokio::test]
    async fn an_unknown_market_is_refused_with_the_forms_it_accepts() {
        let err = open_market("moon", 1, Arc::new(SystemClock)).await.err().unwrap();
        assert!(err.to_string().contains("sim, replay:FILE.csv or bitget"));
    }
}
