//! # gridbot-deepseek
//!
//! An [`gridbot_core::ports::Advisor`] that asks DeepSeek's OpenAI-compatible
//! chat API to propose grid setups; every number it shows is re-backtested
//! and bounded, and any failure falls back to the backtest advisor.
//!
//! - [`config`]: base URL, model, timeout and the API key (from
//!   `GRIDBOT_DEEPSEEK_API_KEY`; never printed).
//! - [`client`]: chat completions in JSON mode.
//! - [`prompt`]: the analysis and best backtested candidates, as a prompt.
//! - [`response`]: strict parsing of the answer.
//! - [`advisor`]: [`DeepSeekAdvisor`], bounds, re-backtest and fallback.
//!
//! Wire it behind [`gridbot_core::advisor::CachedAdvisor`] so that the
//! upstream budget (5 calls an hour by default) and the hour-long cache
//! apply.
//!
//! ```
//! use std::sync::Arc;
//! use gridbot_core::advisor::{BacktestAdvisor, BacktestAdvisorConfig, CoreBacktester, Rebacktest};
//! use gridbot_core::ports::Advisor;
//! use gridbot_deepseek::{ApiKey, ChatClient, DeepSeekAdvisor, DeepSeekConfig};
//!
//! # fn main() -> Result<(), gridbot_deepseek::DeepSeekError> {
//! // The key usually comes from GRIDBOT_DEEPSEEK_API_KEY (`DeepSeekConfig::from_env`).
//! let config = DeepSeekConfig::new(ApiKey::new("sk-example")?).with_model("deepseek-chat");
//! let backtest = Arc::new(BacktestAdvisor::new(
//!     Arc::new(CoreBacktester::default()),
//!     BacktestAdvisorConfig::default(),
//! ));
//! let rebacktest: Arc<dyn Rebacktest> = backtest.clone();
//! let advisor: Arc<dyn Advisor> = Arc::new(DeepSeekAdvisor::new(ChatClient::new(config)?, backtest, rebacktest));
//! # let _ = advisor;
//! # Ok(())
//! # }
//! ```
//!
//! Where to go next: [`advisor`] for the exact fallback rules; [`response`]
//! for what an answer must look like; with the `gridbot` facade,
//! `GridbotBuilder::deepseek` wires all of this behind the cache, and
//! `gridbot serve --advisor deepseek` / `gridbot recommend --advisor
//! deepseek` use it from the command line.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod advisor;
pub mod client;
pub mod config;
pub mod error;
pub mod prompt;
pub mod response;

pub use advisor::DeepSeekAdvisor;
pub use client::{ChatClient, ChatMessage};
pub use config::{ApiKey, DeepSeekConfig};
pub use error::DeepSeekError;
