//! # gridbot-bitget
//!
//! Bitget USDT-M perpetual futures adapter for classic (v2) and unified
//! trading (UTA, v3) accounts: [`BitgetExchange`] implements
//! [`gridbot_core::ports::Exchange`] (REST, plus the account's execution
//! events over the private WebSocket) and [`BitgetMarketData`] implements
//! [`gridbot_core::ports::MarketData`] (public WebSocket and candle history),
//! plus a fake Bitget server for tests (module `fake`, behind the `fake`
//! cargo feature; production builds do not compile it).
//!
//! The account kind is detected from the keys on first use (see
//! [`execution`]); one client serves both kinds. Demo trading is Bitget's
//! scheme A: a demo API key with the `paptrading: 1` header, the normal
//! product type and symbols, and the `wspap` WebSocket host.
//!
//! Layout (NautilusTrader's adapters are the model): [`common`] (urls,
//! credentials, account kinds, enums, client id rule, parsing, signing);
//! [`http`] (the signed client, the v2 and v3 APIs side by side with their
//! models, candle history); [`ws`] (the public and private WebSocket clients
//! of both dialects, typed errors); [`execution`] (the `Exchange` port) and
//! [`data`] (the `MarketData` port) on top. Money is `Decimal` end to end;
//! prices and sizes are written at the instrument's precision.
//!
//! ```no_run
//! use gridbot_bitget::{BitgetConfig, BitgetExchange, Credentials};
//! use gridbot_core::ports::Exchange;
//!
//! # async fn demo() -> Result<(), gridbot_core::ExchangeError> {
//! // Demo trading with demo keys from GRIDBOT_BITGET_API_KEY / _SECRET / _PASSPHRASE.
//! let ex = BitgetExchange::new(BitgetConfig::demo(Credentials::from_env()))?;
//! let balance = ex.balance().await?;
//! println!("{} USDT available on a {} account", balance.available, ex.account_kind().await?);
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
//! ## Facts Bitget's sources disagree on, and how both readings are handled
//!
//! (`../shared/bitget/UTA.md` lists the sources.)
//! - A classic key on the v3 probe answers 40084; one client also reads
//!   25245 as classic: a 25245 is confirmed with a v2 call before it is
//!   believed ([`execution::account`]).
//! - `account/settings` may or may not report `holdMode`: when it does not,
//!   the switch to one-way is tried and, if refused, the positions say
//!   ([`execution::modes`]). Isolated leverage may need a `posSide`: sent
//!   without one first, then once per side if Bitget asks.
//! - `marginMode` in v3 batch items: documented for single orders only, sent
//!   by ccxt and bitget-api in batches; sent, and on refusal the orders go
//!   one by one. Reduce-only and preset TP/SL orders never go in a v3 batch.
//! - v2 `orders-pending` without `status`: `live` only (English page) or
//!   every state (Chinese page): `partially_filled` is asked for too.
//! - v3 public arguments: `symbol` (docs) or `instId` (Bitget.Net): both sent.
//! - Candle bounds differ between endpoints and `utc` intervals are not in
//!   the v3 docs: requests are widened and filtered, rows checked on the UTC
//!   grid, refused `utc` intervals rebuilt from hours ([`http::candles`]).
//! - Error 40010 means "timeout" for v3 orders and "bad key" in older tables:
//!   read by its message. Fees: v2 negative when paid, v3 positive.
//!
//! Where to go next: [`BitgetExchange`] for what each `Exchange` call sends
//! and how errors map (transient ones are retried by the bot runners);
//! [`BitgetMarketData`] for subscriptions and reconnects; with the `gridbot`
//! facade, `GridbotBuilder::bitget_market` and `gridbot serve --exchange
//! bitget-demo` use this crate; the `exchange` subcommand of the CLI calls
//! it directly for operators.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

/// Runs the same call on whichever API client an [`execution::Rest`] holds.
macro_rules! both {
    ($rest:expr, $r:ident => $e:expr) => {
        match $rest {
            $crate::execution::Rest::Classic($r) => $e,
            $crate::execution::Rest::Unified($r) => $e,
        }
    };
}
pub(crate) use both;

pub mod common;
pub mod config;
pub mod data;
pub mod execution;
pub mod http;
pub mod ws;

#[cfg(feature = "fake")]
pub mod fake;

pub use common::account::{AccountKind, AccountMode};
pub use common::credentials::Credentials;
pub use common::urls::{Endpoints, Environment};
pub use config::{BitgetConfig, WsConfig};
pub use data::BitgetMarketData;
pub use execution::{AccountInfo, BitgetExchange, ContractDetails};
pub use http::client::BitgetHttpClient;
pub use http::rate_limit::RateLimitConfig;
