//! `gridbot plan`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot plan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot plan`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot plan` is not available in this build yet"))
}
