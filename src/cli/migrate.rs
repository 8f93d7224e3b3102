//! `gridbot migrate`. Not built yet: its issue fills this module.

use super::CliError;

/// Arguments of `gridbot migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gridbot migrate`.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::new("`gridbot migrate` is not available in this build yet"))
}
