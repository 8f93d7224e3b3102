//! Subcommand dispatch and the CLI's error type.

use std::fmt;

use clap::{Parser, Subcommand};
use gridbot_core::model::{Instrument, Symbol};
use gridbot_core::{Decimal, ValidationError};

pub mod backtest;
pub mod exchange;
pub mod migrate;
pub mod plan;
pub mod recommend;
pub mod serve;

/// Run grid and trend bots on Bitget USDT-M perpetuals or on a paper exchange.
#[derive(Debug, Parser)]
#[command(name = "gridbot", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API, the dashboard and every bot (paper exchange, simulated market and SQLite by default).
    Serve(serve::Args),
    /// Plan a grid: levels, quantity per grid, initial orders, margin, profit per grid, liquidation.
    Plan(plan::Args),
    /// Backtest a grid on a candle CSV.
    Backtest(backtest::Args),
    /// Recommend three grid setups for a symbol from recent candles.
    Recommend(recommend::Args),
    /// Talk to Bitget directly (operators): account, balance, contracts, positions, orders, place, cancel, close, candles.
    Exchange(exchange::Args),
    /// Apply or revert database migrations.
    Migrate(migrate::Args),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(a) => serve::run(a).await,
        Command::Plan(a) => plan::run(a).await,
        Command::Backtest(a) => backtest::run(a).await,
        Command::Recommend(a) => recommend::run(a).await,
        Command::Exchange(a) => exchange::run(a).await,
        Command::Migrate(a) => migrate::run(a).await,
    }
}

/// A failure the CLI reports on stderr before exiting non-zero.
#[derive(Debug)]
pub struct CliError {
    message: String,
    code: i32,
}

impl CliError {
    /// An error with exit code 2 (bad input or refused operation).
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }

    /// An error with exit code 1 (runtime failure: I/O, network, database).
    #[allow(dead_code)] // used as subcommands that can fail at run time land
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        self.code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<gridbot_core::ValidationError> for CliError {
    fn from(e: gridbot_core::ValidationError) -> Self {
        CliError::new(e.to_string())
    }
}

/// A contract's trading rules, shared by `plan`, `backtest` and
/// `recommend`. Where they come from, in order:
/// 1. `--from-bitget`: the contract as Bitget lists it (public endpoint, no
///    key; `--bitget-url` points at another server);
/// 2. else the built-in rules of the default symbols (BTC, ETH, SOL, XRP,
///    DOGE, BNB, ADA: the simulated market's, close to Bitget's);
/// 3. any flag given (`--tick-size`, ...) overrides one rule of either.
///
/// A symbol with no built-in rules needs `--from-bitget` or at least
/// `--tick-size` and `--lot-size` (the rest then default to Bitget's usual
/// 5 USDT minimum value, 125× leverage, 0.02 % / 0.06 % fees, 0.4 % MMR).
/// Negative numbers are let through so the validator can name the flag and
/// the limit.
#[derive(Debug, Clone, clap::Args)]
pub struct InstrumentArgs {
    /// Fetch the contract's rules from Bitget (public, no API key).
    #[arg(long)]
    pub from_bitget: bool,
    /// Bitget REST base URL for `--from-bitget` (default https://api.bitget.com).
    #[arg(long)]
    pub bitget_url: Option<String>,
    /// Price step of the contract.
    #[arg(long, allow_negative_numbers = true)]
    pub tick_size: Option<Decimal>,
    /// Quantity step of the contract.
    #[arg(long, allow_negative_numbers = true)]
    pub lot_size: Option<Decimal>,
    /// Smallest order quantity (default: the lot).
    #[arg(long, allow_negative_numbers = true)]
    pub min_qty: Option<Decimal>,
    /// Smallest order value (USDT).
    #[arg(long, allow_negative_numbers = true)]
    pub min_notional: Option<Decimal>,
    /// Highest leverage the contract allows.
    #[arg(long)]
    pub max_leverage: Option<u32>,
    /// Maker fee rate (0.0002 = 0.02 %).
    #[arg(long, allow_negative_numbers = true)]
    pub maker_fee: Option<Decimal>,
    /// Taker fee rate.
    #[arg(long, allow_negative_numbers = true)]
    pub taker_fee: Option<Decimal>,
    /// Maintenance margin rate.
    #[arg(long, allow_negative_numbers = true)]
    pub mmr: Option<Decimal>,
}

impl InstrumentArgs {
    /// The rules of `symbol` (see the type's docs for where they come from).
    pub async fn resolve(&self, symbol: Symbol) -> Result<Instrument, CliError> {
        let base = if self.from_bitget {
            Some(fetch_from_bitget(self.bitget_url.as_deref(), &symbol).await?)
        } else {
            gridbot_core::feed::default_instrument(&symbol)
        };
        self.instrument_over(symbol, base).map_err(flag_error)
    }

    /// `base` (when known) with the flags given applied over it.
    pub fn instrument_over(&self, symbol: Symbol, base: Option<Instrument>) -> Result<Instrument, ValidationError> {
        let d = Decimal::new;
        let (tick, lot) = match (&base, self.tick_size, self.lot_size) {
            (_, Some(t), Some(l)) => (t, l),
            (Some(b), t, l) => (t.unwrap_or(b.tick_size), l.unwrap_or(b.lot_size)),
            (None, _, _) => {
                return Err(ValidationError::new(
                    "tick_size",
                    format!("{symbol} has no built-in rules: give --tick-size and --lot-size, or --from-bitget"),
                ))
            }
        };
        let pick = |flag: Option<Decimal>, from: fn(&Instrument) -> Decimal, default: Decimal| {
            flag.or_else(|| base.as_ref().map(from)).unwrap_or(default)
        };
        Instrument::new(
            symbol,
            tick,
            lot,
            pick(self.min_qty, |i| i.min_qty, lot),
            pick(self.min_notional, |i| i.min_notional, d(5, 0)),
            self.max_leverage
                .or_else(|| base.as_ref().map(|i| i.max_leverage))
                .unwrap_or(125),
            pick(self.maker_fee, |i| i.maker_fee, d(2, 4)),
            pick(self.taker_fee, |i| i.taker_fee, d(6, 4)),
            pick(self.mmr, |i| i.maint_margin_rate, d(4, 3)),
        )
    }
}

/// The contract's rules as Bitget lists them.
async fn fetch_from_bitget(url: Option<&str>, symbol: &Symbol) -> Result<Instrument, CliError> {
    use gridbot_core::ports::Exchange as _;
    let config = match url {
        Some(u) => gridbot_bitget::BitgetConfig::with_base_url(u, None),
        None => gridbot_bitget::BitgetConfig::live(None),
    };
    let exchange =
        gridbot_bitget::BitgetExchange::new(config).map_err(|e| CliError::runtime(format!("--from-bitget: {e}")))?;
    exchange.instrument(symbol).await.map_err(|e| {
        CliError::runtime(format!(
            "--from-bitget: cannot read the {symbol} contract from Bitget: {e}"
        ))
    })
}

/// A validation error as a CLI error naming the flag at fault
/// (`invalid --lower: ...`).
pub fn flag_error(e: ValidationError) -> CliError {
    let flag = match e.field.as_str() {
        "maint_margin_rate" => "mmr".to_owned(),
        "stop_loss" => "stop-loss".to_owned(),
        "take_profit" => "take-profit".to_owned(),
        other => other.replace('_', "-"),
    };
    CliError::new(format!("invalid --{flag}: {}", e.message))
}
