//! `gridbot recommend`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot recommend`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot recommend`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot recommend` is not available in this build yet"))
}
