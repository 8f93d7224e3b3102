//! `gridbot serve`: the API, the dashboard and every bot in one process.
//!
//! With no flags and no setup it runs on embedded defaults:
//! - SQLite in `./gridbot-data/gridbot.db` (created on first start);
//! - the paper exchange, each user with their own account funded with a
//!   10,000 USDT demo balance; the venue is journaled in the same database
//!   (venue `paper`, claimed by this process's runner name) and commits
//!   every accepted, cancelled or filled order before anyone is told, so
//!   balances, positions, orders, fills and the simulated market's time
//!   survive kill -9 exactly; a `paper-venue.json` of an earlier version
//!   is imported once and renamed `paper-venue.json.imported`
//!   ([`gridbot::facade::venue`]);
//! - the simulated market for the default symbols;
//! - the backtest advisor behind an hour-long cache, the advice for
//!   BTC, ETH and SOL on 15-minute candles refreshed in the background;
//!   `--advisor deepseek` (key in `GRIDBOT_DEEPSEEK_API_KEY`, else exit 2)
//!   asks DeepSeek and falls back to the backtest advisor;
//! - a `demo` user created on first start, its password printed once and
//!   kept in `./gridbot-data/demo-login.txt` (mode 0600);
//! - the dashboard at `http://127.0.0.1:8080`, bound to loopback unless
//!   `--addr` says otherwise.
//!
//! On Ctrl-C (or SIGTERM) it stops accepting requests, lets runners save
//! their state and exit (bots stay `running` in the store), waits for the
//! paper venue's last commit and exits; on the next start every running bot resumes. After a
//! crash (kill -9, power loss) the next start takes its bots back at once:
//! the process's runner name is kept in `<data-dir>/runner-name`, and
//! `<data-dir>/serve.lock` keeps a second `serve` off the same folder.
//!
//! Everything but the HTTP layer and the Bitget accounts is assembled by
//! [`gridbot::GridbotBuilder`], the same wiring a program embedding the
//! library gets.
//!
//! Secrets: the master key comes from `GRIDBOT_SECRET_KEY` (64 hex digits)
//! or `./gridbot-data/secret.key`; users' exchange keys are stored sealed
//! with it and never printed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use clap::ValueEnum;
use rust_decimal::Decimal;

use gridbot::core::feed::{ReplayConfig, SimConfig};
use gridbot::core::manager::ExchangeProvider;
use gridbot::core::model::{AccountBalance, Interval, Symbol, UserId};
use gridbot::core::ports::{Exchange, Store};
use gridbot::core::ExchangeError;
use gridbot::{BuildError, Gridbot, GridbotBuilder};
use gridbot_bitget::{BitgetConfig, BitgetExchange, Credentials};
use gridbot_deepseek::DeepSeekConfig;
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

/// Which advisor answers `analyze` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdvisorKind {
    /// The embedded sweep of backtested candidates (default).
    Backtest,
    /// DeepSeek proposals, re-backtested; falls back to `backtest`.
    Deepseek,
}

