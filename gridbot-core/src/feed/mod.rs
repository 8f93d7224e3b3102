//! Market feeds: candle files, a CSV replay market and the seeded simulated
//! market (the embedded default), each implementing
//! [`crate::ports::MarketData`] and driving a [`crate::paper::PaperExchange`].
//!
//! - [`csv`]: reading `ts_ms,open,high,low,close,volume` files (gaps and
//!   zero volume allowed; malformed rows name their line).
//! - [`SimMarket`]: GBM with switching volatility and trend regimes over the
//!   default symbols ([`default_specs`]), 30 days of 1-minute history up
//!   front, then (accelerated) real time on a tokio task.
//! - [`ReplayMarket`]: a candle file played as a market.
//! - [`MarketHub`]: what both share — history, aggregation to any
//!   [`crate::model::Interval`], last prices, and subscriptions counted per
//!   symbol (one internal channel per symbol however many subscribers,
//!   released with the last one).
//!
//! Ordering invariant: every price reaches the attached venue before any
//! subscriber sees it, so a bot reacting to a tick finds its fills booked.

pub mod aggregate;
pub mod csv;
mod generator;
mod hub;
mod pacer;
mod replay;
mod sim;
mod symbols;

pub use aggregate::aggregate;
pub use csv::{parse_candles, read_candles};
pub use generator::CandleGenerator;
pub use hub::{MarketHub, MAX_HISTORY};
pub use replay::{generic_instrument, symbol_from_path, ReplayConfig, ReplayMarket};
pub use sim::{SimConfig, SimMarket};
pub use symbols::{default_instrument, default_specs, SimSpec};
