//! `gridbot backtest`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot backtest`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot backtest`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot backtest` is not available in this build yet"))
}
