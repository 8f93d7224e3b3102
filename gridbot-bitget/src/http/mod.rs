//! The REST side: a signed HTTP client with the envelope, typed errors,
//! client-side rate limits and retries ([`client`]), the wire models
//! ([`models`], [`requests`]) and the [`gridbot_core::ports::Exchange`] implementation
//! ([`exchange`], with placement in [`orders`] and fill paging in [`fills`]).

pub mod client;
pub mod error;
pub mod exchange;
pub mod fills;
pub mod models;
pub mod orders;
pub mod rate_limit;
pub mod requests;
