//! Grid math: a pure function from a [`GridConfig`] (+ [`crate::model::Instrument`]
//! + start price) to a [`GridPlan`].
//!
//! See `levels` for the price lines and `plan` for quantities, initial
//! orders, margin, profit per grid, liquidation and viability.

mod config;

pub use config::{GridConfig, GridMode, OutOfRange, Spacing};
