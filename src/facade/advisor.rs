//! The advisor the facade assembles, and the background refresh of popular
//! symbols.
//!
//! Decisions:
//! - The backtest advisor sits behind a [`CachedAdvisor`] whose budget is
//!   [`BACKTEST_CALLS_PER_HOUR`] sweeps an hour: a sweep costs CPU, not
//!   money, so the LLM budget of 5 an hour would only make users wait.
//! - DeepSeek (feature `deepseek`) sits behind a [`CachedAdvisor`] with the
//!   default budget (5 upstream calls an hour); the backtest advisor answers
//!   first inside it and whenever DeepSeek fails or the budget is spent.
//! - An advisor of your own is used as it is: not cached, not refreshed.
//! - The background refresh ([`CachedAdvisor::spawn_refresh`]) asks for
//!   the same days of candles as the HTTP `analyze` route
//!   ([`REQUEST_HISTORY_DAYS`]), so a refreshed answer is the one a user
//!   would have been given.

use std::sync::Arc;

use async_trait::async_trait;
use gridbot_core::advisor::cache::RequestSource;
use gridbot_core::advisor::{
    BacktestAdvisor, BacktestAdvisorConfig, CacheConfig, CachedAdvisor, GridBacktester, REQUEST_HISTORY_DAYS,
};
use gridbot_core::clock::Clock;
use gridbot_core::model::{Instrument, Interval, Symbol};
use gridbot_core::ports::{Advisor, AdvisorRequest, MarketData, Store};
use gridbot_core::AdvisorError;

use super::error::BuildError;

/// Backtest sweeps allowed per hour when the backtest advisor is the upstream.
pub const BACKTEST_CALLS_PER_HOUR: usize = 60;

/// Which advisor answers (see [`crate::GridbotBuilder::advisor`]).
#[derive(Clone)]
pub(crate) enum AdvisorChoice {
    Backtest(BacktestAdvisorConfig),
    #[cfg(feature = "deepseek")]
    DeepSeek(gridbot_deepseek::DeepSeekConfig),
    Custom(Arc<dyn Advisor>),
}

/// The advisor the facade serves, and the cache behind it when there is one.
pub(crate) struct Assembled {
    pub(crate) advisor: Arc<dyn Advisor>,
    pub(crate) cached: Option<Arc<CachedAdvisor>>,
}

impl AdvisorChoice {
    pub(crate) fn assemble(
        self,
        backtester: Arc<dyn GridBacktester>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Assembled, BuildError> {
        let (upstream, fallback, config): (Arc<dyn Advisor>, Option<Arc<dyn Advisor>>, CacheConfig) = match self {
            AdvisorChoice::Custom(advisor) => return Ok(Assembled { advisor, cached: None }),
            AdvisorChoice::Backtest(config) => (
                Arc::new(BacktestAdvisor::new(backtester, config)),
                None,
                CacheConfig {
                    max_calls: BACKTEST_CALLS_PER_HOUR,
                    ..CacheConfig::default()
                },
            ),
            #[cfg(feature = "deepseek")]
            AdvisorChoice::DeepSeek(config) => {
                let client =
                    gridbot_deepseek::ChatClient::new(config).map_err(|e| BuildError::Advisor(e.to_string()))?;
                let backtest = Arc::new(BacktestAdvisor::new(backtester, BacktestAdvisorConfig::default()));
                let rebacktest: Arc<dyn gridbot_core::advisor::Rebacktest> = backtest.clone();
                let fallback: Arc<dyn Advisor> = backtest.clone();
                (
                    Arc::new(gridbot_deepseek::DeepSeekAdvisor::new(
                        client,
                        fallback.clone(),
                        rebacktest,
                    )),
                    Some(fallback),
                    CacheConfig::default(),
                )
            }
        };
        let cached = Arc::new(CachedAdvisor::new(upstream, fallback, store, clock, config));
        Ok(Assembled {
            advisor: cached.clone(),
            cached: Some(cached),
        })
    }
}

/// Builds refresh requests from the market: [`REQUEST_HISTORY_DAYS`] days of candles up to now.
pub(crate) struct MarketRequests {
    pub(crate) market: Arc<dyn MarketData>,
    pub(crate) instruments: Vec<Instrument>,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait]
impl RequestSource for MarketRequests {
    async fn request(&self, symbol: &Symbol, timeframe: Interval) -> Result<AdvisorRequest, AdvisorError> {
        let instrument = self
            .instruments
            .iter()
            .find(|i| &i.symbol == symbol)
            .cloned()
            .ok_or_else(|| AdvisorError::NotEnoughData(format!("{symbol} is not traded on this market")))?;
        let now = self.clock.now_ms();
        let start = timeframe.floor(now - REQUEST_HISTORY_DAYS * 86_400_000);
        let candles = self
            .market
            .candles(symbol, timeframe, start, now)
            .await
            .map_err(|e| AdvisorError::NotEnoughData(format!("candles of {symbol}: {e}")))?;
        Ok(AdvisorRequest::new(instrument, timeframe, Arc::new(candles), now))
    }
}
