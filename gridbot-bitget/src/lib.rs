//! # gridbot-bitget
//!
//! Bitget v2 USDT-M perpetual futures adapter: a REST client implementing
//! [`gridbot_core::ports::Exchange`] and WebSocket clients implementing
//! [`gridbot_core::ports::MarketData`] and the account's execution-event
//! stream, plus a fake Bitget server for tests.
#![warn(missing_docs)]
