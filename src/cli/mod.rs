//! Subcommand dispatch and the CLI's error type.

use std::fmt;

use clap::{Parser, Subcommand};

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
