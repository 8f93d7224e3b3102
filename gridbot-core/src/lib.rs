//! # gridbot-core
//!
//! The pure domain of gridbot: a money-exact model of futures trading on
//! USDT-M perpetuals, the grid math, the bot engines, the balance and risk
//! rules, a paper exchange with a real matching engine, market feeds, the
//! backtester and the backtest-driven advisor.
//!
//! This crate opens no sockets, runs no SQL and has no HTTP client. Everything
//! that talks to the outside world does so through the [`ports`] traits,
//! implemented by the adapter crates (`gridbot-bitget`, `gridbot-store`,
//! `gridbot-deepseek`) or by the in-crate [`paper`] exchange.
//!
//! Money is [`rust_decimal::Decimal`] everywhere; order prices are snapped to
//! the instrument's tick and quantities to its lot step (see
//! [`model::Instrument`]).
//!
//! Where to go next: [`grid`] for the grid formulas, [`paper`] for the fill
//! model, [`ports`] for the traits an adapter implements.
//!
//! # API stability
//!
//! Errors, events, commands, statuses of bots and bot orders, and result
//! types that may grow are `#[non_exhaustive]`: match them with a `_` arm,
//! build them with their constructors. Enums that mirror a closed set are
//! deliberately exhaustive, so a `match` over them needs no guess arm and a
//! new variant is a visible breaking change: [`model::Side`],
//! [`model::OrderKind`], [`model::OrderStatus`] and [`model::Interval`] (the
//! exchange's own sets), [`model::Liquidity`], [`model::Rounding`],
//! [`grid::GridMode`], [`grid::Spacing`], [`model::TrendDirection`],
//! [`model::BotSource`], [`engine::EnginePhase`], and the advisor's
//! [`ports::RiskLevel`] and [`ports::Trend`].
//!
//! Public signatures use our own types, [`rust_decimal::Decimal`], and two
//! crates with 1.x stability promises that the library is built on: tokio
//! (`JoinHandle` of the tasks a feed spawns) and `serde_json::Value` (the
//! JSON document of an engine's saved state and of cached advice). Event
//! subscriptions are our own [`manager::BotEvents`], not a channel type.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod advisor;
pub mod analysis;
pub mod backtest;
pub mod balance;
pub mod clock;
pub mod engine;
pub mod error;
pub mod events;
pub mod feed;
pub mod grid;
pub mod manager;
pub mod model;
pub mod paper;
pub mod ports;
pub mod risk;
pub mod runner;
pub mod templates;

pub use error::{AdvisorError, ExchangeError, MarketDataError, StoreError, ValidationError};
pub use rust_decimal::Decimal;
