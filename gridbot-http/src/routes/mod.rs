//! Route handlers, one module per resource.

pub mod account;
pub mod auth;
pub mod backtest;
pub mod exchange;
pub mod gridbot;
pub mod health;
pub mod market;
pub mod multibot;
pub mod stream;