/// Symbols and timeframe whose advice is refreshed in the background: the
/// dashboard's default timeframe for the three busiest contracts. Three,
/// not every default symbol, so that with DeepSeek (5 calls an hour) two
/// calls an hour stay for users' own questions.
const POPULAR: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];
const POPULAR_TIMEFRAME: Interval = Interval::M15;

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
    /// Bitget REST base URL for `--exchange bitget*` and `--market bitget`
    /// (default https://api.bitget.com); WebSockets are derived from it, so
    /// the whole server can run against a stand-in such as a fake Bitget.
    #[arg(long, env = "GRIDBOT_BITGET_BASE_URL")]
    pub bitget_base_url: Option<String>,
    /// Demo balance of each paper account, USDT.
    #[arg(long, env = "GRIDBOT_DEMO_BALANCE", default_value = "10000")]
    pub demo_balance: Decimal,
    /// Market minutes per real minute for `sim` and `replay` (1 = real time).
    #[arg(long, env = "GRIDBOT_SIM_SPEED", default_value = "1")]
    pub sim_speed: u32,
    /// Do not create the `demo` user.
    #[arg(long, env = "GRIDBOT_NO_DEMO_USER")]
    pub no_demo_user: bool,
    /// Advisor behind recommendations: `backtest`, or `deepseek` (key from
    /// GRIDBOT_DEEPSEEK_API_KEY; falls back to `backtest` on any failure).
    #[arg(long, env = "GRIDBOT_ADVISOR", value_enum, default_value = "backtest")]
    pub advisor: AdvisorKind,
    /// DeepSeek API root (with `--advisor deepseek`).
    #[arg(long, env = "GRIDBOT_DEEPSEEK_BASE_URL")]
    pub deepseek_base_url: Option<String>,
    /// DeepSeek chat model (with `--advisor deepseek`).
    #[arg(long, env = "GRIDBOT_DEEPSEEK_MODEL")]
    pub deepseek_model: Option<String>,
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
    // Flags first, so a bad one costs nothing.
    let bitget_base = bitget_base_url(args.bitget_base_url.as_deref())?;
    let builder = advisor_choice(
        market_choice(Gridbot::builder(), &args.market, args.sim_speed, bitget_base.as_deref())?,
        &args,
    )?;
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", args.data_dir.display())))?;
    // Held until the process exits: one `serve` per data folder.
    let _data_lock = lock_data_dir(&args.data_dir)?;
    let runner_name = load_or_create_runner_name(&args.data_dir)?;
    let env_key = std::env::var(SECRET_KEY_ENV).ok();
    let key =
        load_or_create_master_key(env_key.as_deref(), &args.data_dir).map_err(|e| CliError::new(e.to_string()))?;
    let db = args.db.clone().unwrap_or_else(|| default_db(&args.data_dir));
    if let Some(file) = sqlite_file(&db) {
        create_private(&file)
            .map_err(|e| CliError::runtime(format!("cannot create the database file {}: {e}", file.display())))?;
    }
    // Opened here rather than by the builder: Bitget accounts read users'
    // keys from it.
    let store = gridbot_store::open(&db)
        .await
        .map_err(|e| CliError::runtime(format!("cannot open the database: {e}")))?;
    let cipher = Arc::new(CredentialCipher::new(&key));
    let bitget_accounts = match args.exchange {
        ExchangeKind::Paper => None,
        kind => Some(Arc::new(BitgetAccounts::new(
            store.clone(),
            cipher.clone(),
            BitgetVerifier {
                force_demo: kind == ExchangeKind::BitgetDemo,
                base_url: bitget_base.clone(),
            },
        ))),
    };
    let builder = match &bitget_accounts {
        None => builder
            .paper(args.demo_balance)
            .paper_journal(gridbot::facade::venue::VENUE_NAME)
            .paper_snapshot(args.data_dir.join("paper-venue.json")),
        Some(accounts) => builder.exchange_provider(accounts.clone()),
    };
    let popular = POPULAR
        .iter()
        .filter_map(|s| Symbol::new(s).ok())
        .map(|s| (s, POPULAR_TIMEFRAME))
        .collect();
    let gridbot = builder
        .store(store.clone())
        .runner_name(runner_name)
        .refresh_advice(popular)
        .build()
        .await
        .map_err(build_error)?;
    // The HTTP layer's view of the same accounts: on paper, the same
    // `user-{id}` accounts of the same venue the manager trades on.
    let accounts: Arc<dyn Accounts> = match (bitget_accounts, gridbot.paper_venue()) {
        (Some(accounts), _) => accounts,
        (None, Some(venue)) => Arc::new(PaperAccounts::new(
            Arc::new(venue.clone()),
            args.demo_balance,
            Arc::new(BitgetVerifier {
                force_demo: false,
                base_url: bitget_base.clone(),
            }),
        )),
        (None, None) => return Err(CliError::runtime("the paper venue was not set up")),
    };

    let clock = gridbot.clock().clone();
    if !args.no_demo_user {
        ensure_demo_user(&*store, &args.data_dir, clock.now_ms()).await?;
    }
    let resumed = gridbot
        .resume()
        .await
        .map_err(|e| CliError::runtime(format!("cannot resume bots: {e}")))?;

    let state = AppState {
        store,
        clock,
        accounts,
        tokens: Arc::new(TokenService::new(&key)),
        cipher,
        limiter: Arc::new(AuthLimiter::default()),
        metrics: Arc::new(Metrics::default()),
        services: Services {
            manager: gridbot.manager().clone(),
            market: gridbot.market().clone(),
            advisor: gridbot.advisor().clone(),
            backtester: gridbot.backtester().clone(),
        },
    };
    let listener = gridbot_http::server::bind(args.addr)
        .await
        .map_err(|e| CliError::runtime(format!("cannot listen on {}: {e}", args.addr)))?;
    let local = listener.local_addr().unwrap_or(args.addr);
    println!("gridbot is serving the dashboard at http://{local} ({resumed} bots resumed; Ctrl-C stops)");
    let served = gridbot_http::server::serve(listener, state, gridbot_http::server::shutdown_signal()).await;

    println!("gridbot: stopping; bots will resume on the next start");
    gridbot.shutdown().await;
    served.map_err(|e| CliError::runtime(format!("server failed: {e}")))
}

