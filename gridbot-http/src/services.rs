//! The trading services the routes call, behind traits so the HTTP layer
//! can be tested without running markets, and so `gridbot serve` decides
//! what backs them.

use std::sync::Arc;

use async_trait::async_trait;

use gridbot_core::model::{Bot, BotId, NewBot, UserId};
use gridbot_core::ports::{Advisor, MarketData};

use crate::error::ApiError;

/// Starts and stops bots (the multi-bot manager). Every call is on behalf of
/// `user`; a bot of another user answers [`ApiError`] 404.
#[async_trait]
pub trait BotManager: Send + Sync {
    /// Starts a new bot: the guarded start (limit of 5, one bot per symbol,
    /// allocations within the balance) then its runner.
    async fn start_new(&self, user: UserId, bot: NewBot) -> Result<Bot, ApiError>;
    /// Starts an existing `created` or `stopped` bot, with the same checks.
    async fn start_existing(&self, user: UserId, id: BotId) -> Result<Bot, ApiError>;
    /// Stops a bot: cancel its orders, close its position, mark it stopped.
    async fn stop(&self, user: UserId, id: BotId) -> Result<Bot, ApiError>;
}

/// The services behind the trading routes.
#[derive(Clone)]
pub struct Services {
    /// Bot life cycle.
    pub manager: Arc<dyn BotManager>,
    /// Public prices and candles.
    pub market: Arc<dyn MarketData>,
    /// Grid recommendations.
    pub advisor: Arc<dyn Advisor>,
}
