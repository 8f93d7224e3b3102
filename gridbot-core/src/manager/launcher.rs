//! The manager's view of the runners: start a bot's runner, stop a bot.
//!
//! [`crate::runner::Supervisor`] is the implementation; the manager's unit
//! tests use a mock.

use async_trait::async_trait;

use super::ManagerError;
use crate::model::{Bot, BotId};

/// Runs bots.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait BotLauncher: Send + Sync {
    /// Starts (or resumes) the runner of a bot that holds its allocation
    /// (`starting`, `running`, ...). Returns once the runner task exists.
    async fn launch(&self, bot: Bot) -> Result<(), ManagerError>;

    /// Stops a bot: cancels its orders, closes its position (market,
    /// reduce-only), books the PnL and marks it `stopped`. Returns when done.
    async fn stop(&self, bot: Bot) -> Result<(), ManagerError>;

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
    async fn reload(&self, bot: Bot) -> Result<(), ManagerError> {
        if self.is_running(bot.id) {
            return Err(ManagerError::invalid_state(
                bot.id,
                bot.status,
                "reload its runner (this launcher cannot)",
            ));
        }
        Ok(())
    }
}
