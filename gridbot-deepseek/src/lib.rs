//! # gridbot-deepseek
//!
//! An [`gridbot_core::ports::Advisor`] that asks DeepSeek's OpenAI-compatible
//! chat API to propose or explain grid setups; every number it shows is
//! re-backtested and bounded, and any failure falls back to the backtest
//! advisor.
#![warn(missing_docs)]
