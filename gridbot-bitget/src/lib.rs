//! # gridbot-bitget
//!
//! Bitget v2 USDT-M perpetual futures adapter: a REST client implementing
//! [`gridbot_core::ports::Exchange`] ([`BitgetExchange`]) and WebSocket
//! clients implementing [`gridbot_core::ports::MarketData`]
//! ([`BitgetMarketData`]) and the account's execution-event stream, plus a
//! fake Bitget server for tests (module `fake`, behind the `fake` cargo
//! feature; production builds do not compile it).
//!
//! Layout: [`common`] (urls, credentials, enums, parsing, signing), [`http`]
//! (client, models, errors, rate limits, the `Exchange`), [`ws`] (public,
//! private, messages). Money is `Decimal` end to end; prices and sizes are
//! written at the instrument's precision.
//!
//! ```no_run
//! use gridbot_bitget::{BitgetConfig, BitgetExchange, Credentials};
//! use gridbot_core::ports::Exchange;
//!
//! # async fn demo() -> Result<(), gridbot_core::ExchangeError> {
//! // Demo trading with keys from GRIDBOT_BITGET_API_KEY / _SECRET / _PASSPHRASE.
//! let ex = BitgetExchange::new(BitgetConfig::demo(Credentials::from_env()))?;
//! let balance = ex.balance().await?;
//! println!("{} USDT available", balance.available);
//! # Ok(())
//! # }
//! ```
//!
//! Building a config touches no network; keys never show in debug output:
//!
//! ```
//! use gridbot_bitget::{BitgetConfig, Credentials};
//!
//! let config = BitgetConfig::demo(Some(Credentials::new("key", "very-secret", "phrase")));
//! assert!(!format!("{config:?}").contains("very-secret"));
//! ```
//!
//! Where to go next: [`BitgetExchange`] for what each `Exchange` call sends
//! and how errors map (transient ones are retried by the bot runners);
//! [`BitgetMarketData`] for subscriptions and reconnects; with the `gridbot`
//! facade, `GridbotBuilder::bitget_market` and `gridbot serve --exchange
//! bitget-demo` use this crate; the `exchange` subcommand of the CLI calls
//! it directly for operators.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod common;
pub mod config;
pub mod http;
pub mod ws;

#[cfg(feature = "fake")]
pub mod fake;

pub use common::credentials::Credentials;
pub use common::urls::{Endpoints, Environment};
pub use config::{BitgetConfig, WsConfig};
pub use http::client::BitgetHttpClient;
pub use http::exchange::BitgetExchange;
pub use http::rate_limit::RateLimitConfig;
pub use ws::public::BitgetMarketData;
