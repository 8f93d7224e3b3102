//! The REST side: a signed HTTP client with the envelope, typed errors,
//! client-side rate limits and retries ([`client`], [`error`],
//! [`rate_limit`]); the classic v2 API ([`v2`]) and the unified v3 API
//! ([`v3`]) side by side, each with its own request and answer models; the
//! vocabulary both hand to the execution layer ([`records`]); and the
//! candle-history planner both use ([`candles`]).
//!
//! Nothing here knows about the `Exchange` port or the WebSockets: the
//! execution layer ([`crate::execution`]) sits on top.

pub mod candles;
pub mod client;
pub mod error;
pub mod rate_limit;
pub mod records;
pub mod v2;
pub mod v3;
