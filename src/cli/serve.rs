//! `gridbot serve`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot serve`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot serve` is not available in this build yet"))
}
