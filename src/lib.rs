//! # gridbot
//!
//! Run several grid and trend bots at once on Bitget USDT-M perpetuals, or on
//! the built-in paper exchange. This facade re-exports the workspace crates:
//!
//! - [`core`]: model, grid math, engines, balance rules, paper exchange,
//!   backtester, advisor.
//! - [`bitget`]: the Bitget v2 adapter.
//! - [`store`]: in-memory, SQLite and PostgreSQL stores.
//! - [`deepseek`]: the DeepSeek advisor.
//! - [`http`]: the REST API and dashboard.
#![warn(missing_docs)]

pub use gridbot_bitget as bitget;
pub use gridbot_core as core;
pub use gridbot_deepseek as deepseek;
pub use gridbot_http as http;
pub use gridbot_store as store;
