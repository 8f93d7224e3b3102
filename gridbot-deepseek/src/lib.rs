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