fn default_db(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gridbot.db").display())
}

/// The file of a SQLite database URL or path (`None` for PostgreSQL and
/// `memory`).
fn sqlite_file(db: &str) -> Option<PathBuf> {
    if db == "memory" || db.starts_with("postgres") || db.contains(":memory:") {
        return None;
    }
    let rest = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .unwrap_or(db);
    if rest.contains("://") {
        return None;
    }
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Creates `path` readable by its owner only (0600), like the key file, so
/// the database (users, sealed keys, bots) is private from its first byte;
/// an existing file is left as it is. SQLite gives its journal files the
/// database file's mode.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// `--bitget-base-url`, checked: `http://` or `https://`, no trailing slash.
fn bitget_base_url(url: Option<&str>) -> Result<Option<String>, CliError> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(Some(u.trim_end_matches('/').to_owned()))
        }
        Some(u) => Err(CliError::new(format!(
            "--bitget-base-url must start with http:// or https://, got {u:?}"
        ))),
    }
}

/// The market `--market` names: `sim`, `replay:FILE.csv` or `bitget`
/// (at `bitget_base` when given).
fn market_choice(
    builder: GridbotBuilder,
    spec: &str,
    speed: u32,
    bitget_base: Option<&str>,
) -> Result<GridbotBuilder, CliError> {
    if spec == "sim" {
        return Ok(builder.sim_market(SimConfig::default().with_speed(speed)));
    }
    if let Some(file) = spec.strip_prefix("replay:") {
        return Ok(builder.replay_market(file, ReplayConfig::default().with_speed(speed)));
    }
    if spec == "bitget" {
        let symbols = gridbot::core::templates::DEFAULT_SYMBOLS
            .iter()
            .filter_map(|s| Symbol::new(s).ok())
            .collect();
        let config = match bitget_base {
            Some(url) => BitgetConfig::with_base_url(url, None),
            None => BitgetConfig::live(None),
        };
        return Ok(builder.bitget_market(config, symbols));
    }
    Err(CliError::new(format!(
        "--market must be sim, replay:FILE.csv or bitget, got {spec:?}"
    )))
}

/// The advisor `--advisor` names; DeepSeek needs its key in the environment.
fn advisor_choice(builder: GridbotBuilder, args: &Args) -> Result<GridbotBuilder, CliError> {
    match args.advisor {
        AdvisorKind::Backtest => Ok(builder),
        AdvisorKind::Deepseek => {
            let mut config =
                DeepSeekConfig::from_env().map_err(|e| CliError::new(format!("--advisor deepseek: {e}")))?;
            if let Some(url) = &args.deepseek_base_url {
                config = config.with_base_url(url.trim());
            }
            if let Some(model) = &args.deepseek_model {
                config = config.with_model(model.trim());
            }
            Ok(builder.deepseek(config))
        }
    }
}

/// Bad input (a replay file, a venue file, a setting) exits 2; what the
/// outside world did (database, network) exits 1.
fn build_error(e: BuildError) -> CliError {
    match e {
        BuildError::Market(_) | BuildError::Config(_) | BuildError::Advisor(_) | BuildError::Venue { .. } => {
            CliError::new(e.to_string())
        }
        _ => CliError::runtime(e.to_string()),
    }
}

// ---- accounts -------------------------------------------------------------------

/// A Bitget client configuration for a user's keys: demo (scheme A) or
/// live, at `base_url` when given. The account kind (classic or unified) is
/// detected by the client.
fn bitget_config(creds: &ExchangeCredentials, demo: bool, base_url: Option<&str>) -> BitgetConfig {
    let c = Credentials::new(&creds.api_key, &creds.api_secret, &creds.passphrase);
    match (base_url, demo) {
        (Some(url), true) => BitgetConfig::with_base_url(url, Some(c)).demo_mode(),
        (Some(url), false) => BitgetConfig::with_base_url(url, Some(c)),
        (None, true) => BitgetConfig::demo(Some(c)),
        (None, false) => BitgetConfig::live(Some(c)),
    }
}

/// Verifies keys with a Bitget balance call (demo keys on demo trading).
#[derive(Clone)]
struct BitgetVerifier {
    force_demo: bool,
    base_url: Option<String>,
}

impl BitgetVerifier {
    fn config(&self, creds: &ExchangeCredentials, demo: bool) -> BitgetConfig {
        bitget_config(creds, demo || self.force_demo, self.base_url.as_deref())
    }
}

#[async_trait]
impl CredentialVerifier for BitgetVerifier {
    async fn verify(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        BitgetExchange::new(self.config(creds, creds.demo))?.balance().await
    }
}

