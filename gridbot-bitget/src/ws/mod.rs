//! The WebSocket side of both APIs: message shapes ([`messages`]),
//! connection helpers with backoff ([`connection`]), typed errors
//! ([`error`]), the public market-data client ([`public`]) and the private
//! account client ([`private`]). These clients only speak the socket; the
//! `MarketData` and `Exchange` ports sit on top in [`crate::data`] and
//! [`crate::execution`].

pub mod connection;
pub mod error;
pub mod messages;
pub mod private;
pub mod public;
