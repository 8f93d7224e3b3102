//! The WebSocket side: message shapes ([`messages`]), connection helpers
//! with backoff ([`connection`]), the public market data client
//! ([`public`], implements [`gridbot_core::ports::MarketData`]) and the
//! private execution-event stream ([`private`]).

pub mod connection;
pub mod messages;
pub mod private;
pub mod public;
