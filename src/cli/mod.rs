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
    /// Talk to Bitget directly (operators): balance, contracts, positions, orders, place, cancel, candles.
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

/// A contract's trading rules as flags, shared by `plan`, `backtest` and
/// `recommend`; the defaults are Bitget's BTCUSDT. Negative numbers are let
/// through so the validator can name the flag and the limit.
#[derive(Debug, Clone, clap::Args)]
pub struct InstrumentArgs {
    /// Price step of the contract.
    #[arg(long, default_value = "0.1", allow_negative_numbers = true)]
    pub tick_size: Decimal,
    /// Quantity step of the contract.
    #[arg(long, default_value = "0.0001", allow_negative_numbers = true)]
    pub lot_size: Decimal,
    /// Smallest order quantity.
    #[arg(long, default_value = "0.0001", allow_negative_numbers = true)]
    pub min_qty: Decimal,
    /// Smallest order value (USDT).
    #[arg(long, default_value = "5", allow_negative_numbers = true)]
    pub min_notional: Decimal,
    /// Highest leverage the contract allows.
    #[arg(long, default_value_t = 125)]
    pub max_leverage: u32,
    /// Maker fee rate (0.0002 = 0.02 %).
    #[arg(long, default_value = "0.0002", allow_negative_numbers = true)]
    pub maker_fee: Decimal,
    /// Taker fee rate.
    #[arg(long, default_value = "0.0006", allow_negative_numbers = true)]
    pub taker_fee: Decimal,
    /// Maintenance margin rate.
    #[arg(long, default_value = "0.004", allow_negative_numbers = true)]
    pub mmr: Decimal,
}

impl InstrumentArgs {
    /// The instrument for `symbol` with these rules.
    pub fn instrument(&self, symbol: Symbol) -> Result<Instrument, ValidationError> {
        Instrument::new(
            symbol,
            self.tick_size,
            self.lot_size,
            self.min_qty,
            self.min_notional,
            self.max_leverage,
            self.maker_fee,
            self.taker_fee,
            self.mmr,
        )
    }
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