/// Each user trades on Bitget with the keys they saved (decrypted on first
/// use, the client cached until the keys change).
struct BitgetAccounts {
    store: Arc<dyn Store>,
    cipher: Arc<CredentialCipher>,
    verifier: BitgetVerifier,
    clients: RwLock<HashMap<UserId, Arc<dyn Exchange>>>,
}

impl BitgetAccounts {
    fn new(store: Arc<dyn Store>, cipher: Arc<CredentialCipher>, verifier: BitgetVerifier) -> Self {
        BitgetAccounts {
            store,
            cipher,
            verifier,
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
        let client: Arc<dyn Exchange> = Arc::new(BitgetExchange::new(self.verifier.config(&creds, record.demo))?);
        if let Ok(mut m) = self.clients.write() {
            m.insert(user, client.clone());
        }
        Ok(client)
    }
}

#[async_trait]
impl Accounts for BitgetAccounts {
    async fn verify_credentials(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        self.verifier.verify(creds).await
    }

    async fn credentials_changed(&self, user: UserId) {
        if let Ok(mut m) = self.clients.write() {
            m.remove(&user);
        }
    }
}

// ---- the data folder ---------------------------------------------------------------

/// Locks the data folder for this process (released when the process
/// exits, even when killed): two `serve` processes on one folder would
/// share its SQLite file, paper venue and runner name.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, CliError> {
    let path = dir.join("serve.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| CliError::runtime(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(CliError::new(format!(
            "another `gridbot serve` is running on {}; stop it first, or give this one its own --data-dir",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(CliError::runtime(format!("cannot lock {}: {e}", path.display()))),
    }
}

/// This installation's runner name in the lease table, kept in the data
/// folder so a restarted process (after a crash, its leases still live)
/// takes its own bots back at once. The data folder lock makes it unique
/// among live processes; processes sharing one PostgreSQL each have their
/// own data folder, hence their own name.
fn load_or_create_runner_name(dir: &Path) -> Result<String, CliError> {
    let path = dir.join("runner-name");
    match std::fs::read_to_string(&path) {
        Ok(name) if !name.trim().is_empty() => return Ok(name.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::runtime(format!("cannot read {}: {e}", path.display()))),
    }
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..12).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gridbot".to_owned());
    let name = format!("serve-{host}-{suffix}");
    std::fs::write(&path, format!("{name}\n"))
        .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))?;
    Ok(name)
}

// ---- demo user -------------------------------------------------------------------

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
    fn only_sqlite_databases_name_a_file_and_it_is_created_private() {
        assert_eq!(
            sqlite_file("sqlite://d/gridbot.db?mode=rwc"),
            Some(PathBuf::from("d/gridbot.db"))
        );
        assert_eq!(sqlite_file("x.db"), Some(PathBuf::from("x.db")));
        assert_eq!(sqlite_file("postgres://u@h/g"), None);
        assert_eq!(sqlite_file("memory"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("g.db");
            create_private(&f).unwrap();
            create_private(&f).unwrap();
            let mode = std::fs::metadata(&f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
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

    #[test]
    fn an_unknown_market_is_refused_with_the_forms_it_accepts() {
        let err = market_choice(Gridbot::builder(), "moon", 1, None).err().unwrap();
        assert!(err.to_string().contains("sim, replay:FILE.csv or bitget"));
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn the_bitget_base_url_is_taken_from_the_flag_and_checked() {
        let cli = Cli::try_parse_from(["serve", "--bitget-base-url", "http://127.0.0.1:9/"]).unwrap();
        assert_eq!(
            bitget_base_url(cli.args.bitget_base_url.as_deref()).unwrap().as_deref(),
            Some("http://127.0.0.1:9")
        );
        let err = bitget_base_url(Some("ftp://x")).unwrap_err();
        assert!(err.to_string().contains("--bitget-base-url") && err.exit_code() == 2);
        let creds = ExchangeCredentials::new("k", "s", "p", true);
        let c = bitget_config(&creds, true, Some("http://127.0.0.1:9"));
        assert_eq!(c.endpoints.rest, "http://127.0.0.1:9");
        assert_eq!(c.endpoints.ws_v3.private, "ws://127.0.0.1:9/v3/ws/private");
        assert!(c.is_demo());
    }

    #[test]
    fn deepseek_is_chosen_by_flag_or_environment() {
        let cli = Cli::try_parse_from(["serve", "--advisor", "deepseek", "--deepseek-model", "m"]).unwrap();
        assert_eq!(cli.args.advisor, AdvisorKind::Deepseek);
        assert_eq!(cli.args.deepseek_model.as_deref(), Some("m"));
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.args.advisor, AdvisorKind::Backtest);
    }
}
