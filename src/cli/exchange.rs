//! `gridbot exchange`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot exchange`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot exchange`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot exchange` is not available in this build yet"))
}
