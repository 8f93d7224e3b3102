//! Market feeds: candle files ([`csv`]), a CSV replay market and a seeded
//! synthetic market that drive the paper exchange.

pub mod csv;

pub use csv::{parse_candles, read_candles};
