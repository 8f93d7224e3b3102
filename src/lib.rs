//! # gridbot
//!
//! Run several grid and trend bots at once on Bitget USDT-M perpetuals, or
//! on the built-in paper exchange — from the `gridbot` command line, or
//! embedded in your own Rust program through this crate.
//!
//! [`Gridbot::builder`] assembles a working system in a few lines: an
//! exchange (paper, Bitget, or any [`core::ports::Exchange`] of your own),
//! market data, a store (memory, SQLite, PostgreSQL, or your own
//! [`core::ports::Store`]) and an advisor; it hands back a [`Gridbot`] whose
//! [`manager`](Gridbot::manager) starts, stops and lists bots and whose
//! [`events`](Gridbot::events) report their changes.
//!
//! ```
//! use gridbot::core::feed::SimConfig;
//! use gridbot::core::grid::{plan, GridConfig, GridMode, Spacing};
//! use gridbot::core::model::{BotSource, Rounding, Symbol};
//! use gridbot::{Decimal, Gridbot};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Paper exchange, a simulated BTC market, in-memory store: no keys needed.
//! let sim = SimConfig::default().with_symbols(&["BTCUSDT"]).with_history_days(1);
//! let gridbot = Gridbot::builder().paper(Decimal::from(10_000)).sim_market(sim).build().await?;
//! let btc = Symbol::new("BTCUSDT")?;
//! let price = gridbot.market().last_price(&btc).await?;
//! let rules = &gridbot.instruments()[0];
//! let lower = rules.round_price(price * Decimal::new(95, 2), Rounding::Down);
//! let upper = rules.round_price(price * Decimal::new(105, 2), Rounding::Up);
//! let config = GridConfig::new(btc, lower, upper, 20, Spacing::Arithmetic, GridMode::Neutral, Decimal::from(500), 2);
//! assert_eq!(plan(&config, rules, price)?.levels.len(), 21);
//! let alice = gridbot.ensure_user("alice").await?;
//! let bot = gridbot.manager().start_grid(alice, config, BotSource::Manual).await?;
//! assert!(bot.status.holds_allocation());
//! gridbot.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Cargo features (all on by default; `default-features = false` leaves the
//! paper exchange, the simulated and replay markets, the in-memory store
//! and the backtest advisor):
//!
//! | feature | adds |
//! |---|---|
//! | `bitget` | [`bitget`]: Bitget market data and trading |
//! | `sqlite` | the SQLite store (`GridbotBuilder::sqlite`) |
//! | `postgres` | the PostgreSQL store (`GridbotBuilder::postgres`) |
//! | `deepseek` | [`deepseek`]: the DeepSeek advisor (`GridbotBuilder::deepseek`) |
//! | `http` | [`http`]: the REST API and dashboard |
//! | `cli` | the `gridbot` binary (turns on all of the above) |
//!
//! The workspace crates are re-exported: [`core`] (model, grid math,
//! engines, paper exchange, backtester, advisor), [`store`], and with their
//! features [`bitget`], [`deepseek`] and [`http`].
//!
//! Where to go next: the examples (`cargo run --example quickstart`,
//! `paper_multibot`, `backtest_grid`, `recommend`, `custom_exchange`,
//! `custom_store`); [`core::grid`] for the grid formulas; [`core::paper`]
//! for the fill model; [`facade`] for the lifecycle of a [`Gridbot`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod facade;

pub use facade::{BuildError, Gridbot, GridbotBuilder};
pub use gridbot_core::Decimal;

#[cfg(feature = "bitget")]
pub use gridbot_bitget as bitget;
pub use gridbot_core as core;
#[cfg(feature = "deepseek")]
pub use gridbot_deepseek as deepseek;
#[cfg(feature = "http")]
pub use gridbot_http as http;
pub use gridbot_store as store;
