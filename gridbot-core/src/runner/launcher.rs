//! The manager's view of the runners: start a bot's runner, stop a bot.
//!
//! The runner module owns this trait (the manager depends on the runners,
//! never the other way round); [`super::Supervisor`] is the implementation
//! and the manager's unit tests use a mock.

use async_trait::async_trait;

use super::RunnerError;
use crate::error::ValidationError;
use crate::model::{Bot, BotId};

/// Runs bots.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BotLauncher: Send + Sync {
    /// Starts (or resumes) the runner of a bot that holds its allocation
    /// (`starting`, `running`, ...). Returns once the runner task exists; a
    /// stop asked meanwhile waits for it.
    async fn launch(&self, bot: Bot) -> Result<(), RunnerError>;

    /// Stops a bot: cancels its orders, closes its position (market,
    /// reduce-only), books the PnL and marks it `stopped` once the exchange
    /// shows no open order of it and its position closed. Concurrent stops
    /// of one bot wait for the first. Returns when done, or when the bot is
    /// left `stopping` for a later attempt (the exchange unreachable, or
    /// another process holds the bot and stops it there).
    async fn stop(&self, bot: Bot) -> Result<(), RunnerError>;

    /// True while a runner task for the bot is alive.
    fn is_running(&self, bot: BotId) -> bool;

    /// Restarts a bot's live runner so it re-reads the bot's stored settings:
    /// the runner is shut down with its state saved (the bot keeps its
    /// status, orders and position), then launched again from the store,
    /// resuming through its normal reconciliation. A bot without a live
    /// runner here is left alone.
    ///
    /// The default refuses when the bot has a live runner (a launcher that
    /// cannot reload must not pretend it did).
    async fn reload(&self, bot: Bot) -> Result<(), RunnerError> {
        if self.is_running(bot.id) {
            return Err(RunnerError::Invalid(ValidationError::new(
                "bot",
                format!("bot {} has a live runner this launcher cannot reload", bot.id),
            )));
        }
        Ok(())
    }
}
