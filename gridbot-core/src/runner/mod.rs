//! Bot runners: one task per bot, fed by shared market data and the
//! account's fills, crash-safe by construction.

mod engines;

pub use engines::{build_engine, restore_engine};
